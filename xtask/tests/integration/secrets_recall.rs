//! The secret scanner's recall and precision through `cargo xtask check`: the recall corpus
//! (fake secrets of many kinds in realistic files, generated at run time from a fixed seed, so this
//! repository holds no scannable literal) is committed on a branch and every secret a line can
//! show must be found where it is, and nowhere else; this project's own sources, real code, must
//! raise no secret finding. Ratios against other scanners and speed are measured outside the suite:
//! with `SOP_SECRETS_CORPUS_DIR` set, the corpus is also written there, with its expected lines in
//! `expected.tsv`, for other tools to run on.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::{project_root, Outcome, Sandbox};

#[path = "../corpus/secrets/corpus.rs"]
mod corpus;

use corpus::{corpus, CorpusFile, Via};

/// Every secret finding as `path:line`.
fn secret_locations(out: &Outcome) -> BTreeSet<String> {
    out.json()["findings"]
        .as_array()
        .expect("a findings array")
        .iter()
        .filter(|finding| finding["rule"].as_str().is_some_and(|rule| rule.starts_with("sop-4.9/secret")))
        .filter(|finding| !finding["rule"].as_str().is_some_and(|rule| rule.starts_with("sop-4.9/secret-allowlist")))
        .filter_map(|finding| finding["location"].as_str().map(str::to_string))
        .collect()
}

/// Commits `files` on a new branch of a kit sandbox and runs `check --json` there.
fn check_branch_with(files: &[(String, Vec<u8>)]) -> (Sandbox, Outcome) {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "feat/corpus"]);
    for (path, bytes) in files {
        let target = sandbox.path(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, bytes).unwrap();
    }
    sandbox.write("docs/changelog.d/corpus.md", "<!-- section: Added -->\n- corpus\n");
    sandbox.git(&["add", "-A", "-f", "."]);
    sandbox.git(&["commit", "-q", "-m", "feat: corpus"]);
    let out = sandbox.xtask().args(["check", "--json"]).run();
    (sandbox, out)
}

fn write_corpus_for_other_tools(files: &[CorpusFile], dir: &Path) {
    let mut expected = String::from("path\tkind\tline\tblock\tvia\n");
    for file in files {
        let target = dir.join(&file.path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, &file.bytes).unwrap();
        for line in &file.expected {
            expected.push_str(&format!("{}\t{}\t{line}\t{}\t{:?}\n", file.path, file.kind, file.block, file.via));
        }
    }
    std::fs::write(dir.join("expected.tsv"), expected).unwrap();
}

#[test]
fn every_secret_of_the_corpus_is_found_where_it_is_and_nowhere_else() {
    let files = corpus();
    if let Ok(dir) = std::env::var("SOP_SECRETS_CORPUS_DIR") {
        write_corpus_for_other_tools(&files, Path::new(&dir));
    }
    let (_sandbox, out) =
        check_branch_with(&files.iter().map(|file| (file.path.clone(), file.bytes.clone())).collect::<Vec<_>>());
    let found = secret_locations(&out);
    let mut missed = Vec::new();
    for file in files.iter().filter(|file| file.via == Via::Line) {
        for line in &file.expected {
            let hit = (*line..=line + file.block).any(|at| found.contains(&format!("{}:{at}", file.path)));
            if !hit {
                missed.push(format!("{}:{line} ({})", file.path, file.kind));
            }
        }
    }
    assert_eq!(missed, Vec::<String>::new(), "missed secrets; findings:\n{}", out.stdout);
    let extra: Vec<&String> = found
        .iter()
        .filter(|location| {
            let Some((path, line)) = location.rsplit_once(':') else { return true };
            let line: usize = line.parse().unwrap_or(0);
            !files.iter().any(|file| {
                file.path == path && file.expected.iter().any(|start| (*start..=start + file.block).contains(&line))
            })
        })
        .collect();
    assert_eq!(extra, Vec::<&String>::new(), "findings where no secret is:\n{}", out.stdout);
}

/// This project's own sources: real code in Rust, Markdown and TOML, with the scanner's own
/// rules and tests among them.
fn own_sources() -> Vec<(String, Vec<u8>)> {
    let root = project_root();
    let mut files = Vec::new();
    let mut stack = vec![root.join("xtask/src"), root.join("src"), root.join("docs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "rs" || extension == "md" || extension == "toml")
            {
                let relative = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
                files.push((format!("real/{relative}"), std::fs::read(&path).unwrap()));
            }
        }
    }
    files
}

#[test]
fn real_code_raises_no_secret_finding() {
    let files = own_sources();
    assert!(files.len() > 50, "{} files", files.len());
    let (_sandbox, out) = check_branch_with(&files);
    assert_eq!(secret_locations(&out), BTreeSet::new(), "{}", out.stdout);
}
