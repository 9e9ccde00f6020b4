//! The secret scanner's scope and suppression (`cargo xtask check`, SOP 4.9): it reads what a
//! push sends (every commit's own lines and files, every commit message, the staged changes),
//! fails closed without a main branch, and only the main branch's allowlists and baseline
//! silence it. Each printed purge and baseline hint is run exactly as printed. Secrets are fakes
//! assembled at run time, so no scannable literal lives in this file.

use serde_json::Value;

use crate::support::{assert_contains, assert_never_printed, fake_private_key, hint_command, Outcome, Sandbox};

fn fake_key_one() -> String {
    ["AK", "IA", "Q3EGRZ7V", "K2MX9PLT"].concat()
}

fn fake_key_two() -> String {
    ["AK", "IA", "Z7W2LM4Q", "N8RT5XVB"].concat()
}

/// `check --json --no-branch-rules` (the branch rules are other tests' business).
fn check(sandbox: &Sandbox) -> Outcome {
    sandbox.xtask().args(["check", "--json", "--no-branch-rules"]).run()
}

/// The findings of `rule`.
fn of_rule(out: &Outcome, rule: &str) -> Vec<Value> {
    out.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| crate::support::rule_is(&f["rule"], rule))
        .cloned()
        .collect()
}

/// The one finding of `rule`, asserting there is exactly one.
#[track_caller]
fn only(out: &Outcome, rule: &str) -> Value {
    let found = of_rule(out, rule);
    assert_eq!(found.len(), 1, "expected one `{rule}` finding in:\n{}", out.stdout);
    found[0].clone()
}

/// The command at the end of a finding's hint line that contains `needle`.
#[track_caller]
fn command_in_hint(finding: &Value, needle: &str) -> String {
    let hint = finding["hint"].as_str().unwrap();
    let line = hint.lines().find(|line| line.contains(needle)).unwrap_or_else(|| panic!("no `{needle}` in {hint}"));
    hint_command(&format!("hint: {line}"))
}

fn short(sandbox: &Sandbox, commit: &str) -> String {
    sandbox.git(&["rev-parse", "--short", commit]).trim().to_string()
}

/// Makes the next `git rebase -i` fold line `line` of its list into the commit above it, as an
/// engineer would in the editor git opens.
fn fold_in_the_editor(sandbox: &Sandbox, line: usize) {
    sandbox.git(&["config", "sequence.editor", &format!("sed -i -e '{line}s/^pick/fixup/'")]);
}

/// A secret added in one commit and removed in the next is still in what the push sends: the
/// finding names the commit that added it, and the purge hint, run as printed, removes it.
#[test]
fn a_secret_added_then_removed_is_caught_and_the_printed_purge_removes_it() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "feat/uploads"]);
    let key = fake_key_one();
    sandbox.write("config/uploads.toml", &format!("[s3]\naccess_key_id = \"{key}\"\n"));
    let added = sandbox.commit_all("feat: uploads");
    sandbox.write("config/uploads.toml", "[s3]\naccess_key_id = \"<from the vault>\"\n");
    sandbox.commit_all("fix: load the key from the vault");

    let out = check(&sandbox);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let finding = only(&out, "sop-4.9/secret");
    assert_eq!(finding["location"], "config/uploads.toml:2");
    let message = finding["message"].as_str().unwrap();
    assert_contains(message, &format!("added in commit {} and removed later", short(&sandbox, &added)));
    assert_never_printed(&sandbox, &out, &key);
    let purge = command_in_hint(&finding, "git rebase -i");
    assert_eq!(purge, format!("git rebase -i {}~1", short(&sandbox, &added)));

    fold_in_the_editor(&sandbox, 2);
    sandbox.sh(&sandbox.root, &purge);
    let out = check(&sandbox);
    assert_eq!(of_rule(&out, "sop-4.9/secret"), Vec::<Value>::new(), "{}", out.stdout);
}

