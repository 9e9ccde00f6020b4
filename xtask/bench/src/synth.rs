//! The synthetic repository `bench` measures: deterministic, built in a temp dir in seconds.
//!
//! Its base is a copy of this repository's kit (`src/`, `tests/`, `templates/`, `docs/` and the
//! top-level files), with N add-ons made the way `new-addon` makes them — the same templates,
//! names, registry and marker lines and edit functions, the four documents, the flag, the module
//! and the tests — rendered in memory instead of by N runs of the command. A quarter of the specs
//! stay Draft (with their `TODO(sop)` placeholders, as scaffolded); the others are filled in and
//! Approved, In Progress or Complete, each frozen one with its freeze record.
//!
//! History: one `git fast-import` process writes it all (fixed author, committer and dates, so the
//! commit ids are the same on every machine): the main branch (one commit holding the kit and the
//! add-ons), `feat/synthetic-slice` (one commit adding one more add-on: a typical branch) and
//! `feat/synthetic-history` (M commits: one adding an add-on, then M − 1 conventional commits
//! editing its module), whose range is what the commit rules read.
//!
//! Nothing here touches the engineer's repository: it only reads the kit from it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use xshell::Shell;

use xtask::check::frozen::FreezeRecord;
use xtask::config::{self, Config};
use xtask::docs::{self, Status, PLACEHOLDER};
use xtask::git::scratch as git;
use xtask::names::{self, Names};
use xtask::render::{addon_context, Dependency, Details, Templates};

/// The folders and files of the kit copied into the synthetic repository (`Cargo.toml` apart).
const KIT_DIRS: &[&str] = &["src", "tests", "templates", "docs"];
const KIT_FILES: &[&str] = &["CHANGELOG.md", ".env.example", ".gitignore", "README.md"];

/// Fixed dates (2026-01-01T00:00:00Z, then one minute per commit): the same ids everywhere.
const EPOCH: u64 = 1_767_225_600;
const IDENTITY: &str = "Lancelot Bench <bench@example.invalid>";
const DATE: &str = "2026-01-01";

/// The add-on each branch adds, and the one `new-addon` creates during the bench.
pub const SLICE_ADDON: &str = "synthetic slice";
pub const HISTORY_ADDON: &str = "synthetic history";
pub const NEW_ADDON: &str = "synthetic new";

/// What was built.
pub struct Synthetic {
    pub main: String,
    /// One commit on top of the main branch.
    pub slice_branch: String,
    /// `commits` commits on top of the main branch.
    pub history_branch: String,
    /// Add-ons on the main branch (the kit's own included).
    pub addons: usize,
    /// Tracked files on the main branch.
    pub files: usize,
}

/// A file of the synthetic tree.
#[derive(Clone)]
struct Entry {
    bytes: Vec<u8>,
    executable: bool,
}

/// A whole tree in memory: `/`-separated path → file.
#[derive(Clone, Default)]
struct Tree {
    files: BTreeMap<String, Entry>,
}

impl Tree {
    fn insert(&mut self, path: &str, text: String) {
        self.files.insert(path.to_string(), Entry { bytes: text.into_bytes(), executable: false });
    }
}

/// `bench aaaa`, `bench aaab`, …: letters only, because a digit would merge into the word before
/// it when the feature name is split again (`Bench12` → `bench12`, not `bench-12`), and every name
/// must survive that round trip the way real ones do. Four letters give 456,976 names.
pub fn addon_name(index: u32) -> String {
    let mut letters = [b'a'; 4];
    let mut rest = index;
    for letter in letters.iter_mut().rev() {
        *letter = b'a' + (rest % 26) as u8;
        rest /= 26;
    }
    format!("bench {}", String::from_utf8_lossy(&letters))
}

/// The status of the `index`-th add-on: a mature repository has specs in every state, most of
/// them finished, a few fresh drafts.
fn status_of(index: u32) -> Status {
    match index % 10 {
        0..=4 => Status::Complete,
        5 | 6 => Status::InProgress,
        7 | 8 => Status::Approved,
        _ => Status::Draft,
    }
}

/// The branch kind and commit type the synthetic branches use: `feat` when configured.
fn preferred<'a>(allowed: &'a [String], wanted: &'a str) -> &'a str {
    allowed.iter().find(|value| *value == wanted).or(allowed.first()).map_or(wanted, String::as_str)
}

