//! Commands for `hint:` and `next:` lines, built from the repository's real state so that each
//! works when pasted as printed: the base the tool really used (not a stale local `main`), paths
//! valid from any directory of the clone (`:/path` pathspecs), exactly the files a command wrote
//! staged for its commit, `git add -A` for the engineer's own work only when there are untracked
//! files (named in the refusal), `--force-with-lease` only when the upstream is not an ancestor
//! of HEAD, and commit messages of a type the commit-msg hook accepts. One command per returned
//! string.

use git2::{Oid, StatusOptions};

use super::Repo;
use crate::config::Config;
use crate::output::shell_word;

/// The refusal of a command that needs the configured remote `remote` this clone lacks, with
/// the way to add it: from the URL of a remote the clone has (a team that calls it `upstream`
/// where this clone says `origin`), pasteable; else in words, since only the engineer knows the
/// team repository's URL.
pub fn no_remote(repo: &Repo, remote: &str, purpose: &str) -> crate::error::Refusal {
    let refusal = crate::error::Refusal::failed(format!("no remote `{remote}` is configured in this clone{purpose}"));
    match repo.remote_names().first() {
        Some(other) => refusal.hint(format!(
            "the clone has `{other}`; if that is the team repository, add it under the configured name too:\ngit remote add {} \"$(git remote get-url {})\"",
            shell_word(remote),
            shell_word(other)
        )),
        None => refusal.hint(format!(
            "add the team repository under that name, with its URL (`git remote add {remote} <its URL>`), then run the command again"
        )),
    }
}

/// `path` (relative to the root) as a git pathspec that means the same file, and only it, from
/// any directory of the clone: `:/docs/specs/X.md`, one shell word. After `:/` git reads a
/// leading punctuation mark as more magic (`!` and `^` exclude the path, `#`, `~`, `-`, `_`,
/// `@`… are refused as unimplemented), and `*`, `?`, `[`, `\` anywhere as a glob that can name
/// other files too: such a path (`#.env#`) gets the long form that reads it literally,
/// `:(top,literal)#.env#`.
pub fn pathspec(path: &str) -> String {
    let magic = path.starts_with(|c: char| c.is_ascii_punctuation() && c != '.');
    if magic || path.contains(['*', '?', '[', '\\']) {
        shell_word(&format!(":(top,literal){path}"))
    } else {
        shell_word(&format!(":/{path}"))
    }
}

/// `path` (relative to the root) for a program that is not git, from any directory of the clone.
pub fn root_path(path: &str) -> String {
    format!("\"$(git rev-parse --show-toplevel)\"/{}", shell_word(path))
}

/// The one line that moves each of `paths` (relative to the root) into `.git/sop/aside/`, from
/// any directory of the clone: out of the working tree, never committed by mistake, never
/// overwritten (a `/` of the path is written `%2F`; a name taken there, on disk or by another of
/// `paths`, gets `.2`, `.3`…). Returns the folder and the line.
pub fn move_aside(repo: &Repo, paths: &[String]) -> (std::path::PathBuf, String) {
    let aside = repo.sop_dir().join("aside");
    let mut moves = vec![format!("mkdir -p {}", shell_word(&aside.to_string_lossy()))];
    let mut chosen: Vec<std::path::PathBuf> = Vec::new();
    for path in paths {
        let flat = path.replace('/', "%2F");
        let free = std::iter::once(flat.clone())
            .chain((2..100).map(|n| format!("{flat}.{n}")))
            .map(|name| aside.join(name))
            .find(|target| std::fs::symlink_metadata(target).is_err() && !chosen.contains(target))
            .unwrap_or_else(|| aside.join(format!("{flat}.{}", crate::receipts::now_unix_ms())));
        moves.push(format!("mv {} {}", root_path(path), shell_word(&free.to_string_lossy())));
        chosen.push(free);
    }
    (aside, moves.join(" && "))
}

