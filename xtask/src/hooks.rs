//! The git hooks: installing them (for `onboard`) and running them (`cargo xtask hook <name>`).
//!
//! The committed scripts in `.githooks/` are tiny POSIX `sh` files that only hand over to
//! `cargo xtask hook <name> <git's arguments>` (or to `$LANCELOT_XTASK` when set: a prebuilt
//! binary, and how the tests point the scripts at the binary under test). Every rule lives here:
//! - `commit-msg` rejects a message that is not a conventional commit (the rule is
//!   `check::check_commit_message`, shared with `cargo xtask check`) and shows a good one. It
//!   judges the message git will store: git's cleanup (`check::cleanup`) with the clone's
//!   `commit.cleanup` and `core.commentChar`; git sets `GIT_EDITOR=:` when it opens no editor,
//!   and then comment lines may be kept (`-m`, `-F`) or dropped, so a subject that starts with the
//!   comment character is refused with the reason. `fixup!`/`squash!`/`amend!` subjects pass;
//! - `pre-push` refuses any push to the main branch (SOP 4.7) and runs the `check` rules; the
//!   configured `extra_secret_scanner` only once this clone approved it (`trust.rs`): pushing a
//!   teammate's branch must not run what their `Cargo.toml` names.
//!
//! `onboard` installs them by pointing the clone's `core.hooksPath` at `.githooks/`. Hooks the
//! engineer already had are never touched: their folder is recorded in the clone's
//! `lancelot.previousHooksPath` and run after our checks pass (the scripts do the same when
//! `LANCELOT_SKIP_HOOKS=1` skips our checks). This module never edits the scripts.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use xshell::cmd;

use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::output;
use crate::receipts::{self, Kind, Receipt};

/// The committed folder `core.hooksPath` points at.
pub const HOOKS_DIR: &str = ".githooks";
/// The hooks Lancelot installs; each is a script in [`HOOKS_DIR`].
pub const HOOK_NAMES: [&str; 2] = ["commit-msg", "pre-push"];
/// The clone-local git setting that holds the hooks folder the engineer had before onboarding.
pub const PREVIOUS_HOOKS_KEY: &str = "lancelot.previousHooksPath";
/// Set to anything but `0` to skip the Lancelot hooks for one command (read by the scripts).
pub const SKIP_ENV: &str = "LANCELOT_SKIP_HOOKS";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub hook: Hook,
}

#[derive(Debug, clap::Subcommand)]
pub enum Hook {
    /// git's `commit-msg` hook: rejects a message that is not a conventional commit
    CommitMsg {
        /// The file holding the message (git passes `.git/COMMIT_EDITMSG`)
        file: PathBuf,
    },
    /// git's `pre-push` hook: refuses pushes to the main branch and runs the `check` rules;
    /// reads git's `<local ref> <local sha> <remote ref> <remote sha>` lines on stdin
    PrePush {
        /// The remote's name (or its URL when pushing to a URL)
        remote: String,
        /// The remote's URL
        url: Option<String>,
    },
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    match args.hook {
        Hook::CommitMsg { file } => commit_msg(ctx, &file),
        Hook::PrePush { remote, url } => pre_push(ctx, &remote, url.as_deref()),
    }
}

fn commit_msg(ctx: &Ctx, file: &Path) -> anyhow::Result<()> {
    let path = if file.is_absolute() { file.to_path_buf() } else { ctx.root().join(file) };
    // git always passes a readable file; anything else is bad input (exit 2), not a rejection.
    let raw = std::fs::read(&path).map_err(|error| {
        Refusal::usage(format!("cannot read the commit message file `{}`: {error}", path.display()))
            .hint(format!(
                "this hook reads the file that holds the message being committed; to judge a message by hand, write it to one first: printf 'feat: describe the change\\n' > {file} && cargo xtask hook commit-msg {file}",
                file = "\"$(git rev-parse --git-path COMMIT_EDITMSG)\""
            ))
    })?;
    let raw = String::from_utf8_lossy(&raw);
    // During a merge the message is git's own `Merge branch …`: SOP 4.6 allows merge commits
    // when necessary, and `pre-pr` may create one, so it is not ours to reject.
    if ctx.repo.git_dir().join("MERGE_HEAD").exists() {
        return run_previous_hook(ctx, "commit-msg", &[file.display().to_string()], &[]);
    }
    let settings = MessageSettings {
        cleanup: ctx.repo.hook_config_string("commit.cleanup"),
        comment: ctx
            .repo
            .hook_config_string("core.commentChar")
            .or_else(|| ctx.repo.hook_config_string("core.commentString")),
        // git sets `GIT_EDITOR=:` for the hook when it opens no editor (`-m`, `-F`).
        editor: if std::env::var_os("GIT_EDITOR").is_some_and(|editor| editor == ":") {
            Editor::Unknown
        } else {
            Editor::Used
        },
    };
    if let Err(rejection) = judge(&raw, &settings, &ctx.config) {
        // Never the rejected subject in clear: it may hold the token the engineer pasted.
        let subject = crate::check::shown_subject(raw.lines().find(|line| !line.trim().is_empty()).unwrap_or_default());
        let receipt = Receipt::new("hook", Kind::Failure, "commit-msg hook rejected a commit message")
            .reason(rejection.reason.clone())
            .detail(serde_json::to_value(CommitDetail { hook: "commit-msg", subject: &subject })?);
        receipts::append(&ctx.repo, receipt)?;
        // The retry commits what this commit would have: `-v` when git put the diff below a
        // scissors line (so it is cut again), and `-a` and paths staged only in git's
        // temporary index, which is gone once the hook refused.
        let verbose = if crate::check::has_verbose_diff(&raw, &comment_prefix(settings.comment.as_deref(), &raw)) {
            " -v"
        } else {
            ""
        };
        // An amended commit is amended again, not followed by a new one.
        let commit = if amending(&|alias| ctx.repo.config_string(&format!("alias.{alias}"))) {
            "commit --amend"
        } else {
            "commit"
        };
        let file_arg = format!("{}{verbose}{}", message_file_argument(ctx, &path), paths_argument(ctx));
        let hint = match rejection.fix {
            Fix::Edit => format!("edit the message you wrote and commit again: git {commit} -e -F {file_arg}"),
            Fix::DropComments => {
                format!("commit it without the comment lines: git -c commit.cleanup=strip {commit} -F {file_arg}")
            }
            Fix::RewriteSubject(comment) => format!(
                "write the subject without the leading `{comment}`, starting with its type ({}): git {commit} -e -F {file_arg}",
                ctx.config.commit_types.join(", ")
            ),
        };
        return Err(Refusal::failed(format!("commit message rejected: {}", rejection.reason)).hint(hint).into());
    }
    run_previous_hook(ctx, "commit-msg", &[file.display().to_string()], &[])
}