/// Builds the repository in `root` (created here) with `addons` add-ons and a branch of
/// `commits` commits. `sh` runs in `root`.
pub fn build(
    kit: &Path,
    config: &Config,
    sh: &Shell,
    root: &Path,
    addons: u32,
    commits: u32,
) -> anyhow::Result<Synthetic> {
    std::fs::create_dir_all(root).with_context(|| format!("failed to create `{}`", root.display()))?;
    let templates = Templates::load(kit)?;
    let kind = preferred(&config.branch_kinds, "feat").to_string();

    let mut main_tree = Tree::default();
    copy_kit(kit, config, &mut main_tree)?;
    let mut previous: Option<Names> = None;
    for index in 0..addons {
        let names = Names::derive(&addon_name(index), &kind, config)
            .map_err(|error| anyhow::anyhow!("the synthetic name `{}` is refused: {error}", addon_name(index)))?;
        // Every eighth slice builds on the one before it, as real slices do.
        let depends_on = match &previous {
            Some(before) if index % 8 == 0 => vec![Dependency {
                feature: before.feature.clone(),
                file: names::doc_file_name(config, "Spec", &before.feature),
            }],
            _ => Vec::new(),
        };
        let status = status_of(index);
        scaffold(&mut main_tree, &templates, config, &names, depends_on, status)?;
        if status.is_frozen() {
            let spec = &main_tree.files[&names.spec].bytes;
            let file_name = names.spec.rsplit('/').next().unwrap_or(&names.spec);
            let record = FreezeRecord { hash: xtask::check::frozen::spec_hash(spec)? };
            main_tree.insert(&FreezeRecord::path(config, file_name), record.render(file_name));
        }
        previous = Some(names);
    }

    let mut stream = Stream::default();
    let main = config.main_branch.clone();
    let main_mark = stream.commit(&main, 0, "chore: the synthetic repository for cargo xtask bench", None);
    for (path, entry) in &main_tree.files {
        stream.modify(path, entry)?;
    }

    let commit_type = preferred(&config.commit_types, "feat").to_string();
    let slice = Names::derive(SLICE_ADDON, &kind, config).map_err(|error| anyhow::anyhow!("{error}"))?;
    let (slice_tree, touched) = branch_tree(&main_tree, &templates, config, &slice)?;
    stream.commit(&slice.branch, 1, &format!("{commit_type}: add {} skeleton", slice.slug), Some(main_mark));
    for path in &touched {
        stream.modify(path, &slice_tree.files[path])?;
    }

    let history = Names::derive(HISTORY_ADDON, &kind, config).map_err(|error| anyhow::anyhow!("{error}"))?;
    let (history_tree, touched) = branch_tree(&main_tree, &templates, config, &history)?;
    stream.commit(&history.branch, 1, &format!("{commit_type}: add {} skeleton", history.slug), Some(main_mark));
    for path in &touched {
        stream.modify(path, &history_tree.files[path])?;
    }
    // The later commits rewrite the branch's small worklog, not a file in a folder of N add-ons:
    // every commit rewrites the folders above the file it changes, and a folder of a thousand
    // entries rewritten ten thousand times would make fast-import the slowest part of the bench.
    let worklog = worklog_path(&history);
    for number in 2..=commits {
        let message = history_message(number, &history.slug, &config.commit_types);
        stream.commit(&history.branch, u64::from(number), &message, None);
        stream.modify(&worklog, &Entry { bytes: worklog_text(&history, number).into_bytes(), executable: false })?;
    }
    stream.out.extend_from_slice(b"done\n");

    git::init(sh, &main)?;
    git::fast_import(sh, stream.out)?;
    // The first checkout.
    git::reset_hard(sh)?;
    Ok(Synthetic {
        main,
        slice_branch: slice.branch,
        history_branch: history.branch,
        addons: addons as usize + count_kit_addons(kit, config),
        files: git::tracked_files(sh)?,
    })
}

fn count_kit_addons(kit: &Path, config: &Config) -> usize {
    xtask::addons::Inventory::load(kit, config).map(|inventory| inventory.addons.len()).unwrap_or(0)
}

/// A conventional message per commit, cycling through the configured types, some with a body
/// and a footer, so the parser sees every part of the grammar.
fn history_message(number: u32, slug: &str, types: &[String]) -> String {
    let kind = if types.is_empty() { "feat" } else { types[number as usize % types.len()].as_str() };
    match number % 3 {
        0 => format!("{kind}({slug}): step {number}"),
        1 => format!("{kind}: step {number} of the synthetic history\n\nWhy: the bench needs a long branch.\n"),
        _ => format!("{kind}({slug})!: step {number}\n\nA body line.\n\nRefs: #{number}\n"),
    }
}

