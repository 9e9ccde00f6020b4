//! What `bench` found, as a table for people, JSON for scripts, and the figures section of
//! `docs/benchmarks.md`. Each row compares ours with a baseline against a target; a missed target
//! is reported, never an error (these machines are noisy), and only a measurement that could not
//! be taken fails the command.
//!
//! This module formats and judges figures; it never measures (that is `measure.rs`).

use anyhow::Context as _;
use xtask::ctx::Ctx;
use xtask::plan::{Change, Plan};

/// One figure of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    Millis(f64),
    MiB(f64),
    /// A build after an edit: how long it took and whether the xtask was recompiled.
    Rebuild {
        ms: f64,
        rebuilt: bool,
    },
}

impl Figure {
    fn value(self) -> f64 {
        match self {
            Figure::Millis(ms) | Figure::Rebuild { ms, .. } => ms,
            Figure::MiB(mib) => mib,
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Figure::MiB(_) => "MiB",
            Figure::Millis(_) | Figure::Rebuild { .. } => "ms",
        }
    }

    pub fn display(self) -> String {
        match self {
            Figure::Millis(ms) => duration(ms),
            Figure::MiB(mib) => format!("{mib:.1} MiB"),
            Figure::Rebuild { ms, rebuilt: false } => format!("none ({})", duration(ms)),
            Figure::Rebuild { ms, rebuilt: true } => format!("xtask ({})", duration(ms)),
        }
    }
}

