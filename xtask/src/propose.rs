//! `cargo xtask propose`: pushes the branch and opens its pull request, reusing the last passing
//! `pre-pr` when HEAD and the tree are the ones it verified (`.git/sop/verified.json`), so the
//! engineer never waits for the same verify twice.
//!
//! It refuses on main, on a branch with no commits main lacks, and on a commit `pre-pr` has not
//! verified, or verified only in part (`pre-pr --scope`: CI runs everything, so a PR needs the
//! full verify; the hint runs it, reusing the verify cache where it can). The push is `--force-with-lease`, leased on the commit the
//! remote-tracking branch had when last fetched — never a plain force — and only when every commit
//! the remote has and the branch lacks is one of the branch's own, rewritten by a sync; a
//! teammate's commits there are brought in first (`cargo xtask sync`), never overwritten. A push
//! that fails for another reason (the remote unreachable, credentials, signing) is told apart
//! from one git rejected, and its hint shows where it pushes, not a sync. The PR
//! is opened with `gh pr create --body-file` when `gh` is installed; otherwise the forge's compare
//! URL, derived from the remote, is printed.

use serde::{Deserialize, Serialize};
use xshell::cmd;

use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::git::sync::PushFailed;
use crate::lock::RunLock;
use crate::output::{DryRunArg, JsonArg, Report};
use crate::receipts::{self, Kind, Receipt};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Push only; do not open the pull request
    #[arg(long)]
    pub no_open: bool,

    #[command(flatten)]
    pub dry_run: DryRunArg,

    #[command(flatten)]
    pub json: JsonArg,
}

const COMMAND: &str = "propose";
const VERIFIED_FILE: &str = "verified.json";
/// 2: `scope` recorded (a version-1 record may be of a `--scope` run: never reused).
const VERIFIED_VERSION: u32 = 2;

/// What a passing `pre-pr` verified, for `propose` to reuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    pub version: u32,
    pub branch: String,
    /// The commit verified (its tree was clean: `pre-pr` verifies committed work only).
    pub head: String,
    /// The verify commands, as configured.
    pub commands: Vec<Vec<String>>,
    /// With `pre-pr --scope`, the packages verify was narrowed to; `None`: everything was verified.
    pub scope: Option<Vec<String>>,
    /// The PR body it wrote, from the repository root, and its title.
    pub body: String,
    pub title: String,
}

/// Called by `pre-pr` when every step passed: what it verified. `propose` pushes only a recorded
/// verify, so a record that cannot be written is an error of the run, not a detail.
pub fn record_verified(
    ctx: &Ctx,
    branch: &str,
    head: git2::Oid,
    scope: Option<Vec<String>>,
    body: &str,
    title: &str,
) -> anyhow::Result<()> {
    let verified = Verified {
        version: VERIFIED_VERSION,
        branch: branch.to_string(),
        head: head.to_string(),
        commands: ctx.config.verify.clone(),
        scope,
        body: body.to_string(),
        title: title.to_string(),
    };
    let text = serde_json::to_string_pretty(&verified)?;
    crate::plan::write_regenerable(&ctx.repo.sop_dir().join(VERIFIED_FILE), text.as_bytes())
}

/// The last verify, if it is of exactly this HEAD with today's verify commands. Uncommitted
/// changes do not matter: only HEAD's commits are pushed.
fn reusable(ctx: &Ctx, branch: &str, head: git2::Oid) -> Option<Verified> {
    let path = ctx.repo.sop_dir().join(VERIFIED_FILE);
    let text = std::fs::read_to_string(&path).ok()?;
    let verified = serde_json::from_str::<Verified>(&text).ok()?;
    let fresh = verified.version == VERIFIED_VERSION
        && verified.branch == branch
        && verified.head == head.to_string()
        && verified.commands == ctx.config.verify
        && ctx.root().join(&verified.body).is_file();
    fresh.then_some(verified)
}