/// A branch's tree: the main branch's plus one add-on, scaffolded the way `new-addon` does, and
/// the branch's worklog. Returns the tree and the paths the branch adds or changes.
fn branch_tree(
    main: &Tree,
    templates: &Templates,
    config: &Config,
    names: &Names,
) -> anyhow::Result<(Tree, Vec<String>)> {
    let mut tree = main.clone();
    let mut touched = scaffold(&mut tree, templates, config, names, Vec::new(), Status::Draft)?;
    let worklog = worklog_path(names);
    tree.insert(&worklog, worklog_text(names, 1));
    touched.push(worklog);
    Ok((tree, touched))
}

/// A small file each synthetic branch adds and its later commits rewrite.
fn worklog_path(names: &Names) -> String {
    format!("docs/worklog/{}.md", names.slug)
}

fn worklog_text(names: &Names, revision: u32) -> String {
    format!(
        "# Worklog: {}

Revision {revision} of the synthetic branch `{}`.
",
        names.title, names.branch
    )
}

/// The files `new-addon` creates for one add-on (its `build_plan`, into the tree instead of a
/// plan); a non-Draft spec is filled in (no placeholders left) and moved to `status`. A slice
/// only adds files, so nothing shared is edited. Returns the paths it created.
fn scaffold(
    tree: &mut Tree,
    templates: &Templates,
    config: &Config,
    names: &Names,
    depends_on: Vec<Dependency>,
    status: Status,
) -> anyhow::Result<Vec<String>> {
    let details = Details {
        summary: format!("The synthetic {} add-on that cargo xtask bench measures.", names.title),
        include: vec![format!("the {} module and its receipts", names.snake)],
        exclude: vec!["anything outside its module".to_string()],
        depends_on,
        date: DATE.to_string(),
    };
    let render =
        |kind: &str| templates.render(kind, &addon_context(names, config, &details, templates.get(kind).version));
    let mut created = Vec::new();
    for (kind, path) in names.documents() {
        let mut text = render(kind)?;
        if status != Status::Draft {
            // What an engineer does before approving: every placeholder filled in.
            text = text.replace(PLACEHOLDER, "Filled in");
            if kind == "spec" {
                text = docs::set_status(&text, status.as_str())
                    .with_context(|| format!("the rendered `{path}` has no `**Status:**` line"))?;
            }
        }
        tree.insert(path, text);
        created.push(path.to_string());
    }
    tree.insert(&names.module, render("module")?);
    tree.insert(&names.integration_test, render("integration_test")?);
    let fragment = xtask::changelog::fragment_path(&names.slug);
    tree.insert(&fragment, xtask::changelog::render_fragment("Added", &render("changelog_entry")?));
    created.extend([names.module.clone(), names.integration_test.clone(), fragment]);
    Ok(created)
}

/// Copies the kit from the engineer's repository; `Cargo.toml` gets the synthetic settings.
fn copy_kit(kit: &Path, config: &Config, tree: &mut Tree) -> anyhow::Result<()> {
    for dir in KIT_DIRS {
        copy_dir(kit, &kit.join(dir), tree)?;
    }
    for file in KIT_FILES {
        let path = kit.join(file);
        if path.is_file() {
            copy_file(kit, &path, tree)?;
        }
    }
    tree.insert("Cargo.toml", synthetic_manifest(kit, config)?);
    Ok(())
}

fn copy_dir(kit: &Path, dir: &Path, tree: &mut Tree) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", dir.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to read `{}`", dir.display()))?;
        let path = entry.path();
        if entry.file_name() == "target" {
            continue;
        }
        let kind = entry.file_type().with_context(|| format!("failed to read `{}`", path.display()))?;
        if kind.is_dir() {
            copy_dir(kit, &path, tree)?;
        } else if kind.is_file() {
            copy_file(kit, &path, tree)?;
        }
    }
    Ok(())
}