/// `25.0 µs`, `12.3 ms`, `1.25 s`.
pub fn duration(ms: f64) -> String {
    if ms < 1.0 {
        format!("{:.1} µs", ms * 1000.0)
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// What a row must show to meet its target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// ours ÷ baseline at most this.
    Ratio(f64),
    /// ours at most this many MiB.
    MiB(f64),
    /// ours ÷ baseline at most this many percent.
    Percent(f64),
    /// ours at most this many milliseconds.
    Millis(f64),
    /// The build after the edit recompiled nothing of ours.
    NoRebuild,
    /// Reported, with no target.
    Report,
}

impl Target {
    pub fn display(self) -> String {
        match self {
            Target::Ratio(ratio) => format!("≤ {ratio}×"),
            Target::MiB(mib) => format!("≤ {mib} MiB"),
            Target::Millis(ms) => format!("≤ {ms} ms"),
            Target::Percent(percent) => format!("≤ {percent} %"),
            Target::NoRebuild => "no rebuild".to_string(),
            Target::Report => "report".to_string(),
        }
    }
}

/// Whether the row has figures.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Measured,
    /// Not measured on purpose (`--skip-cold-build`).
    Skipped(String),
    /// The machine cannot give the figure (no GNU time).
    Unavailable(String),
    /// The measurement failed: the bench exits 1.
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct Row {
    /// Stable identifier for scripts: `check_vs_git_status`.
    pub key: &'static str,
    pub measurement: String,
    pub ours: Option<Figure>,
    pub baseline: Option<Figure>,
    pub target: Target,
    pub state: State,
    /// Something the reader needs to interpret the figures.
    pub note: Option<String>,
}

impl Row {
    pub fn new(key: &'static str, measurement: impl Into<String>, target: Target) -> Row {
        Row {
            key,
            measurement: measurement.into(),
            ours: None,
            baseline: None,
            target,
            state: State::Measured,
            note: None,
        }
    }

    pub fn figures(mut self, ours: Figure, baseline: Option<Figure>) -> Row {
        self.ours = Some(ours);
        self.baseline = baseline;
        self
    }

    pub fn state(mut self, state: State) -> Row {
        self.state = state;
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Row {
        self.note = Some(note.into());
        self
    }

    /// ours ÷ baseline, when both are figures of the same unit and the baseline is not zero.
    pub fn ratio(&self) -> Option<f64> {
        let (ours, baseline) = (self.ours?, self.baseline?);
        (ours.unit() == baseline.unit() && baseline.value() > 0.0).then(|| ours.value() / baseline.value())
    }

    /// Whether the target is met; `None` when there is no target or no figure.
    pub fn met(&self) -> Option<bool> {
        if self.state != State::Measured {
            return None;
        }
        match self.target {
            Target::Ratio(limit) => self.ratio().map(|ratio| ratio <= limit),
            Target::Percent(limit) => self.ratio().map(|ratio| ratio * 100.0 <= limit),
            Target::MiB(limit) => match self.ours? {
                Figure::MiB(mib) => Some(mib <= limit),
                _ => None,
            },
            Target::Millis(limit) => match self.ours? {
                Figure::Millis(ms) => Some(ms <= limit),
                _ => None,
            },
            Target::NoRebuild => match self.ours? {
                Figure::Rebuild { rebuilt, .. } => Some(!rebuilt),
                _ => None,
            },
            Target::Report => None,
        }
    }

    fn ratio_text(&self) -> String {
        match (self.ratio(), self.target) {
            (Some(ratio), Target::Percent(_)) => format!("{:.1} %", ratio * 100.0),
            (Some(ratio), _) => format!("{ratio:.2}×"),
            (None, _) => "-".to_string(),
        }
    }

    fn cells(&self) -> Vec<String> {
        let figure = |figure: Option<Figure>| figure.map_or("-".to_string(), Figure::display);
        let (ours, met) = match &self.state {
            State::Measured => (
                figure(self.ours),
                match self.met() {
                    Some(true) => "yes".to_string(),
                    Some(false) => "NO".to_string(),
                    None => "-".to_string(),
                },
            ),
            State::Skipped(_) => ("skipped".to_string(), "-".to_string()),
            State::Unavailable(_) => ("n/a".to_string(), "-".to_string()),
            State::Failed(_) => ("FAILED".to_string(), "-".to_string()),
        };
        vec![self.measurement.clone(), ours, figure(self.baseline), self.ratio_text(), self.target.display(), met]
    }

    /// The reason of a row that has no figures, or its note.
    fn explanation(&self) -> Option<String> {
        match &self.state {
            State::Skipped(reason) => Some(format!("skipped: {reason}")),
            State::Unavailable(reason) => Some(format!("n/a: {reason}")),
            State::Failed(reason) => Some(format!("failed: {reason}")),
            State::Measured => self.note.clone(),
        }
    }

    fn json(&self) -> serde_json::Value {
        let figure = |figure: Option<Figure>| {
            figure.map(|figure| serde_json::json!({ "value": figure.value(), "unit": figure.unit() }))
        };
        let (state, reason) = match &self.state {
            State::Measured => ("measured", None),
            State::Skipped(reason) => ("skipped", Some(reason)),
            State::Unavailable(reason) => ("unavailable", Some(reason)),
            State::Failed(reason) => ("failed", Some(reason)),
        };
        let rebuilt = match self.ours {
            Some(Figure::Rebuild { rebuilt, .. }) => Some(rebuilt),
            _ => None,
        };
        serde_json::json!({
            "key": self.key,
            "measurement": self.measurement,
            "state": state,
            "reason": reason,
            "ours": figure(self.ours),
            "baseline": figure(self.baseline),
            "rebuilt": rebuilt,
            "ratio": self.ratio(),
            "target": self.target.display(),
            "met": self.met(),
            "note": self.note,
        })
    }
}

/// The machine the figures come from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: Option<String>,
    pub memory_gib: Option<f64>,
    pub kernel: String,
    pub rustc: String,
    pub git: String,
    /// The 1-minute load average when the bench started: how busy the machine already was.
    pub load_average: Option<f64>,
}

impl Machine {
    pub fn describe(sh: &xshell::Shell) -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu_model = cpuinfo
            .lines()
            .find(|line| line.starts_with("model name"))
            .and_then(|line| line.split_once(':'))
            .map(|(_, model)| model.trim().to_string());
        let memory_gib = read("/proc/meminfo")
            .lines()
            .find(|line| line.starts_with("MemTotal:"))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<f64>().ok())
            .map(|kib| kib / 1024.0 / 1024.0);
        let kernel = match read("/proc/sys/kernel/osrelease").trim() {
            "" => format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            release => format!("{} {release} {}", std::env::consts::OS, std::env::consts::ARCH),
        };
        let first_line = |command: xshell::Cmd<'_>| {
            command
                .quiet()
                .ignore_status()
                .output()
                .ok()
                .map(|output| {
                    String::from_utf8_lossy(&output.stdout).lines().next().unwrap_or_default().trim().to_string()
                })
                .filter(|line| !line.is_empty())
                .unwrap_or_else(|| "unknown".to_string())
        };
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            memory_gib,
            kernel,
            rustc: first_line(xshell::cmd!(sh, "rustc --version")),
            git: first_line(xtask::git::setup::version_command(sh)),
            load_average: read("/proc/loadavg").split_whitespace().next().and_then(|load| load.parse().ok()),
        }
    }

    fn lines(&self) -> Vec<String> {
        let mut cpu = format!("{} CPUs", self.cpus);
        if let Some(model) = &self.cpu_model {
            cpu.push_str(&format!(" ({model})"));
        }
        let memory = self.memory_gib.map_or("unknown".to_string(), |gib| format!("{gib:.1} GiB"));
        let load = self.load_average.map_or("unknown".to_string(), |load| format!("{load:.2}"));
        vec![
            format!("machine: {cpu}, {memory} of memory, {}", self.kernel),
            format!("tools: {}; {}", self.rustc, self.git),
            format!("load average when the bench started: {load}"),
        ]
    }
}