/// Whether the commit being judged is a `git commit --amend`. git tells a commit-msg hook nothing
/// of it, so the hook reads the command line of the `git` process it runs under (its parent, or
/// the parent of the `cargo` that started it), through `/proc` on Linux; an alias of `commit`
/// (`git ci --amend`) is read through `alias` (`git config alias.<name>`). Elsewhere, or when
/// that cannot be read, `false`: the retry hint then makes a new commit.
fn amending(alias: &dyn Fn(&str) -> Option<String>) -> bool {
    #[cfg(target_os = "linux")]
    {
        let mut pid = std::os::unix::process::parent_id();
        for _ in 0..4 {
            let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
            let args: Vec<String> =
                cmdline.split(|byte| *byte == 0).map(|arg| String::from_utf8_lossy(arg).into_owned()).collect();
            if let Some(amends) = git_commit_amends(&args, alias) {
                return amends;
            }
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
            // `pid (comm) state ppid …`: the name may hold spaces and parentheses.
            let parent = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok());
            match parent {
                Some(parent) if parent > 1 => pid = parent,
                _ => return false,
            }
        }
    }
    let _ = alias;
    false
}

/// For a `git [options] <command> …` command line, whether it is a commit that amends
/// (`--amend`, or an abbreviation git accepts: `--am`, `--ame`, `--amen`), the command `commit`
/// or an alias of it; `None` for any other program than git.
fn git_commit_amends(args: &[String], alias: &dyn Fn(&str) -> Option<String>) -> Option<bool> {
    let program = args.first()?.rsplit('/').next()?;
    if program != "git" {
        return None;
    }
    // git's own options before the command; those that take a value take the next word.
    let mut rest = args[1..].iter();
    let command = loop {
        let word = rest.next()?;
        match word.as_str() {
            "-c" | "-C" | "--git-dir" | "--work-tree" | "--namespace" | "--exec-path" => {
                rest.next();
            }
            option if option.starts_with('-') => {}
            command => break command.to_string(),
        }
    };
    let mut words: Vec<String> = rest.cloned().collect();
    if command != "commit" {
        // Another command (a rebase's reword runs the hook too): not an amend.
        let Some(expansion) = alias(&command) else { return Some(false) };
        let mut expanded = expansion.split_whitespace().map(str::to_string);
        if expanded.next().as_deref() != Some("commit") {
            return Some(false);
        }
        words.splice(0..0, expanded);
    }
    let options = words.iter().take_while(|arg| *arg != "--");
    Some(options.into_iter().any(|arg| arg.len() >= 4 && "--amend".starts_with(arg.as_str())))
}

/// What `git commit` took beyond the index (`-a`, `-i <paths>`, `<paths>`), as the arguments that
/// take it again (`-i -- <paths>`, `-- <paths>`), with a leading space; empty for a plain commit.
fn paths_argument(ctx: &Ctx) -> String {
    let Some(index) = std::env::var_os("GIT_INDEX_FILE") else { return String::new() };
    let (flag, paths) = match ctx.repo.commit_in_progress_paths(Path::new(&index)) {
        Some(crate::git::CommitPaths::Include(paths)) => (" -i", paths),
        Some(crate::git::CommitPaths::Only(paths)) => ("", paths),
        None => return String::new(),
    };
    if paths.is_empty() {
        return String::new();
    }
    // A name git would read as pathspec magic (`:memo.txt`, `:(top)x`) is given literally.
    let words: Vec<String> = paths
        .iter()
        .map(|path| output::shell_word(&if path.starts_with(':') { format!(":(literal){path}") } else { path.clone() }))
        .collect();
    format!("{flag} -- {}", words.join(" "))
}