/// How a command names `commit`: the main branch when it points there, else `<remote>/<main>`
/// when that does, else its short id (a stale local `main` is never named for a newer base).
pub fn commit_name(repo: &Repo, config: &Config, commit: Oid) -> String {
    let (main, remote) = (&config.main_branch, &config.remote);
    if repo.raw().refname_to_id(&format!("refs/heads/{main}")).ok() == Some(commit) {
        return shell_word(main);
    }
    if repo.raw().refname_to_id(&format!("refs/remotes/{remote}/{main}")).ok() == Some(commit) {
        return shell_word(&format!("{remote}/{main}"));
    }
    repo.short_id(commit)
}

/// The commit a branch is measured against, named for a command: the newest of `main` and
/// `<remote>/<main>` (as `new-addon`, `check` and `pre-pr` use it), else the configured name.
pub fn base_name(repo: &Repo, config: &Config) -> String {
    match repo.main_commit(&config.main_branch, &config.remote) {
        Ok(commit) => commit_name(repo, config, commit),
        Err(_) => shell_word(&config.main_branch),
    }
}

/// A type the commit-msg hook accepts: `preferred` when it is configured, else `chore`, else the
/// first configured type.
pub fn commit_type<'a>(config: &'a Config, preferred: &str) -> &'a str {
    let find = |wanted: &str| config.commit_types.iter().find(|kind| kind.as_str() == wanted);
    find(preferred).or_else(|| find("chore")).or_else(|| config.commit_types.first()).map_or("chore", String::as_str)
}

/// `<type>: <description>` as one shell word, with a type the hook accepts.
pub fn message(config: &Config, preferred: &str, description: &str) -> String {
    shell_word(&format!("{}: {description}", commit_type(config, preferred)))
}

/// The first commit of the unborn branch `branch`, of the work in the working tree: what a
/// command with nothing to work on before it hints.
pub fn first_commit(config: &Config, branch: &str) -> String {
    format!(
        "git add -A && git commit -m {}",
        message(config, branch.split('/').next().unwrap_or_default(), "first commit")
    )
}

/// Whether the working tree has untracked (not ignored) files, which `git commit -a` leaves out.
pub fn has_untracked(repo: &Repo) -> bool {
    let mut options = StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(false).include_ignored(false).exclude_submodules(true);
    repo.raw()
        .statuses(Some(&mut options))
        .map(|statuses| statuses.iter().any(|entry| entry.status().contains(git2::Status::WT_NEW)))
        .unwrap_or(true)
}

/// Commits every change of the working tree: `git add -A && git commit -m …` when some files are
/// untracked (`-a` would leave them out), else `git commit -am …`.
pub fn commit_all(repo: &Repo, config: &Config, preferred_type: &str, description: &str) -> String {
    let message = message(config, preferred_type, description);
    if has_untracked(repo) {
        format!("git add -A && git commit -m {message}")
    } else {
        format!("git commit -am {message}")
    }
}

/// The untracked (not ignored) files and folders of the working tree, as `git status` lists
/// them: what `git add -A` would sweep into a commit besides the tracked changes.
pub fn untracked(repo: &Repo) -> Vec<String> {
    let mut options = StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(false).include_ignored(false).exclude_submodules(true);
    let Ok(statuses) = repo.raw().statuses(Some(&mut options)) else { return Vec::new() };
    statuses
        .iter()
        .filter(|entry| entry.status().contains(git2::Status::WT_NEW))
        .map(|entry| String::from_utf8_lossy(entry.path_bytes()).into_owned())
        .collect()
}

/// What `git add -A` of [`commit_all`] also commits, for the refusal's `why` line: empty without
/// untracked files, else ` (it also commits the untracked `a.txt`, `notes/`…; to leave them out:
/// `git commit -am …`)`, the first five named.
pub fn untracked_note(repo: &Repo, config: &Config, preferred_type: &str, description: &str) -> String {
    let untracked = untracked(repo);
    if untracked.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = untracked.iter().take(5).map(|path| format!("`{path}`")).collect();
    let more = if untracked.len() > 5 { format!(" and {} more", untracked.len() - 5) } else { String::new() };
    format!(
        " (it also commits the untracked {}{more}; to leave them out: `git commit -am {}`)",
        shown.join(", "),
        message(config, preferred_type, description)
    )
}