/// Everything one run of the bench found.
pub struct Report {
    pub date: String,
    pub machine: Machine,
    pub addons: usize,
    pub files: usize,
    pub commits: u32,
    pub runs: u32,
    /// Building the synthetic repository.
    pub setup_ms: f64,
    pub total_ms: f64,
    pub rows: Vec<Row>,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.rows.iter().filter(|row| matches!(row.state, State::Failed(_))).count()
    }

    fn header(&self) -> Vec<String> {
        let mut lines = vec![format!("date: {}", self.date)];
        lines.extend(self.machine.lines());
        lines.push(format!(
            "synthetic repository: {} add-ons, {} tracked files, a branch of {} commits; median of {} runs",
            self.addons, self.files, self.commits, self.runs
        ));
        lines.push(format!(
            "bench time: {} (of which building the synthetic repository: {})",
            duration(self.total_ms),
            duration(self.setup_ms)
        ));
        lines
    }

    fn table_rows(&self) -> Vec<Vec<String>> {
        let mut rows =
            vec![["measurement", "ours", "baseline", "ratio", "target", "met?"].map(str::to_string).to_vec()];
        rows.extend(self.rows.iter().map(Row::cells));
        rows
    }

    fn explanations(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter_map(|row| row.explanation().map(|text| format!("{}: {text}", row.measurement)))
            .collect()
    }

    /// The table and notes for a terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in self.header() {
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&xtask::output::table(&self.table_rows()));
        let explanations = self.explanations();
        if !explanations.is_empty() {
            out.push_str("\nnotes:\n");
            for line in explanations {
                out.push_str(&format!("  - {line}\n"));
            }
        }
        out
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "ok": self.failed() == 0,
            "date": self.date,
            "machine": self.machine,
            "addons": self.addons,
            "files": self.files,
            "commits": self.commits,
            "runs": self.runs,
            "setup_ms": self.setup_ms,
            "total_ms": self.total_ms,
            "rows": self.rows.iter().map(Row::json).collect::<Vec<_>>(),
        })
    }

    /// The generated section of `docs/benchmarks.md` (between the markers).
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for line in self.header() {
            out.push_str(&format!("- {line}\n"));
        }
        out.push('\n');
        let escape = |cell: &str| cell.replace('|', "\\|");
        for (index, row) in self.table_rows().iter().enumerate() {
            let cells: Vec<String> = row.iter().map(|cell| escape(cell)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
            if index == 0 {
                out.push_str(&format!("|{}\n", " --- |".repeat(row.len())));
            }
        }
        let explanations = self.explanations();
        if !explanations.is_empty() {
            out.push('\n');
            for line in explanations {
                out.push_str(&format!("- {line}\n"));
            }
        }
        out
    }
}

/// The path of the benchmarks document, relative to the root.
pub const DOC: &str = "docs/benchmarks.md";
pub const DOC_BEGIN: &str = "<!-- bench:figures:begin (written by cargo xtask bench --write-docs) -->";
pub const DOC_END: &str = "<!-- bench:figures:end -->";

/// `text` with the generated section replaced (or appended when the markers are missing).
pub fn with_figures(text: &str, figures: &str) -> String {
    let section = format!("{DOC_BEGIN}\n{figures}{DOC_END}\n");
    match (text.find(DOC_BEGIN), text.find(DOC_END)) {
        (Some(begin), Some(end)) if begin < end => {
            let after = &text[end + DOC_END.len()..];
            format!("{}{section}{}", &text[..begin], after.strip_prefix('\n').unwrap_or(after))
        }
        _ if text.is_empty() => format!("# Benchmarks\n\n{section}"),
        _ => format!("{}\n\n## Latest figures\n\n{section}", text.trim_end()),
    }
}