/// `propose --json`.
#[derive(Debug, Serialize)]
struct ProposeReport<'a> {
    dry_run: bool,
    branch: &'a str,
    /// The commit pushed (or to push).
    commit: String,
    /// How it was pushed: `--force-with-lease`, or a first push.
    push: &'a str,
    /// `gh`, the compare URL, or null when neither.
    pr: Option<String>,
}

impl Report for ProposeReport<'_> {
    const VERSION: u32 = 1;
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let dry_run = args.dry_run.dry_run;
    let (remote, main) = (&ctx.config.remote, &ctx.config.main_branch);
    // HEAD mid-rebase or mid-merge is not the commit pre-pr verified, nor one to push.
    ctx.repo.ensure_no_operation_in_progress()?;
    let head = ctx.repo.head()?;
    let (Some(branch), Some(commit)) = (head.branch_name().map(str::to_string), head.commit()) else {
        return Err(Refusal::usage("HEAD is not on a branch: there is nothing to propose")
            .hint("find your slice's branch, then switch to it:\ncargo xtask status --all")
            .into());
    };
    if branch == *main {
        return Err(Refusal::usage(format!("you are on `{main}`: a pull request proposes a branch"))
            .hint("find your slice's branch, then switch to it:\ncargo xtask status --all")
            .into());
    }
    let base = ctx.repo.main_commit(main, remote)?;
    if ctx.repo.ahead_behind(commit, base).0 == 0 {
        return Err(Refusal::usage(format!("`{branch}` has no commits `{main}` lacks: there is nothing to propose"))
            .hint(format!(
                "commit your work first:\n{}",
                crate::git::hint::commit_all(&ctx.repo, &ctx.config, "feat", "describe the change")
            ))
            .into());
    }
    if ctx.repo.remote_url(remote).is_none() {
        return Err(crate::git::hint::no_remote(&ctx.repo, remote, ": there is nowhere to push").into());
    }
    let Some(verified) = reusable(ctx, &branch, commit) else {
        return Err(Refusal::failed(format!(
            "`pre-pr` has not verified `{branch}` at {} (with today's verify commands): verify it first",
            ctx.repo.short_id(commit)
        ))
        .hint("verify, then propose:\ncargo xtask pre-pr\ncargo xtask propose")
        .into());
    };
    if let Some(packages) = &verified.scope {
        return Err(Refusal::failed(format!(
            "`pre-pr --scope` verified only {} (and their dependents) at {}: a pull request needs the full verify",
            packages.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
            ctx.repo.short_id(commit)
        ))
        .hint("verify everything, then propose:\ncargo xtask pre-pr\ncargo xtask propose")
        .into());
    }
    let lease = lease(ctx, remote, &branch, commit)?;
    let pr = if args.no_open { None } else { Some(pr_target(ctx, remote, main, &branch)) };
    if dry_run {
        return report(ctx, &args, &branch, commit, &lease, pr.as_ref().map(PrTarget::describe), true);
    }
    let _lock = RunLock::acquire(&ctx.repo, COMMAND)?;
    if let Err(failed) = crate::git::sync::push_leased(&ctx.sh, remote, &branch, lease.expected)? {
        return Err(push_failed(remote, &branch, lease.expected, failed));
    }
    let opened = match &pr {
        Some(PrTarget::Gh) => Some(open_with_gh(ctx, &verified, main, &branch)?),
        Some(other) => Some(other.describe()),
        None => None,
    };
    let receipt = Receipt::new(COMMAND, Kind::StateChange, format!("proposed `{branch}`"))
        .detail(serde_json::json!({ "commit": commit.to_string(), "pr": opened, "lease": lease.describe }));
    receipts::append(&ctx.repo, receipt)?;
    report(ctx, &args, &branch, commit, &lease, opened, false)
}