/// A key file added in one commit and deleted in the next is reported by name, naming the
/// commit, once (not again for the key block inside it); the printed purge removes it.
#[test]
fn a_key_file_added_then_deleted_is_caught_and_the_printed_purge_removes_it() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "fix/tls"]);
    sandbox.write("deploy/id_rsa", &fake_private_key().0);
    let added = sandbox.commit_all("fix: tls");
    sandbox.git(&["rm", "-q", "deploy/id_rsa"]);
    sandbox.commit_all("fix: no key in the repository");

    let out = check(&sandbox);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let finding = only(&out, "sop-4.9/key-file");
    assert_eq!(finding["location"], "deploy/id_rsa");
    assert_contains(finding["message"].as_str().unwrap(), &format!("added in commit {}", short(&sandbox, &added)));
    assert_eq!(of_rule(&out, "sop-4.9/secret"), Vec::<Value>::new(), "reported twice:\n{}", out.stdout);

    // Both commits did nothing else: drop them.
    sandbox.git(&["config", "sequence.editor", "sed -i -e '1,2s/^pick/drop/'"]);
    sandbox.sh(&sandbox.root, &command_in_hint(&finding, "git rebase -i"));
    let out = check(&sandbox);
    assert_eq!(of_rule(&out, "sop-4.9/key-file"), Vec::<Value>::new(), "{}", out.stdout);
}

/// A secret in a commit message is a finding naming the commit; the printed reword (amending
/// the last commit's message in the editor git opens) clears it.
#[test]
fn a_secret_in_a_commit_message_is_caught_and_the_printed_reword_clears_it() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "fix/deploy"]);
    sandbox.write("deploy/README.md", "Deploy with the key from the vault.\n");
    sandbox.git(&["add", "-A"]);
    let key = fake_key_one();
    sandbox.git(&["commit", "-q", "--no-verify", "-m", "fix: deploy", "-m", &format!("used key {key} to test")]);
    let commit = sandbox.head();

    let out = check(&sandbox);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let finding = only(&out, "sop-4.9/secret");
    assert_eq!(finding["location"], format!("commit {}", short(&sandbox, &commit)));
    assert_contains(finding["message"].as_str().unwrap(), "in the message of commit");
    assert_never_printed(&sandbox, &out, &key);

    let reword = command_in_hint(&finding, "reword");
    assert_eq!(reword, "git commit --amend --only");
    sandbox.git(&["config", "core.editor", "sed -i -e 3d"]);
    sandbox.sh(&sandbox.root, &reword);
    let out = check(&sandbox);
    assert_eq!(of_rule(&out, "sop-4.9/secret"), Vec::<Value>::new(), "{}", out.stdout);
}

/// On the main branch, `check` scans the commits not yet on `origin/main` (an added-then-removed
/// secret among them is found), and not what `origin/main` already has.
#[test]
fn check_on_main_scans_the_commits_not_yet_pushed() {
    let sandbox = Sandbox::with_kit();
    sandbox.with_origin();
    // Already pushed: the remote has it, and rotating it is all that is left (not this check's).
    sandbox.write("old.txt", &format!("{}\n", fake_key_two()));
    sandbox.commit_all("chore: old");
    sandbox.write("old.txt", "gone\n");
    sandbox.commit_all("chore: old gone");
    sandbox.git(&["push", "-q", "origin", "main"]);
    // Not pushed yet.
    sandbox.write("new.txt", &format!("{}\n", fake_key_one()));
    let added = sandbox.commit_all("chore: new");
    sandbox.write("new.txt", "gone\n");
    sandbox.commit_all("chore: new gone");

    let out = check(&sandbox);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let finding = only(&out, "sop-4.9/secret");
    assert_eq!(finding["location"], "new.txt:1");
    assert_contains(finding["message"].as_str().unwrap(), &format!("added in commit {}", short(&sandbox, &added)));
    assert_eq!(out.json()["secret_scope"], "`origin/main..HEAD` (2 commits)");
}

/// Without any main branch (neither `main` nor `origin/main`) `check` fails (exit 1) instead of
/// passing unchecked, and its hint, run as printed, creates the branch.
#[test]
fn without_a_main_branch_check_fails_with_a_hint_that_works() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["branch", "-q", "-m", "main", "feat/orphan"]);
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["check", "--no-branch-rules"]).refused(1);
    assert_contains(&out.stdout, "error[sop-4.1/main-branch]");
    assert_eq!(sandbox.snapshot(), before, "check changed the repository");
    let hint = out.stdout.lines().find(|line| line.contains("git branch main")).expect("a hint naming the fix");
    let command = hint_command(hint);
    sandbox.sh(&sandbox.root, &command);
    let out = check(&sandbox);
    assert_eq!(of_rule(&out, "sop-4.1/main-branch"), Vec::<Value>::new(), "{}", out.stdout);
}

