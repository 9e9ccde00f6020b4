//! Names, end to end through the binary: every name the tool accepts yields a branch that real
//! git accepts (`git check-ref-format --branch` is the oracle), a valid Rust module name and
//! paths inside the docs folders, and derives again to the same names; every name it rejects exits
//! 2 and changes nothing. What `new-addon` scaffolds, `check`, `graph`, `status` and `spec` read
//! back under the same names, and they resolve a Depends-on entry the same way.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::support::{assert_contains, Sandbox};

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "static", "struct", "super", "trait", "true", "type", "union", "unsafe", "use", "where", "while", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Characters hostile to file names, refs, modules and env vars, mixed with ordinary ones.
fn name_strategy() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        6 => "[a-zA-Z]{1,8}",
        2 => "[0-9]{1,3}",
        2 => prop_oneof![Just(" "), Just("-"), Just("_")].prop_map(str::to_string),
        1 => prop_oneof![
            Just("."), Just(".."), Just("/"), Just("\\"), Just("@{"), Just("~"), Just("^"), Just(":"),
            Just("?"), Just("*"), Just("["), Just("\0"), Just("\t"), Just("\n"), Just("\u{7f}"), Just("é"),
            Just("ß"), Just("日本"), Just(".lock"), Just("HEAD"), Just("-"), Just("'"), Just("\""), Just("$(x)"),
            Just("`"), Just(";"), Just("%"), Just("type"), Just("self"), Just("core"),
        ]
        .prop_map(str::to_string),
    ];
    proptest::collection::vec(pieces, 0..8).prop_map(|parts| parts.concat())
}

