//! The tidy test (rust-analyzer's `tidy.rs` is the model): the rules `docs/ARCHITECTURE.md` states
//! as "only X does Y", checked over the workspace's source files rather than trusted as prose.
//!
//! It reads the files under the workspace root (`CARGO_MANIFEST_DIR/..`, never git, never the
//! repository's history or state) and the real binary's `--help`, and prints each violation as
//! `path:line: rule: text`. An exception is an entry of [`ALLOWED`] with its reason; an entry
//! that no longer excuses anything is itself a violation, so the list only shrinks.
//!
//! Its own test target (not a module of the integration binary): it needs no sandbox, no git and
//! no cargo, so `cargo test -p xtask --test tidy` answers in a second, and a broken invariant is
//! reported without building or running the integration suite.
//!
//! The checks are line-based and know only as much Rust as they need: comment lines are skipped,
//! and test code (`tests/`, `tests.rs`, `#[cfg(test)]` items and `#[cfg(feature = "test-hooks")]`
//! items) is exempt from the production rules. `the_tidy_test_reports_a_violation_of_every_rule`
//! proves each rule fires.

use std::fmt;
use std::path::Path;
use std::process::Command;

/// One source file: its path relative to the workspace root (with `/`) and its text.
struct SourceFile {
    path: String,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Violation {
    path: String,
    line: usize,
    rule: &'static str,
    text: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: {}", self.path, self.line, self.rule, self.text.trim())
    }
}

/// Every `.rs` file opens with a `//!` doc comment saying what it is for.
const DOC_COMMENT: &str = "doc-comment";
/// git runs only in `xtask/src/git/`: no `git2::Repository` and no `git` subprocess elsewhere.
const GIT: &str = "git-outside-git";
/// The xtask writes files only through the writer, `xtask/src/plan.rs` and `xtask/src/plan/`.
const WRITE: &str = "write-outside-plan";
/// One reader per file format: TOML only in `xtask/src/config.rs`.
const TOML_READER: &str = "toml-reader";
/// One reader per file format: `.env` lines only in `src/dotenv/syntax.rs`.
const DOTENV_READER: &str = "dotenv-reader";
/// No debugging leftovers anywhere, tests included.
const DEBUG_MACRO: &str = "debug-macro";
/// A test knob (`XTASK_TEST_*`) is read only under `#[cfg(feature = "test-hooks")]`.
const TEST_KNOB: &str = "test-knob";
/// The xtask prints only through the output layer (`outln!`, `out!`, `errln!`, `err!`, `output::…`).
const PRINTLN: &str = "println-outside-output";
/// The tool asks questions only through `xtask/src/prompt.rs` (Ctrl-C and Esc cancel cleanly).
const PROMPT: &str = "prompt-outside-prompt";
/// Every subcommand and long flag of `cargo xtask` is in the README's command table.
const README: &str = "readme-table";
/// The root crate, what ships, never links the tool's dependencies.
const ROOT_DEPS: &str = "root-crate-dependency";
/// The README's first-build figure is docs/benchmarks.md's cold build, as the bench wrote both.
const FIRST_BUILD: &str = "readme-first-build";
/// The bench's dependencies stay out of the xtask's manifest (and so out of its cold build).
const BENCH_DEPS: &str = "bench-dependency-in-xtask";
/// An allow-list entry that excuses nothing any more.
const STALE: &str = "stale-allow-list-entry";