/// A branch that adds `secret_allowlist = ["."]` (and the same for paths) silences nothing:
/// main's allowlists are in effect. The change itself is a finding at `Cargo.toml`.
#[test]
fn a_branch_that_widens_the_allowlist_is_still_caught_and_the_change_is_reported() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "chore/quiet"]);
    let manifest = sandbox.read("Cargo.toml");
    sandbox.write(
        "Cargo.toml",
        &manifest.replace(
            "[workspace.metadata.sop]\n",
            "[workspace.metadata.sop]\nsecret_allowlist = [\".\"]\nsecret_allowlist_paths = [\".\"]\n",
        ),
    );
    assert_ne!(sandbox.read("Cargo.toml"), manifest, "the kit manifest has a [workspace.metadata.sop] table");
    sandbox.write("config/uploads.toml", &format!("key = \"{}\"\n", fake_key_one()));
    sandbox.write(".env", "API_TOKEN=x\n");
    sandbox.git(&["add", "-f", ".env"]);
    sandbox.commit_all("chore: quiet");

    let out = check(&sandbox);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(only(&out, "sop-4.9/secret")["location"], "config/uploads.toml:1");
    assert_eq!(only(&out, "sop-4.9/env-file")["location"], ".env");
    let changed = of_rule(&out, "sop-4.9/suppression-changed");
    assert_eq!(changed.len(), 2, "{}", out.stdout);
    for finding in &changed {
        assert_eq!(finding["location"], "Cargo.toml");
        assert_eq!(finding["severity"], "warning");
    }
    let plain = sandbox.xtask().args(["check", "--no-branch-rules"]).refused(1);
    assert_contains(
        &plain.stdout,
        "warning[sop-4.9/suppression-changed] Cargo.toml: this branch changes `secret_allowlist`",
    );
}

/// The marker silences a line only as the comment that ends it: in the middle of a minified
/// line it silences nothing.
#[test]
fn only_a_trailing_marker_silences_a_line() {
    let sandbox = Sandbox::with_kit();
    let (one, two) = (fake_key_one(), fake_key_two());
    sandbox.write(
        "web/app.js",
        &format!(
            "const a = \"{one}\"; // sop:allow-secret\nconst b=\"{one}\";/* sop:allow-secret */const c=\"{two}\";\n"
        ),
    );
    sandbox.git(&["add", "web/app.js"]);
    let out = check(&sandbox);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let mut found: Vec<Value> = of_rule(&out, "sop-4.9/secret").iter().map(|f| f["location"].clone()).collect();
    // Both secrets of line 2 are reported (a line may hold several); line 1's trailing marker holds.
    found.dedup();
    assert_eq!(found, ["web/app.js:2"], "{}", out.stdout);
}

/// `secret_allowlist_paths` matches paths only and `secret_allowlist` line text only: a line
/// that merely starts with an allowed path, or a file named like an allowed line, is reported.
#[test]
fn path_patterns_never_match_line_text_nor_line_patterns_paths() {
    let sandbox = Sandbox::with_kit();
    let manifest = sandbox.read("Cargo.toml");
    sandbox.write(
        "Cargo.toml",
        &manifest.replace(
            "[workspace.metadata.sop]\n",
            "[workspace.metadata.sop]\nsecret_allowlist_paths = [\"^fixtures/\"]\nsecret_allowlist = [\"FAKE-FOR-DOCS\"]\n",
        ),
    );
    sandbox.commit_all("chore: allowlists");
    sandbox.git(&["switch", "-q", "-c", "test/fixtures"]);
    let key = fake_key_one();
    sandbox.write("fixtures/keys.txt", &format!("{key}\n"));
    sandbox.write("docs/keys.md", &format!("{key} FAKE-FOR-DOCS\n"));
    sandbox.write("src/keys.txt", &format!("fixtures/ {key}\n"));
    sandbox.write("docs/FAKE-FOR-DOCS.txt", &format!("{key}\n"));
    sandbox.commit_all("test: fixtures");

    let out = check(&sandbox);
    let mut found: Vec<String> =
        of_rule(&out, "sop-4.9/secret").iter().map(|f| f["location"].as_str().unwrap().to_string()).collect();
    found.sort();
    assert_eq!(found, ["docs/FAKE-FOR-DOCS.txt:1", "src/keys.txt:1"], "{}", out.stdout);
    assert_eq!(of_rule(&out, "sop-4.9/suppression-changed"), Vec::<Value>::new());
}