/// The message file as a `git commit -F` argument valid from any directory of the clone:
/// `"$(git rev-parse --git-path COMMIT_EDITMSG)"` for git's own file, else its quoted path.
fn message_file_argument(ctx: &Ctx, path: &Path) -> String {
    let in_git_dir = path.parent().is_some_and(|parent| same_path(parent, ctx.repo.git_dir()));
    match path.file_name().and_then(|name| name.to_str()) {
        Some(name) if in_git_dir && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') => {
            format!("\"$(git rev-parse --git-path {name})\"")
        }
        _ => format!("'{}'", path.display().to_string().replace('\'', "'\\''")),
    }
}

/// Whether git opened the editor for this commit (it then drops comment lines by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Editor {
    Used,
    /// `GIT_EDITOR` is `:`: git set it because it opens no editor (`-m`, `-F`), or the engineer
    /// set it themselves and git "edited" with it. The two store different messages.
    Unknown,
}

/// What decides how git stores the message: `commit.cleanup`, `core.commentChar`, the editor.
#[derive(Debug, Clone)]
struct MessageSettings {
    cleanup: Option<String>,
    comment: Option<String>,
    editor: Editor,
}

/// Why the hook refused, and the way out its hint shows.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rejection {
    reason: String,
    fix: Fix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Fix {
    /// Edit the message in the editor and commit again.
    Edit,
    /// The message is fine once git's comment lines are dropped: commit with `strip` cleanup.
    DropComments,
    /// The subject starts with the comment prefix: rewrite it.
    RewriteSubject(String),
}

/// Judges the raw message file the way git will store it (`check::cleanup`). With the default
/// cleanup and no way to tell whether git opened the editor, both ways are judged; when they
/// differ in the subject (it starts with the comment prefix) the hook refuses and says why.
fn judge(raw: &str, settings: &MessageSettings, config: &crate::config::Config) -> Result<(), Rejection> {
    use crate::check::Cleanup;
    let comment = comment_prefix(settings.comment.as_deref(), raw);
    let edit = |reason: String| Rejection { reason, fix: Fix::Edit };
    let judged = |message: &str| -> Result<(), String> {
        // An empty message is refused here too: git refuses one itself, except with
        // `--allow-empty-message`, which no hook can see and `check` then rejects.
        // `fixup!`, `squash!` and `amend!` commits are for `git rebase --autosquash`.
        if crate::check::autosquash_prefix(message).is_some() {
            return Ok(());
        }
        crate::check::check_commit_message(message, config)
    };
    let mode = settings.cleanup.as_deref().map(str::to_ascii_lowercase);
    // git cuts at the scissors line for `-v` and for the `scissors` mode with the editor only.
    let cut = settings.editor == Editor::Used
        && (mode.as_deref() == Some("scissors") || crate::check::has_verbose_diff(raw, &comment));
    let cleanup = |raw: &str, mode: Cleanup| crate::check::cleanup_with(raw, mode, &comment, cut);
    let mode = match mode.as_deref() {
        Some("strip") => Some(Cleanup::Strip),
        Some("whitespace" | "scissors") => Some(Cleanup::Whitespace),
        Some("verbatim") => Some(Cleanup::Verbatim),
        // `default` (and unset): strip with the editor, whitespace without.
        _ if settings.editor == Editor::Used => Some(Cleanup::Strip),
        _ => None,
    };
    if let Some(mode) = mode {
        return judged(&cleanup(raw, mode)).map_err(edit);
    }
    // Without the editor and without `commit.cleanup`, git cleans whitespace unless the command
    // line says `--cleanup=verbatim`, which no hook can see: a leading blank line would then be
    // stored as an empty subject, which `check` rejects once the commit exists.
    let first = raw.split('\n').next().unwrap_or_default();
    if first.trim().is_empty() && !raw.trim().is_empty() {
        return Err(edit(
            "the message starts with a blank line: git keeps it under `--cleanup=verbatim`, which this hook cannot see, and the subject would be empty; start the message with its subject".into(),
        ));
    }
    let kept = cleanup(raw, Cleanup::Whitespace);
    let dropped = cleanup(raw, Cleanup::Strip);
    if kept == dropped {
        return judged(&kept).map_err(edit);
    }
    if kept.starts_with(comment.as_str()) {
        let subject = kept.lines().next().unwrap_or_default();
        let shown = crate::check::shown_subject(subject);
        let stripped_ok = !dropped.trim().is_empty() && judged(&dropped).is_ok();
        let reason = format!(
            "its first line `{shown}` starts with `{comment}`, git's comment character: `git commit -m` and `-F` keep that line as the subject, the editor drops it as a comment, and this hook cannot tell which git is doing"
        );
        return Err(Rejection {
            reason,
            fix: if stripped_ok { Fix::DropComments } else { Fix::RewriteSubject(comment) },
        });
    }
    judged(&kept).map_err(edit)?;
    judged(&dropped).map_err(|reason| {
        edit(format!(
            "{reason} (once git drops the lines starting with `{comment}`, as it does when it opens the editor)"
        ))
    })
}

/// The receipt's detail of the commit-msg hook.
#[derive(serde::Serialize)]
struct CommitDetail<'a> {
    hook: &'static str,
    subject: &'a str,
}

