//! Names, end to end through the binary: every name the tool accepts yields a branch that real
//! git accepts (`git check-ref-format --branch` is the oracle), a valid Rust module name and
//! paths inside the docs folders; every name it rejects exits 2 and changes nothing.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::support::Sandbox;

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