/// The exceptions, each with its reason: `(path or folder/ prefix, rule, why)`.
const ALLOWED: &[(&str, &str, &str)] = &[
    // The benchmark (its own member, `xtask/bench/`) times the git CLI against the xtask: these
    // yardsticks are its measurements, run as an engineer runs them. Its scratch repositories'
    // set-up git goes through `xtask/src/git/scratch.rs`.
    ("xtask/bench/src/main.rs", GIT, "times `git status`, `git log`, `git rev-parse`, `git branch`, `git ls-files`"),
    ("xtask/bench/src/remote.rs", GIT, "times `git fetch`, `git status`, `git push`, `git for-each-ref`"),
    ("xtask/bench/src/secrets_scan.rs", GIT, "times `git diff` producing the diff the scanner reads"),
    ("xtask/bench/src/large.rs", GIT, "times `git status` on the 10,000-add-on repository"),
    (
        "xtask/bench/src/",
        WRITE,
        "scratch files in its temp dir (synthetic repositories, logs, cold-build copies); docs go through the plan",
    ),
    ("xtask/bench/src/cold.rs", GIT, "the source text of the git2-only program it compiles, not a call"),
    ("xtask/bench/src/cold.rs", PRINTLN, "the source text of a git2-only program it compiles"),
    // Not `.env` syntax: git's own `'key'='value'` parameter words.
    (
        "xtask/src/git/mod.rs",
        DOTENV_READER,
        "reads git's GIT_CONFIG_PARAMETERS (`'key'='value'` words), not a `.env` line",
    ),
    // The tool's own state lives in the clone's git directory, never in the working tree.
    ("xtask/src/lock.rs", WRITE, "the run lock in .git/sop (an OS advisory lock on its own file)"),
    ("xtask/src/receipts.rs", WRITE, "appends to .git/sop/receipts.jsonl"),
    ("xtask/src/trust.rs", WRITE, "`trust --revoke` removes .git/sop/trust.json"),
    ("xtask/src/onboard/state.rs", WRITE, "`onboard` drops the READY state in .git/sop"),
    ("xtask/src/sync_cmd.rs", WRITE, "a finished or aborted sync removes its state, .git/sop/sync.json"),
    ("xtask/src/git/mod.rs", WRITE, "a probe file that tells a full disk from another failure"),
    // Not `.env` syntax: the freeze records' `file = hash` lines, and the runtime's `--name=value`.
    ("xtask/src/check/frozen.rs", DOTENV_READER, "the freeze records' `key = value` lines"),
    ("src/cli.rs", DOTENV_READER, "the runtime's `--option=value` arguments"),
];

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask/ sits in the workspace root")
}

/// Every `.rs` file under the workspace root but `target/` and hidden folders, sorted.
fn read_sources(root: &Path) -> Vec<SourceFile> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("a readable source folder").flatten().collect();
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    walk(root, &path, out);
                }
            } else if name.ends_with(".rs") {
                let relative = path.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
                out.push(SourceFile { path: relative, text });
            }
        }
    }
    let mut files = Vec::new();
    walk(root, root, &mut files);
    files
}

/// Whether the whole file is test code: integration tests, examples, a `tests.rs` module.
fn is_test_file(path: &str) -> bool {
    path.starts_with("tests/")
        || path.contains("/tests/")
        || path.starts_with("examples/")
        || path.ends_with("/tests.rs")
}

