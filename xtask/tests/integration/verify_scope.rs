//! `pre-pr --scope` on a real cargo workspace of three packages (`b` depends on `a`, `c` on
//! nothing): the verify command's `--workspace` becomes `-p` for the packages the branch touches
//! and their dependents, found by the real `cargo metadata`; without `--scope` it runs as
//! written. The verify command records its arguments, so the test sees what really ran.

use crate::pre_pr::commit_feature;
use crate::support::{assert_contains, Sandbox};

pub(crate) fn workspace() -> Sandbox {
    let sandbox = Sandbox::empty();
    let verify = "verify = [[\"sh\", \"-c\", \"echo \\\"$@\\\" >> ../verify.args\", \"sh\", \"--workspace\"]]\n";
    sandbox.write(
        "Cargo.toml",
        &format!(
            "[workspace]\nmembers = [\"a\", \"b\", \"c\"]\nresolver = \"2\"\n\n[workspace.metadata.sop]\n{verify}"
        ),
    );
    for (name, deps) in [("a", ""), ("b", "a = { path = \"../a\" }\n"), ("c", "")] {
        sandbox.write(
            &format!("{name}/Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}"),
        );
        sandbox.write(&format!("{name}/src/lib.rs"), "//! A package.\n");
    }
    sandbox.write(".gitignore", "/target/\n.env\n");
    sandbox.write("CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n");
    sandbox.commit_all("chore: a workspace of three packages");
    sandbox.xtask().args(["trust"]).success();
    sandbox.with_origin();
    sandbox
}

#[test]
fn scope_verifies_the_touched_packages_and_their_dependents() {
    let sandbox = workspace();
    let args = || std::fs::read_to_string(sandbox.root.parent().unwrap().join("verify.args")).unwrap_or_default();
    sandbox.git(&["switch", "-q", "-c", "feat/change-a"]);
    commit_feature(&sandbox, "a/src/lib.rs", "//! A package, changed.\n", "feat: change a");
    let out = sandbox.xtask().args(["pre-pr", "--scope"]).success();
    assert_contains(&out.stdout, "scope: verifying the packages the branch touches: a, b");
    assert_eq!(args().lines().last(), Some("-p a -p b"), "{}", args());
    // A scoped run is no pull request's evidence: its next step is the full verify, not propose
    // or a push; pasted, everything runs.
    assert!(!out.stdout.contains("cargo xtask propose") && !out.stdout.contains("git push"), "{}", out.stdout);
    assert_eq!(crate::support::next_lines(&out.stdout), ["cargo xtask pre-pr"]);
    crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.stdout);
    assert_eq!(args().lines().last(), Some("--workspace"), "without --scope everything runs");

    sandbox.git(&["switch", "-q", "-c", "feat/change-c", "main"]);
    commit_feature(&sandbox, "c/src/lib.rs", "//! C, changed.\n", "feat: change c");
    sandbox.xtask().args(["pre-pr", "--scope"]).success();
    assert_eq!(args().lines().last(), Some("-p c"), "{}", args());
}