/// Stages exactly the files a command wrote (`paths`, root-relative: created, edited or removed)
/// and commits them with `message` (one shell word). Never `git add -A`, which would sweep the
/// engineer's unrelated untracked files into the commit. An untracked file that is removed or
/// ignored is left out: git refuses a pathspec that matches nothing, or only ignored files.
pub fn commit_written<'a>(
    repo: &Repo,
    paths: impl IntoIterator<Item = &'a str>,
    message: &str,
) -> anyhow::Result<String> {
    let mut specs: Vec<String> = Vec::new();
    for path in paths {
        let spec = pathspec(path);
        let tracked = repo.index_file(path)?.is_some();
        if !specs.contains(&spec) && (tracked || (repo.root().join(path).exists() && !repo.is_ignored(path)?)) {
            specs.push(spec);
        }
    }
    Ok(format!("git add {} && git commit -m {message}", specs.join(" ")))
}

/// Pushes `branch` to `remote`, as the refs are now. A plain push when `<remote>/<branch>` is
/// absent or an ancestor of `head`. When it is not: `--force-with-lease` if `head` holds the work
/// of every commit only the upstream has ([`holds_work`]: the branch was rebased since it was
/// pushed, its teammates' commits brought in), which a plain push would have refused; otherwise
/// someone else pushed to the branch, and their commits are brought in first
/// (`git pull --rebase`), never overwritten. The lease names the upstream commit judged here: a
/// bare `--force-with-lease` leases on whatever was fetched last, so a teammate's commit pushed
/// after this judgement, then fetched (any `git fetch`, `prune`'s), would be overwritten.
pub fn push(repo: &Repo, remote: &str, branch: &str, head: Oid) -> String {
    let upstream = repo.raw().refname_to_id(&format!("refs/remotes/{remote}/{branch}")).ok();
    let (remote, shown) = (shell_word(remote), shell_word(branch));
    let Some(upstream) = upstream
        .filter(|upstream| *upstream != head && !repo.raw().graph_descendant_of(head, *upstream).unwrap_or(false))
    else {
        return format!("git push -u {remote} {shown}");
    };
    if holds_work(repo, upstream, head) {
        let lease = format!("--force-with-lease={}", shell_word(&format!("refs/heads/{branch}:{upstream}")));
        format!("git push {lease} -u {remote} {shown}")
    } else {
        format!("git pull --rebase {remote} {shown} && git push -u {remote} {shown}")
    }
}

/// Whether `head` holds the work of every commit only `upstream` has: each is one of `head`'s
/// own commits rewritten ([`only_rewritten`]), or its changes are in `head` already (a commit
/// the main branch took in a squash merge, which a sync then brought in).
pub fn holds_work(repo: &Repo, upstream: Oid, head: Oid) -> bool {
    match unmatched(repo, upstream, head) {
        Ok(unmatched) => unmatched.iter().all(|commit| repo.merged_into(*commit, head).ok().flatten().is_some()),
        Err(_) => false,
    }
}

/// Whether every commit reachable from `upstream` but not `head` has a counterpart among the
/// commits reachable from `head` but not `upstream` (same author time and subject).
pub fn only_rewritten(repo: &Repo, upstream: Oid, head: Oid) -> Result<bool, git2::Error> {
    Ok(unmatched(repo, upstream, head)?.is_empty())
}

