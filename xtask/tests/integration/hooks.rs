//! The git hooks, driven by real `git commit` and `git push` runs: the committed scripts in
//! `.githooks/` hand over to the binary under test (`LANCELOT_XTASK`), exactly as they hand over
//! to `cargo xtask` in a real clone. Hooks are `sh` scripts with Unix permissions: Unix only.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::support::{assert_contains, hint_command, hooked_clone, project_root, Sandbox};

const HOOKS: [&str; 2] = ["commit-msg", "pre-push"];

struct GitRun {
    ok: bool,
    stderr: String,
}

/// Runs git with the hooks pointed at the binary under test, plus `env`.
fn git(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> GitRun {
    let mut command = sandbox.git_command(&sandbox.root);
    command.args(args).env("LANCELOT_XTASK", env!("CARGO_BIN_EXE_xtask")).stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    GitRun { ok: output.status.success(), stderr: String::from_utf8_lossy(&output.stderr).into_owned() }
}

fn commit(sandbox: &Sandbox, message: &str, env: &[(&str, &str)]) -> GitRun {
    let file = format!("file-{}.txt", sandbox.git(&["rev-list", "--count", "--all"]).trim());
    sandbox.write(&file, message);
    sandbox.git(&["add", &file]);
    git(sandbox, &["commit", "-q", "-m", message], env)
}

fn origin(sandbox: &Sandbox) -> PathBuf {
    sandbox.root.parent().unwrap().join("origin.git")
}

fn origin_ref(sandbox: &Sandbox, name: &str) -> String {
    let output = sandbox.git_command(&origin(sandbox)).args(["rev-parse", "--verify", "-q", name]).output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn receipts(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(sandbox.path(".git/sop/receipts.jsonl")).unwrap_or_default();
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn commit_msg_rejects_a_non_conventional_message_and_shows_a_good_one() {
    let sandbox = hooked_clone();
    let head = sandbox.head();
    let run = commit(&sandbox, "stuff", &[]);
    assert!(!run.ok, "`stuff` was accepted");
    assert_contains(&run.stderr, "error: commit message rejected: `stuff` is not a conventional commit");
    assert_contains(&run.stderr, "feat: add scheduler receipts");
    assert_contains(
        &run.stderr,
        "hint: edit the message you wrote and commit again: git commit -e -F \"$(git rev-parse --git-path COMMIT_EDITMSG)\"",
    );
    assert_eq!(sandbox.head(), head, "no commit was made");
    let last = receipts(&sandbox).pop().unwrap();
    assert_eq!((last["command"].as_str(), last["kind"].as_str()), (Some("hook"), Some("failure")));
    assert_eq!(last["detail"]["subject"], "stuff");

    // The hint works pasted, from a subdirectory too: the editor (here a script) rewrites it.
    use_editor(&sandbox, "fix: say what changed");
    let sub = sandbox.path("src");
    run_hint(&sandbox, &sub, &hint_command(&run.stderr));
    assert_eq!(sandbox.git(&["log", "-1", "--format=%s"]).trim(), "fix: say what changed");
}

/// `git commit -a`, `-i <paths>` and `<paths>` stage their files only in the index git gives the
/// hook, which is gone once the hook refuses: the hint's retry takes the same files again, so,
/// pasted as printed, it commits exactly what the refused commit held (an edit, a deletion, a
/// name with a space), and leaves what that commit left (an untouched file, a staged one).
#[test]
fn commit_msg_hints_retry_what_commit_a_and_commit_paths_would_have_committed() {
    let sandbox = hooked_clone();
    for file in ["kept.txt", "gone.txt", "with space.txt", "other.txt", "staged.txt"] {
        sandbox.write(file, "one\n");
    }
    sandbox.commit_all("chore: files to change");
    use_editor(&sandbox, "fix: say what changed");
    let committed = |sandbox: &Sandbox| sandbox.git(&["show", "--name-status", "--format=", "HEAD"]);

    // `-a`: every tracked change, the deletion included.
    sandbox.write("kept.txt", "two\n");
    sandbox.write("with space.txt", "two\n");
    std::fs::remove_file(sandbox.path("gone.txt")).unwrap();
    let head = sandbox.head();
    let run = git(&sandbox, &["commit", "-q", "-a", "-m", "stuff"], &[]);
    assert!(!run.ok, "`stuff` was accepted");
    assert_eq!(sandbox.head(), head);
    assert_contains(&run.stderr, "-i -- gone.txt kept.txt 'with space.txt'");
    run_hint(&sandbox, &sandbox.root, &hint_command(&run.stderr));
    assert_eq!(sandbox.git(&["log", "-1", "--format=%s"]).trim(), "fix: say what changed");
    assert_eq!(committed(&sandbox), "D\tgone.txt\nM\tkept.txt\nM\twith space.txt\n");
    assert_eq!(sandbox.git(&["status", "--porcelain"]), "", "the retry took everything `-a` would have");

    // `<paths>`: only those, while another file stays staged and a third stays changed.
    sandbox.write("other.txt", "two\n");
    sandbox.write("staged.txt", "two\n");
    sandbox.git(&["add", "staged.txt"]);
    sandbox.write("kept.txt", "three\n");
    let run = git(&sandbox, &["commit", "-q", "-m", "stuff", "--", "kept.txt"], &[]);
    assert!(!run.ok, "`stuff` was accepted");
    assert_contains(&run.stderr, "COMMIT_EDITMSG)\" -- kept.txt");
    run_hint(&sandbox, &sandbox.root, &hint_command(&run.stderr));
    assert_eq!(committed(&sandbox), "M\tkept.txt\n");
    assert_eq!(sandbox.git(&["status", "--porcelain"]), " M other.txt\nM  staged.txt\n");
}

/// A scissors line written into a `-F` file is no cut: git keeps what follows (or drops the line
/// as a comment under `strip`), so the hook judges what git stores, as `check` will. Proven with
/// real commits: a message git would store with a body glued to the subject is refused, and one
/// git stores as `feat: y` is accepted (and stored so).
#[test]
fn commit_msg_cuts_at_a_scissors_line_only_where_git_does() {
    let sandbox = hooked_clone();
    let scissors = "# ------------------------ >8 ------------------------";
    sandbox.write("glued.txt", &format!("feat: x\n{scissors}\nbody\n"));
    sandbox.write("a.txt", "a\n");
    sandbox.git(&["add", "a.txt"]);
    let run = git(&sandbox, &["commit", "-q", "-F", "glued.txt"], &[]);
    assert!(!run.ok, "git stores three lines, the body glued to the subject");
    assert_contains(&run.stderr, "separated from the subject by a blank line");

    sandbox.write("stripped.txt", &format!("{scissors}\nfeat: y\n"));
    let run = git(&sandbox, &["-c", "commit.cleanup=strip", "commit", "-q", "-F", "stripped.txt"], &[]);
    assert!(run.ok, "git stores `feat: y`: {}", run.stderr);
    assert_eq!(sandbox.git(&["log", "-1", "--format=%B"]), "feat: y\n\n");
    for file in ["glued.txt", "stripped.txt"] {
        std::fs::remove_file(sandbox.path(file)).unwrap();
    }
}

/// `git commit -v` puts the diff below a scissors line in the message file; refused, the retry
/// must cut there too (it stored the diff in the message). And a file whose name git would read
/// as pathspec magic (`:memo.txt`) is retaken literally. Both pasted as printed.
#[test]
fn commit_msg_retries_keep_verbose_cuts_and_literal_names() {
    let sandbox = hooked_clone();
    // An editor that writes `$MESSAGE` as the first line, keeping the rest (git's comments, the
    // scissors line and the diff below it), as an engineer typing does.
    let editor = sandbox.home.join("first-line.sh");
    write_script(&editor, "sed -i \"1s/.*/$MESSAGE/\" \"$1\"");
    sandbox.git(&["config", "core.editor", editor.to_str().unwrap()]);
    sandbox.write("a.txt", "a\n");
    sandbox.git(&["add", "a.txt"]);
    let run = git(&sandbox, &["commit", "-q", "-v"], &[("MESSAGE", "bad")]);
    assert!(!run.ok, "`bad` was accepted");
    assert_contains(&run.stderr, "COMMIT_EDITMSG)\" -v");
    sandbox.sh(
        &sandbox.root,
        &format!("MESSAGE='fix: add a' LANCELOT_XTASK='{}' {}", env!("CARGO_BIN_EXE_xtask"), hint_command(&run.stderr)),
    );
    assert_eq!(sandbox.git(&["log", "-1", "--format=%B"]), "fix: add a\n\n", "the diff went into the message");

    sandbox.write(":memo.txt", "one\n");
    sandbox.git(&["add", "--", ":(literal):memo.txt"]);
    sandbox.git(&["commit", "-q", "--no-verify", "-m", "chore: a memo"]);
    sandbox.write(":memo.txt", "two\n");
    let run = git(&sandbox, &["commit", "-q", "-a", "-m", "bad"], &[]);
    assert!(!run.ok, "`bad` was accepted");
    use_editor(&sandbox, "docs: the memo");
    run_hint(&sandbox, &sandbox.root, &hint_command(&run.stderr));
    assert_eq!(sandbox.git(&["show", "--name-only", "--format=", "HEAD"]), ":memo.txt\n");
    assert_eq!(sandbox.git(&["status", "--porcelain"]), "");
}

/// `git commit --amend` with a message the hook refuses: the retry hint amends too. Pasted as
/// printed (after the engineer fixed the message in the editor), the commit is amended: the
/// branch has as many commits as before, the new message is on the amended commit, whose parent
/// is the one the amended commit had, and the file the amend added is in it.
#[test]
fn an_amend_refused_by_commit_msg_is_retried_as_an_amend() {
    let sandbox = hooked_clone();
    assert!(commit(&sandbox, "feat: add notes", &[]).ok);
    let (parent, count) = (sandbox.git(&["rev-parse", "HEAD~1"]), sandbox.git(&["rev-list", "--count", "HEAD"]));
    sandbox.write("more.txt", "more\n");
    sandbox.git(&["add", "more.txt"]);
    let run = git(&sandbox, &["commit", "-q", "--amend", "-m", "notes and more"], &[]);
    assert!(!run.ok, "`notes and more` was accepted");
    let hint = hint_command(&run.stderr);
    assert!(hint.starts_with("git commit --amend -e -F "), "{hint}");
    use_editor(&sandbox, "feat: add notes and more");
    run_hint(&sandbox, &sandbox.root, &hint);
    assert_eq!(sandbox.git(&["rev-list", "--count", "HEAD"]), count, "the retry made a new commit");
    assert_eq!(sandbox.git(&["rev-parse", "HEAD~1"]), parent);
    assert_eq!(sandbox.git(&["log", "-1", "--format=%s"]), "feat: add notes and more\n");
    assert_contains(&sandbox.git(&["show", "--name-only", "--format=", "HEAD"]), "more.txt");

    // Through an alias of `commit`, git's command line says `ci`: the alias is read too.
    sandbox.git(&["config", "alias.ci", "commit -q"]);
    let run = git(&sandbox, &["ci", "--amend", "-m", "still not conventional"], &[]);
    assert!(!run.ok, "the message was accepted");
    let hint = hint_command(&run.stderr);
    assert!(hint.starts_with("git commit --amend -e -F "), "{hint}");
    use_editor(&sandbox, "feat: add notes, more and an alias");
    run_hint(&sandbox, &sandbox.root, &hint);
    assert_eq!(sandbox.git(&["rev-list", "--count", "HEAD"]), count, "the retry made a new commit");
    assert_eq!(sandbox.git(&["log", "-1", "--format=%s"]), "feat: add notes, more and an alias\n");
}

/// A push of another branch than HEAD's (`git push origin feat/x` from `feat/y`): the pre-push
/// hook judges the secret by what that branch holds, not by HEAD's tree, where it never was. The
/// finding names `feat/x` and does not call the secret "removed later"; its purge hint, pasted
/// from `feat/y`, rebases `feat/x` (not HEAD's branch), after which the push sends no secret.
#[test]
fn a_push_of_another_branch_is_judged_and_purged_on_that_branch() {
    let sandbox = hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "feat/x"]);
    sandbox.write("notes/keys.txt", &format!("id = {}\n", crate::support::fake_aws_key_id()));
    sandbox.commit_all("feat: keys");
    // Another branch, first by name, holds the secret's commit too: the pushed one is named.
    sandbox.git(&["branch", "aaa/keys"]);
    sandbox.write("notes/more.txt", "more\n");
    sandbox.commit_all("feat: more notes");
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.git(&["switch", "-q", "-c", "feat/y"]);
    let y = commit(&sandbox, "feat: y", &[]);
    assert!(y.ok, "{}", y.stderr);
    let y_tip = sandbox.head();

    let run = git(&sandbox, &["push", "-q", "origin", "feat/x"], &[]);
    assert!(!run.ok, "the push of a secret passed");
    assert_contains(&run.stderr, "aws-access-key-id");
    assert_contains(&run.stderr, "on `feat/x`");
    assert!(!run.stderr.contains("removed later"), "feat/x still holds it:\n{}", run.stderr);
    let purge = crate::support::hint_commands(&run.stderr).into_iter().find(|c| c.starts_with("git rebase -i"));
    let purge = purge.unwrap_or_else(|| panic!("no purge hint:\n{}", run.stderr));
    assert!(purge.ends_with(" feat/x"), "{purge}");
    sandbox.git(&["config", "sequence.editor", "sed -i -e '1s/^pick/drop/'"]);
    run_hint(&sandbox, &sandbox.root, &purge);
    assert_eq!(sandbox.git(&["log", "--format=%s", "main..feat/x"]), "feat: more notes\n");
    assert_eq!(sandbox.git(&["rev-parse", "feat/y"]).trim(), y_tip, "HEAD's branch was rebased");
    let again = git(&sandbox, &["push", "-q", "origin", "feat/x"], &[]);
    assert!(!again.stderr.contains("secret"), "{}", again.stderr);
}

/// A push of a branch whose commit HEAD's history holds too (`feat/w` was cut from `feat/x` and
/// took the secret out): the push sends `feat/x`, which still holds it, so the finding names
/// `feat/x` and not "removed later", and its hints are for `feat/x`: the baseline's update,
/// pasted as printed, switches to it and accepts the finding there.
#[test]
fn a_push_of_a_branch_behind_heads_history_is_judged_on_that_branch() {
    let sandbox = hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "feat/x"]);
    sandbox.write("notes/keys.txt", &format!("id = {}\n", crate::support::fake_aws_key_id()));
    sandbox.commit_all("feat: keys");
    sandbox.git(&["switch", "-q", "-c", "feat/w"]);
    sandbox.git(&["rm", "-q", "notes/keys.txt"]);
    sandbox.commit_all("fix: no keys");

    let run = git(&sandbox, &["push", "-q", "origin", "feat/x"], &[]);
    assert!(!run.ok, "the push of a secret passed");
    assert_contains(&run.stderr, "on `feat/x`");
    assert!(!run.stderr.contains("removed later"), "feat/x still holds it:\n{}", run.stderr);
    let commands = crate::support::hint_commands(&run.stderr);
    assert!(commands.iter().any(|c| c.starts_with("git rebase -i") && c.ends_with(" feat/x")), "{commands:?}");
    let accept = commands.iter().find(|c| c.contains("--update-baseline")).expect("a baseline hint");
    assert_eq!(accept, "git switch feat/x && cargo xtask check --update-baseline");
    run_hint(&sandbox, &sandbox.root, accept);
    assert_eq!(sandbox.current_branch(), "feat/x");
    assert_contains(&sandbox.read(".secrets.baseline.json"), "notes/keys.txt");
}