fn copy_file(kit: &Path, path: &Path, tree: &mut Tree) -> anyhow::Result<()> {
    let relative = path.strip_prefix(kit).unwrap_or(path).to_string_lossy().replace('\\', "/");
    let bytes = std::fs::read(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    tree.files.insert(relative, Entry { bytes, executable: is_executable(path) });
    Ok(())
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|metadata| metadata.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    false
}

/// The kit's `Cargo.toml` as the synthetic repository's: the workspace without the xtask (it is
/// not copied), and the verify commands replaced by `true`, so `pre-pr`'s own time is what shows.
fn synthetic_manifest(kit: &Path, config: &Config) -> anyhow::Result<String> {
    let mut manifest = config::manifest_table(&kit.join("Cargo.toml"))?;
    let workspace = table_at(&mut manifest, "workspace")?;
    if let Some(toml::Value::Array(members)) = workspace.get_mut("members") {
        // The xtask and its crates (`xtask/secrets`) are not copied.
        members
            .retain(|member| member.as_str().is_some_and(|member| member != "xtask" && !member.starts_with("xtask/")));
    }
    let metadata = table_at(workspace, "metadata")?;
    let mut sop = config.clone();
    sop.verify = vec![vec!["true".to_string()]];
    sop.integration_verify = vec![vec!["true".to_string()]];
    let value = toml::Value::try_from(&sop).context("failed to convert the settings to TOML")?;
    metadata.insert("sop".to_string(), value);
    toml::to_string(&manifest).context("failed to write the synthetic `Cargo.toml`")
}

/// The sub-table `key` of `table`, created when missing (or when `key` holds something else).
pub fn table_at<'a>(table: &'a mut toml::Table, key: &str) -> anyhow::Result<&'a mut toml::Table> {
    if !table.get(key).is_some_and(toml::Value::is_table) {
        table.insert(key.to_string(), toml::Value::Table(toml::Table::new()));
    }
    table.get_mut(key).and_then(toml::Value::as_table_mut).with_context(|| format!("`[{key}]` is not a table"))
}

/// A `git fast-import` stream, built in memory.
#[derive(Default)]
struct Stream {
    out: Vec<u8>,
    marks: u32,
}

impl Stream {
    /// Starts a commit on `branch`, `minutes` after the epoch, on top of `from` (a mark) or of
    /// the branch's previous commit in this stream. Returns its mark.
    fn commit(&mut self, branch: &str, minutes: u64, message: &str, from: Option<u32>) -> u32 {
        self.marks += 1;
        let time = EPOCH + minutes * 60;
        self.out.extend_from_slice(
            format!(
                "commit refs/heads/{branch}\nmark :{}\nauthor {IDENTITY} {time} +0000\ncommitter {IDENTITY} {time} +0000\n",
                self.marks
            )
            .as_bytes(),
        );
        self.data(message.as_bytes());
        if let Some(from) = from {
            self.out.extend_from_slice(format!("from :{from}\n").as_bytes());
        }
        self.marks
    }

    fn modify(&mut self, path: &str, entry: &Entry) -> anyhow::Result<()> {
        // fast-import reads an unquoted path to the end of the line.
        if path.contains('\n') || path.starts_with('"') {
            anyhow::bail!("the kit file `{}` has a name `git fast-import` cannot take unquoted", path.escape_debug());
        }
        let mode = if entry.executable { "100755" } else { "100644" };
        self.out.extend_from_slice(format!("M {mode} inline {path}\n").as_bytes());
        self.data(&entry.bytes);
        Ok(())
    }

    fn data(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(format!("data {}\n", bytes.len()).as_bytes());
        self.out.extend_from_slice(bytes);
        self.out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_names_survive_every_derivation() {
        let config = Config::default();
        for index in [0, 1, 25, 26, 999, 456_975] {
            let names = Names::derive(&addon_name(index), "feat", &config).unwrap();
            let again = Names::derive(&names.feature, "feat", &config).unwrap();
            assert_eq!(names, again, "{}", addon_name(index));
        }
        assert_eq!(addon_name(0), "bench aaaa");
        assert_eq!(addon_name(27), "bench aabb");
        assert_ne!(addon_name(1), addon_name(26));
    }

    #[test]
    fn history_messages_are_conventional_commits() {
        let config = Config::default();
        for number in 2..40 {
            let message = history_message(number, "synthetic-history", &config.commit_types);
            assert_eq!(xtask::check::check_commit_message(&message, &config), Ok(()), "{message}");
        }
    }

    #[test]
    fn the_stream_has_marks_and_exact_lengths() {
        let mut stream = Stream::default();
        let mark = stream.commit("main", 0, "chore: x", None);
        stream.modify("a b.txt", &Entry { bytes: b"hi".to_vec(), executable: true }).unwrap();
        stream.commit("feat/y", 1, "feat: y", Some(mark));
        let text = String::from_utf8(stream.out).unwrap();
        assert!(text.starts_with("commit refs/heads/main\nmark :1\nauthor Lancelot Bench"), "{text}");
        assert!(text.contains("data 8\nchore: x\nM 100755 inline a b.txt\ndata 2\nhi\n"), "{text}");
        assert!(text
            .contains("committer Lancelot Bench <bench@example.invalid> 1767225660 +0000\ndata 7\nfeat: y\nfrom :1\n"));
        assert!(Stream::default().modify("\"quoted", &Entry { bytes: Vec::new(), executable: false }).is_err());
    }
}