/// The commits reachable from `upstream` but not `head` without a counterpart among those
/// reachable from `head` but not `upstream` (same author time and subject).
fn unmatched(repo: &Repo, upstream: Oid, head: Oid) -> Result<Vec<Oid>, git2::Error> {
    let raw = repo.raw();
    let key = |id: Oid| -> Result<(i64, Vec<u8>), git2::Error> {
        let commit = raw.find_commit(id)?;
        let subject = commit.message_bytes().split(|b| *b == b'\n').next().unwrap_or_default().to_vec();
        let when = commit.author().when().seconds();
        Ok((when, subject))
    };
    let walk = |from: Oid, hide: Oid| -> Result<Vec<Oid>, git2::Error> {
        let mut walk = raw.revwalk()?;
        walk.push(from)?;
        walk.hide(hide)?;
        walk.collect()
    };
    let ours: std::collections::HashSet<(i64, Vec<u8>)> =
        walk(head, upstream)?.into_iter().map(key).collect::<Result<_, _>>()?;
    let mut unmatched = Vec::new();
    for theirs in walk(upstream, head)? {
        if !ours.contains(&key(theirs)?) {
            unmatched.push(theirs);
        }
    }
    Ok(unmatched)
}

/// Brings back `path` as it is in the first of `sources` that has it (`HEAD`, the base…):
/// `git checkout <source> -- :/path`. `None` when none of them has the file.
pub fn restore(repo: &Repo, config: &Config, path: &str, sources: &[Oid]) -> Option<String> {
    sources.iter().find(|source| repo.exists_at(**source, path).unwrap_or(false)).map(|source| {
        let name = if repo.head().ok().and_then(|head| head.commit()) == Some(*source) {
            "HEAD".to_string()
        } else {
            commit_name(repo, config, *source)
        };
        format!("git checkout {name} -- {}", pathspec(path))
    })
}

/// The folder of the other worktree of this clone that has `branch` checked out, if one has:
/// git refuses to check out a branch a second time (`'main' is already used by worktree at …`),
/// so a hint never says `git switch <branch>` then.
pub fn checked_out_elsewhere(repo: &Repo, branch: &str) -> Option<std::path::PathBuf> {
    let here = repo.root().canonicalize().unwrap_or_else(|_| repo.root().to_path_buf());
    repo.checked_out_worktrees().remove(branch).filter(|folder| *folder != here)
}

/// Takes this worktree off its branch to `to` (a branch, or a commit id): `git switch <to>`; or,
/// when another worktree has `to` checked out, or `to` is no branch, `git switch --detach <to>`:
/// the same files, on no branch. What a step needs that deletes the branch it leaves.
pub fn switch_away(repo: &Repo, to: &str) -> String {
    let is_branch = repo.raw().refname_to_id(&format!("refs/heads/{to}")).is_ok();
    if is_branch && checked_out_elsewhere(repo, to).is_none() {
        format!("git switch {}", shell_word(to))
    } else {
        format!("git switch --detach {}", shell_word(to))
    }
}

/// The hint of a command refused because the branch `branch` it would create exists: switch to
/// it; or, when another worktree of this clone has it checked out (where git refuses to check it
/// out again), work on it there, its state shown by a command that works from here.
pub fn existing_branch(repo: &Repo, branch: &str) -> String {
    let word = shell_word(branch);
    match checked_out_elsewhere(repo, branch) {
        None => format!("switch to it (or delete it: `git branch -D {word}`):\ngit switch {word}"),
        Some(folder) => {
            let shown = folder.display().to_string();
            format!(
                "it is checked out in the worktree `{shown}`: work on it there (or pick another name); its state:\ngit -C {} status --short --branch",
                shell_word(&shown)
            )
        }
    }
}