#[test]
fn commit_msg_accepts_conventional_messages_comments_and_merges() {
    let sandbox = hooked_clone();
    let run = commit(&sandbox, "chore: add notes", &[]);
    assert!(run.ok, "{}", run.stderr);

    // git's comments (and everything below the scissors line) are not part of the message.
    sandbox
        .write("message.txt", "fix(hooks): keep comments out\n\nWhy it matters.\n# Please enter the commit message\n");
    sandbox.write("fix.txt", "fix\n");
    sandbox.git(&["add", "fix.txt"]);
    let run = git(&sandbox, &["commit", "-q", "--cleanup=strip", "-F", "message.txt"], &[]);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(sandbox.git(&["log", "-1", "--format=%s"]).trim(), "fix(hooks): keep comments out");
    std::fs::remove_file(sandbox.path("message.txt")).unwrap();

    // A merge keeps git's own `Merge branch …` message (SOP 4.6 allows it when necessary).
    sandbox.git(&["switch", "-q", "-c", "feat/notes"]);
    assert!(commit(&sandbox, "feat: add more notes", &[]).ok);
    sandbox.git(&["switch", "-q", "main"]);
    assert!(commit(&sandbox, "docs: note on main", &[]).ok);
    sandbox.git(&["switch", "-q", "feat/notes"]);
    let run = git(&sandbox, &["merge", "-q", "--no-ff", "--no-edit", "main"], &[]);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(sandbox.git(&["log", "-1", "--format=%s"]).trim(), "Merge branch 'main' into feat/notes");
}

