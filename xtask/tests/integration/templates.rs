//! `cargo xtask templates`: the built-in and repository templates render, and a broken one is
//! reported with its file.

use crate::support::{assert_contains, Sandbox};

#[test]
fn check_renders_every_template() {
    let sandbox = Sandbox::with_kit();
    let out = sandbox.xtask().args(["templates", "--check"]).success();
    assert_contains(&out.stdout, "ok    spec v1 (templates/spec.md.tera)");
    assert_contains(&out.stdout, "ok    pr_body v1 (templates/pr_body.md.tera)");
    assert_contains(&out.stdout, "8 templates rendered");
}

#[test]
fn built_in_templates_serve_a_repository_without_templates() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["rm", "-rq", "templates"]);
    sandbox.commit_all("chore: drop templates");
    let out = sandbox.xtask().args(["templates"]).success();
    let rows: Vec<Vec<&str>> = out.stdout.lines().skip(1).map(|line| line.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), 8, "{}", out.stdout);
    assert!(rows.iter().all(|row| row[1].starts_with('v') && row[2] == "<built-in>"), "{}", out.stdout);
    assert_eq!(rows[0][0], "spec");
}

#[test]
fn a_broken_template_fails_the_check_and_names_the_file() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("templates/runbook.md.tera", "{# sop-template: runbook v1 #}\n{{ missing_variable }}\n");
    let out = sandbox.xtask().args(["templates", "--check"]).failure(1);
    assert_contains(&out.stdout, "FAIL  runbook v1 (templates/runbook.md.tera)");
    assert_contains(&out.stderr, "1 of 8 templates failed to render");

    sandbox.write("templates/runbook.md.tera", "{# sop-template: runbook v1 #}\n{% if %}\n");
    let out = sandbox.xtask().args(["templates", "--check"]).failure(2);
    assert_contains(&out.stderr, "`templates/runbook.md.tera` is not a valid template");
}