/// [`switch_away`] to the main branch: `git switch main` (`git switch -C main <remote>/main` when
/// the local main is only behind the remote's, which brings it up to date); when another worktree has it checked
/// out (this one is a linked worktree), `git switch --detach` to the newest of `main` and
/// `<remote>/<main>`, with `note`, the words that say why: empty, or ` (`main` is checked out in
/// the worktree `…`, so this one goes to its commit, on no branch)`.
pub fn switch_to_main(repo: &Repo, config: &Config) -> (String, String) {
    let main = &config.main_branch;
    // A local main only behind the remote's (stale): switching to it would take the working tree
    // back past the merged work, and git refuses when an uncommitted change is in a file that
    // work added. It is moved up to the remote's on the way (it holds nothing of its own).
    let behind = main_only_behind(repo, config).is_some();
    match checked_out_elsewhere(repo, main) {
        None if behind => (
            format!("git switch -C {} {}", shell_word(main), shell_word(&format!("{}/{main}", config.remote))),
            String::new(),
        ),
        None => (format!("git switch {}", shell_word(main)), String::new()),
        Some(folder) => (
            format!("git switch --detach {}", base_name(repo, config)),
            format!(
                " (`{main}` is checked out in the worktree `{}`, so this one goes to its commit, on no branch)",
                folder.display()
            ),
        ),
    }
}