/// Proves a push to main is refused in every form, and the hint, pasted line by line from the
/// main branch, moves the commit to a branch named from its subject, puts the local main back
/// where the remote has it (else the next slice cut from it would carry the commit), and pushes
/// that branch (through the same hook, which now lets it through).
#[test]
fn pre_push_refuses_every_push_to_main() {
    let sandbox = hooked_clone();
    let before = origin_ref(&sandbox, "main");
    // The commit carries its CHANGELOG fragment, so its branch passes the check when pushed.
    sandbox.write("docs/changelog.d/tidy-settings.md", "<!-- section: Changed -->\n- A change.\n");
    sandbox.git(&["add", "docs/changelog.d/tidy-settings.md"]);
    assert!(commit(&sandbox, "chore: tidy the settings", &[]).ok);
    let work = sandbox.head();

    let run = git(&sandbox, &["push", "origin", "main"], &[]);
    assert!(!run.ok, "a push to main went through");
    assert_contains(
        &run.stderr,
        "error: pushing to `main` is not allowed: changes land on `main` through pull requests (SOP 4.7)",
    );
    assert_contains(
        &run.stderr,
        "hint: move your commits to a branch, put the main branch back where the remote has it, and push that:\nhint: git switch -c chore/tidy-the-settings ",
    );
    assert_contains(&run.stderr, &format!("hint: git branch -f main {}", &before[..7]));
    assert_contains(&run.stderr, "hint: git push -u origin chore/tidy-the-settings\n");
    assert_eq!(origin_ref(&sandbox, "main"), before, "origin's main must not move");
    crate::support::paste_every_hint(&sandbox, &sandbox.root, &run.stderr);
    assert_eq!(origin_ref(&sandbox, "chore/tidy-the-settings"), work, "the pasted push delivered the commit");
    assert_eq!(sandbox.git(&["rev-parse", "main"]).trim(), before, "the local main no longer holds the commit");

    // From another branch too: the remote ref is what matters.
    sandbox.git(&["switch", "-q", "-c", "feat/sneaky"]);
    let run = git(&sandbox, &["push", "origin", "HEAD:main"], &[]);
    assert!(!run.ok, "`git push origin HEAD:main` went through");
    assert_contains(&run.stderr, "pushing to `main` is not allowed");
    // Deleting main is a push to main as well.
    let run = git(&sandbox, &["push", "origin", ":main"], &[]);
    assert!(!run.ok, "deleting main went through");

    assert_eq!(origin_ref(&sandbox, "main"), before, "origin's main must not move");
    let refusals =
        receipts(&sandbox).into_iter().filter(|r| r["kind"] == "failure" && r["detail"]["hook"] == "pre-push").count();
    assert_eq!(refusals, 3);
    sandbox.git(&["switch", "-q", "main"]);
}

#[test]
fn pre_push_runs_the_check_rules_and_lets_a_clean_branch_through() {
    let sandbox = hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "docs/readme-wording"]);
    let readme = sandbox.read("README.md");
    sandbox.write("README.md", &format!("{readme}\nOne more line.\n"));
    // A branch adds its CHANGELOG fragment (a `check` branch rule).
    sandbox.write("docs/changelog.d/readme-wording.md", "<!-- section: Fixed -->\n- A clearer README.\n");
    sandbox.git(&["add", "README.md", "docs/changelog.d/readme-wording.md"]);
    assert!(git(&sandbox, &["commit", "-q", "-m", "docs: clarify the readme"], &[]).ok);

    let run = git(&sandbox, &["push", "-q", "-u", "origin", "docs/readme-wording"], &[]);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(origin_ref(&sandbox, "docs/readme-wording"), sandbox.head());
    let last = receipts(&sandbox).pop().unwrap();
    assert_eq!(
        (last["kind"].as_str(), last["message"].as_str()),
        (Some("job"), Some("pre-push checks passed for a push to `origin`"))
    );
}