/// The README, whose first-build figure is the cold build's.
pub const README: &str = "README.md";
pub const FIRST_BUILD_BEGIN: &str = "<!-- bench:first-build -->";
pub const FIRST_BUILD_END: &str = "<!-- bench:first-build:end -->";

/// The README's words for a cold build of `ms` milliseconds.
pub fn first_build_text(ms: f64) -> String {
    format!("about {:.0} s", ms / 1000.0)
}

/// `text` with the figure between the first-build markers replaced; `None` without the markers.
pub fn with_first_build(text: &str, ms: f64) -> Option<String> {
    let begin = text.find(FIRST_BUILD_BEGIN)? + FIRST_BUILD_BEGIN.len();
    let end = begin + text[begin..].find(FIRST_BUILD_END)?;
    Some(format!("{}{}{}", &text[..begin], first_build_text(ms), &text[end..]))
}

impl Report {
    /// The cold build's figure, when it was measured.
    pub fn first_build_ms(&self) -> Option<f64> {
        let row = self.rows.iter().find(|row| row.key == COLD_BUILD_KEY && row.state == State::Measured)?;
        match row.ours? {
            Figure::Millis(ms) => Some(ms),
            _ => None,
        }
    }
}

/// The key of the cold build's row.
pub const COLD_BUILD_KEY: &str = "cold_build_vs_git2";

