//! `cargo xtask config`: its text is the `[workspace.metadata.sop]` table itself, valid TOML that
//! says what `--json` says and, pasted into `Cargo.toml` in place of the settings, changes nothing.

use crate::support::Sandbox;

/// Settings that differ from every default kind: a string, an enum, a nested table, arrays of
/// strings and of arrays, and a pattern with quotes and backslashes that TOML must escape.
const SETTINGS: &str = r#"main_branch = "trunk"
sync_strategy = "merge"
verify = [["true"], ["echo", "it's \"done\""]]
secret_allowlist = ['^fixture\s+key = "x"$']

[workspace.metadata.sop.docs]
specs = "documents/specs"
"#;

/// The kit's manifest with its (empty) `[workspace.metadata.sop]` table replaced by `settings`.
fn with_settings(sandbox: &Sandbox, settings: &str) {
    let manifest = sandbox.read("Cargo.toml");
    let (kit, _) = manifest.split_once("[workspace.metadata.sop]").expect("the kit's settings table");
    sandbox.write("Cargo.toml", &format!("{kit}{settings}"));
}

/// The printed text parses as TOML; its `[workspace.metadata.sop]` is exactly `--json`'s
/// settings; pasted back as the manifest's settings, `config --json` prints the same again.
#[test]
fn the_printed_settings_are_toml_that_round_trips() {
    let sandbox = Sandbox::with_kit();
    with_settings(&sandbox, &format!("[workspace.metadata.sop]\n{SETTINGS}"));
    let mut json = sandbox.xtask().args(["config", "--json"]).success().json();
    json.as_object_mut().unwrap().remove("version");
    assert_eq!(json["main_branch"], "trunk", "the settings were read: {json}");
    assert_eq!(json["docs"]["specs"], "documents/specs");

    let text = sandbox.xtask().args(["config"]).success().stdout;
    let parsed: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("not TOML ({e}):\n{text}"));
    let sop = &parsed["workspace"]["metadata"]["sop"];
    assert_eq!(serde_json::to_value(sop).unwrap(), json, "the TOML says what --json says:\n{text}");

    with_settings(&sandbox, &text);
    let mut again = sandbox.xtask().args(["config", "--json"]).success().json();
    again.as_object_mut().unwrap().remove("version");
    assert_eq!(again, json, "pasted back, the printed settings are the same settings:\n{text}");
}

/// A manifest that is no TOML at all (a stray line outside the SOP settings) is named for what
/// it is, exit 2 and nothing changed — it was reported as a bad `[workspace.metadata.sop]` key —
/// and the hint's command, pasted as printed, shows the line that broke it.
#[test]
fn a_manifest_that_is_not_toml_is_not_blamed_on_the_settings() {
    let sandbox = Sandbox::with_kit();
    let manifest = sandbox.read("Cargo.toml");
    sandbox.write("Cargo.toml", &format!("{manifest}stray words\n"));
    let out = sandbox.xtask().args(["check"]).refused(2);
    assert!(out.stderr.contains("Cargo.toml` is not valid TOML"), "{}", out.stderr);
    assert!(!out.stderr.contains("[workspace.metadata.sop]"), "{}", out.stderr);
    let pasted = crate::support::paste_every_hint(&sandbox, &sandbox.path("src"), &out.stderr);
    assert!(pasted[0].stdout.contains("+stray words"), "{}", pasted[0].stdout);
}

/// The dirty-tree refusal of `hotfix` (and `branch`) names the command to run again in full,
/// its name included: "run `cargo xtask hotfix` again" refused a missing name.
#[test]
fn the_dirty_tree_hint_runs_the_same_command_again() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("README.md", "changed\n");
    let out = sandbox.xtask().args(["hotfix", "login-crash", "--dry-run"]).refused(1);
    assert!(out.stderr.contains("then run `cargo xtask hotfix login-crash --dry-run` again"), "{}", out.stderr);
}