#[test]
fn pre_push_stops_a_branch_that_fails_the_check() {
    let sandbox = hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "chore/settings"]);
    // SOP 4.9: `.env` files are never committed; forcing one past .gitignore fails the check.
    sandbox.write(".env", "FEATURE_HEALTH_MONITOR=true\n");
    sandbox.git(&["add", "-f", ".env"]);
    assert!(git(&sandbox, &["commit", "-q", "-m", "chore: share my settings"], &[]).ok);

    let run = git(&sandbox, &["push", "-q", "-u", "origin", "chore/settings"], &[]);
    assert!(!run.ok, "a branch that fails the check was pushed");
    assert_contains(&run.stderr, "error: the push was stopped: `cargo xtask check` found");
    assert_contains(&run.stderr, ".env");
    assert_contains(
        &run.stderr,
        "hint: fix each finding (its `hint:` lines above) and push again; or push once without the Lancelot checks:\nhint: LANCELOT_SKIP_HOOKS=1 git push origin refs/heads/chore/settings:refs/heads/chore/settings\n",
    );
    assert_eq!(origin_ref(&sandbox, "chore/settings"), "", "nothing reached origin");
    // Pasted, the skip line pushes exactly that branch, once. (The findings' own hints, printed
    // as `check` prints them, include an interactive rebase: not pasted here.)
    let skip = crate::support::hint_commands(&run.stderr)
        .into_iter()
        .find(|command| command.starts_with("LANCELOT_SKIP_HOOKS=1 git push"))
        .expect("a skip line");
    assert_eq!(sandbox.paste(&sandbox.root, &skip).code, 0);
    assert_eq!(origin_ref(&sandbox, "chore/settings"), sandbox.head());
}

/// A tag (or any ref) sends commits as surely as a branch: a tag on a commit that adds a fake
/// secret is stopped like the branch is; a force push of a branch the check stops gets a skip
/// hint that keeps the force (leased), which pasted lands the rewrite.
#[test]
fn pre_push_checks_tags_and_keeps_a_forced_push_forced() {
    let sandbox = hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "chore/settings"]);
    sandbox.write(".env", "FEATURE_HEALTH_MONITOR=true\n");
    sandbox.git(&["add", "-f", ".env"]);
    assert!(git(&sandbox, &["commit", "-q", "-m", "chore: share my settings"], &[]).ok);
    sandbox.git(&["tag", "-a", "-m", "a release", "leak"]);
    let run = git(&sandbox, &["push", "-q", "origin", "leak"], &[]);
    assert!(!run.ok, "a tag on a commit that fails the check was pushed");
    assert_contains(&run.stderr, ".env");
    assert!(sandbox.git_in(&sandbox.root.parent().unwrap().join("origin.git"), &["tag", "--list"]).trim().is_empty());

    // A branch pushed once (hooks skipped), then rewritten and force-pushed.
    assert!(git(&sandbox, &["push", "-q", "-u", "origin", "chore/settings"], &[("LANCELOT_SKIP_HOOKS", "1")]).ok);
    assert!(git(&sandbox, &["commit", "-q", "--amend", "-m", "chore: share my settings, again"], &[]).ok);
    let run = git(&sandbox, &["push", "-q", "--force-with-lease", "origin", "chore/settings"], &[]);
    assert!(!run.ok, "a branch that fails the check was pushed");
    let skip = crate::support::hint_commands(&run.stderr)
        .into_iter()
        .find(|command| command.starts_with("LANCELOT_SKIP_HOOKS=1 git push"))
        .expect("a skip line");
    assert_contains(&skip, "--force-with-lease=refs/heads/chore/settings:");
    assert_eq!(sandbox.paste(&sandbox.root, &skip).code, 0, "{skip}");
    assert_eq!(origin_ref(&sandbox, "chore/settings"), sandbox.head());
}

/// The branch rules judge the checked-out branch: pushing another branch from it is never
/// refused for the checked-out branch's own state (here its missing CHANGELOG fragment), while
/// pushing the checked-out branch still is.
#[test]
fn pre_push_judges_the_branch_rules_only_for_the_checked_out_branch() {
    let sandbox = hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "feat/good"]);
    sandbox.write("docs/changelog.d/good.md", "<!-- section: Added -->\n- Good things.\n");
    sandbox.write("good.txt", "good\n");
    assert!(git(&sandbox, &["add", "-A"], &[]).ok);
    assert!(git(&sandbox, &["commit", "-q", "-m", "feat: good things"], &[]).ok);
    sandbox.git(&["switch", "-q", "-c", "feat/nofrag", "main"]);
    sandbox.write("nofrag.txt", "no fragment\n");
    assert!(git(&sandbox, &["add", "-A"], &[]).ok);
    assert!(git(&sandbox, &["commit", "-q", "-m", "feat: no fragment"], &[]).ok);
    let run = git(&sandbox, &["push", "-q", "origin", "feat/good"], &[]);
    assert!(run.ok, "pushing feat/good from feat/nofrag was refused:\n{}", run.stderr);
    let run = git(&sandbox, &["push", "-q", "origin", "feat/nofrag"], &[]);
    assert!(!run.ok, "the checked-out branch without a fragment was pushed");
    assert_contains(&run.stderr, "sop-4.4");
}

/// `git commit --allow-empty-message -m ""`: git would store an empty message, which `check`
/// rejects later; the commit-msg hook refuses it now, and no commit is made.
#[test]
fn an_empty_message_allowed_by_git_is_refused_by_the_hook() {
    let sandbox = hooked_clone();
    let before = sandbox.head();
    let run = git(&sandbox, &["commit", "-q", "--allow-empty", "--allow-empty-message", "-m", ""], &[]);
    assert!(!run.ok, "an empty commit message was committed");
    assert_contains(&run.stderr, "the commit message is empty");
    assert_eq!(sandbox.head(), before);
}

/// A push sends commits, not what is staged: a branch commit that edits a frozen spec (and adds
/// no CHANGELOG fragment) is stopped by the pre-push hook even when the revert of the spec and a
/// fragment are staged, and the remote never gets it.
#[test]
fn the_pre_push_hook_judges_the_pushed_commit_not_the_index() {
    let sandbox = hooked_clone();
    sandbox.xtask().args(["spec", "start", "health-monitor"]).success();
    sandbox.commit_all("spec: start health-monitor");
    let pushed = git(&sandbox, &["push", "-q", "origin", "main"], &[("LANCELOT_SKIP_HOOKS", "1")]);
    assert!(pushed.ok, "{}", pushed.stderr);
    let spec = "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md";
    sandbox.git(&["switch", "-q", "-c", "spec/monitor-tweak"]);
    sandbox.write(spec, &format!("{}\nOne more requirement.\n", sandbox.read(spec)));
    sandbox.commit_all("spec: tweak the health monitor");
    // Staged, not committed: the spec as main has it, and a fragment.
    sandbox.git(&["checkout", "main", "--", spec]);
    sandbox.write("docs/changelog.d/monitor-tweak.md", "<!-- section: Changed -->\n- The health monitor, tweaked.\n");
    sandbox.git(&["add", "docs/changelog.d/monitor-tweak.md"]);
    let run = git(&sandbox, &["push", "-q", "-u", "origin", "spec/monitor-tweak"], &[]);
    assert!(!run.ok, "the push of a commit that edits a frozen spec went through");
    assert_contains(&run.stderr, "sop-2.1/frozen-spec");
    assert_eq!(origin_ref(&sandbox, "spec/monitor-tweak"), "", "the remote got the branch");
}