/// The receipt's detail of the pre-push hook: the remote (redacted), and what happened.
#[derive(serde::Serialize)]
struct PushDetail<'a> {
    hook: &'static str,
    remote: &'a str,
    #[serde(flatten)]
    pushed: Pushed<'a>,
}

impl<'a> PushDetail<'a> {
    fn new(remote: &'a str, pushed: Pushed<'a>) -> PushDetail<'a> {
        PushDetail { hook: "pre-push", remote, pushed }
    }
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum Pushed<'a> {
    /// Refused: a push to the main branch (the URL redacted).
    Url { url: Option<&'a str> },
    /// Stopped: `check` failed.
    Findings { findings: &'a [crate::check::Finding] },
    /// Passed: the refs pushed.
    Refs { refs: &'a [String] },
}

fn pre_push(ctx: &Ctx, remote: &str, url: Option<&str>) -> anyhow::Result<()> {
    use std::io::Read as _;
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).context("failed to read the refs git is pushing (stdin)")?;
    let updates = parse_push_lines(&String::from_utf8_lossy(&input));
    // What is shown and recorded: a push to `https://user:token@host/x` names no credential.
    // The engineer's own hook still gets git's arguments as they are.
    let (shown_remote, shown_url) = (crate::redact::url(remote), url.map(crate::redact::url));
    let main = &ctx.config.main_branch;
    let main_ref = format!("refs/heads/{main}");
    // The remote as a command names it: a remote's name or a URL without credentials pastes as
    // printed; a URL that carries a credential is never printed, so no command names it.
    let pasted_remote = (shown_remote == remote).then(|| output::shell_word(remote));

    if updates.iter().any(|update| update.remote_ref == main_ref) {
        let receipt = Receipt::new("hook", Kind::Failure, format!("pre-push hook refused a push to `{main}`"))
            .reason("SOP 4.7: no direct commits to the main branch; changes land through pull requests")
            .detail(serde_json::to_value(PushDetail::new(&shown_remote, Pushed::Url { url: shown_url.as_deref() }))?);
        receipts::append(&ctx.repo, receipt)?;
        return Err(Refusal::failed(format!(
            "pushing to `{main}` is not allowed: changes land on `{main}` through pull requests (SOP 4.7)"
        ))
        .hint(main_push_hint(ctx, &updates, &main_ref, pasted_remote.as_deref(), &shown_remote))
        .into());
    }

    // Any ref that sends commits is checked: a tag or `refs/pull/…` reaches the remote as
    // surely as a branch does (deletions send nothing).
    if updates.iter().any(|update| !update.is_deletion()) {
        check_push(ctx, &updates, &shown_remote, pasted_remote.as_deref())?;
    }

    let mut hook_args = vec![remote.to_string()];
    hook_args.extend(url.map(str::to_string));
    run_previous_hook(ctx, "pre-push", &hook_args, &input)
}

/// `check` on the commits a push sends: a failure stops the push (its findings on stderr, a
/// receipt, the way past it); a pass leaves a receipt naming the refs.
fn check_push(
    ctx: &Ctx,
    updates: &[PushUpdate],
    shown_remote: &str,
    pasted_remote: Option<&str>,
) -> anyhow::Result<()> {
    let head = ctx.repo.head()?;
    let on_main = head.branch_name() == Some(ctx.config.main_branch.as_str());
    // The branch rules (its fragment, its slices) judge the checked-out branch: they apply when
    // that branch is among those pushed, never to a push of other refs, which they would judge
    // by the wrong branch. The secret scan below reads every pushed commit either way.
    let head_ref = head.branch_name().map(|name| format!("refs/heads/{name}"));
    let pushes_a_branch = updates.iter().any(|update| {
        !update.is_deletion()
            && update.remote_ref.starts_with("refs/heads/")
            && head_ref.as_deref() == Some(update.local_ref.as_str())
    });
    // The secret scanner reads every commit being pushed, not only HEAD's: a branch's, a tag's
    // (an annotated tag peeled to its commit), any ref's.
    let pushed: Vec<git2::Oid> = updates
        .iter()
        .filter(|update| !update.is_deletion())
        .filter_map(|update| git2::Oid::from_str(&update.local_sha).ok())
        .filter_map(|oid| ctx.repo.commit_of(oid))
        .collect();
    let options = crate::check::Options { branch_rules: !on_main && pushes_a_branch };
    let report = crate::check::evaluate_push(ctx, &options, &pushed)?.redacted();
    print_skipped_scanner(&report);
    if !report.is_ok() {
        print_findings(&report);
        let receipt = Receipt::new("hook", Kind::Failure, "pre-push hook stopped a push: `cargo xtask check` failed")
            .reason(format!("{} problem(s) found", report.errors()))
            .detail(serde_json::to_value(PushDetail::new(
                shown_remote,
                Pushed::Findings { findings: &report.findings },
            ))?);
        receipts::append(&ctx.repo, receipt)?;
        return Err(Refusal::failed(format!(
            "the push was stopped: `cargo xtask check` found {} problem(s), listed above",
            report.errors()
        ))
        .hint(skip_hint(ctx, updates, pasted_remote))
        .into());
    }
    let refs: Vec<String> =
        updates.iter().map(|update| format!("{} -> {}", update.local_ref, update.remote_ref)).collect();
    let receipt = Receipt::new("hook", Kind::Job, format!("pre-push checks passed for a push to `{shown_remote}`"))
        .detail(serde_json::to_value(PushDetail::new(shown_remote, Pushed::Refs { refs: &refs }))?);
    receipts::append(&ctx.repo, receipt)?;
    Ok(())
}

/// How commits pushed to the main branch get there instead: a branch named from the pushed
/// commit's own subject, cut at that commit; the local main branch put back where the remote has
/// it, when that is what was pushed (else it keeps the commits, and the next slice cut from it
/// carries them); and the branch pushed — one command a line.
fn main_push_hint(ctx: &Ctx, updates: &[PushUpdate], main_ref: &str, remote: Option<&str>, shown: &str) -> String {
    let update = updates.iter().find(|update| update.remote_ref == main_ref);
    let commit = update.and_then(|update| git2::Oid::from_str(&update.local_sha).ok());
    let Some(commit) = commit.filter(|commit| !commit.is_zero()) else {
        return "changes land on the main branch through pull requests; push a branch instead".to_string();
    };
    let branch = crate::git::hint::branch_for(&ctx.repo, &ctx.config, commit);
    let main = &ctx.config.main_branch;
    // The remote's commit, when the local main branch is what was pushed and this clone has it.
    let theirs = update
        .filter(|update| remote.is_some() && update.local_ref == format!("refs/heads/{main}"))
        .and_then(|update| git2::Oid::from_str(&update.remote_sha).ok())
        .filter(|theirs| !theirs.is_zero() && ctx.repo.commit_of(*theirs).is_some());
    let mut hint = format!(
        "move your commits to a branch{} and push that:\ngit switch -c {branch} {}",
        if theirs.is_some() { ", put the main branch back where the remote has it," } else { "" },
        ctx.repo.short_id(commit)
    );
    if let Some(theirs) = theirs {
        hint.push_str(&format!("\ngit branch -f {} {}", output::shell_word(main), ctx.repo.short_id(theirs)));
    }
    match remote {
        Some(remote) => hint.push_str(&format!("\ngit push -u {remote} {branch}")),
        None => hint.push_str(&format!("\nthen push `{branch}` to {shown} as you pushed before")),
    }
    hint
}

/// The way past a failed pre-push check: fix the findings, or the same push once without the
/// Lancelot checks, spelled out with its refs so it pastes.
fn skip_hint(ctx: &Ctx, updates: &[PushUpdate], remote: Option<&str>) -> String {
    let sending: Vec<&PushUpdate> = updates.iter().filter(|update| !update.is_deletion()).collect();
    // A ref the push replaces rather than fast-forwards was pushed with force: the command
    // keeps that, leased to what the remote had, or git rejects it as a non-fast-forward.
    let leases: Vec<String> = sending
        .iter()
        .filter(|update| {
            let (Ok(local), Ok(theirs)) =
                (git2::Oid::from_str(&update.local_sha), git2::Oid::from_str(&update.remote_sha))
            else {
                return false;
            };
            !theirs.is_zero() && !ctx.repo.is_merged(theirs, local)
        })
        .map(|update| output::shell_word(&format!("--force-with-lease={}:{}", update.remote_ref, update.remote_sha)))
        .collect();
    let refspecs: Vec<String> = sending
        .iter()
        .map(|update| output::shell_word(&format!("{}:{}", update.local_ref, update.remote_ref)))
        .collect();
    let flags: String = leases.iter().map(|lease| format!("{lease} ")).collect();
    match remote {
        Some(remote) if !refspecs.is_empty() => format!(
            "fix each finding (its `hint:` lines above) and push again; or push once without the Lancelot checks:\n{SKIP_ENV}=1 git push {flags}{remote} {}",
            refspecs.join(" ")
        ),
        _ => format!("fix each finding (its `hint:` lines above) and push again; or push once with {SKIP_ENV}=1 set"),
    }
}

/// Says so when the configured extra scanner did not run (not approved in this clone): the push
/// goes on with the built-in rules, and the engineer knows why the scanner was silent.
fn print_skipped_scanner(report: &crate::check::Report) {
    let paint = output::Paint::stderr();
    let skipped = report
        .findings
        .iter()
        .filter(|f| f.rule == "sop-4.9/extra-scanner" && f.severity == crate::check::Severity::Warning);
    for finding in skipped {
        output::warning(&finding.message);
        for line in finding.hint.lines() {
            errln!("    {} {line}", paint.cyan_bold("hint:"));
        }
    }
}

/// The errors that stopped the push, on stderr (git shows it), as `check` prints them.
fn print_findings(report: &crate::check::Report) {
    let errors = report.findings.iter().filter(|f| f.severity == crate::check::Severity::Error);
    err!("{}", crate::check::render_findings(errors, output::Paint::stderr()));
}

/// Runs the hook the engineer had before onboarding, with git's arguments and stdin. Its
/// failure fails ours: it was guarding something, and chaining must not weaken it.
fn run_previous_hook(ctx: &Ctx, name: &str, args: &[String], stdin: &[u8]) -> anyhow::Result<()> {
    let Some(hook) = previous_hook(ctx, name)? else { return Ok(()) };
    cmd!(ctx.sh, "{hook} {args...}").stdin(stdin).quiet().run().map_err(|error| {
        anyhow::Error::new(
            Refusal::failed(format!("your own `{name}` hook `{}` failed", hook.display()))
                .hint(format!("it ran after the Lancelot checks because `{PREVIOUS_HOOKS_KEY}` points at it; fix what it reported above")),
        )
        .context(error.to_string())
    })
}

/// The engineer's own executable hook `name` recorded at onboarding, if there is one.
pub fn previous_hook(ctx: &Ctx, name: &str) -> anyhow::Result<Option<PathBuf>> {
    let Some(value) = ctx.repo.local_config_string(PREVIOUS_HOOKS_KEY)? else { return Ok(None) };
    let dir = ctx.repo.resolve_hooks_path(&value);
    // Never run our own scripts again: that would loop.
    if same_path(&dir, &ctx.root().join(HOOKS_DIR)) {
        return Ok(None);
    }
    let hook = dir.join(name);
    Ok(is_executable(&hook).then_some(hook))
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Whether git would run this file as a hook: a regular file, executable on Unix.
pub fn is_executable(path: &Path) -> bool {
    let Ok(metadata) = std::fs::metadata(path) else { return false };
    if !metadata.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// What onboarding finds about the hooks of this clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HooksState {
    /// `core.hooksPath` already points at `.githooks/`.
    Installed { previous: Option<String>, unchained: Vec<String> },
    /// Not installed yet; `previous` is the hooks folder to chain, if the engineer had hooks.
    NotInstalled { previous: Option<String>, unchained: Vec<String> },
    /// The committed scripts are missing or not executable: installing would install nothing.
    Broken { problem: String, fix: String },
}

/// Looks at the committed scripts, `core.hooksPath` and the engineer's existing hooks.
pub fn inspect(ctx: &Ctx) -> anyhow::Result<HooksState> {
    let ours = ctx.root().join(HOOKS_DIR);
    for name in HOOK_NAMES {
        let script = ours.join(name);
        let relative = format!("{HOOKS_DIR}/{name}");
        if !script.is_file() {
            let config = &ctx.config;
            return Ok(HooksState::Broken {
                problem: format!("`{relative}` is missing from the working tree"),
                // A root pathspec: the fix works from any folder of the clone.
                fix: format!(
                    "git checkout {} -- {}",
                    crate::output::shell_word(&format!("{}/{}", config.remote, config.main_branch)),
                    crate::git::hint::pathspec(HOOKS_DIR)
                ),
            });
        }
        if !is_executable(&script) {
            return Ok(HooksState::Broken {
                problem: format!("`{relative}` is not executable, so git would ignore it"),
                // From any folder: the globs are the shell's, so they start at the root.
                fix: format!(
                    "chmod +x {root}/{HOOKS_DIR}/* && git update-index --chmod=+x {root}/{HOOKS_DIR}/*",
                    root = "\"$(git rev-parse --show-toplevel)\""
                ),
            });
        }
    }
    // `core.autocrlf` (or a `* text eol=crlf` attribute) checks the scripts out with CRLF: `sh`
    // then reads `#!/bin/sh\r` and every command with a `\r`, and git's hook fails. Only those
    // scripts are fixed, never the folder (a hook of the engineer's own there is kept): one that
    // is the committed script but for its line ends is checked out again as committed (LF, its
    // mode, nothing left to commit); one with a change of its own keeps it, its line ends
    // converted in place.
    let mut checkout = Vec::new();
    let mut convert = Vec::new();
    for name in HOOK_NAMES {
        let Ok(bytes) = crate::git::sparse::read_regular(&ours.join(name)) else { continue };
        if !bytes.contains(&b'\r') {
            continue;
        }
        let relative = format!("{HOOKS_DIR}/{name}");
        let committed = ctx.repo.index_file(&relative)?;
        let stripped: Vec<u8> = String::from_utf8_lossy(&bytes).replace("\r\n", "\n").into_bytes();
        match committed == Some(stripped) {
            true => checkout.push(relative),
            false => convert.push(relative),
        }
    }
    if !checkout.is_empty() || !convert.is_empty() {
        let at_root = |relative: &String| format!("\"$(git rev-parse --show-toplevel)\"/{relative}");
        let mut fixes = Vec::new();
        if !checkout.is_empty() {
            let files: Vec<String> = checkout.iter().map(at_root).collect();
            let specs: Vec<String> = checkout.iter().map(|relative| crate::git::hint::pathspec(relative)).collect();
            fixes.push(format!(
                "rm -f {} && git -c core.autocrlf=false -c core.eol=lf checkout -- {}",
                files.join(" "),
                specs.join(" ")
            ));
        }
        if !convert.is_empty() {
            let files: Vec<String> = convert.iter().map(at_root).collect();
            fixes.push(format!("perl -pi -e 's/\\r$//' {}", files.join(" ")));
        }
        let named: Vec<String> = checkout.iter().chain(&convert).map(|relative| format!("`{relative}`")).collect();
        let one = named.len() == 1;
        return Ok(HooksState::Broken {
            problem: format!(
                "{} {} Windows line endings (CRLF, as `core.autocrlf` checks files out), so `sh` cannot run {}",
                named.join(", "),
                if one { "has" } else { "have" },
                if one { "it" } else { "them" }
            ),
            fix: fixes.join(" && "),
        });
    }

    let local = ctx.repo.local_config_string("core.hooksPath")?;
    if local.as_deref().is_some_and(|value| points_at_ours(ctx, value)) {
        let previous = ctx.repo.local_config_string(PREVIOUS_HOOKS_KEY)?;
        let unchained =
            previous.as_deref().map(|p| unchained_hooks(&ctx.repo.resolve_hooks_path(p))).unwrap_or_default();
        return Ok(HooksState::Installed { previous, unchained });
    }
    // The effective value may come from the global config (a hooks manager, a company-wide
    // folder): the local setting we are about to write would hide it, so it is chained.
    let previous = match ctx.repo.config_string("core.hooksPath").filter(|value| !points_at_ours(ctx, value)) {
        Some(configured) => Some(configured),
        None => {
            let default = ctx.repo.default_hooks_dir();
            if has_hooks(&default) {
                let relative = default.strip_prefix(ctx.root()).map(Path::to_path_buf).unwrap_or(default);
                Some(relative.to_string_lossy().into_owned())
            } else {
                None
            }
        }
    };
    let unchained = previous.as_deref().map(|p| unchained_hooks(&ctx.repo.resolve_hooks_path(p))).unwrap_or_default();
    Ok(HooksState::NotInstalled { previous, unchained })
}

/// Points `core.hooksPath` at `.githooks/` and records the hooks folder to chain.
pub fn install(ctx: &Ctx, previous: Option<&str>) -> anyhow::Result<()> {
    match previous {
        Some(previous) => ctx.repo.set_local_config(PREVIOUS_HOOKS_KEY, previous)?,
        None => ctx.repo.unset_local_config(PREVIOUS_HOOKS_KEY)?,
    }
    ctx.repo.set_local_config("core.hooksPath", HOOKS_DIR)
}

fn points_at_ours(ctx: &Ctx, value: &str) -> bool {
    value.trim_end_matches('/') == HOOKS_DIR
        || same_path(&ctx.repo.resolve_hooks_path(value), &ctx.root().join(HOOKS_DIR))
}

/// Hook files in `dir` (git's samples do not count).
fn hook_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| is_executable(&entry.path()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !name.ends_with(".sample") && !name.starts_with('.'))
        .collect();
    names.sort();
    names
}

fn has_hooks(dir: &Path) -> bool {
    !hook_files(dir).is_empty()
}

/// The engineer's hooks that stop running once `core.hooksPath` moves: ours only chain the
/// hooks of the same name.
fn unchained_hooks(dir: &Path) -> Vec<String> {
    hook_files(dir).into_iter().filter(|name| !HOOK_NAMES.contains(&name.as_str())).collect()
}

/// The comment prefix git uses: `core.commentChar`, `#` by default. With `auto` git picks the
/// first of `#;@!$%^&|:` that starts no line of the message, then writes its own comment lines
/// with it: the prefix is the last of the run of candidates, from `#`, that start a line.
fn comment_prefix(configured: Option<&str>, raw: &str) -> String {
    match configured {
        Some(value) if value.eq_ignore_ascii_case("auto") => {
            let starts = |c: char| raw.starts_with(c) || raw.contains(&format!("\n{c}"));
            let run = "#;@!$%^&|:".chars().take_while(|c| starts(*c)).last();
            run.unwrap_or('#').to_string()
        }
        Some(value) if !value.is_empty() => value.to_string(),
        _ => "#".to_string(),
    }
}

/// One line of git's pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PushUpdate {
    local_ref: String,
    local_sha: String,
    remote_ref: String,
    /// What the remote has at `remote_ref` now (zeros: nothing).
    remote_sha: String,
}