/// Writes the figures into `docs/benchmarks.md` and, when the cold build was measured, its
/// figure into the README (between its first-build markers), as one plan of the xtask's writer:
/// journaled, all or nothing, and only over the text it read. Returns the files it changed.
pub fn write_docs(ctx: &Ctx, report: &Report) -> anyhow::Result<Vec<String>> {
    let root = ctx.root();
    let figures = report.markdown();
    let mut plan = Plan::new("bench");
    if root.join(DOC).is_file() {
        plan.edit(root, DOC, |text| Ok(with_figures(text, &figures)))?;
    } else {
        plan.create(DOC, with_figures("", &figures));
    }
    let readme = std::fs::read_to_string(root.join(README)).unwrap_or_default();
    if let Some(ms) = report.first_build_ms().filter(|_| with_first_build(&readme, 0.0).is_some()) {
        plan.edit(root, README, |text| {
            with_first_build(text, ms).with_context(|| format!("no `{FIRST_BUILD_BEGIN}` marker"))
        })?;
    }
    plan.changes.retain(|change| !matches!(change, Change::Edit { before, after, .. } if before == after));
    if !plan.changes.is_empty() {
        plan.apply(&ctx.repo)?;
    }
    Ok(plan.changes.iter().map(|change| change.path().to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(target: Target, ours: Figure, baseline: Option<Figure>) -> Row {
        Row::new("key", "measurement", target).figures(ours, baseline)
    }

    #[test]
    fn targets_are_judged_on_the_right_figure() {
        assert_eq!(row(Target::Ratio(2.0), Figure::Millis(30.0), Some(Figure::Millis(20.0))).met(), Some(true));
        assert_eq!(row(Target::Ratio(2.0), Figure::Millis(50.0), Some(Figure::Millis(20.0))).met(), Some(false));
        assert_eq!(row(Target::MiB(64.0), Figure::MiB(70.0), Some(Figure::MiB(5.0))).met(), Some(false));
        assert_eq!(row(Target::Percent(5.0), Figure::Millis(4.0), Some(Figure::Millis(100.0))).met(), Some(true));
        assert_eq!(row(Target::NoRebuild, Figure::Rebuild { ms: 300.0, rebuilt: false }, None).met(), Some(true));
        assert_eq!(row(Target::Report, Figure::Millis(1.0), Some(Figure::Millis(1.0))).met(), None);
        assert_eq!(row(Target::Millis(1000.0), Figure::Millis(12.0), None).met(), Some(true));
        assert_eq!(row(Target::Millis(1000.0), Figure::Millis(1200.0), None).met(), Some(false));
        let skipped = row(Target::Ratio(1.5), Figure::Millis(1.0), Some(Figure::Millis(1.0)));
        assert_eq!(skipped.state(State::Skipped("--skip-cold-build".into())).met(), None);
        assert_eq!(row(Target::Ratio(2.0), Figure::Millis(1.0), Some(Figure::Millis(0.0))).ratio(), None);
    }

    #[test]
    fn cells_show_units_and_verdicts() {
        let cells = row(Target::Percent(5.0), Figure::Millis(12.0), Some(Figure::Millis(1500.0))).cells();
        assert_eq!(cells, ["measurement", "12.0 ms", "1.50 s", "0.8 %", "≤ 5 %", "yes"]);
        let cells = row(Target::Ratio(2.0), Figure::Millis(90.0), Some(Figure::Millis(30.0))).cells();
        assert_eq!(cells[3..], ["3.00×", "≤ 2×", "NO"]);
        let failed = Row::new("key", "m", Target::Report).state(State::Failed("boom".into()));
        assert_eq!(failed.cells()[1], "FAILED");
        assert_eq!(failed.explanation().as_deref(), Some("failed: boom"));
    }

    #[test]
    fn the_doc_section_is_replaced_between_its_markers() {
        let text = format!("# Benchmarks\n\nprose\n\n{DOC_BEGIN}\nold\n{DOC_END}\n\nmore prose\n");
        let out = with_figures(&text, "new\n");
        assert_eq!(out, format!("# Benchmarks\n\nprose\n\n{DOC_BEGIN}\nnew\n{DOC_END}\n\nmore prose\n"));
        assert_eq!(with_figures(&out, "new\n"), out);
        assert_eq!(with_figures("", "x\n"), format!("# Benchmarks\n\n{DOC_BEGIN}\nx\n{DOC_END}\n"));
        assert!(with_figures("# B\n", "x\n").ends_with(&format!("## Latest figures\n\n{DOC_BEGIN}\nx\n{DOC_END}\n")));
    }

    /// Proves `--write-docs` writes both documents through the plan (no journal left behind), the
    /// README's figure from the cold-build row.
    #[test]
    fn write_docs_writes_the_figures_and_the_first_build_through_one_plan() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        let git = |args: &[&str]| {
            let mut command = std::process::Command::new("git");
            command.args(args).current_dir(root).env("GIT_CONFIG_NOSYSTEM", "1");
            assert!(command.output().unwrap().status.success(), "git {args:?}");
        };
        git(&["init", "-q", "-b", "main"]);
        std::fs::create_dir(root.join("docs")).unwrap();
        std::fs::write(root.join(DOC), format!("# B\n\n{DOC_BEGIN}\nold\n{DOC_END}\n")).unwrap();
        let readme = format!("# L\n\nonce ({FIRST_BUILD_BEGIN}about 30 s{FIRST_BUILD_END}).\n");
        std::fs::write(root.join(README), &readme).unwrap();
        let machine = Machine {
            cpus: 2,
            cpu_model: None,
            memory_gib: None,
            kernel: "linux".into(),
            rustc: "rustc".into(),
            git: "git".into(),
            load_average: None,
        };
        let cold = Row::new(COLD_BUILD_KEY, "cold build", Target::Ratio(1.5))
            .figures(Figure::Millis(27_680.0), Some(Figure::Millis(12_890.0)));
        let report = Report {
            date: "2026-12-03T00:00:00Z".into(),
            machine,
            addons: 1,
            files: 1,
            commits: 1,
            runs: 1,
            setup_ms: 1.0,
            total_ms: 2.0,
            rows: vec![cold],
        };
        let ctx = Ctx::new(root, true).unwrap();
        assert_eq!(write_docs(&ctx, &report).unwrap(), [DOC, README]);
        assert!(std::fs::read_to_string(root.join(DOC)).unwrap().contains("| cold build | 27.68 s | 12.89 s |"));
        assert_eq!(std::fs::read_to_string(root.join(README)).unwrap(), readme.replace("about 30 s", "about 28 s"));
        assert!(xtask::plan::Journal::pending(&ctx.repo).is_empty(), "the plan left its journal");
        // Written again with the same figures: nothing to change, nothing written.
        assert!(write_docs(&ctx, &report).unwrap().is_empty());
    }

    #[test]
    fn the_first_build_figure_is_replaced_between_its_markers_only() {
        let text = format!("builds once ({FIRST_BUILD_BEGIN}about 30 s{FIRST_BUILD_END} in the bench).\n");
        let out = with_first_build(&text, 27_680.0).unwrap();
        assert_eq!(out, format!("builds once ({FIRST_BUILD_BEGIN}about 28 s{FIRST_BUILD_END} in the bench).\n"));
        assert_eq!(with_first_build(&out, 27_680.0).as_deref(), Some(out.as_str()));
        assert_eq!(with_first_build("no markers\n", 1.0), None);
        assert_eq!(with_first_build(&format!("{FIRST_BUILD_BEGIN} unterminated"), 1.0), None);
    }
}