/// The per-document cache is filled by a `check` of the index; a push then judges the pushed
/// commit, which holds a case collision the index no longer does: the hook must not take the
/// index's cached verdict for the commit's (it did, and the push went through).
#[test]
fn the_pre_push_hook_never_judges_a_commit_by_the_indexs_cached_verdicts() {
    let sandbox = hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "docs/case-test"]);
    sandbox.write("docs/Readme-x.md", "one\n");
    sandbox.write("docs/readme-x.md", "two\n");
    sandbox.write("docs/changelog.d/case-test.md", "<!-- section: Added -->\n- Two notes.\n");
    sandbox.commit_all("docs: add two notes");
    sandbox.git(&["rm", "-q", "--cached", "docs/readme-x.md"]);
    // The cache's settle window, shortened for the test (`XTASK_TEST_SETTLE_MS`): the rule is
    // the same, only its length.
    let window = [("XTASK_TEST_SETTLE_MS", "300")];
    std::thread::sleep(std::time::Duration::from_millis(400));
    sandbox.xtask().args(["check"]).env(window[0].0, window[0].1).run();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let run = git(&sandbox, &["push", "-q", "-u", "origin", "docs/case-test"], &window);
    assert!(!run.ok, "a commit with a case collision was pushed");
    assert_contains(&run.stderr, "sop-4.9/case-collision");
    assert_eq!(origin_ref(&sandbox, "docs/case-test"), "", "the remote got the branch");
}

/// `git commit --cleanup=verbatim -m $'\nfeat: x'` would store an empty subject, which `check`
/// rejects once the commit exists; the hook, which cannot see the flag, refuses the leading
/// blank line now, and its pasted hint (the editor rewrites the message) makes the commit.
#[test]
fn a_leading_blank_line_git_may_keep_is_refused_by_the_hook() {
    let sandbox = hooked_clone();
    let head = sandbox.head();
    sandbox.write("blank.txt", "x\n");
    sandbox.git(&["add", "blank.txt"]);
    let run = git(&sandbox, &["commit", "-q", "--cleanup=verbatim", "-m", "\nfeat: add the blank file"], &[]);
    assert!(!run.ok, "a message with an empty first line was committed");
    assert_contains(&run.stderr, "the message starts with a blank line");
    assert_eq!(sandbox.head(), head, "no commit was made");
    use_editor(&sandbox, "feat: add the blank file");
    run_hint(&sandbox, &sandbox.root, &hint_command(&run.stderr));
    assert_eq!(sandbox.git(&["log", "-1", "--format=%s"]).trim(), "feat: add the blank file");
}

/// The hook run by hand on a file that is not there: bad input (exit 2), nothing changed, no
/// receipt; its hint, pasted as printed, writes a message where git would and judges it.
#[test]
fn the_commit_msg_hook_on_a_missing_file_is_bad_input() {
    let sandbox = hooked_clone();
    let before = sandbox.snapshot();
    let receipts_before = receipts(&sandbox).len();
    let missing = sandbox.root.join("no-such-message");
    let out = sandbox.xtask().args(["hook", "commit-msg", missing.to_str().unwrap()]).refused(2);
    assert_contains(&out.stderr, "cannot read the commit message file");
    assert_eq!(sandbox.snapshot(), before, "the repository changed");
    assert_eq!(receipts(&sandbox).len(), receipts_before, "a receipt was written for bad input");
    let pasted = crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_eq!(pasted.len(), 1, "{pasted:?}");
    assert!(pasted[0].line.contains("cargo xtask hook commit-msg"), "{pasted:?}");
}

#[test]
fn the_skip_variable_skips_a_hook_for_one_command_and_says_so() {
    let sandbox = hooked_clone();
    let run = commit(&sandbox, "stuff", &[("LANCELOT_SKIP_HOOKS", "1")]);
    assert!(run.ok, "{}", run.stderr);
    assert_contains(&run.stderr, "skipping the Lancelot commit-msg hook (LANCELOT_SKIP_HOOKS=1)");

    let run = git(&sandbox, &["push", "-q", "origin", "main"], &[("LANCELOT_SKIP_HOOKS", "1")]);
    assert!(run.ok, "{}", run.stderr);
    assert_contains(&run.stderr, "skipping the Lancelot pre-push hook (LANCELOT_SKIP_HOOKS=1)");
    assert_eq!(origin_ref(&sandbox, "main"), sandbox.head());

    // Only for that command, and `0` means "do not skip".
    assert!(!commit(&sandbox, "more stuff", &[]).ok);
    let run = commit(&sandbox, "more stuff", &[("LANCELOT_SKIP_HOOKS", "0")]);
    assert!(!run.ok);
    assert!(!run.stderr.contains("skipping"), "{}", run.stderr);
}

/// Writes an executable shell script (test fixture: the engineer's own hook).
fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn hooks_the_engineer_had_are_chained_never_clobbered() {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    sandbox.commit_all("chore: add the git hooks");
    let log = sandbox.home.join("chained.log");
    let hooks_dir = sandbox.path(".git/hooks");
    let log_arg = log.to_str().unwrap();
    write_script(&hooks_dir.join("commit-msg"), &format!("echo \"commit-msg $1\" >> '{log_arg}'"));
    write_script(&hooks_dir.join("pre-push"), &format!("echo \"pre-push $1\" >> '{log_arg}'\ncat >> '{log_arg}'"));
    write_script(&hooks_dir.join("pre-commit"), "exit 0");
    let originals: Vec<Vec<u8>> = ["commit-msg", "pre-push", "pre-commit"]
        .iter()
        .map(|name| std::fs::read(hooks_dir.join(name)).unwrap())
        .collect();

    // No remote yet: onboarding installs the hooks, then stops before the build.
    let out = sandbox.xtask().args(["onboard", "--yes"]).failure(1);
    assert_contains(&out.stdout, "chaining your hooks in `.git/hooks`");
    assert_contains(
        &out.stderr,
        "warning: your `pre-commit` hook in `.git/hooks` does not run while `core.hooksPath` is `.githooks`",
    );
    assert_eq!(sandbox.git(&["config", "--local", "lancelot.previousHooksPath"]).trim(), ".git/hooks");
    assert_eq!(sandbox.git(&["config", "--local", "core.hooksPath"]).trim(), ".githooks");
    let now: Vec<Vec<u8>> = ["commit-msg", "pre-push", "pre-commit"]
        .iter()
        .map(|name| std::fs::read(hooks_dir.join(name)).unwrap())
        .collect();
    assert_eq!(now, originals, "the engineer's hooks must never be changed");

    // Ours first; theirs after ours pass, with git's arguments.
    assert!(commit(&sandbox, "chore: first", &[]).ok);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "commit-msg .git/COMMIT_EDITMSG\n");
    assert!(!commit(&sandbox, "stuff", &[]).ok);
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1, "a rejected message stops the chain");
    // Skipping ours still runs theirs.
    assert!(commit(&sandbox, "stuff", &[("LANCELOT_SKIP_HOOKS", "1")]).ok);
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 2);

    // Their pre-push gets git's stdin, too (the skip path hands it over untouched).
    let origin = sandbox.root.parent().unwrap().join("origin.git");
    sandbox.git_in(sandbox.root.parent().unwrap(), &["init", "-q", "--bare", "-b", "main", origin.to_str().unwrap()]);
    sandbox.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    assert!(git(&sandbox, &["push", "-q", "origin", "main"], &[("LANCELOT_SKIP_HOOKS", "1")]).ok);
    let text = std::fs::read_to_string(&log).unwrap();
    assert_contains(&text, "pre-push origin\n");
    assert_contains(&text, &format!("refs/heads/main {} refs/heads/main", sandbox.head()));

    // Their failure fails the hook: chaining never weakens a check they had.
    write_script(&hooks_dir.join("commit-msg"), "echo 'no commits on Fridays' >&2\nexit 1");
    let run = commit(&sandbox, "chore: second", &[]);
    assert!(!run.ok);
    assert_contains(&run.stderr, "no commits on Fridays");
    assert_contains(&run.stderr, "your own `commit-msg` hook");
}