impl PushUpdate {
    /// A push that deletes the remote ref (`git push origin :branch`).
    fn is_deletion(&self) -> bool {
        !self.local_sha.is_empty() && self.local_sha.bytes().all(|b| b == b'0')
    }
}

fn parse_push_lines(input: &str) -> Vec<PushUpdate> {
    input
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let update = PushUpdate {
                local_ref: fields.next()?.to_string(),
                local_sha: fields.next()?.to_string(),
                remote_ref: fields.next()?.to_string(),
                remote_sha: fields.next()?.to_string(),
            };
            Some(update)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_amend_is_read_from_gits_command_line_in_every_spelling_git_accepts() {
        let alias = |name: &str| match name {
            "ci" => Some("commit -v".to_string()),
            "fix" => Some("commit --amend --no-edit".to_string()),
            "st" => Some("status".to_string()),
            _ => None,
        };
        let amends = |line: &str| {
            let args: Vec<String> = line.split(' ').map(str::to_string).collect();
            super::git_commit_amends(&args, &alias)
        };
        for line in [
            "git commit --amend -m x",
            "/usr/bin/git -c core.editor=vi commit -q --amen",
            "git commit --am",
            "git commit -a --ame --no-edit",
            "git -C /some/where ci --amend",
            "git fix",
        ] {
            assert_eq!(amends(line), Some(true), "{line}");
        }
        for line in
            ["git commit -m --amend-later", "git commit -- --amend", "git commit -a", "git commit --a", "git ci -m x"]
        {
            assert_eq!(amends(line), Some(false), "{line}");
        }
        assert_eq!(amends("git rebase --continue"), Some(false));
        assert_eq!(amends("git st --amend"), Some(false));
        assert_eq!(amends("git unknown --amend"), Some(false));
        assert_eq!(amends("cargo xtask hook commit-msg"), None);
        assert_eq!(amends("gitk commit --amend"), None);
    }

    use super::*;

    const ZERO: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn parses_git_pre_push_lines() {
        let input = format!(
            "refs/heads/feat/x 1111111111111111111111111111111111111111 refs/heads/feat/x {ZERO}\n(delete) {ZERO} refs/heads/old 2222222222222222222222222222222222222222\n\ngarbage\n"
        );
        let updates = parse_push_lines(&input);
        assert_eq!(updates.len(), 2);
        assert_eq!(updates[0].local_ref, "refs/heads/feat/x");
        assert_eq!(updates[0].remote_ref, "refs/heads/feat/x");
        assert!(!updates[0].is_deletion());
        assert_eq!(updates[1].remote_ref, "refs/heads/old");
        assert!(updates[1].is_deletion());
    }

    fn settings(cleanup: Option<&str>, comment: Option<&str>, editor: Editor) -> MessageSettings {
        MessageSettings { cleanup: cleanup.map(str::to_string), comment: comment.map(str::to_string), editor }
    }

    fn judged(raw: &str, settings: &MessageSettings) -> Result<(), Rejection> {
        judge(raw, settings, &crate::config::Config::default())
    }

    /// Proves the hook judges what git will store: comment lines count only when git keeps them.
    #[test]
    fn the_hook_judges_the_message_git_will_store() {
        let editor = settings(None, None, Editor::Used);
        let no_editor = settings(None, None, Editor::Unknown);
        // The editor's template and the `-v` diff are not part of the message.
        let edited = "feat: add x\n\nbody line  \n# Please enter the commit message\n# ------------------------ >8 ------------------------\ndiff --git a b\n";
        assert_eq!(judged(edited, &editor), Ok(()));
        assert_eq!(judged(edited, &no_editor), Ok(()));
        // `git commit -m "#42 fix login"` stores `#42 fix login`: refused, and why.
        let rejection = judged("#42 fix login\n", &no_editor).unwrap_err();
        assert!(rejection.reason.contains("starts with `#`, git's comment character"), "{}", rejection.reason);
        assert_eq!(rejection.fix, Fix::RewriteSubject("#".into()));
        // A comment line above a good subject: fine only once git drops it.
        let rejection = judged("# note\nfeat: x\n", &no_editor).unwrap_err();
        assert_eq!(rejection.fix, Fix::DropComments);
        assert_eq!(judged("# note\nfeat: x\n", &settings(Some("strip"), None, Editor::Unknown)), Ok(()));
        // verbatim and whitespace keep comment lines: the subject is `#…`.
        assert!(judged("# note\nfeat: x\n", &settings(Some("verbatim"), None, Editor::Used)).is_err());
        assert!(judged("# note\nfeat: x\n", &settings(Some("whitespace"), None, Editor::Used)).is_err());
        // With the editor, the default cleanup drops them.
        assert_eq!(judged("# note\nfeat: x\n", &editor), Ok(()));
        // A leading blank line without the editor: `--cleanup=verbatim` would keep it as the
        // subject, and no hook can see that flag; with the editor git drops it.
        let rejection = judged("\nfeat: x\n", &no_editor).unwrap_err();
        assert!(rejection.reason.contains("starts with a blank line"), "{}", rejection.reason);
        assert_eq!(judged("\nfeat: x\n", &editor), Ok(()));
        // A comment line between subject and body matters either way it is stored.
        assert!(judged("feat: x\n# note\nbody\n", &no_editor).is_err());
        // core.commentChar: `;` lines are comments, `#` lines are text.
        let semicolon = settings(None, Some(";"), Editor::Used);
        assert_eq!(judged("; note\nfix: y\n", &semicolon), Ok(()));
        assert!(judged("#42 fix login\n", &semicolon).is_err());
        // An empty message is refused (git refuses one too, except with `--allow-empty-message`,
        // and `check` then rejects the commit); autosquash subjects pass.
        assert!(judged("# only a comment\n\n", &editor).is_err());
        assert!(judged("", &no_editor).is_err());
        for subject in ["fixup! feat: x", "squash! feat: x", "amend! feat: x"] {
            assert_eq!(judged(subject, &no_editor), Ok(()), "{subject}");
        }
        // CRLF from a Windows editor: git's cleanup trims the CRs.
        assert_eq!(judged("feat: x\r\n\r\nbody\r\n", &no_editor), Ok(()));
        assert!(judged("\u{feff}feat: x\n", &no_editor).unwrap_err().reason.contains("U+FEFF"));
    }

    #[test]
    fn the_comment_prefix_is_gits() {
        assert_eq!(comment_prefix(None, "x"), "#");
        assert_eq!(comment_prefix(Some(";"), "x"), ";");
        assert_eq!(comment_prefix(Some("//"), "x"), "//");
        // auto: the character git picked, which its own comment lines start with.
        assert_eq!(comment_prefix(Some("auto"), "feat: x\n# Please enter\n"), "#");
        assert_eq!(comment_prefix(Some("auto"), "#42 fix\n; Please enter\n"), ";");
        assert_eq!(comment_prefix(Some("auto"), "feat: x\n"), "#");
    }
}