/// The baseline hint, run as printed, accepts exactly the current finding: the file holds no
/// secret, and once it is on main a new secret in the same file is still reported.
#[test]
fn the_baseline_accepts_exactly_the_accepted_finding_and_holds_no_secret() {
    let sandbox = Sandbox::with_kit();
    let (one, two) = (fake_key_one(), fake_key_two());
    sandbox.write("docs/sample.toml", &format!("key = \"{one}\"\n"));
    sandbox.commit_all("docs: sample");
    let out = check(&sandbox);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let finding = only(&out, "sop-4.9/secret");
    let accept = command_in_hint(&finding, "--update-baseline");
    assert_eq!(accept, "cargo xtask check --update-baseline");

    let printed = sandbox.sh(&sandbox.root, &accept);
    assert_contains(&printed, "next: git add .secrets.baseline.json");
    let baseline = sandbox.read(".secrets.baseline.json");
    for piece in [&one[..], &one[4..], &one[8..16]] {
        assert!(!baseline.contains(piece), "the baseline holds the secret:\n{baseline}");
    }
    let json: Value = serde_json::from_str(&baseline).unwrap();
    assert_eq!(json["accepted"][0]["fingerprint"], finding["fingerprint"]);
    assert_eq!(json["accepted"][0]["path"], "docs/sample.toml");
    // Not in effect before it is on main; then it is.
    assert_eq!(check(&sandbox).code, 1);
    sandbox.commit_all("chore: accept the sample key");
    let out = check(&sandbox);
    assert_eq!(of_rule(&out, "sop-4.9/secret"), Vec::<Value>::new(), "{}", out.stdout);

    sandbox.git(&["switch", "-q", "-c", "docs/more"]);
    sandbox.write("docs/sample.toml", &format!("key = \"{one}\"\nother = \"{two}\"\n"));
    sandbox.commit_all("docs: more");
    let out = check(&sandbox);
    let found: Vec<Value> = of_rule(&out, "sop-4.9/secret").iter().map(|f| f["location"].clone()).collect();
    assert_eq!(found, ["docs/sample.toml:2"], "{}", out.stdout);
}

/// A secret committed to `.env.example` is one finding (the secret scanner's, which names the
/// commit), not a second one from the placeholder rule.
#[test]
fn a_secret_in_env_example_is_reported_once() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "fix/env"]);
    let env = sandbox.read(".env.example");
    let value = ["Vq7", "#Lm2", "$Xp9", "Rt4W"].concat();
    sandbox.write(".env.example", &format!("{env}DATABASE_PASSWORD={value}\n"));
    sandbox.commit_all("fix: env");
    let out = check(&sandbox);
    let line = env.lines().count() + 1;
    assert_eq!(only(&out, "sop-4.9/secret")["location"], format!(".env.example:{line}"));
    assert_eq!(of_rule(&out, "sop-4.9/env-example"), Vec::<Value>::new(), "{}", out.stdout);
    assert_never_printed(&sandbox, &out, &value);
}

/// A tracked key file's hint takes it out of the commit that added it, not only `git rm --cached`
/// (which leaves it in that commit, and the push sends it).
#[test]
fn a_tracked_key_file_hint_says_how_to_take_it_out_of_history() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "fix/tls"]);
    sandbox.write("deploy/server.pem", &fake_private_key().0);
    let added = sandbox.commit_all("fix: tls");
    let out = check(&sandbox);
    let hint = only(&out, "sop-4.9/key-file")["hint"].as_str().unwrap().to_string();
    assert_contains(&hint, &format!("git rebase -i {}~1", short(&sandbox, &added)));
    assert_contains(&hint, "git rm --cached :/deploy/server.pem");
}
