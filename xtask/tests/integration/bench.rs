//! `cargo xtask bench`, the forwarder: it checks the options itself (a bad size is refused before
//! anything is built), then starts the benchmark beside the tool, `cargo run -p xtask-bench`,
//! with the options, its own binary to time and the repository, and exits as the bench did. The
//! cargo it runs is `$CARGO`, here a script that records its arguments: a test cannot run cargo
//! on this workspace (cargo holds the target dir while tests run). The bench itself is tested in
//! its own package (`xtask/bench/tests/bench.rs`).

use crate::support::{assert_contains, project_root, Sandbox};

/// A stand-in for cargo: writes its arguments, one a line, to `args.txt` beside it and exits with
/// `code`.
fn fake_cargo(sandbox: &Sandbox, code: i32) -> std::path::PathBuf {
    let dir = sandbox.home.join("fake-cargo");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("cargo");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor word in \"$@\"; do printf '%s\\n' \"$word\"; done > \"{}\"\nexit {code}\n",
            dir.join("args.txt").display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    script
}

fn recorded_args(cargo: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(cargo.with_file_name("args.txt")).expect("the fake cargo ran");
    text.lines().map(str::to_string).collect()
}

/// Proves the forwarded command line: the bench's manifest beside the xtask, its package and
/// binary, the running xtask as the binary to time, the repository, and every option spelled out.
#[cfg(unix)]
#[test]
fn bench_runs_the_bench_package_with_the_options_and_this_binary() {
    let sandbox = Sandbox::with_kit();
    let before = sandbox.snapshot();
    let cargo = fake_cargo(&sandbox, 0);
    sandbox
        .xtask()
        .args(["bench", "--addons", "5", "--runs", "1", "--skip-cold-build", "--json"])
        .env("CARGO", cargo.to_str().unwrap())
        .success();
    let args = recorded_args(&cargo);
    let manifest = project_root().join("xtask/bench/Cargo.toml");
    let head = [
        "run",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "-p",
        "xtask-bench",
        "--bin",
        "xtask-bench",
        "--",
        "--xtask",
    ];
    assert_eq!(args[..head.len()], head, "{args:?}");
    let binary = std::path::Path::new(&args[head.len()]);
    assert_eq!(
        binary.canonicalize().unwrap(),
        std::path::Path::new(env!("CARGO_BIN_EXE_xtask")).canonicalize().unwrap()
    );
    assert_eq!(args[head.len() + 1], "-C");
    let root = std::path::Path::new(&args[head.len() + 2]);
    assert_eq!(root.canonicalize().unwrap(), sandbox.root.canonicalize().unwrap());
    let options = ["--addons", "5", "--commits", "10000", "--runs", "1", "--skip-cold-build", "--json"];
    assert_eq!(args[head.len() + 3..], options, "{args:?}");
    assert_eq!(sandbox.snapshot(), before, "forwarding changed the repository");
}

/// Proves the bench's failure is the command's: a bench that did not build, or failed, exits 1
/// and says where to look.
#[cfg(unix)]
#[test]
fn a_failed_bench_fails_the_command() {
    let sandbox = Sandbox::with_kit();
    let cargo = fake_cargo(&sandbox, 101);
    let out = sandbox.xtask().args(["bench", "--runs", "1"]).env("CARGO", cargo.to_str().unwrap()).refused(1);
    assert_contains(&out.stderr, "`cargo run -p xtask-bench` failed with exit code 101");
    assert_contains(&out.stderr, "hint: build it alone to see why: cargo build -p xtask-bench");
    let cargo = fake_cargo(&sandbox, 1);
    let out = sandbox.xtask().args(["bench", "--runs", "1"]).env("CARGO", cargo.to_str().unwrap()).refused(1);
    assert_contains(&out.stderr, "error: the benchmark failed (its error is above)");
}

/// Proves the options are checked before anything is built or run: no cargo is started at all.
#[test]
fn bad_sizes_are_refused_and_nothing_changes() {
    let sandbox = Sandbox::with_kit();
    let before = sandbox.snapshot();
    for (flag, value) in [("--addons", "0"), ("--commits", "0"), ("--runs", "0"), ("--addons", "many")] {
        let out = sandbox.xtask().args(["bench", flag, value]).env("CARGO", "/nonexistent/cargo").refused(2);
        assert_contains(&out.stderr, &format!("invalid value '{value}' for '{flag}"));
    }
    assert_eq!(sandbox.snapshot(), before);
}
