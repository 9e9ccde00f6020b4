//! `pre-pr`'s verify cache: a verify that passed on a tree is reused by a later `pre-pr` on the
//! very same tree with the very same commands — the summary and the PR body say so — and runs
//! again after a new commit and with `--fresh` (the commands are part of the key too). The verify
//! command here counts its own runs in a file outside the repository, so the test sees exactly
//! how often it really ran.

use crate::pre_pr::{commit_feature, project};
use crate::support::assert_contains;

const COUNTING: &str =
    "verify = [[\"sh\", \"-c\", \"echo run >> ../verify.count\"]]\nintegration_verify = [[\"true\"]]\n";

#[test]
fn verify_is_reused_only_on_the_same_tree_with_the_same_commands() {
    let (sandbox, _origin) = project(COUNTING);
    let count = || {
        let text = std::fs::read_to_string(sandbox.root.parent().unwrap().join("verify.count")).unwrap_or_default();
        text.lines().count()
    };
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    sandbox.xtask().args(["pre-pr"]).success();
    assert_eq!(count(), 1);

    let again = sandbox.xtask().args(["pre-pr"]).success();
    assert_eq!(count(), 1, "the same tree was verified twice");
    assert_contains(&again.stdout, "reused (same tree, same commands)");
    assert_contains(&sandbox.read("target/pre-pr/PR_BODY.md"), "passed (reused: this tree passed earlier");

    sandbox.xtask().args(["pre-pr", "--fresh"]).success();
    assert_eq!(count(), 2, "--fresh did not verify again");

    commit_feature(&sandbox, "feature.txt", "mine, more\n", "feat: more of the feature");
    let after_commit = sandbox.xtask().args(["pre-pr"]).success();
    assert_eq!(count(), 3, "a new commit was not verified");
    assert!(!after_commit.stdout.contains("reused"), "{}", after_commit.stdout);
    assert!(!sandbox.read("target/pre-pr/PR_BODY.md").contains("reused"));
}
