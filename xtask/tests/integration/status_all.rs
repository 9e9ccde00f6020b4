//! `cargo xtask status --all`: the war room across branches, with a team. This clone has a
//! slice pushed and a stale main; a teammate has a slice only on the origin, with a PR; `gh` is
//! a stub on `PATH` that records its arguments. What these tests prove: every branch shows,
//! wherever it lives, with the slices it carries as that branch has them, ahead/behind the
//! remote's main, and its PR's state from `gh`; every registered flag shows with this clone's
//! `.env` value, with warnings for a registered flag `.env` leaves unset and an unknown one it
//! sets; without `gh` the PR column is simply empty.

use std::path::Path;

use crate::support::{assert_contains, Sandbox};

fn commit_all_in(sandbox: &Sandbox, dir: &Path, message: &str) {
    sandbox.git_in(dir, &["add", "-A"]);
    sandbox.git_in(dir, &["commit", "-q", "--no-verify", "-m", message]);
}

/// A `gh` that lists one open PR for `feat/beta` and writes its arguments to `gh.args`.
fn stub_gh(dir: &Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\necho '[{{\"headRefName\":\"feat/beta\",\"state\":\"OPEN\",\"number\":7}}]'\n",
        dir.join("gh.args").display()
    );
    std::fs::write(bin.join("gh"), script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(bin.join("gh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

#[test]
fn status_all_shows_every_branch_its_slices_its_pr_and_the_env_flags() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let teammate = sandbox.clone_of(&origin, "teammate");
    sandbox.xtask().args(["new-addon", "alpha", "--yes"]).success();
    sandbox.commit_all("feat: add alpha skeleton");
    sandbox.git(&["push", "-q", "-u", "origin", "feat/alpha"]);
    sandbox.xtask().current_dir(&teammate).args(["new-addon", "beta", "--yes"]).success();
    commit_all_in(&sandbox, &teammate, "feat: add beta skeleton");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "feat/beta"]);
    sandbox.git_in(&teammate, &["switch", "-q", "main"]);
    std::fs::write(teammate.join("news.txt"), "news\n").unwrap();
    commit_all_in(&sandbox, &teammate, "chore: news on main");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main"]);
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.write(".env", "FEATURE_ALPHA=true\nFEATURE_TYPO=true\n");

    let home = sandbox.root.parent().unwrap().to_path_buf();
    let path = stub_gh(&home);
    let report = sandbox.xtask().args(["status", "--all", "--json"]).env("PATH", &path).success().json();
    let row = |name: &str| {
        report["branches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["branch"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no row for {name}: {report:#}"))
    };
    let alpha = row("feat/alpha");
    assert_eq!((alpha["local"].as_bool(), alpha["remote"].as_bool()), (Some(true), Some(true)));
    assert_eq!(alpha["slices"][0]["addon"], "Alpha");
    assert_eq!(alpha["slices"][0]["status"], "Draft");
    assert_eq!((alpha["ahead"].as_u64(), alpha["behind"].as_u64()), (Some(1), Some(1)), "{alpha:#}");
    let beta = row("feat/beta");
    assert_eq!((beta["local"].as_bool(), beta["remote"].as_bool()), (Some(false), Some(true)));
    assert_eq!(beta["slices"][0]["addon"], "Beta");
    assert_eq!(beta["pr"], "#7 OPEN");
    assert!(report["branches"].as_array().unwrap().iter().all(|b| b["branch"] != "main"));
    let args = std::fs::read_to_string(home.join("gh.args")).unwrap();
    assert_contains(&args, "pr list --state all");

    let flags = report["flags"].as_array().unwrap();
    let value = |flag: &str| flags.iter().find(|f| f["flag"] == flag).map(|f| f["local"].clone());
    assert_eq!(value("FEATURE_ALPHA"), Some(serde_json::json!("true")));
    assert_eq!(value("FEATURE_HEALTH_MONITOR"), Some(serde_json::Value::Null));
    let warnings = report["warnings"].to_string();
    assert_contains(&warnings, "`FEATURE_HEALTH_MONITOR` is registered but `.env` does not set it");
    assert_contains(&warnings, "`.env` sets `FEATURE_TYPO`, which no add-on registers");

    // The human table, without gh on PATH (the stub's folder left out): no PR, no warning about it.
    let human = sandbox.xtask().args(["status", "--all"]).success();
    assert_contains(&human.stdout, "feat/beta");
    assert_contains(&human.stdout, "remote");
    assert_contains(&human.stdout, "Alpha (Draft)");
    assert!(!human.stderr.contains("gh pr list"), "{}", human.stderr);
}

/// A teammate starts (freezes) a spec on main after this clone's branch forked: the branch's
/// slices are what it changed since its merge base with main (`git diff origin/main...branch`),
/// so the spec only main changed is not listed as the branch's, while a spec the branch itself
/// changes is, with its Status as the branch has it. Fails if the two tips are diffed instead.
#[test]
fn status_all_lists_only_what_the_branch_changed_since_it_forked() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let teammate = sandbox.clone_of(&origin, "teammate");
    sandbox.xtask().args(["branch", "fix", "typo"]).success();
    sandbox.write("README.md", &format!("{}typo\n", sandbox.read("README.md")));
    sandbox.commit_all("fix: typo");
    sandbox.xtask().args(["new-addon", "alpha", "--yes"]).success();
    sandbox.commit_all("feat: add alpha skeleton");
    sandbox.xtask().current_dir(&teammate).args(["spec", "start", "health-monitor"]).success();
    commit_all_in(&sandbox, &teammate, "spec: start health-monitor");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main"]);
    sandbox.git(&["fetch", "-q", "origin"]);
    assert_eq!(sandbox.git(&["diff", "--name-only", "origin/main...fix/typo"]).trim(), "README.md");

    let report = sandbox.xtask().args(["status", "--all", "--json"]).success().json();
    let slices = |name: &str| {
        let rows = report["branches"].as_array().unwrap();
        let row = rows.iter().find(|b| b["branch"] == name).unwrap_or_else(|| panic!("no {name}: {report:#}"));
        row["slices"].clone()
    };
    assert_eq!(slices("fix/typo"), serde_json::json!([]), "main's spec listed as the branch's: {report:#}");
    assert_eq!(slices("feat/alpha"), serde_json::json!([{"addon": "Alpha", "status": "Draft"}]), "{report:#}");
    let human = sandbox.xtask().args(["status", "--all"]).success();
    let typo = human.stdout.lines().find(|line| line.starts_with("fix/typo")).unwrap_or_default().to_string();
    assert!(!typo.contains("HealthMonitor"), "{}", human.stdout);
}