/// A push that did not go through. Rejected (the remote has commits the lease does not allow):
/// bring them in, verify, propose again. Failed for any other reason (network, URL, credentials,
/// signing, a hook on the remote): syncing would not help, so the hint shows where it pushes
/// and tries the same push without sending anything.
fn push_failed(remote: &str, branch: &str, expected: Option<git2::Oid>, failed: PushFailed) -> anyhow::Error {
    let message = match failed {
        PushFailed::Rejected(status) => {
            return Refusal::failed(format!("the push of `{branch}` was refused: {status}"))
                .hint("bring in what is on the remote, verify, and propose again:\ncargo xtask sync\ncargo xtask pre-pr\ncargo xtask propose")
                .into()
        }
        PushFailed::Failed(message) => message,
    };
    let (lease, refspec) = crate::git::sync::push_leased_args(branch, expected);
    let word = crate::output::shell_word;
    Refusal::failed(format!(
        "the push of `{branch}` to `{remote}` failed: {message}; it was not refused as out of date, so syncing would not help"
    ))
    .hint(format!(
        "check where it pushes and that you may push there (network, URL, credentials, commit signing): these show it; fix that, then propose again:\ngit remote get-url --push {}\ngit push --dry-run {} {} {}\ncargo xtask propose",
        word(remote),
        word(&lease),
        word(remote),
        word(&refspec)
    ))
    .into()
}

/// The push's lease: the remote branch's commit as last fetched (or "must not exist").
struct Lease {
    expected: Option<git2::Oid>,
    describe: &'static str,
}

/// Refuses when the remote branch holds commits that are not the branch's own rewritten ones.
fn lease(ctx: &Ctx, remote: &str, branch: &str, head: git2::Oid) -> anyhow::Result<Lease> {
    let Some(theirs) = ctx.repo.remote_tracking_commit(remote, branch) else {
        return Ok(Lease { expected: None, describe: "first push" });
    };
    if ctx.repo.holds_upstream(head, theirs) {
        return Ok(Lease { expected: Some(theirs), describe: "--force-with-lease" });
    }
    Err(Refusal::failed(format!(
        "`{remote}/{branch}` has commits `{branch}` lacks (a teammate's?): pushing would drop them"
    ))
    .hint("bring them in, verify, and propose again:\ncargo xtask sync\ncargo xtask pre-pr\ncargo xtask propose")
    .into())
}

/// Where the PR gets opened.
enum PrTarget {
    Gh,
    Url(String),
    Nowhere,
}

impl PrTarget {
    fn describe(&self) -> String {
        match self {
            PrTarget::Gh => "gh pr create".into(),
            PrTarget::Url(url) => url.clone(),
            PrTarget::Nowhere => "the remote's forge is unknown: open the pull request there".into(),
        }
    }
}

fn pr_target(ctx: &Ctx, remote: &str, main: &str, branch: &str) -> PrTarget {
    if crate::pre_pr::find_program("gh").is_some() {
        return PrTarget::Gh;
    }
    match ctx.repo.remote_url(remote).and_then(|url| compare_url(&url, main, branch)) {
        Some(url) => PrTarget::Url(url),
        None => PrTarget::Nowhere,
    }
}

fn open_with_gh(ctx: &Ctx, verified: &Verified, main: &str, branch: &str) -> anyhow::Result<String> {
    let (title, body) = (&verified.title, &verified.body);
    let output = cmd!(ctx.sh, "gh pr create --title {title} --body-file {body} --base {main} --head {branch}")
        .ignore_status()
        .output()?;
    if output.status.success() {
        let url = String::from_utf8_lossy(&output.stdout).trim().to_string();
        return Ok(if url.is_empty() { "opened with gh".into() } else { url });
    }
    // The body's full path: the hint is pasted from wherever the engineer is in the clone.
    let body_path = ctx.root().join(body).display().to_string();
    Err(Refusal::failed(format!(
        "the branch is pushed, but `gh pr create` failed: {}",
        String::from_utf8_lossy(&output.stderr).trim()
    ))
    .hint(format!(
        "open it by hand once gh works (`gh auth status`):\ngh pr create --title {} --body-file {} --base {} --head {}",
        crate::output::shell_word(title),
        crate::output::shell_word(&body_path),
        crate::output::shell_word(main),
        crate::output::shell_word(branch)
    ))
    .into())
}

