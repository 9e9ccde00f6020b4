//! A closed stdout (`cargo xtask status | head -1`): every command exits quietly (0) instead of
//! panicking with exit 101 ("failed printing to stdout: Broken pipe"), and a command that
//! writes still finishes its work (plan, receipt) when its reader has gone.

use std::io::BufRead as _;
use std::process::{Child, Stdio};

use crate::support::Sandbox;

/// The commands the issue names, each with enough output to meet the closed pipe.
const READERS: &[&[&str]] = &[
    &["status"],
    &["status", "--json"],
    &["check"],
    &["new-addon", "scheduler", "--dry-run"],
    &["receipts"],
    &["graph"],
];

/// A sandbox with a receipt or two, so `receipts` prints a table rather than one line.
fn sandbox() -> Sandbox {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["branch", "feat", "warmup"]).success();
    sandbox.git(&["checkout", "-q", "main"]);
    sandbox
}

fn assert_quiet(args: &[&str], child: Child) {
    let output = child.wait_with_output().expect("the xtask binary finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "`{}` panicked on a closed pipe:\n{stderr}", args.join(" "));
    assert_eq!(output.status.code(), Some(0), "`{}` on a closed pipe:\n{stderr}", args.join(" "));
}

/// Deterministic: the read end is closed before the process starts, so its very first write to
/// stdout fails with EPIPE. Before the output layer, every one of these exited 101.
#[test]
fn every_reader_exits_quietly_when_stdout_is_closed_from_the_start() {
    let sandbox = sandbox();
    let before = sandbox.snapshot();
    for args in READERS {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let mut command = sandbox.xtask().args(*args).command();
        command.stdin(Stdio::null()).stdout(writer).stderr(Stdio::piped());
        assert_quiet(args, command.spawn().expect("the xtask binary starts"));
    }
    assert_eq!(sandbox.snapshot(), before, "reading commands on a closed pipe change nothing");
}

/// The shape engineers type, `| head -1`: one line is read, then the reader goes away.
#[test]
fn every_reader_exits_quietly_under_head_1() {
    let sandbox = sandbox();
    for args in READERS {
        let mut command = sandbox.xtask().args(*args).command();
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("the xtask binary starts");
        let mut first = String::new();
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
        stdout.read_line(&mut first).expect("a first line");
        assert!(!first.is_empty(), "`{}` printed nothing", args.join(" "));
        drop(stdout);
        assert_quiet(args, child);
    }
}

/// A command that writes does not stop half-way when its reader goes: `new-addon` with a closed
/// stdout still creates its branch and files and records its receipt, and exits 0.
#[test]
fn a_writing_command_finishes_its_work_on_a_closed_pipe() {
    let sandbox = Sandbox::with_kit();
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let args = ["new-addon", "scheduler", "--yes"];
    let mut command = sandbox.xtask().args(args).command();
    command.stdin(Stdio::null()).stdout(writer).stderr(Stdio::piped());
    assert_quiet(&args, command.spawn().expect("the xtask binary starts"));
    assert_eq!(sandbox.current_branch(), "feat/scheduler");
    assert!(sandbox.exists("src/core/scheduler.rs"));
    let receipts = sandbox.read(".git/sop/receipts.jsonl");
    assert!(receipts.contains("new-addon"), "the receipt is written:\n{receipts}");
}

/// `2>&1 | head -1` closes stderr too: a refusal still exits with its own code (2 for a bad
/// name, never 101) and a reader's run exits 0, with both streams closed from the start.
#[test]
fn both_streams_closed_keep_the_exit_code() {
    let sandbox = sandbox();
    for (args, code) in [(&["new-addon", "--dry-run", "a b!"][..], 2), (&["status"][..], 0), (&["check"][..], 0)] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let stderr = writer.try_clone().expect("a second handle on the pipe");
        let mut command = sandbox.xtask().args(args).command();
        command.stdin(Stdio::null()).stdout(writer).stderr(stderr);
        let status = command.status().expect("the xtask binary runs");
        assert_eq!(status.code(), Some(code), "`{}` with stdout and stderr closed", args.join(" "));
    }
}