#[test]
fn accepted_names_are_valid_everywhere_and_rejected_names_change_nothing() {
    let sandbox = Sandbox::with_kit();
    let before = sandbox.snapshot();
    let mut runner = TestRunner::new(Config { cases: 96, failure_persistence: None, ..Config::default() });
    let accepted = std::cell::Cell::new(0);
    let rejected = std::cell::Cell::new(0);
    runner
        .run(&name_strategy(), |name| {
            if name.contains('\0') {
                // A NUL cannot be passed in argv at all; the OS refuses it before the tool runs.
                return Ok(());
            }
            let out = sandbox.xtask().args(["new-addon", "--dry-run", "--json", "--", &name]).run();
            if out.code == 0 {
                accepted.set(accepted.get() + 1);
                let json = out.json();
                let names = &json["names"];
                let branch = names["branch"].as_str().unwrap();
                let check =
                    sandbox.git_command(&sandbox.root).args(["check-ref-format", "--branch", branch]).output().unwrap();
                prop_assert!(check.status.success(), "git refuses branch {branch:?} from {name:?}");
                let snake = names["snake"].as_str().unwrap();
                prop_assert!(snake.chars().next().is_some_and(|c| c.is_ascii_lowercase()), "module {snake:?}");
                prop_assert!(snake.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
                prop_assert!(!RUST_KEYWORDS.contains(&snake), "keyword {snake:?}");
                let flag = names["flag"].as_str().unwrap();
                prop_assert!(flag.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
                for key in ["spec", "blueprint", "runbook", "architecture"] {
                    let path = names[key].as_str().unwrap();
                    prop_assert!(
                        path.starts_with("docs/") && !path.contains("..") && path.matches('/').count() == 2,
                        "{path}"
                    );
                }
                // The fixpoint through the binary: the feature (what the spec file records) and
                // the slug (what the branch records) derive exactly the same names again.
                for again in ["feature", "slug"] {
                    let value = names[again].as_str().unwrap();
                    let out = sandbox.xtask().args(["new-addon", "--dry-run", "--json", "--", value]).run();
                    prop_assert_eq!(out.code, 0, "{:?} from {:?}: {}", value, name, out.stderr);
                    prop_assert_eq!(&out.json()["names"], names, "{} {:?} from {:?}", again, value, name);
                }
            } else {
                rejected.set(rejected.get() + 1);
                prop_assert_eq!(out.code, 2, "{:?}: {}", name, out.stderr);
                prop_assert!(out.stderr.contains("error: invalid add-on name"), "{}", out.stderr);
                prop_assert!(out.stderr.contains("hint: "), "{}", out.stderr);
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(sandbox.snapshot(), before, "a dry run or a refusal changed the repository");
    let (accepted, rejected) = (accepted.get(), rejected.get());
    assert!(
        accepted > 0 && rejected > 0,
        "the strategy must exercise both sides: {accepted} accepted, {rejected} rejected"
    );
}

/// Rules whose findings mean a reader expected other names than `new-addon` wrote: the documents'
/// file names, the flag in the registry and `.env.example`, the owning module, the branch and the
/// Depends-on references. (Asserted by rule id, not file contents: the registries may change
/// shape.)
const NAMING_RULES: &[&str] = &[
    "sop-3.1/spec-name",
    "sop-3.1/depends-on",
    "sop-3.2/blueprint",
    "sop-9/missing-document",
    "sop-3.3/flag-registry",
    "sop-3.3/flag-env-example",
    "sop-3.3/orphan-flag",
    "sop-3.4/owner-module",
    "sop-3.4/single-owner",
    "sop-4.1/branch-name",
];

fn naming_findings(check: &serde_json::Value) -> Vec<String> {
    check["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("check --json has no findings array: {check}"))
        .iter()
        .filter(|finding| NAMING_RULES.contains(&finding["rule"].as_str().unwrap_or_default()))
        .map(|finding| format!("{} {} ({})", finding["rule"], finding["message"], finding["location"]))
        .collect()
}

/// Proves the bug is gone: for names whose canonical form differs from what was typed
/// (digits, acronyms) and for names next to each other in sort order, the real `new-addon --yes`
/// scaffolds files that `check` finds under the names it expects: after each one is committed,
/// on its branch and again once all are merged, `check --json` reports no naming finding. Each
/// slice depends on the previous one by a loose spelling, which `check` must resolve too.
#[test]
fn what_new_addon_scaffolds_check_reads_back_under_the_same_names() {
    let sandbox = Sandbox::with_kit();
    // (typed name, the branch its canonical slug gives)
    let corpus = [
        ("cache-2", "feat/cache2"),
        ("api-v2", "feat/api-v2"),
        ("oauth2-client", "feat/oauth2-client"),
        ("HTTPServer", "feat/http-server"),
        ("x9", "feat/x9"),
        ("task", "feat/task"),
        ("task-2", "feat/task2"),
        ("tasks", "feat/tasks"),
    ];
    let mut previous = "health-monitor".to_string();
    for (name, branch) in corpus {
        let out = sandbox.xtask().args(["new-addon", name, "--yes", "--depends-on", &previous]).success();
        assert_eq!(sandbox.current_branch(), branch, "{name}: {}", out.stdout);
        sandbox.commit_all(&format!("feat: add {name}"));
        let check = sandbox.xtask().args(["check", "--json"]).run();
        let findings = naming_findings(&check.json());
        assert!(findings.is_empty(), "after `new-addon {name}`, check disagrees on names:\n{}", findings.join("\n"));
        sandbox.git(&["switch", "-q", "main"]);
        sandbox.git(&["merge", "-q", "--ff-only", branch]);
        previous = name.to_string();
    }
    let check = sandbox.xtask().args(["check", "--json"]).run();
    let findings = naming_findings(&check.json());
    assert!(findings.is_empty(), "with every add-on merged, check disagrees on names:\n{}", findings.join("\n"));
    let graph = sandbox.xtask().args(["graph", "--json"]).success().json();
    assert_eq!(graph["missing"], serde_json::json!([]), "{graph}");
}

/// Proves `check`, `graph`, `status` and `spec` resolve a Depends-on entry the same way (one
/// resolver): `health-monitor`, `health_monitor` and a path resolve everywhere, and an entry naming
/// no spec is a `check` error and a dashed node in `graph` alike.
#[test]
fn check_and_graph_agree_on_loosely_written_dependencies() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--no-branch"]).success();
    let spec = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
    let text = sandbox.read(spec);
    let line = text.lines().find(|l| l.starts_with("**Depends on:**")).unwrap().to_string();
    for (written, resolves) in [
        ("health-monitor", true),
        ("health_monitor, `HealthMonitor`", true),
        ("docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md", true),
        ("[Health](Lancelot_vNext2_Spec_HealthMonitor.md)", true),
        ("health-monitors", false),
    ] {
        sandbox.write(spec, &text.replace(&line, &format!("**Depends on:** {written}  ")));
        let check = sandbox.xtask().args(["check", "--json", "--no-branch-rules"]).run().json();
        let check_rejects =
            check["findings"].as_array().unwrap().iter().any(|finding| finding["rule"] == "sop-3.1/depends-on");
        let graph = sandbox.xtask().args(["graph", "--json"]).success().json();
        let graph_resolves = graph["edges"].as_array().unwrap().iter().all(|edge| edge["resolved"] == true);
        assert_eq!((!check_rejects, graph_resolves), (resolves, resolves), "`{written}`: {check}\n{graph}");
        let list = sandbox.xtask().args(["spec", "list", "--json"]).success().json();
        let scheduler = list["specs"].as_array().unwrap().iter().find(|s| s["feature"] == "Scheduler").unwrap();
        let expected = if resolves { "HealthMonitor" } else { "HealthMonitors" };
        assert!(scheduler["depends_on"].as_array().unwrap().iter().all(|d| d == expected), "{scheduler}");
    }
}

/// Back on a clean `main`: whatever a pasted hint created (branch, untracked files) is gone.
fn back_to_main(sandbox: &Sandbox) {
    sandbox.git(&["checkout", "-q", "-f", "main"]);
    sandbox.git(&["clean", "-q", "-f", "-d"]);
    for branch in sandbox.git(&["for-each-ref", "--format=%(refname:short)", "refs/heads"]).lines() {
        if branch != "main" {
            sandbox.git(&["branch", "-q", "-D", branch]);
        }
    }
}

/// Proves every names refusal of `new-addon` and `branch` exits 2, changes nothing, names its own
/// rule (a keyword is not told to "use letters"), and ends with a command that works when pasted
/// exactly as printed: each hint is run through `sh` and must succeed.
#[test]
fn every_names_hint_works_when_pasted() {
    let sandbox = Sandbox::with_kit();
    let long = ["customer", "invoice", "export"].repeat(6).join(" ");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["new-addon", "type"], "not-a-rust-keyword"),
        (vec!["new-addon", "core"], "not-reserved"),
        (vec!["new-addon", "nul"], "portable-file-name"),
        (vec!["new-addon", "my.addon"], "allowed-characters"),
        (vec!["new-addon", "café"], "ascii-only"),
        (vec!["new-addon", "a/b"], "no-path-separators"),
        (vec!["new-addon", "-health"], "no-leading-dash"),
        (vec!["new-addon", "--", "-health"], "no-leading-dash"),
        (vec!["new-addon", "_health"], "starts-with-letter"),
        (vec!["new-addon", "   "], "not-empty"),
        (vec!["new-addon", &long], "max-length"),
        (vec!["new-addon", "--slug", "OAuth2-client"], "canonical-slug"),
        (vec!["new-addon", "type", "--kind", "fix", "--no-branch"], "not-a-rust-keyword"),
        (vec!["new-addon", "type", "--kind", "wip"], "branch-kind"),
        (vec!["new-addon", "health_Monitor", "--kind", "wip"], "branch-kind"),
        (vec!["branch", "feat", "--", "-x"], "no-leading-dash"),
        (vec!["branch", "feat", "type"], "not-a-rust-keyword"),
        (vec!["branch", "feat", "--slug", "X"], "canonical-slug"),
    ];
    let mut advice = std::collections::HashSet::new();
    for (args, rule) in cases {
        let out = sandbox.xtask().args(&args).refused(2);
        assert!(out.stderr.contains(&format!("({rule})")), "{args:?}: {}", out.stderr);
        let hint = out.stderr.lines().find(|line| line.starts_with("hint: ")).unwrap().to_string();
        advice.insert(hint.split(": cargo").next().unwrap().to_string());
        let command = crate::support::hint_command(&out.stderr);
        sandbox.sh(&sandbox.root, &command);
        back_to_main(&sandbox);
    }
    assert!(advice.len() >= 8, "the hints must differ by rule: {advice:?}");
    let out = sandbox.xtask().args(["new-addon", "-health"]).refused(2);
    assert!(out.stderr.contains("`--`"), "the refusal documents `--`: {}", out.stderr);
    assert!(!out.stdout.contains("Usage:"), "`-health` is a name, not `-h`: {}", out.stdout);
}

/// Proves the free name a taken name's refusal suggests is free as a branch too: with the branch
/// of the first suggestion already made (a teammate's, fetched and checked out once), the hint
/// names another one, and pasted as printed it creates the slice on its own branch.
#[test]
fn a_suggested_name_is_never_one_whose_branch_exists() {
    let sandbox = Sandbox::with_kit();
    let first = sandbox.xtask().args(["new-addon", "health-monitor", "--dry-run"]).refused(2);
    let suggested = crate::support::hint_command(&first.stderr);
    let slug = suggested.split_whitespace().nth(3).unwrap().to_string();
    sandbox.git(&["branch", &format!("feat/{slug}")]);

    let out = sandbox.xtask().args(["new-addon", "health-monitor"]).refused(2);
    let command = crate::support::hint_command(&out.stderr);
    assert_ne!(command.split_whitespace().nth(3).unwrap(), slug, "{command}");
    sandbox.sh(&sandbox.root, &command);
    assert_ne!(sandbox.current_branch(), format!("feat/{slug}"));
    assert!(sandbox.current_branch().starts_with("feat/health-monitor"), "{}", sandbox.current_branch());
}

/// Proves a second add-on whose name differs from an existing one only in case or separators is
/// refused with the repository byte-identical: an add-on scaffolded by an older rule as
/// `OAuth2Client` (its four documents and `o_auth2_client.rs` on main) and `new-addon "OAuth2
/// client"` (now `Oauth2Client`), whose spec path differs from the existing one only in case.
/// The hint's name is free and works when pasted; an exact re-run is refused as existing.
#[test]
fn a_name_colliding_ignoring_case_is_refused() {
    let sandbox = Sandbox::with_kit();
    for (dir, kind) in
        [("specs", "Spec"), ("blueprints", "Blueprint"), ("runbooks", "Runbook"), ("architecture", "Architecture")]
    {
        let text = sandbox.read(&format!("docs/{dir}/Lancelot_vNext2_{kind}_HealthMonitor.md"));
        sandbox.write(
            &format!("docs/{dir}/Lancelot_vNext2_{kind}_OAuth2Client.md"),
            &text.replace("HealthMonitor", "OAuth2Client"),
        );
    }
    sandbox.commit_all("docs: an add-on named by the old rule");
    for name in ["OAuth2 client", "oauth2 client", "OAUTH2_CLIENT", "Oauth2Client", "oauth2-client"] {
        let out = sandbox.xtask().args(["new-addon", name, "--yes"]).refused(2);
        assert_contains(&out.stderr, "Lancelot_vNext2_Spec_OAuth2Client.md");
        assert_contains(&out.stderr, "differ only in case");
        let command = crate::support::hint_command(&out.stderr);
        assert_eq!(command, "cargo xtask new-addon oauth2-client2");
    }
    let out = sandbox.xtask().args(["new-addon", "OAuth2 client", "--yes"]).refused(2);
    sandbox.sh(&sandbox.root, &crate::support::hint_command(&out.stderr));
    assert_eq!(sandbox.current_branch(), "feat/oauth2-client2");
    back_to_main(&sandbox);

    // Scaffolded by this rule, then typed in another case style: the same add-on, refused.
    sandbox.xtask().args(["new-addon", "ipv6 pool", "--yes"]).success();
    sandbox.commit_all("feat: add ipv6 pool skeleton");
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.git(&["merge", "-q", "--ff-only", "feat/ipv6-pool"]);
    sandbox.git(&["branch", "-q", "-D", "feat/ipv6-pool"]);
    let out = sandbox.xtask().args(["new-addon", "IPv6Pool", "--yes"]).refused(2);
    assert_contains(&out.stderr, "already exists");
    sandbox.sh(&sandbox.root, &crate::support::hint_command(&out.stderr));
}

/// Proves `check`'s case-collision rule: `Foo.md` and `foo.md` tracked together (git on Linux
/// allows it) are an error naming both, and its hint, pasted, clears it.
#[test]
fn check_finds_tracked_paths_that_differ_only_in_case() {
    let sandbox = Sandbox::with_kit();
    let clean = sandbox.xtask().args(["check", "--json", "--no-branch-rules"]).run().json();
    let rule = |check: &serde_json::Value| {
        check["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "sop-4.9/case-collision")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(rule(&clean).is_empty(), "{clean}");
    sandbox.write("Foo.md", "one\n");
    sandbox.write("foo.md", "two\n");
    sandbox.commit_all("docs: two notes");
    let out = sandbox.xtask().args(["check", "--json", "--no-branch-rules"]).failure(1);
    let found = rule(&out.json());
    assert_eq!(found.len(), 1, "{found:?}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(message.contains("`Foo.md`") && message.contains("`foo.md`"), "{message}");
    let hint = found[0]["hint"].as_str().unwrap();
    let command = &hint[hint.find("git mv").unwrap()..];
    sandbox.sh(&sandbox.root, command);
    let after = sandbox.xtask().args(["check", "--json", "--no-branch-rules"]).run().json();
    assert!(rule(&after).is_empty(), "{after}");
}

/// Proves names the old tool refused or split badly are accepted in the kit fixture, and `check`
/// reads them back under the same names: `alpha`, `beta`, `gamma` (the kit's unit tests mention
/// `FEATURE_ALPHA`; only a module's declared `FLAG` counts as declared), `union` (a weak keyword,
/// a legal module name), `2FA login` (leading digits spelled out), `IPv6`, `gRPC`, `E2E`.
#[test]
fn realistic_names_are_accepted_and_read_back() {
    let sandbox = Sandbox::with_kit();
    for (name, branch, flag) in [
        ("alpha", "feat/alpha", "FEATURE_ALPHA"),
        ("beta", "feat/beta", "FEATURE_BETA"),
        ("gamma", "feat/gamma", "FEATURE_GAMMA"),
        ("union", "feat/union", "FEATURE_UNION"),
        ("2FA login", "feat/two-fa-login", "FEATURE_TWO_FA_LOGIN"),
        ("IPv6", "feat/ipv6", "FEATURE_IPV6"),
        ("gRPC gateway", "feat/grpc-gateway", "FEATURE_GRPC_GATEWAY"),
        ("E2E", "feat/e2e", "FEATURE_E2E"),
    ] {
        let out = sandbox.xtask().args(["new-addon", name, "--yes"]).success();
        assert_eq!(sandbox.current_branch(), branch, "{name}: {}", out.stdout);
        assert_contains(&out.stdout, &format!("next: {flag}=true cargo run -- run --once"));
        sandbox.commit_all(&format!("feat: add {name}"));
        let check = sandbox.xtask().args(["check", "--json"]).run();
        let findings = naming_findings(&check.json());
        assert!(findings.is_empty(), "after `new-addon {name}`:\n{}", findings.join("\n"));
        sandbox.git(&["switch", "-q", "main"]);
        sandbox.git(&["merge", "-q", "--ff-only", branch]);
    }
}

/// Proves the "already declared" refusal reads the registry's entries: a module on main that
/// declares `FEATURE_ALPHA` as its `FLAG` (under another module name) refuses `new-addon alpha`
/// with the repository unchanged, and the hint's name works.
#[test]
fn a_flag_declared_by_another_module_is_refused() {
    let sandbox = Sandbox::with_kit();
    let module = sandbox.read("src/core/health_monitor.rs");
    sandbox.write("src/core/first_letter.rs", &module.replace("\"FEATURE_HEALTH_MONITOR\"", "\"FEATURE_ALPHA\""));
    sandbox.commit_all("feat: a module declaring FEATURE_ALPHA");
    let out = sandbox.xtask().args(["new-addon", "alpha", "--yes"]).refused(2);
    assert_contains(&out.stderr, "`FEATURE_ALPHA` is already declared by `src/core/first_letter.rs`");
    sandbox.sh(&sandbox.root, &crate::support::hint_command(&out.stderr));
    assert_eq!(sandbox.current_branch(), "feat/alpha2");
}

/// Proves `--slug` overrides the derivation and is held to the same rules: `--slug httpserver`
/// names every file after `httpserver` whatever NAME says; a non-canonical or keyword slug is
/// refused with the repository unchanged.
#[test]
fn slug_overrides_the_derived_names() {
    let sandbox = Sandbox::with_kit();
    let json = sandbox
        .xtask()
        .args(["new-addon", "HTTPServer", "--slug", "httpserver", "--dry-run", "--json"])
        .success()
        .json();
    assert_eq!(json["names"]["slug"], "httpserver");
    assert_eq!(json["names"]["module"], "src/core/httpserver.rs");
    sandbox.xtask().args(["new-addon", "--slug", "type"]).refused(2);
    sandbox.xtask().args(["new-addon", "--slug", "Http-Server"]).refused(2);
    let out = sandbox.xtask().args(["branch", "fix", "--slug", "login-timeout", "--dry-run"]).success();
    assert_contains(&out.stdout, "fix/login-timeout");
}

/// A name or kind refused during a preview: each fixed command keeps `--dry-run` (and `--json`),
/// so pasting it previews again and changes nothing — for new-addon, branch and hotfix.
#[test]
fn a_refusal_during_a_dry_run_hints_a_dry_run() {
    let sandbox = Sandbox::with_kit();
    sandbox.with_origin();
    let before = sandbox.snapshot();
    let runs: [&[&str]; 4] = [
        &["new-addon", "type", "--dry-run", "--yes"],
        &["new-addon", "--kind", "bogus", "thing", "--dry-run", "--json"],
        &["branch", "bogus", "thing", "--dry-run"],
        &["hotfix", "readme", "--dry-run"],
    ];
    for args in runs {
        let out = sandbox.xtask().args(args).refused(2);
        let pasted = crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
        for run in &pasted {
            assert!(run.line.contains(" --dry-run"), "{args:?}: `{}` would do it for real", run.line);
        }
        assert_eq!(sandbox.snapshot(), before, "{args:?}: a pasted hint changed the repository");
    }
}