#[test]
fn a_global_hooks_path_is_chained_too() {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    sandbox.commit_all("chore: add the git hooks");
    let company = sandbox.home.join("company-hooks");
    write_script(&company.join("commit-msg"), "exit 0");
    let mut global = std::fs::read_to_string(sandbox.home.join(".gitconfig")).unwrap();
    global.push_str(&format!("[core]\n\thooksPath = {}\n", company.display()));
    std::fs::write(sandbox.home.join(".gitconfig"), global).unwrap();

    let out = sandbox.xtask().args(["onboard", "--yes"]).failure(1);
    assert_contains(&out.stdout, &format!("chaining your hooks in `{}`", company.display()));
    assert_eq!(sandbox.git(&["config", "--local", "lancelot.previousHooksPath"]).trim(), company.to_str().unwrap());
    assert_eq!(sandbox.git(&["config", "--local", "core.hooksPath"]).trim(), ".githooks");
}

/// The global configuration git reads is wherever `GIT_CONFIG_GLOBAL` says, not `~/.gitconfig`
/// (libgit2 reads the latter regardless): a hooks path set only there is chained too, and the
/// identity `onboard` reports is the one git commits with.
#[test]
fn the_global_configuration_is_where_git_config_global_says() {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    sandbox.commit_all("chore: add the git hooks");
    let company = sandbox.home.join("company-hooks");
    write_script(&company.join("commit-msg"), "exit 0");
    let elsewhere = sandbox.home.join("elsewhere.gitconfig");
    std::fs::write(
        &elsewhere,
        format!(
            "[user]\n\tname = Elsewhere Engineer\n\temail = elsewhere@example.invalid\n[core]\n\thooksPath = {}\n",
            company.display()
        ),
    )
    .unwrap();
    let out =
        sandbox.xtask().env("GIT_CONFIG_GLOBAL", elsewhere.to_str().unwrap()).args(["onboard", "--dry-run"]).run();
    assert_contains(&out.stdout, &format!("chaining your hooks in `{}`", company.display()));
    assert_contains(&out.stdout, "Elsewhere Engineer");
}

#[test]
fn the_hook_command_refuses_bad_input() {
    let sandbox = hooked_clone();
    // A missing message file: `the_commit_msg_hook_on_a_missing_file_is_bad_input`.
    let out = sandbox.xtask().args(["hook", "post-checkout"]).refused(2);
    assert_contains(&out.stderr, "unrecognized subcommand 'post-checkout'");
}

#[test]
fn the_committed_scripts_are_tiny_posix_sh_that_only_hand_over() {
    let dir = project_root().join(".githooks");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, HOOKS, "`.githooks/` holds exactly the hooks the xtask implements");
    for name in HOOKS {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("#!/bin/sh\n"), "{name}: POSIX sh only");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_ne!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o111, 0, "{name} must be executable");
        }
        let code: Vec<&str> = text.lines().filter(|line| !line.trim_start().starts_with('#')).collect();
        for forbidden in ["eval", "sh -c", "bash", "$*", "`"] {
            assert!(
                !code.iter().any(|line| line.contains(forbidden)),
                "{name}: `{forbidden}` builds or runs command strings"
            );
        }
        // The hand-over, the skip, and the one message the xtask cannot give itself: that cargo
        // is not there to start it.
        assert!(code.len() <= 30, "{name}: keep the logic in the xtask ({} lines of code)", code.len());
        assert_contains(&text, &format!("exec \"$LANCELOT_XTASK\" hook {name} \"$@\""));
        assert_contains(&text, &format!("exec cargo xtask hook {name} \"$@\""));
        assert_contains(
            &text,
            &format!("skipping the Lancelot {name} hook (LANCELOT_SKIP_HOOKS=$LANCELOT_SKIP_HOOKS)"),
        );
        let syntax = std::process::Command::new("sh").arg("-n").arg(&path).output().unwrap();
        assert!(syntax.status.success(), "{name}: {}", String::from_utf8_lossy(&syntax.stderr));
    }
}