/// Whether `git switch` from HEAD to `target` would refuse over the uncommitted changes: a
/// changed file that differs between the two commits (git carries a change over only where
/// both commits hold the same file).
pub fn switch_refused_by_changes(repo: &Repo, target: Oid) -> anyhow::Result<bool> {
    let Some(head) = repo.head()?.commit() else { return Ok(false) };
    for path in repo.changed_paths()? {
        let id = |commit: Oid| -> Option<Oid> {
            let tree = repo.raw().find_commit(commit).ok()?.tree().ok()?;
            tree.get_path(std::path::Path::new(&path)).ok().map(|entry| entry.id())
        };
        if id(head) != id(target) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The commit [`switch_to_main`]'s command switches to: the remote's main when the local one is
/// only behind it, else the local main (or the remote's, without one).
pub fn switch_to_main_target(repo: &Repo, config: &Config) -> Option<Oid> {
    let main = &config.main_branch;
    main_only_behind(repo, config)
        .or_else(|| repo.raw().refname_to_id(&format!("refs/heads/{main}")).ok())
        .or_else(|| repo.raw().refname_to_id(&format!("refs/remotes/{}/{main}", config.remote)).ok())
}

/// `<remote>/<main>`'s commit when the local main is only behind it (stale, no commit of its own).
fn main_only_behind(repo: &Repo, config: &Config) -> Option<Oid> {
    let main = &config.main_branch;
    let local = repo.raw().refname_to_id(&format!("refs/heads/{main}")).ok()?;
    let remote = repo.raw().refname_to_id(&format!("refs/remotes/{}/{main}", config.remote)).ok()?;
    (local != remote && repo.raw().graph_descendant_of(remote, local).unwrap_or(false)).then_some(remote)
}

/// The line that sets the uncommitted work (untracked files too) aside in a stash named for
/// `branch`, before a switch git would refuse over it.
pub fn stash_aside(branch: &str) -> String {
    format!("git stash push --include-untracked -m {}", shell_word(&format!("uncommitted work from {branch}")))
}

/// A branch name for commits that are on no branch yet (a detached HEAD, the main branch), from
/// the engineer's own words: `feat: add login` at `commit` gives `feat/add-login`; a name that is
/// taken gets a number. The kind is the commit's type when it is a configured branch kind.
pub fn branch_for(repo: &Repo, config: &Config, commit: Oid) -> String {
    let summary = repo
        .raw()
        .find_commit(commit)
        .ok()
        .map(|commit| String::from_utf8_lossy(commit.message_bytes()).lines().next().unwrap_or_default().to_string())
        .unwrap_or_default();
    let (kind, description) = match summary.split_once(':') {
        Some((kind, description)) => {
            let kind = kind.split(['(', '!']).next().unwrap_or_default().trim().to_string();
            (kind, description.trim().to_string())
        }
        None => (String::new(), summary.clone()),
    };
    let kind = if config.branch_kinds.contains(&kind) {
        kind
    } else {
        config.branch_kinds.first().cloned().unwrap_or_else(|| "feat".into())
    };
    let slug = crate::names::suggest(&description).unwrap_or_else(|| "my-work".into());
    let taken = |name: &str| repo.raw().refname_to_id(&format!("refs/heads/{name}")).is_ok();
    let mut name = format!("{kind}/{slug}");
    let mut n = 2;
    while taken(&name) {
        name = format!("{kind}/{slug}-{n}");
        n += 1;
    }
    shell_word(&name)
}

/// `mv <from> <to>` with root-relative paths, from any folder of the clone; tracked or not
/// (`git mv` refuses a file git does not track), git sees the rename once it is added.
pub fn move_file(from: &str, to: &str) -> String {
    format!("mv {} {}", root_path(from), root_path(to))
}

/// [`move_file`], then the folder of `to` staged: for files `check` reads from the index (the
/// CHANGELOG fragments), where a rename left unstaged is still the old name and the next run
/// reports the same finding. `git add -A` on the folder stages the rename whether or not git
/// tracked the file.
pub fn move_file_staged(from: &str, to: &str) -> String {
    let folder = to.rsplit_once('/').map_or(".", |(folder, _)| folder);
    format!("{} && git add -A -- {}", move_file(from, to), root_path(folder))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_root_relative_and_one_shell_word() {
        assert_eq!(pathspec("docs/specs/X.md"), ":/docs/specs/X.md");
        assert_eq!(pathspec("docs/My Thing.md"), "':/docs/My Thing.md'");
        assert_eq!(root_path(".env"), "\"$(git rev-parse --show-toplevel)\"/.env");
        assert_eq!(root_path("a b"), "\"$(git rev-parse --show-toplevel)\"/'a b'");
        assert_eq!(pathspec(".env~"), "':/.env~'");
        assert_eq!(pathspec("#.env#"), "':(top,literal)#.env#'");
        assert_eq!(pathspec("config/[x].env"), "':(top,literal)config/[x].env'");
    }

    /// A file whose name starts and ends with any ASCII punctuation mark, or any other
    /// character, is exactly the file its pathspec names for git itself, from a subdirectory:
    /// never refused as unknown magic, never an exclusion or a glob that names other files.
    #[test]
    fn a_pathspec_names_only_its_file_whatever_its_punctuation() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let output = std::process::Command::new("git")
                .args(args)
                .current_dir(dir.path().join("sub"))
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", dir.path())
                .output()
                .unwrap();
            (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned(), output.stderr)
        };
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let names: Vec<String> = (b'!'..=b'~')
            .map(char::from)
            .filter(|c| !c.is_ascii_alphanumeric() && *c != '/')
            .chain(['a', 'Z', '0', 'é'])
            .map(|c| format!("{c}x.env{c}"))
            .collect();
        for name in &names {
            std::fs::write(dir.path().join(name), "x\n").unwrap();
        }
        assert!(git(&["init", "-q", ".."]).0);
        assert!(git(&["add", "-A", ":/"]).0);
        for name in &names {
            // The shell word, unquoted as a shell would, is what git receives.
            let word = pathspec(name);
            let spec = word
                .strip_prefix('\'')
                .and_then(|w| w.strip_suffix('\''))
                .map_or(word.clone(), |w| w.replace("'\\''", "'"));
            let (ok, listed, stderr) = git(&["ls-files", "-z", "--full-name", "--", &spec]);
            assert!(ok, "{word}: {}", String::from_utf8_lossy(&stderr));
            assert_eq!(listed, format!("{name}\0"), "{word}");
        }
    }

    #[test]
    fn commit_types_are_the_configured_ones() {
        let mut config = Config::default();
        assert_eq!(commit_type(&config, "feat"), "feat");
        assert_eq!(commit_type(&config, "wip"), "chore", "an unknown type falls back to chore");
        config.commit_types = vec!["fix".into(), "docs".into()];
        assert_eq!(commit_type(&config, "wip"), "fix", "without chore, the first configured type");
        assert_eq!(message(&config, "docs", "release 1.0.0"), "'docs: release 1.0.0'");
    }
}