/// The forge's page that opens a pull request of `branch` into `main`, from the remote's URL:
/// GitHub (and GitHub-like hosts), GitLab and Bitbucket; `None` for a local path or an unknown
/// form. Credentials in the URL are dropped.
pub fn compare_url(remote_url: &str, main: &str, branch: &str) -> Option<String> {
    let url = remote_url.trim().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    let (host, path) = if let Some(rest) = url.split_once("://").map(|(_, rest)| rest) {
        let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        let (host, path) = rest.split_once('/')?;
        (host.split(':').next()?.to_string(), path.to_string())
    } else if let Some((user_host, path)) = url.split_once(':') {
        if user_host.contains('/') || path.starts_with('/') || path.starts_with('\\') {
            return None;
        }
        (user_host.rsplit_once('@').map_or(user_host, |(_, host)| host).to_string(), path.to_string())
    } else {
        return None;
    };
    if host.is_empty() || path.split('/').filter(|part| !part.is_empty()).count() < 2 {
        return None;
    }
    Some(if host.contains("gitlab") {
        format!("https://{host}/{path}/-/merge_requests/new?merge_request[source_branch]={branch}&merge_request[target_branch]={main}")
    } else if host.contains("bitbucket") {
        format!("https://{host}/{path}/pull-requests/new?source={branch}&dest={main}")
    } else {
        format!("https://{host}/{path}/compare/{main}...{branch}?expand=1")
    })
}

fn report(
    ctx: &Ctx,
    args: &Args,
    branch: &str,
    commit: git2::Oid,
    lease: &Lease,
    pr: Option<String>,
    dry_run: bool,
) -> anyhow::Result<()> {
    if args.json.json {
        return crate::output::json(&ProposeReport {
            dry_run,
            branch,
            commit: commit.to_string(),
            push: lease.describe,
            pr,
        });
    }
    let short = ctx.repo.short_id(commit);
    let verb = if dry_run { "Would push" } else { "Pushed" };
    outln!(
        "{} `{branch}` at {short} ({}), verified by pre-pr",
        crate::output::Paint::stdout().green_bold(verb),
        lease.describe
    );
    match pr {
        Some(pr) if pr.starts_with("http") && !dry_run => outln!("open the pull request: {pr}"),
        Some(pr) => outln!("pull request: {pr}"),
        None => {}
    }
    if dry_run {
        outln!("next: cargo xtask propose");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::compare_url;

    /// The compare URL of the usual remote forms, and none for a local path.
    #[test]
    fn compare_urls_from_remote_urls() {
        let github = "https://github.com/acme/lancelot/compare/main...feat/x?expand=1";
        // Assembled, so the repository holds no URL with a credential the secret scanner flags.
        let with_credentials = ["https://user", ":tok@github.com/acme/lancelot"].concat();
        for url in [
            "https://github.com/acme/lancelot.git",
            with_credentials.as_str(),
            "git@github.com:acme/lancelot.git",
            "ssh://git@github.com:22/acme/lancelot.git",
        ] {
            assert_eq!(compare_url(url, "main", "feat/x").as_deref(), Some(github), "{url}");
        }
        assert!(compare_url("git@gitlab.com:acme/lancelot.git", "main", "feat/x")
            .unwrap()
            .contains("/-/merge_requests/new"));
        for local in ["/srv/git/origin.git", "../origin.git", "file:///srv/origin.git", "C:\\repos\\origin"] {
            assert_eq!(compare_url(local, "main", "feat/x"), None, "{local}");
        }
    }
}