/// A PATH without `cargo` (a GUI git client's): a folder holding only a link to `git`, then
/// every folder of the test's own PATH that has no `cargo` in it.
fn path_without_cargo(sandbox: &Sandbox) -> String {
    let bin = sandbox.home.join("gui-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let git = std::env::split_paths(&path).map(|dir| dir.join("git")).find(|git| git.is_file()).expect("git on PATH");
    let _ = std::os::unix::fs::symlink(&git, bin.join("git"));
    let mut dirs = vec![bin];
    dirs.extend(std::env::split_paths(&path).filter(|dir| !dir.join("cargo").exists()));
    std::env::join_paths(dirs).unwrap().to_string_lossy().into_owned()
}

/// Runs git as a GUI client would: no `cargo` on PATH, no `CARGO_HOME`, no `LANCELOT_XTASK`
/// (unless `env` sets it).
fn gui_git(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> GitRun {
    let mut command = sandbox.git_command(&sandbox.root);
    command.args(args).env("PATH", path_without_cargo(sandbox)).env_remove("CARGO_HOME").stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    GitRun { ok: output.status.success(), stderr: String::from_utf8_lossy(&output.stderr).into_owned() }
}

/// Reproduces "hooks fail `git commit` with a bare `cargo: not found` in GUI git clients": with no
/// cargo on PATH the hooks now say what is missing and the two ways out, and both work as shown:
/// `LANCELOT_XTASK=<binary>` runs the checks, `LANCELOT_SKIP_HOOKS=1` skips them once.
#[test]
fn without_cargo_on_path_a_hook_says_how_to_run_or_skip_it() {
    let sandbox = hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "feat/gui"]);
    sandbox.write("gui.txt", "from a GUI client\n");
    sandbox.git(&["add", "gui.txt"]);
    let before = sandbox.head();
    let out = gui_git(&sandbox, &["commit", "-q", "-m", "feat: commit from a GUI client"], &[]);
    assert!(!out.ok, "the commit went through without its checks");
    assert!(!out.stderr.contains("not found"), "a bare `not found`:\n{}", out.stderr);
    assert_contains(
        &out.stderr,
        "error: the Lancelot commit-msg hook needs cargo, which is not on the PATH git gave it",
    );
    assert_contains(&out.stderr, "set LANCELOT_XTASK to a built xtask binary (cargo build -p xtask builds it)");
    assert_contains(
        &out.stderr,
        &format!("hint: LANCELOT_XTASK='{}/target/debug/xtask' git commit", sandbox.root.display()),
    );
    assert_contains(&out.stderr, "hint: LANCELOT_SKIP_HOOKS=1 git commit");
    assert_eq!(sandbox.head(), before);

    // The first way out, with the binary under test as the built xtask: the checks run.
    let binary = env!("CARGO_BIN_EXE_xtask");
    let out = gui_git(&sandbox, &["commit", "-q", "-m", "not conventional"], &[("LANCELOT_XTASK", binary)]);
    assert!(!out.ok);
    assert_contains(&out.stderr, "commit message rejected");
    let out =
        gui_git(&sandbox, &["commit", "-q", "-m", "feat: commit from a GUI client"], &[("LANCELOT_XTASK", binary)]);
    assert!(out.ok, "{}", out.stderr);

    // The second: skip once, and the push says the same for itself.
    sandbox.write("gui.txt", "again\n");
    sandbox.git(&["add", "gui.txt"]);
    let out = gui_git(&sandbox, &["commit", "-q", "-m", "feat: skip once"], &[("LANCELOT_SKIP_HOOKS", "1")]);
    assert!(out.ok, "{}", out.stderr);
    assert_contains(&out.stderr, "skipping the Lancelot commit-msg hook (LANCELOT_SKIP_HOOKS=1)");
    let out = gui_git(&sandbox, &["push", "-q", "-u", "origin", "feat/gui"], &[]);
    assert!(!out.ok);
    assert_contains(&out.stderr, "hint: LANCELOT_SKIP_HOOKS=1 git push");
    assert_eq!(origin_ref(&sandbox, "refs/heads/feat/gui"), "", "the push went through without its checks");
}

/// Proves the hooks find cargo where rustup installs it (`$CARGO_HOME/bin`, else
/// `~/.cargo/bin`) when the client's PATH leaves it out: the common GUI case needs no setting.
#[test]
fn without_cargo_on_path_the_hooks_use_rustups_default_place() {
    let sandbox = hooked_clone();
    let cargo = sandbox.home.join(".cargo/bin/cargo");
    std::fs::create_dir_all(cargo.parent().unwrap()).unwrap();
    write_script(&cargo, "printf '%s\\n' \"$@\" > \"$HOME/cargo-arguments\"\n");
    sandbox.write("gui.txt", "from a GUI client\n");
    sandbox.git(&["add", "gui.txt"]);
    let out = gui_git(&sandbox, &["commit", "-q", "-m", "feat: found cargo"], &[]);
    assert!(out.ok, "{}", out.stderr);
    let arguments = std::fs::read_to_string(sandbox.home.join("cargo-arguments")).unwrap();
    assert_eq!(arguments, "xtask\nhook\ncommit-msg\n.git/COMMIT_EDITMSG\n");
}

/// Points the sandbox's editor at a script that writes `message`: what an engineer types.
fn use_editor(sandbox: &Sandbox, message: &str) {
    let editor = sandbox.home.join("editor.sh");
    write_script(&editor, &format!("printf '%s\\n' '{message}' > \"$1\""));
    sandbox.git(&["config", "core.editor", editor.to_str().unwrap()]);
}

/// Runs a printed hint exactly as printed, in `dir`, with the hooks pointed at the binary under
/// test (what `LANCELOT_XTASK` does for every command of these tests).
fn run_hint(sandbox: &Sandbox, dir: &Path, hint: &str) -> String {
    sandbox.sh(dir, &format!("LANCELOT_XTASK='{}' {hint}", env!("CARGO_BIN_EXE_xtask")))
}