/// Whether an attribute line gates its item to test builds.
fn is_test_cfg(line: &str) -> bool {
    let line = line.trim();
    (line.starts_with("#[cfg(") || line.starts_with("#![cfg("))
        && !line.contains("not(")
        && (line.contains("(test)")
            || line.contains("(test,")
            || line.contains(" test)")
            || line.contains("\"test-hooks\""))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// For each line, whether it belongs to an item gated by `#[cfg(test)]` or the `test-hooks`
/// feature: the attribute, the item's first line, and its body (up to the `}` at the item's own
/// indentation, or the first line indented no deeper than the item when the header wraps).
fn gated_lines(text: &str) -> Vec<bool> {
    let lines: Vec<&str> = text.lines().collect();
    let mut gated = vec![false; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        if !is_test_cfg(lines[i]) {
            i += 1;
            continue;
        }
        let depth = indent(lines[i]);
        let mut j = i;
        while j < lines.len() && lines[j].trim_start().starts_with("#[") {
            gated[j] = true;
            j += 1;
        }
        let Some(first) = lines.get(j) else { break };
        gated[j] = true;
        let header = first.trim_end();
        if header.ends_with(';') || header.ends_with(',') {
            i = j + 1;
            continue;
        }
        let braced = header.ends_with('{');
        j += 1;
        while j < lines.len() {
            gated[j] = true;
            let line = lines[j];
            let closes = if braced {
                indent(line) == depth && line.trim_start().starts_with('}')
            } else {
                !line.trim().is_empty() && indent(line) <= depth
            };
            if closes {
                break;
            }
            j += 1;
        }
        i = j + 1;
    }
    gated
}

/// The needles of the macro rule, spelled in two halves so this file does not trip over itself.
fn debug_macros() -> Vec<String> {
    ["dbg", "todo", "unimplemented"].iter().map(|name| format!("{name}!(")).collect()
}

fn is_git_call(code: &str) -> bool {
    code.contains("git2::Repository")
        || code.contains("Repository::open")
        || code.contains("Repository::discover")
        || code.contains("Repository::init")
        || code.contains("Command::new(\"git\")")
        || (code.contains("cmd!(") && code.contains("\"git "))
        // A program literal followed by its arguments: `Probe::new(sh, "label", "git", &[…])`.
        || code.contains(", \"git\", &[")
}

fn is_file_write(code: &str) -> bool {
    [
        "fs::write(",
        "File::create(",
        "OpenOptions",
        "create_dir(",
        "create_dir_all(",
        "fs::rename(",
        "remove_file(",
        "remove_dir",
    ]
    .iter()
    .any(|needle| code.contains(needle))
}

fn is_bare_print(code: &str) -> bool {
    ["println!(", "print!(", "eprintln!(", "eprint!("].iter().any(|needle| {
        code.match_indices(needle).any(|(at, _)| !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
    })
}

/// Every source rule over `files`, then the allow-list applied: what it excuses is dropped, and
/// an entry that excused nothing is reported.
fn check_sources(files: &[SourceFile], allowed: &[(&str, &str, &str)]) -> Vec<Violation> {
    let mut found = Vec::new();
    let macros = debug_macros();
    for file in files {
        let path = file.path.as_str();
        let report = |found: &mut Vec<Violation>, line: usize, rule, text: &str| {
            found.push(Violation { path: path.to_string(), line, rule, text: text.to_string() });
        };
        if !file.text.starts_with("//!") {
            report(&mut found, 1, DOC_COMMENT, file.text.lines().next().unwrap_or("(empty file)"));
        }
        let xtask = path.starts_with("xtask/src/") || path.starts_with("xtask/bench/src/");
        let test_file = is_test_file(path);
        let gated = gated_lines(&file.text);
        for (index, line) in file.text.lines().enumerate() {
            let number = index + 1;
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if macros.iter().any(|needle| code.contains(needle.as_str())) {
                report(&mut found, number, DEBUG_MACRO, line);
            }
            if test_file || gated[index] {
                continue;
            }
            if is_git_call(code) && !path.starts_with("xtask/src/git/") {
                report(&mut found, number, GIT, line);
            }
            if xtask && is_file_write(code) && path != "xtask/src/plan.rs" && !path.starts_with("xtask/src/plan/") {
                report(&mut found, number, WRITE, line);
            }
            if (code.contains("toml::from_str") || code.contains("toml::de::") || code.contains("parse::<toml::"))
                && path != "xtask/src/config.rs"
            {
                report(&mut found, number, TOML_READER, line);
            }
            if (code.contains("split_once('=')")
                || code.contains("split_once(\"=\")")
                || code.contains("splitn(2, '=')"))
                && path != "src/dotenv/syntax.rs"
            {
                report(&mut found, number, DOTENV_READER, line);
            }
            if xtask && code.contains("XTASK_TEST_") {
                report(&mut found, number, TEST_KNOB, line);
            }
            if xtask && is_bare_print(code) && path != "xtask/src/output.rs" {
                report(&mut found, number, PRINTLN, line);
            }
            if xtask && code.contains("dialoguer::") && path != "xtask/src/prompt.rs" {
                report(&mut found, number, PROMPT, line);
            }
        }
    }
    let excuses = |violation: &Violation, (prefix, rule, _): &(&str, &str, &str)| {
        violation.rule == *rule
            && (violation.path == *prefix || (prefix.ends_with('/') && violation.path.starts_with(prefix)))
    };
    let mut kept: Vec<Violation> =
        found.iter().filter(|violation| !allowed.iter().any(|entry| excuses(violation, entry))).cloned().collect();
    for entry in allowed {
        if !found.iter().any(|violation| excuses(violation, entry)) {
            kept.push(Violation {
                path: "xtask/tests/tidy.rs".to_string(),
                line: 0,
                rule: STALE,
                text: format!("({:?}, {}) excuses nothing: remove it", entry.0, entry.1),
            });
        }
    }
    kept
}

/// The `Commands:` and the long flags (`--name`, without `--help`/`--version`) of one `--help`.
fn parse_help(text: &str) -> (Vec<String>, Vec<String>) {
    let mut commands = Vec::new();
    let mut flags = Vec::new();
    let mut section = "";
    for line in text.lines() {
        if !line.starts_with(' ') {
            section = line.trim_end_matches(':');
            continue;
        }
        let entry = line.trim_start();
        let head = entry.split("  ").next().unwrap_or_default();
        match section {
            "Commands" => {
                if let Some(name) = head.split_whitespace().next() {
                    if name != "help" {
                        commands.push(name.to_string());
                    }
                }
            }
            "Options" | "Arguments" if entry.starts_with('-') => {
                for word in head.split([' ', ',']) {
                    if let Some(name) = word.strip_prefix("--") {
                        let name = name.split(['=', '[', '<']).next().unwrap_or_default();
                        if !name.is_empty() && name != "help" && name != "version" {
                            flags.push(format!("--{name}"));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    (commands, flags)
}

/// A top-level subcommand: its name, its own subcommands and every long flag of either.
struct CliCommand {
    name: String,
    subcommands: Vec<String>,
    flags: Vec<String>,
}

fn help_of(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).arg("--help").output().expect("xtask runs");
    assert!(output.status.success(), "`xtask {} --help` failed", args.join(" "));
    String::from_utf8(output.stdout).expect("UTF-8 help")
}

/// The CLI as clap describes it to the engineer: global flags, then each subcommand.
fn cli_from_binary() -> (Vec<String>, Vec<CliCommand>) {
    let (names, global) = parse_help(&help_of(&[]));
    let commands = names
        .into_iter()
        .map(|name| {
            let (subcommands, mut flags) = parse_help(&help_of(&[&name]));
            for sub in &subcommands {
                flags.extend(parse_help(&help_of(&[&name, sub])).1);
            }
            flags.retain(|flag| !global.contains(flag));
            flags.sort();
            flags.dedup();
            CliCommand { name, subcommands, flags }
        })
        .collect();
    (global, commands)
}

/// Each command has a row `| `cargo xtask <name>…` in the README's table naming its
/// subcommands and long flags; a global flag is named somewhere in the table.
fn check_readme(readme: &str, global: &[String], commands: &[CliCommand]) -> Vec<Violation> {
    let mut found = Vec::new();
    let mut report = |line: usize, text: String| {
        found.push(Violation { path: "README.md".to_string(), line, rule: README, text });
    };
    let rows: Vec<(usize, &str)> = readme
        .lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with("| `cargo xtask"))
        .map(|(index, line)| (index + 1, line))
        .collect();
    for flag in global {
        if !rows.iter().any(|(_, row)| row.contains(flag.as_str())) {
            report(0, format!("the global flag `{flag}` is in no row of the command table"));
        }
    }
    for command in commands {
        let prefix = format!("| `cargo xtask {}", command.name);
        let row = rows
            .iter()
            .find(|(_, row)| row.strip_prefix(prefix.as_str()).is_some_and(|rest| rest.starts_with([' ', '`'])));
        let Some((number, row)) = row else {
            report(0, format!("`cargo xtask {}` has no row in the command table", command.name));
            continue;
        };
        let words: Vec<&str> = row.split(|c: char| !(c.is_alphanumeric() || c == '-')).collect();
        for sub in &command.subcommands {
            if !words.contains(&sub.as_str()) {
                report(*number, format!("`cargo xtask {} {sub}` is not named in its row", command.name));
            }
        }
        for flag in &command.flags {
            if !words.contains(&flag.as_str()) {
                report(*number, format!("`{flag}` of `cargo xtask {}` is not named in its row", command.name));
            }
        }
    }
    found
}

/// The bench package in the xtask's own manifest. The `cargo xtask` alias builds
/// `--package xtask`: what is not in its manifest is not in its cold build (line-based, like the
/// check below). toml's writer (`display`) was the bench's alone until `cargo xtask config`
/// printed its settings as TOML that can be pasted back; it is the xtask's own now.
fn check_xtask_manifest(manifest: &str) -> Vec<Violation> {
    let mut found = Vec::new();
    for (index, line) in manifest.lines().enumerate() {
        let code = line.trim();
        if code.starts_with("xtask-bench") {
            let path = "xtask/Cargo.toml".to_string();
            found.push(Violation { path, line: index + 1, rule: BENCH_DEPS, text: code.to_string() });
        }
    }
    found
}

/// The tool's dependencies in the `[dependencies]` of the root manifest (line-based: a test
/// reading a manifest's section headers, not a second TOML reader of the tool).
fn check_root_dependencies(manifest: &str) -> Vec<Violation> {
    let mut section = "";
    let mut found = Vec::new();
    for (index, line) in manifest.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let name = line.split(['=', ' ', '.']).next().unwrap_or_default();
        if section == "[dependencies]" && ["git2", "tera", "dialoguer", "clap"].contains(&name) {
            found.push(Violation {
                path: "Cargo.toml".to_string(),
                line: index + 1,
                rule: ROOT_DEPS,
                text: line.to_string(),
            });
        }
    }
    found
}

/// The README's first-build figure (between the bench's markers) against the cold-build row of
/// `docs/benchmarks.md`: `cargo xtask bench --write-docs` writes both from one measurement. A row
/// without a figure (the cold build skipped) leaves the README's last measured one standing.
fn check_first_build(readme: &str, benchmarks: &str) -> Vec<Violation> {
    let (begin, end) = ("<!-- bench:first-build -->", "<!-- bench:first-build:end -->");
    let line = readme.lines().position(|line| line.contains(begin)).map_or(0, |index| index + 1);
    let violation = |text: String| vec![Violation { path: "README.md".to_string(), line, rule: FIRST_BUILD, text }];
    let Some((_, rest)) = readme.split_once(begin) else {
        return violation(format!("no `{begin}` figure: the first build's time comes from the bench"));
    };
    let Some((figure, _)) = rest.split_once(end) else {
        return violation(format!("`{begin}` is not closed by `{end}`"));
    };
    let row = benchmarks.lines().find(|line| line.starts_with("| cold build of the xtask"));
    let cell = row.and_then(|row| row.split('|').nth(2)).map(str::trim);
    match cell.and_then(|cell| cell.strip_suffix(" s")).and_then(|seconds| seconds.parse::<f64>().ok()) {
        Some(seconds) if figure != format!("about {seconds:.0} s") => violation(format!(
            "`{figure}` is not docs/benchmarks.md's cold build ({seconds} s); the bench writes both: cargo xtask bench --write-docs"
        )),
        _ => Vec::new(),
    }
}

fn fail_on(violations: &[Violation], what: &str) {
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        panic!("{} violation(s) of {what}:\n{}\n", violations.len(), list.join("\n"));
    }
}

/// Holds every source invariant of `docs/ARCHITECTURE.md` over the workspace as it is.
#[test]
fn the_source_tree_keeps_the_architecture_invariants() {
    let files = read_sources(workspace_root());
    assert!(files.iter().any(|file| file.path == "xtask/src/main.rs"), "the walk found the xtask");
    assert!(files.iter().any(|file| file.path == "src/lib.rs"), "the walk found the runtime");
    let mut found = check_sources(&files, ALLOWED);
    let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).expect("the root manifest");
    found.extend(check_root_dependencies(&manifest));
    let xtask_manifest = std::fs::read_to_string(workspace_root().join("xtask/Cargo.toml")).expect("xtask's manifest");
    found.extend(check_xtask_manifest(&xtask_manifest));
    let read = |path: &str| std::fs::read_to_string(workspace_root().join(path)).unwrap_or_default();
    found.extend(check_first_build(&read("README.md"), &read("docs/benchmarks.md")));
    fail_on(&found, "the architecture invariants (docs/ARCHITECTURE.md)");
}

/// Holds the README's command table to what clap offers the engineer.
#[test]
fn the_readme_command_table_names_every_command_and_flag() {
    let (global, commands) = cli_from_binary();
    assert!(commands.len() > 10, "the top-level help lists the commands");
    assert!(commands.iter().any(|c| c.name == "status" && c.flags.contains(&"--json".to_string())));
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    fail_on(&check_readme(&readme, &global, &commands), "the README's command table");
}

fn synthetic(path: &str, text: &str) -> SourceFile {
    SourceFile { path: path.to_string(), text: text.to_string() }
}

/// The tidy test can fail: a synthetic tree with one breach of each rule is reported breach by
/// breach, test code and gated items are exempt, and the allow-list excuses and goes stale.
#[test]
fn the_tidy_test_reports_a_violation_of_every_rule() {
    let dbg = format!("{}!(value);", "dbg");
    let files = vec![
        synthetic("xtask/src/no_doc.rs", "// a plain comment\nfn f() {}\n"),
        synthetic("xtask/src/status.rs", "//! s\nfn f(sh: &Shell) {\n    cmd!(sh, \"git status\").run();\n}\n"),
        synthetic("xtask/src/graph.rs", "//! g\nfn f() {\n    let r = git2::Repository::open(\".\");\n}\n"),
        synthetic("xtask/src/spec.rs", "//! s\nfn f() {\n    std::fs::write(\"x\", \"y\").unwrap();\n}\n"),
        synthetic("xtask/src/check/mod.rs", "//! c\nfn f(t: &str) {\n    let v: toml::Table = toml::from_str(t);\n}\n"),
        synthetic("xtask/src/status_env.rs", "//! e\nfn f(l: &str) {\n    l.split_once('=');\n}\n"),
        synthetic("src/host.rs", &format!("//! h\nfn f() {{\n    {dbg}\n}}\n")),
        synthetic("xtask/src/lock.rs", "//! l\nfn f() {\n    std::env::var(\"XTASK_TEST_KILL_AT\");\n}\n"),
        synthetic("xtask/src/templates.rs", "//! t\nfn f() {\n    println!(\"hello\");\n}\n"),
        synthetic("xtask/src/trust.rs", "//! t\nfn f() {\n    eprint!(\"hello\");\n    errln!(\"fine\");\n}\n"),
        synthetic("xtask/bench/src/measure.rs", "//! m\nfn f(sh: &Shell) {\n    Probe::new(sh, \"git status\", \"git\", &[\"status\"]);\n}\n"),
        synthetic("xtask/bench/src/synth.rs", "//! s\nfn f() {\n    std::fs::write(\"x\", \"y\").unwrap();\n}\n"),
        synthetic("xtask/src/prune.rs", "//! p\nfn f() {\n    dialoguer::Confirm::new().interact();\n}\n"),
        // Not violations: the output layer, the writer, git/, test code, gated items, comments.
        synthetic("xtask/src/output.rs", "//! o\nfn f() {\n    println!(\"x\");\n}\n"),
        synthetic("xtask/src/plan.rs", "//! p\nfn f() {\n    std::fs::rename(\"a\", \"b\");\n}\n"),
        synthetic("xtask/src/git/sync.rs", "//! g\nfn f() {\n    cmd!(sh, \"git fetch\");\n}\n"),
        synthetic("xtask/src/hooks.rs", "//! h\n// std::fs::write(a, b) in a comment\nfn f() {}\n\n#[cfg(test)]\nmod tests {\n    fn t() {\n        std::fs::write(\"x\", \"\").unwrap();\n        println!(\"x\");\n    }\n}\n"),
        synthetic("xtask/src/test_hooks.rs", "//! t\npub fn skip() -> bool {\n    #[cfg(feature = \"test-hooks\")]\n    {\n        std::env::var_os(\"XTASK_TEST_SKIP\").is_some()\n    }\n    #[cfg(not(feature = \"test-hooks\"))]\n    false\n}\n"),
        synthetic("xtask/tests/integration/x.rs", "//! x\nfn f() {\n    std::fs::write(\"x\", \"\").unwrap();\n}\n"),
    ];
    let found = check_sources(&files, &[]);
    let listed: Vec<String> = found.iter().map(ToString::to_string).collect();
    let expected = [
        "xtask/src/no_doc.rs:1: doc-comment: // a plain comment",
        "xtask/src/status.rs:3: git-outside-git: cmd!(sh, \"git status\").run();",
        "xtask/src/graph.rs:3: git-outside-git: let r = git2::Repository::open(\".\");",
        "xtask/src/spec.rs:3: write-outside-plan: std::fs::write(\"x\", \"y\").unwrap();",
        "xtask/src/check/mod.rs:3: toml-reader: let v: toml::Table = toml::from_str(t);",
        "xtask/src/status_env.rs:3: dotenv-reader: l.split_once('=');",
        &format!("src/host.rs:3: debug-macro: {dbg}"),
        "xtask/src/lock.rs:3: test-knob: std::env::var(\"XTASK_TEST_KILL_AT\");",
        "xtask/src/templates.rs:3: println-outside-output: println!(\"hello\");",
        "xtask/src/trust.rs:3: println-outside-output: eprint!(\"hello\");",
        "xtask/bench/src/measure.rs:3: git-outside-git: Probe::new(sh, \"git status\", \"git\", &[\"status\"]);",
        "xtask/bench/src/synth.rs:3: write-outside-plan: std::fs::write(\"x\", \"y\").unwrap();",
        "xtask/src/prune.rs:3: prompt-outside-prompt: dialoguer::Confirm::new().interact();",
    ];
    assert_eq!(listed, expected, "each rule reports its breach, and nothing else is reported");

    // The allow-list excuses exactly its (path, rule), and an entry that excuses nothing is stale.
    let allowed = [
        ("xtask/src/spec.rs", WRITE, "a reason"),
        ("xtask/src/graph.rs", WRITE, "excuses nothing: graph.rs only breaks the git rule"),
    ];
    let found = check_sources(&files, &allowed);
    assert!(!found.iter().any(|v| v.path == "xtask/src/spec.rs"), "{found:?}");
    assert!(found.iter().any(|v| v.path == "xtask/src/graph.rs" && v.rule == GIT), "{found:?}");
    assert!(found.iter().any(|v| v.rule == STALE && v.text.contains("graph.rs")), "{found:?}");

    // The root crate's manifest: a tool dependency under `[dependencies]` is reported, the same
    // crate under the xtask's or a dev section is not.
    let manifest = "[package]\nname = \"lancelot\"\n\n[dependencies]\nserde = \"1\"\ngit2 = { version = \"0.21\" }\n\n[dev-dependencies]\nclap = \"4\"\n";
    let listed: Vec<String> = check_root_dependencies(manifest).iter().map(ToString::to_string).collect();
    assert_eq!(listed, ["Cargo.toml:6: root-crate-dependency: git2 = { version = \"0.21\" }"]);

    // The xtask's manifest: toml's writer or the bench package is reported, the parser is not.
    let manifest = "[dependencies]\ntoml = { version = \"1\", features = [\"parse\"] }\n";
    assert_eq!(check_xtask_manifest(manifest), []);
    let manifest = "[dependencies]\ntoml = { version = \"1\", features = [\"parse\", \"display\"] }\nxtask-bench = { path = \"bench\" }\n";
    let listed: Vec<String> = check_xtask_manifest(manifest).iter().map(|v| format!("{}:{}", v.line, v.rule)).collect();
    assert_eq!(listed, ["3:bench-dependency-in-xtask"]);
}

/// The first-build check can fail: a missing figure, and one that is not the cold-build row's.
#[test]
fn the_first_build_check_reports_a_missing_or_stale_figure() {
    let doc =
        "| measurement | ours |\n| --- | --- |\n| cold build of the xtask vs a git2-only crate | 27.68 s | 12.89 s |\n";
    let readme = |figure: &str| {
        format!("# L\n\nbuilds once (<!-- bench:first-build -->{figure}<!-- bench:first-build:end -->).\n")
    };
    assert_eq!(check_first_build(&readme("about 28 s"), doc), []);
    let stale: Vec<String> = check_first_build(&readme("about 30 s"), doc).iter().map(ToString::to_string).collect();
    assert_eq!(stale.len(), 1);
    assert!(stale[0].starts_with("README.md:3: readme-first-build: `about 30 s` is not"), "{stale:?}");
    assert_eq!(check_first_build("# L\n", doc)[0].rule, FIRST_BUILD);
    let skipped = doc.replace("27.68 s", "skipped");
    assert_eq!(check_first_build(&readme("about 30 s"), &skipped), []);
}

/// The README half of the tidy test can fail: a missing row, subcommand and flag are reported.
#[test]
fn the_readme_check_reports_a_missing_command_subcommand_and_flag() {
    let (names, global) = parse_help(
        "About\n\nUsage: cargo xtask [OPTIONS] <COMMAND>\n\nCommands:\n  status  The war room\n  spec    Lifecycle\n  help    Print this message\n\nOptions:\n  -C <DIR>         Run as if started in <DIR>\n      --color <C>  When to colour\n  -h, --help       Print help\n",
    );
    assert_eq!(names, ["status", "spec"]);
    assert_eq!(global, ["--color"]);
    let (subcommands, flags) = parse_help(
        "Lifecycle\n\nCommands:\n  approve  Draft → Approved\n  list     List\n\nOptions:\n  -n, --limit <N>  How many\n      --json       JSON\n",
    );
    assert_eq!(subcommands, ["approve", "list"]);
    assert_eq!(flags, ["--limit", "--json"]);
    let commands = [
        CliCommand { name: "spec".into(), subcommands, flags },
        CliCommand { name: "status".into(), subcommands: vec![], flags: vec!["--json".into()] },
        CliCommand { name: "graph".into(), subcommands: vec![], flags: vec![] },
    ];
    let readme = "| command | what |\n|---|---|\n| `cargo xtask spec <approve>` | lifecycle; `--json` |\n| `cargo xtask status` | war room; `--json`, `--color` |\n| `cargo xtask statusx` | not status's row |\n";
    let listed: Vec<String> = check_readme(readme, &global, &commands).iter().map(ToString::to_string).collect();
    assert_eq!(
        listed,
        [
            "README.md:3: readme-table: `cargo xtask spec list` is not named in its row",
            "README.md:3: readme-table: `--limit` of `cargo xtask spec` is not named in its row",
            "README.md:0: readme-table: `cargo xtask graph` has no row in the command table",
        ]
    );
}