/// Runs `git commit` with `args` after staging a new file, from `dir`.
fn commit_in(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> GitRun {
    let file = format!("file-{}.txt", sandbox.git(&["rev-list", "--count", "--all"]).trim());
    sandbox.write(&file, "x\n");
    sandbox.git(&["add", &file]);
    let mut command = sandbox.git_command(dir);
    command.arg("commit").arg("-q").args(args).env("LANCELOT_XTASK", env!("CARGO_BIN_EXE_xtask")).stdin(Stdio::null());
    let output = command.output().unwrap();
    GitRun { ok: output.status.success(), stderr: String::from_utf8_lossy(&output.stderr).into_owned() }
}

/// Proves the hook judges what `git commit -m` stores: `#42 fix login` is the subject git would
/// commit (no editor, no comment stripping), so it is refused with the reason, and the hint
/// (rewrite the subject in the editor) works pasted from a subdirectory.
#[test]
fn commit_msg_refuses_a_hash_subject_that_git_would_store() {
    let sandbox = hooked_clone();
    let head = sandbox.head();
    let sub = sandbox.path("src");
    let run = commit_in(&sandbox, &sub, &["-m", "#42 fix login"]);
    assert!(!run.ok, "`#42 fix login` was committed");
    assert_eq!(sandbox.head(), head);
    assert_contains(&run.stderr, "its first line `#42 fix login` starts with `#`, git's comment character");
    assert_contains(&run.stderr, "hint: write the subject without the leading `#`");
    use_editor(&sandbox, "fix: login (#42)");
    run_hint(&sandbox, &sub, &hint_command(&run.stderr));
    assert_eq!(sandbox.git(&["log", "-1", "--format=%s"]).trim(), "fix: login (#42)");
}

/// Proves a comment line above a good subject, given with `-F`, is refused (git would store it)
/// with a hint that commits the message without it, and that the hint works pasted.
#[test]
fn commit_msg_offers_to_drop_comment_lines_given_with_dash_f() {
    let sandbox = hooked_clone();
    sandbox.write("../message.txt", "# written by a script\nfeat: add the notes\n\nWhy: x.\n");
    let message = sandbox.root.parent().unwrap().join("message.txt");
    let run = commit_in(&sandbox, &sandbox.root.clone(), &["-F", message.to_str().unwrap()]);
    assert!(!run.ok, "a `#` subject was committed");
    let hint = hint_command(&run.stderr);
    assert_eq!(hint, "git -c commit.cleanup=strip commit -F \"$(git rev-parse --git-path COMMIT_EDITMSG)\"");
    run_hint(&sandbox, &sandbox.path("src"), &hint);
    assert_eq!(sandbox.git(&["log", "-1", "--format=%B"]), "feat: add the notes\n\nWhy: x.\n\n");
}

/// Proves `core.commentChar` is git's: with `;`, `#` lines are text (refused as a subject with
/// no type), `;` lines are what the editor drops, and the editor's own `;` comments pass.
#[test]
fn commit_msg_follows_core_comment_char() {
    let sandbox = hooked_clone();
    sandbox.git(&["config", "core.commentChar", ";"]);
    let run = commit_in(&sandbox, &sandbox.root.clone(), &["-m", "#42 fix login"]);
    assert!(!run.ok);
    assert_contains(&run.stderr, "`#42 fix login` is not a conventional commit: it has no type");
    let run = commit_in(&sandbox, &sandbox.root.clone(), &["-m", "; a note\nfeat: x"]);
    assert!(!run.ok);
    assert_contains(&run.stderr, "starts with `;`, git's comment character");
    // The editor flow: git adds its `;` help lines and drops them.
    use_editor(&sandbox, "feat: written in the editor");
    let run = commit_in(&sandbox, &sandbox.root.clone(), &[]);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(sandbox.git(&["log", "-1", "--format=%s"]).trim(), "feat: written in the editor");
}

/// Proves the exact header rules reach real commits: no space, a tab or a no-break space after
/// the colon, a blank scope, the description only in the body and a BOM are refused, each with
/// its own reason and invisible characters named, never printed raw.
#[test]
fn commit_msg_refuses_near_miss_headers_precisely() {
    let sandbox = hooked_clone();
    let cases = [
        ("feat:x", "there is no space after the colon; write `feat: x`"),
        ("feat:\tx", "U+0009 (a tab)"),
        ("feat:\u{a0}x", "U+00A0 (a no-break space)"),
        ("feat( ): x", "its scope `( )` is blank"),
        ("feat: \n\nthe description", "it has no description"),
        ("\u{feff}feat: x", "`<U+FEFF>feat: x` is not a conventional commit: it starts with an invisible U+FEFF"),
        ("feature: x", "did you mean `feat`? write `feat: x`"),
    ];
    for (message, expected) in cases {
        let run = commit(&sandbox, message, &[]);
        assert!(!run.ok, "{message:?} was committed");
        assert_contains(&run.stderr, expected);
        assert!(!run.stderr.contains('\u{feff}') && !run.stderr.contains('\u{a0}'), "{}", run.stderr);
    }
    // And what the spec allows goes through.
    for message in ["feat!: drop v1", "feat(api)!: drop v1\n\nBREAKING CHANGE: v1 is gone", "Fix: case-insensitive"] {
        let run = commit(&sandbox, message, &[]);
        assert!(run.ok, "{message:?}: {}", run.stderr);
    }
}

/// Proves `git commit --fixup` and `--squash` pass the hook (autosquash works), that `check`
/// flags them on the branch, and that its hint, pasted, folds them away.
#[test]
fn fixups_pass_the_hook_and_check_flags_them_until_autosquashed() {
    let sandbox = hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "feat/notes"]);
    assert!(commit(&sandbox, "feat: add notes", &[]).ok);
    let target = sandbox.head();
    let run = commit_in(&sandbox, &sandbox.root.clone(), &["--fixup", &target]);
    assert!(run.ok, "--fixup was refused: {}", run.stderr);
    let run = commit_in(&sandbox, &sandbox.root.clone(), &["--squash", &target, "-m", "more words"]);
    assert!(run.ok, "--squash was refused: {}", run.stderr);

    let out = sandbox.xtask().args(["check", "--json"]).run();
    let json = out.json();
    let flagged: Vec<&serde_json::Value> =
        json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "sop-4.5/conventional-commit").collect();
    assert_eq!(flagged.len(), 2, "{}", out.stdout);
    let base = sandbox.git(&["rev-parse", "--short", "main"]).trim().to_string();
    for finding in &flagged {
        assert_contains(finding["message"].as_str().unwrap(), "is a commit for `git rebase --autosquash`");
        assert_eq!(
            finding["hint"].as_str().unwrap(),
            format!(
                "fold it into the commit it names (save the todo list as git shows it): git rebase -i --autosquash {base}"
            )
        );
    }
    // The engineer's sequence editor saves the todo list as git wrote it.
    sandbox.git(&["config", "sequence.editor", "true"]);
    sandbox.git(&["config", "core.editor", "true"]);
    let hint = hint_command(&format!("hint: {}", flagged[0]["hint"].as_str().unwrap()));
    run_hint(&sandbox, &sandbox.path("src"), &hint);
    let subjects = sandbox.git(&["log", "--format=%s", "main..HEAD"]);
    assert_eq!(subjects.trim(), "feat: add notes");
    let json = sandbox.xtask().args(["check", "--json"]).run().json();
    assert!(!json["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "sop-4.5/conventional-commit"));
}

/// The `sop-4.5/conventional-commit` findings of `check --json`, as (message, hint).
fn commit_findings(sandbox: &Sandbox) -> Vec<(String, String)> {
    let json = sandbox.xtask().args(["check", "--json"]).run().json();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "sop-4.5/conventional-commit")
        .map(|f| (f["message"].as_str().unwrap().to_string(), f["hint"].as_str().unwrap().to_string()))
        .collect()
}

/// Proves `check` judges each commit as git stored it (a leading blank line kept by
/// `--cleanup=verbatim` is refused, which libgit2's trimmed message would hide), and that both
/// reword hints work pasted from a subdirectory: the amend for the last commit, the rebase from
/// the branch's real base for an older one.
#[test]
fn check_judges_stored_messages_and_its_reword_hints_work() {
    let sandbox = hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "feat/notes"]);
    sandbox.write("a.txt", "a\n");
    sandbox.git(&["add", "a.txt"]);
    sandbox.git(&["commit", "-q", "--no-verify", "--cleanup=verbatim", "-m", "\nfeat: a"]);
    assert!(commit(&sandbox, "feat: b", &[]).ok);
    sandbox.write("c.txt", "c\n");
    sandbox.git(&["add", "c.txt"]);
    sandbox.git(&["commit", "-q", "--no-verify", "-m", "feat:c"]);

    let findings = commit_findings(&sandbox);
    assert_eq!(findings.len(), 2, "{findings:?}");
    let (last, older) = (&findings[0], &findings[1]);
    assert_contains(&last.0, "there is no space after the colon; write `feat: c`");
    assert_eq!(hint_command(&format!("hint: {}", last.1)), "git commit --amend --only");
    assert_contains(&older.0, "the message starts with a blank line");
    let base = sandbox.git(&["merge-base", "HEAD", "main"]);
    let base = sandbox.git(&["rev-parse", "--short", base.trim()]).trim().to_string();
    assert_eq!(hint_command(&format!("hint: {}", older.1)), format!("git rebase -i {base}"));

    let sub = sandbox.path("src");
    use_editor(&sandbox, "feat: c");
    run_hint(&sandbox, &sub, &hint_command(&format!("hint: {}", last.1)));
    // The engineer marks the oldest commit `reword` in the todo list, then writes its message.
    let marker = sandbox.home.join("mark-reword.sh");
    write_script(&marker, "sed -i '1s/^pick/reword/' \"$1\"");
    sandbox.git(&["config", "sequence.editor", marker.to_str().unwrap()]);
    use_editor(&sandbox, "feat: a");
    run_hint(&sandbox, &sub, &hint_command(&format!("hint: {}", older.1)));
    assert_eq!(sandbox.git(&["log", "--format=%s", "main..HEAD"]), "feat: c\nfeat: b\nfeat: a\n");
    assert_eq!(commit_findings(&sandbox), Vec::<(String, String)>::new());
}
