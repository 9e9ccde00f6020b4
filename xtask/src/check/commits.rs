//! Conventional Commits 1.0.0 (SOP 4.5), exactly: every commit of a branch since it left the main
//! branch is `type(scope)!: description` with a type from the configuration.
//!
//! The header is read by a small hand parser (the spec's grammar is one line): a type (compared
//! without regard to case, spec item 15), an optional non-blank `(scope)`, an optional `!`, then
//! exactly `: ` (a colon and one ASCII space) and a description on the same line. The body starts
//! after one blank line; a `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer needs a description. Any
//! other text in the body and footers is free-form, so it is never refused. Each failure has its
//! own message, with "did you mean" for near types and invisible characters named (`U+FEFF`),
//! never printed raw.
//!
//! What is judged is the message as git stores it: `check` reads the stored message verbatim;
//! the commit-msg hook first applies git's own cleanup ([`cleanup`], the one comment stripper of
//! the tool; see `hooks.rs`). `fixup!`, `squash!` and `amend!` subjects are for `git rebase
//! --autosquash`: the hook lets them through, `check` flags them on the branch. Merge commits are
//! not checked (git writes their messages). git's own `Revert "…"` message is not a conventional
//! commit: it is refused with the conventional form to use instead (`revert: …`).

use std::fmt::Write as _;

use crate::config::Config;

use super::{Facts, Finding};

/// A message that passes with the default types, shown with every refusal.
pub const EXAMPLE: &str = "feat: add scheduler receipts";

/// [`EXAMPLE`] with a type this configuration accepts (`feat` when configured, else the first):
/// a refusal never suggests a type the hook would refuse.
fn example(config: &Config) -> String {
    match config.commit_types.iter().find(|kind| kind.as_str() == "feat").or(config.commit_types.first()) {
        Some(kind) => format!("{kind}: add scheduler receipts"),
        None => EXAMPLE.to_string(),
    }
}

/// The rule's id in findings.
const RULE: &str = "sop-4.5/conventional-commit";

/// The subject prefixes `git commit --fixup/--squash` write, which `git rebase --autosquash` folds
/// into the commit they name.
const AUTOSQUASH: [&str; 3] = ["fixup! ", "squash! ", "amend! "];

/// git's scissors line (after the comment prefix and a space): nothing below it is the message.
const SCISSORS: &str = "------------------------ >8 ------------------------";

/// The `fixup! ` / `squash! ` / `amend! ` prefix of a subject, if it has one.
pub fn autosquash_prefix(message: &str) -> Option<&'static str> {
    AUTOSQUASH.into_iter().find(|prefix| message.starts_with(prefix))
}

/// What git's cleanup keeps of a message (its `commit.cleanup` mode, resolved for one commit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleanup {
    /// `verbatim`: the message as written.
    Verbatim,
    /// `whitespace` (and `scissors`, and `default` without the editor): blank lines and trailing
    /// blanks trimmed, comment lines kept.
    Whitespace,
    /// `strip` (and `default` with the editor): like `Whitespace`, and comment lines dropped.
    Strip,
}

/// [`cleanup_with`] for a commit git cuts at the scissors line (`-v`, or the `scissors` mode with
/// the editor).
pub fn cleanup(raw: &str, mode: Cleanup, comment: &str) -> String {
    cleanup_with(raw, mode, comment, true)
}

/// The message git stores for `raw` under `mode`, with `comment` as its comment prefix (git's
/// `cleanup_message`): with `cut`, everything from the scissors line `<comment>
/// ------------------------ >8 ------------------------` on is cut (git does so for `-v`, and for
/// the `scissors` mode with the editor; a scissors line written into a `-F` file stays, or goes
/// as a comment line under `Strip`), then — unless verbatim — trailing blanks are trimmed from
/// every line, runs of blank lines collapse into one, leading and trailing blank lines go, and
/// with `Strip` every line starting with `comment` goes. The one place the tool drops comment
/// lines.
pub fn cleanup_with(raw: &str, mode: Cleanup, comment: &str, cut: bool) -> String {
    let raw = if cut { cut_at_scissors(raw, comment) } else { raw };
    if mode == Cleanup::Verbatim {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len() + 1);
    let mut blank_run = false;
    for line in raw.split('\n') {
        if mode == Cleanup::Strip && !comment.is_empty() && line.starts_with(comment) {
            continue;
        }
        // git's `isspace`: space, tab, CR and LF.
        let line = line.trim_end_matches([' ', '\t', '\r']);
        if line.is_empty() {
            blank_run = true;
            continue;
        }
        if blank_run && !out.is_empty() {
            out.push('\n');
        }
        blank_run = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Whether `raw` holds what `git commit -v` writes below its scissors line: the diff, cut off
/// whatever the cleanup mode (git's own lines around it are translated; `diff --git` is not).
pub fn has_verbose_diff(raw: &str, comment: &str) -> bool {
    let cut = cut_at_scissors(raw, comment);
    cut.len() < raw.len() && raw[cut.len()..].split('\n').any(|line| line.starts_with("diff --git "))
}

fn cut_at_scissors<'a>(raw: &'a str, comment: &str) -> &'a str {
    if comment.is_empty() || !raw.contains(SCISSORS) {
        return raw;
    }
    let mut start = 0;
    for line in raw.split_inclusive('\n') {
        let content = line.strip_suffix('\n').unwrap_or(line);
        if content.strip_prefix(comment).and_then(|rest| rest.strip_prefix(' ')) == Some(SCISSORS) {
            return &raw[..start];
        }
        start += line.len();
    }
    raw
}

/// Checks one commit message as git stored it (verbatim: no comment stripping); the error names
/// the problem and shows how to fix it.
pub fn check_commit_message(message: &str, config: &Config) -> Result<(), String> {
    // The common case (a valid message) allocates nothing: this runs once per commit over
    // histories of thousands (docs/benchmarks.md). Messages are built only on failure.
    let (header, rest) = match message.find('\n') {
        Some(end) => (&message[..end], Some(&message[end + 1..])),
        None => (message, None),
    };
    let header = header.strip_suffix('\r').unwrap_or(header);
    if header.trim_matches(is_blank).is_empty() {
        return Err(blank_header(message, config));
    }
    if let Some(prefix) = autosquash_prefix(header) {
        return Err(format!(
            "`{}` is a commit for `git rebase --autosquash` (`{}`), which folds it into the commit it names; squash it before the pull request",
            shown(header),
            prefix.trim_end()
        ));
    }
    let parsed = parse_header(header, config).map_err(|problem| refusal(header, &problem, config))?;
    if allowed_type(parsed.kind, config).is_none() {
        return Err(type_refusal(header, &parsed, config));
    }
    if let Some(rest) = rest {
        body(rest).map_err(|problem| format!("`{}` is not a conventional commit: {problem}", shown(header)))?;
    }
    Ok(())
}

/// The message when the first line holds nothing: empty, leading blank lines, or only blanks.
fn blank_header(message: &str, config: &Config) -> String {
    let types = config.commit_types.join(", ");
    if message.trim_matches(is_blank).is_empty() {
        return format!("the commit message is empty; write e.g. `{}` (types: {types})", example(config));
    }
    let first = message.lines().map(|line| line.trim_matches(is_blank)).find(|line| !line.is_empty());
    format!(
        "`{}`: the message starts with a blank line; its first line must be the subject, e.g. `{}` (types: {types})",
        shown(first.unwrap_or_default()),
        example(config)
    )
}

/// A header read by [`parse_header`].
struct Header<'a> {
    kind: &'a str,
    scope: Option<&'a str>,
    breaking: bool,
    description: &'a str,
}

/// Why a header is not `type(scope)!: description`, and the header that would be.
struct Problem {
    text: String,
    /// The fixed header, built from the engineer's own words, when the fix is mechanical.
    fixed: Option<String>,
}

impl Problem {
    fn new(text: impl Into<String>) -> Problem {
        Problem { text: text.into(), fixed: None }
    }
}

/// Space, tab and every other Unicode blank (NBSP, ideographic space…).
fn is_blank(c: char) -> bool {
    c.is_whitespace()
}

/// Characters that show as nothing: controls, blanks other than the ASCII space, and Unicode
/// format characters (zero-width spaces and joiners, bidi marks, the byte order mark).
fn is_invisible(c: char) -> bool {
    (c.is_control() || c.is_whitespace() || is_format(c)) && c != ' '
}

fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}')
}

/// `c` named for a person: `U+00A0 (a no-break space)`.
fn name(c: char) -> String {
    let what = match c {
        '\t' => " (a tab)",
        '\r' => " (a carriage return)",
        '\u{00A0}' => " (a no-break space)",
        '\u{FEFF}' => " (a byte order mark)",
        '\u{200B}' => " (a zero-width space)",
        '\u{3000}' => " (an ideographic space)",
        ' ' => " (a space)",
        _ => "",
    };
    format!("U+{:04X}{what}", u32::from(c))
}

/// `text` as it may be printed: redacted (it is the engineer's), invisible characters as
/// `<U+FEFF>`, shortened to one line of a message.
pub fn shown(text: &str) -> String {
    let redacted = crate::redact::text(text);
    let mut out = String::new();
    for (count, c) in redacted.trim_end_matches(['\r', '\n']).chars().enumerate() {
        if count == 57 {
            out.push('…');
            break;
        }
        if is_invisible(c) {
            let _ = write!(out, "<U+{:04X}>", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads `type(scope)!: description`; the error says what is wrong where.
fn parse_header<'a>(header: &'a str, config: &Config) -> Result<Header<'a>, Problem> {
    let first = header.chars().next().unwrap_or(' ');
    if first == '\u{FEFF}' {
        let fixed = header.trim_start_matches('\u{FEFF}');
        return Err(Problem {
            text: format!(
                "it starts with an invisible {}, which some editors write at the start of a file: save the message as UTF-8 without a BOM",
                name(first)
            ),
            fixed: well_formed(fixed, config),
        });
    }
    if is_invisible(first) || first == ' ' {
        let fixed = header.trim_start_matches(is_invisible).trim_start_matches(' ');
        let what = if first == ' ' { "blanks".to_string() } else { format!("an invisible {}", name(first)) };
        return Err(Problem {
            text: format!("it starts with {what}: the type must be the first thing on the line"),
            fixed: well_formed(fixed, config),
        });
    }
    if let Some(original) = header.strip_prefix("Revert \"").and_then(|rest| rest.strip_suffix('"')) {
        let kind = allowed_type("revert", config).map(str::to_string);
        return Err(Problem {
            text: "git's own revert message is not a conventional commit".to_string(),
            fixed: kind.map(|kind| format!("{kind}: {original}")),
        });
    }

    let end = header
        .find(|c: char| matches!(c, '(' | ')' | '!' | ':' | '：') || is_invisible(c) || c == ' ')
        .unwrap_or(header.len());
    let kind = &header[..end];
    let rest = &header[end..];
    if kind.is_empty() {
        return Err(no_type());
    }
    let next = rest.chars().next();
    let (scope, rest) = match next {
        Some('(') => {
            let inner = &rest[1..];
            let Some(close) = inner.find(')') else {
                return Err(Problem::new(format!("its scope is not closed: expected `{kind}(scope): description`")));
            };
            let scope = &inner[..close];
            if scope.contains('(') {
                return Err(Problem::new(format!(
                    "its scope `({})` is malformed: a scope holds no parentheses",
                    shown(scope)
                )));
            }
            let after = &inner[close + 1..];
            if scope.trim_matches(is_blank).is_empty() {
                let rebuilt = after.strip_prefix('!').map_or(after, |a| a);
                let bang = if after.starts_with('!') { "!" } else { "" };
                return Err(Problem {
                    text: format!(
                        "its scope `({})` is blank: name the part it changes, or leave the parentheses out",
                        shown(scope)
                    ),
                    fixed: rebuilt.strip_prefix(':').and_then(|d| well_formed(&format!("{kind}{bang}:{d}"), config)),
                });
            }
            if let Some(c) = scope.chars().find(|c| is_invisible(*c)) {
                return Err(Problem::new(format!("its scope `({})` holds an invisible {}", shown(scope), name(c))));
            }
            if scope.starts_with(' ') || scope.ends_with(' ') {
                return Err(Problem {
                    text: format!("its scope `({})` is malformed: no blanks inside the parentheses", shown(scope)),
                    fixed: well_formed(&format!("{kind}({}){after}", scope.trim()), config),
                });
            }
            (Some(scope), after)
        }
        _ => (None, rest),
    };
    // `type(scope)`, as written: a slice of the header, so a valid header allocates nothing.
    let scoped = &header[..header.len() - rest.len()];
    let (breaking, rest) = match rest.strip_prefix('!') {
        Some(after) => (true, after),
        None => (false, rest),
    };
    let prefix = || format!("{scoped}{}", if breaking { "!" } else { "" });
    let Some(description) = rest.strip_prefix(':') else {
        return Err(before_colon(kind, scope, breaking, rest, config));
    };
    // Exactly one ASCII space, then the description.
    let Some(description) = description.strip_prefix(' ') else {
        return Err(match description.chars().next() {
            None => missing_description(&prefix()),
            Some(c) if is_invisible(c) => {
                let text = description.trim_start_matches(is_invisible);
                if text.is_empty() {
                    missing_description(&prefix())
                } else {
                    Problem {
                        text: format!("after the colon comes {}, not one space", name(c)),
                        fixed: well_formed(&format!("{}: {text}", prefix()), config),
                    }
                }
            }
            Some(_) => Problem {
                text: "there is no space after the colon".to_string(),
                fixed: well_formed(&format!("{}: {description}", prefix()), config),
            },
        });
    };
    match description.chars().next() {
        None => return Err(missing_description(&prefix())),
        Some(c) if is_invisible(c) || c == ' ' => {
            let text = description.trim_start_matches(|c: char| is_invisible(c) || c == ' ');
            if text.is_empty() {
                return Err(missing_description(&prefix()));
            }
            let what = if c == ' ' { "more than one space".to_string() } else { format!("a space and {}", name(c)) };
            return Err(Problem {
                text: format!("after the colon comes {what}: write exactly one space"),
                fixed: well_formed(&format!("{}: {text}", prefix()), config),
            });
        }
        Some(_) => {}
    }
    Ok(Header { kind, scope, breaking, description })
}

fn no_type() -> Problem {
    Problem::new("it has no type: expected `type: description`")
}

fn missing_description(prefix: &str) -> Problem {
    Problem::new(format!(
        "it has no description: the first line is `{}: ` followed by what the commit does",
        shown(prefix)
    ))
}

/// Why the text after the type (and scope, and `!`) is not the colon.
fn before_colon(kind: &str, scope: Option<&str>, breaking: bool, rest: &str, config: &Config) -> Problem {
    let scoped = match scope {
        Some(scope) => format!("{kind}({scope})"),
        None => kind.to_string(),
    };
    let bang = if breaking { "!" } else { "" };
    let Some(c) = rest.chars().next() else {
        return if allowed_type(kind, config).is_some() || scope.is_some() {
            Problem::new(format!("it has no `: ` and description after `{}{bang}`", shown(&scoped)))
        } else {
            no_type()
        };
    };
    if c == '!' {
        return Problem::new(format!(
            "`{}!!` has more than one `!`: one `!` right before the colon marks a breaking change",
            shown(&scoped)
        ));
    }
    if c == '(' && breaking {
        return Problem {
            text: "the `!` goes after the scope, right before the colon".to_string(),
            fixed: well_formed(&format!("{kind}{rest}").replacen("):", ")!:", 1), config),
        };
    }
    if c == ')' {
        return Problem::new(format!("an unmatched `)` after `{}`", shown(kind)));
    }
    if c == '：' {
        let tail = rest['：'.len_utf8()..].trim_start_matches(|c: char| is_blank(c) || is_invisible(c));
        return Problem {
            text: format!("its colon is the full-width {}, not an ASCII `:`", name(c)),
            fixed: well_formed(&format!("{scoped}{bang}: {tail}"), config),
        };
    }
    if c == '(' {
        return Problem::new(format!("`{}` has a second scope: one `(scope)` at most", shown(&scoped)));
    }
    if is_blank(c) || is_invisible(c) {
        let after = rest.trim_start_matches(|c: char| is_blank(c) || is_invisible(c));
        let what = if c == ' ' { "a space".to_string() } else { name(c) };
        if let Some(tail) = after.strip_prefix(':') {
            let tail = tail.trim_start_matches(|c: char| is_blank(c) || is_invisible(c));
            return Problem {
                text: format!("{what} before the colon: the colon follows the type right away"),
                fixed: well_formed(&format!("{scoped}{bang}: {tail}"), config),
            };
        }
        if scope.is_none() && after.starts_with('(') {
            return Problem {
                text: format!("{what} between the type and the scope"),
                fixed: well_formed(&format!("{kind}{after}"), config),
            };
        }
        if scope.is_none() && after.starts_with('!') {
            return Problem {
                text: format!("{what} before the `!`"),
                fixed: well_formed(&format!("{kind}{after}"), config),
            };
        }
        if scope.is_some() || allowed_type(kind, config).is_some() {
            // `fix - login`, `fix – login`: the dash stood for the colon.
            let after =
                after.trim_start_matches(['-', '–', '—']).trim_start_matches(|c: char| is_blank(c) || is_invisible(c));
            return Problem {
                text: format!("`{}` is followed by {what}, not by `: `", shown(&format!("{scoped}{bang}"))),
                fixed: well_formed(&format!("{scoped}{bang}: {after}"), config),
            };
        }
        return no_type();
    }
    Problem::new(format!("expected `:` after `{}`", shown(&format!("{scoped}{bang}"))))
}

/// `header` if it is a valid header once its type is one the hook accepts (a near type
/// corrected), else `None`: a fix is only suggested when it passes.
fn well_formed(header: &str, config: &Config) -> Option<String> {
    let parsed = parse_header(header, config).ok()?;
    let kind = allowed_type(parsed.kind, config).or_else(|| near_type(parsed.kind, config))?;
    let mut fixed = kind.to_string();
    if let Some(scope) = parsed.scope {
        let _ = write!(fixed, "({scope})");
    }
    if parsed.breaking {
        fixed.push('!');
    }
    let _ = write!(fixed, ": {}", parsed.description);
    Some(fixed)
}

/// The configured type `kind` is, compared without regard to case (spec item 15).
fn allowed_type<'c>(kind: &str, config: &'c Config) -> Option<&'c str> {
    config.commit_types.iter().find(|allowed| allowed.eq_ignore_ascii_case(kind)).map(String::as_str)
}

/// The configured type `kind` was probably meant to be: `feature` → `feat`, `fixed` → `fix`,
/// `doc` → `docs`, `bugfix` → `fix`. Closest by edit distance (a transposition counts one), or
/// one word the start of the other, or the end of the typed one.
fn near_type<'c>(kind: &str, config: &'c Config) -> Option<&'c str> {
    let typed = kind.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for allowed in &config.commit_types {
        let allowed_lower = allowed.to_lowercase();
        let distance = edit_distance(&typed, &allowed_lower);
        let limit = if typed.chars().count().min(allowed_lower.chars().count()) <= 4 { 1 } else { 2 };
        let prefix = typed.len() >= 3
            && allowed_lower.len() >= 3
            && (typed.starts_with(&allowed_lower)
                || allowed_lower.starts_with(&typed)
                || typed.ends_with(&allowed_lower));
        if (distance <= limit || prefix) && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, allowed.as_str()));
        }
    }
    best.map(|(_, allowed)| allowed)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = value;
        }
    }
    rows[a.len()][b.len()]
}

/// `` `<header>` is not a conventional commit: <problem>; write `<fixed>` ``.
fn refusal(header: &str, problem: &Problem, config: &Config) -> String {
    let mut out = format!("`{}` is not a conventional commit: {}", shown(header), problem.text);
    // The fix below corrects the type too: say so.
    let typed = header.trim_start_matches(|c: char| is_invisible(c) || c == ' ');
    let typed = &typed[..typed
        .find(|c: char| matches!(c, '(' | ')' | '!' | ':' | '：') || is_invisible(c) || c == ' ')
        .unwrap_or(typed.len())];
    if problem.fixed.is_some() && !typed.is_empty() && allowed_type(typed, config).is_none() {
        if let Some(near) = near_type(typed, config) {
            let _ = write!(out, ", and the type `{}` is not allowed (did you mean `{near}`?)", shown(typed));
        }
    }
    match &problem.fixed {
        Some(fixed) => {
            let _ = write!(out, "; write `{}`", shown(fixed));
        }
        None => {
            let _ = write!(out, "; write e.g. `{}` (types: {})", example(config), config.commit_types.join(", "));
        }
    }
    out
}

/// The type is not a configured one.
fn type_refusal(header: &str, parsed: &Header<'_>, config: &Config) -> String {
    let types = config.commit_types.join(", ");
    let mut out = format!("`{}`: the type `{}` is not allowed", shown(header), shown(parsed.kind));
    if let Some(near) = near_type(parsed.kind, config) {
        let _ = write!(out, "; did you mean `{near}`?");
        if let Some(fixed) = well_formed(header, config) {
            let _ = write!(out, " write `{}`", shown(&fixed));
        }
        let _ = write!(out, " (types: {types})");
    } else {
        let _ = write!(out, "; use one of: {types} (e.g. `{}`)", example(config));
    }
    out
}

/// The lines after the subject: a blank line first, and every `BREAKING CHANGE` footer with a
/// description. The rest is free-form (spec items 6–10).
fn body(rest: &str) -> Result<(), String> {
    let second = rest.split('\n').next().unwrap_or_default();
    if !second.trim_matches(is_blank).is_empty() {
        return Err("the body must be separated from the subject by a blank line".to_string());
    }
    // Footers are rare: only a message that names one is read line by line.
    if !(rest.contains("BREAKING") || rest.contains("reaking")) {
        return Ok(());
    }
    let mut after_blank = true;
    for line in rest.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim_matches(is_blank).is_empty() {
            after_blank = true;
            continue;
        }
        for token in ["BREAKING CHANGE", "BREAKING-CHANGE"] {
            let Some(head) = line.get(..token.len()) else { continue };
            if !head.eq_ignore_ascii_case(token) {
                continue;
            }
            let tail = &line[token.len()..];
            let Some(value) = tail.strip_prefix(':') else { continue };
            if head != token {
                if after_blank {
                    return Err(format!("the footer `{}:` must be written `{token}:`, in upper case", shown(head)));
                }
                continue;
            }
            if value.trim_matches(is_blank).is_empty() {
                return Err(format!("the `{token}:` footer has no description: write `{token}: <what breaks>`"));
            }
            if !value.starts_with(' ') {
                return Err(format!("the `{token}:` footer needs one space after the colon: `{token}: <what breaks>`"));
            }
        }
        after_blank = false;
    }
    Ok(())
}

/// The findings for the branch's commits (HEAD, not reachable from the main branch), merges
/// skipped; the hints rebase onto `base`, the branch's merge-base with the main branch.
pub(super) fn check(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let (Some(head), Some(main)) = (facts.branch.head, facts.branch.main) else { return Ok(()) };
    findings.extend(range_findings(&facts.ctx.repo, &facts.ctx.config, head, main, facts.branch.base)?);
    Ok(())
}

/// The commit rule over `main..head`: what `check` reports, and what `cargo xtask bench` times.
pub fn range_findings(
    repo: &crate::git::Repo,
    config: &Config,
    head: git2::Oid,
    main: git2::Oid,
    base: Option<git2::Oid>,
) -> anyhow::Result<Vec<Finding>> {
    let mut bad = Vec::new();
    repo.for_each_commit(head, Some(main), |commit| {
        if commit.parents > 1 {
            return;
        }
        if let Err(problem) = check_commit_message(commit.message, config) {
            let fixup = autosquash_prefix(commit.message).is_some();
            bad.push((commit.id, problem, fixup));
        }
    })?;
    if bad.is_empty() {
        return Ok(Vec::new());
    }
    // `git rebase -i <base>` replays exactly the branch's commits: the merge-base, not the main
    // branch's name (a stale or missing local branch would take in, or lose, other commits).
    let base = match base {
        Some(base) => repo.short_id(base),
        None => "--root".to_string(),
    };
    let mut findings = Vec::with_capacity(bad.len());
    for (id, problem, fixup) in bad {
        let short = &id.to_string()[..10];
        let hint = if fixup {
            format!("fold it into the commit it names (save the todo list as git shows it): git rebase -i --autosquash {base}")
        } else if id == head {
            "reword the last commit in your editor (`--only` leaves what is staged out): git commit --amend --only"
                .to_string()
        } else {
            format!("reword it in an interactive rebase (change `pick` to `reword` on its line): git rebase -i {base}")
        };
        findings.push(Finding::error(RULE, Some(format!("commit {short}")), problem, hint));
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(message: &str) -> Result<(), String> {
        check_commit_message(message, &Config::default())
    }

    /// The corpus: every message with its verdict, `None` for valid per Conventional Commits
    /// 1.0.0, else a fragment of the refusal. Proves 0 false accepts and 0 false rejects on it.
    const CORPUS: &[(&str, Option<&str>)] = &[
        // Valid per the spec.
        ("feat: add scheduler receipts", None),
        ("feat: add scheduler receipts\n", None),
        ("fix(onboarding): READY gating\n", None),
        ("feat!: drop the v1 API", None),
        ("feat(api)!: drop the v1 API", None),
        ("docs!: rename the runbook\n\nBody text.\n\nRefs: #12\n", None),
        ("FEAT: upper-case types are the same type", None),
        ("Feat: types are not case sensitive", None),
        ("fix(API): scopes keep their case", None),
        ("chore(deps): bump git2 to 0.21", None),
        ("refactor(check/commits): one parser", None),
        ("ci(release-please): x", None),
        ("build(a.b_c-d): punctuation in a scope", None),
        ("perf(user settings): a scope of two words", None),
        ("test: x", None),
        ("style: x", None),
        ("revert: feat: add scheduler receipts\n\nRefs: 676104e\n", None),
        ("spec: approve health monitor", None),
        ("feat: naïve café support", None),
        ("feat: 日本語の説明", None),
        ("feat: ✨ sparkle the UI 🎉", None),
        ("feat(🚀): emoji scope", None),
        ("fix: handle `a: b` in descriptions", None),
        ("fix: colons: everywhere: fine", None),
        ("fix: trailing blanks are the description's  ", None),
        ("fix: a\tb tab inside the description", None),
        ("feat: x\n\nA body\nof two lines.\n", None),
        ("feat: x\n\nParagraph one.\n\nParagraph two.\n\nReviewed-by: Z\nRefs: #123\n", None),
        ("feat: x\n\nBREAKING CHANGE: the config moved\n", None),
        ("feat: x\n\nBREAKING-CHANGE: the config moved\n", None),
        ("feat!: x\n\nBody.\n\nBREAKING CHANGE: the config moved\nand the value\nspans lines\n", None),
        ("fix: x\n\nFixes #42\n", None),
        ("fix: x\n\nCloses #42\nAcked-by: Someone <a@b.c>\n", None),
        ("feat: x\r\n\r\nCRLF body\r\n", None),
        ("feat: x\r\n", None),
        ("feat: x\n\n\n\nmany blank lines are still one blank line first\n", None),
        ("feat: x\n\n# a body line starting with a hash is text, as stored\n", None),
        ("feat: x\n\n   \nindented body\n", None),
        ("feat: x\n\nbreaking change is mentioned in prose here\n", None),
        ("feat: x\n\n", None),
        // Invalid: no type.
        ("stuff", Some("it has no type")),
        ("Add scheduler receipts", Some("it has no type")),
        ("#42 fix login", Some("it has no type")),
        ("Merge branch 'main' into feat/x", Some("it has no type")),
        ("WIP", Some("it has no type")),
        (": x", Some("it has no type")),
        ("(api): x", Some("it has no type")),
        ("42: x", Some("the type `42` is not allowed")),
        // Invalid: the separator.
        ("feat:x", Some("there is no space after the colon; write `feat: x`")),
        ("feat:\tx", Some("after the colon comes U+0009 (a tab), not one space; write `feat: x`")),
        ("feat:\u{a0}x", Some("after the colon comes U+00A0 (a no-break space)")),
        ("feat:\u{200b}x", Some("U+200B (a zero-width space)")),
        ("feat:  x", Some("after the colon comes more than one space: write exactly one space; write `feat: x`")),
        ("feat: \u{a0}x", Some("a space and U+00A0 (a no-break space)")),
        ("feat : x", Some("a space before the colon: the colon follows the type right away; write `feat: x`")),
        ("feat\t: x", Some("U+0009 (a tab) before the colon")),
        ("feat(api) : x", Some("a space before the colon: the colon follows the type right away; write `feat(api): x`")),
        ("fix login bug", Some("`fix` is followed by a space, not by `: `; write `fix: login bug`")),
        ("fix - login bug", Some("`fix` is followed by a space, not by `: `; write `fix: login bug`")),
        ("feat：x", Some("its colon is the full-width U+FF1A, not an ASCII `:`; write `feat: x`")),
        ("feat(api)： x", Some("full-width U+FF1A")),
        ("feat", Some("it has no `: ` and description after `feat`")),
        ("feat(api)", Some("it has no `: ` and description after `feat(api)`")),
        ("feat.x: y", Some("the type `feat.x` is not allowed")),
        // Invalid: no description.
        ("feat:", Some("it has no description")),
        ("feat: ", Some("it has no description")),
        ("feat:   ", Some("it has no description")),
        ("feat: \n\nthe description only in the body\n", Some("it has no description")),
        ("feat(api)!: ", Some("it has no description: the first line is `feat(api)!: `")),
        // Invalid: the scope.
        ("feat( ): x", Some("its scope `( )` is blank: name the part it changes, or leave the parentheses out; write `feat: x`")),
        ("feat(): x", Some("its scope `()` is blank")),
        ("feat(\t): x", Some("is blank")),
        ("feat( api): x", Some("no blanks inside the parentheses; write `feat(api): x`")),
        ("feat(api ): x", Some("no blanks inside the parentheses")),
        ("feat(\u{a0}api): x", Some("holds an invisible U+00A0")),
        ("feat(api: x", Some("its scope is not closed")),
        ("feat(a(b)): x", Some("a scope holds no parentheses")),
        ("feat(a)(b): x", Some("has a second scope")),
        ("feat (api): x", Some("a space between the type and the scope; write `feat(api): x`")),
        ("feat): x", Some("an unmatched `)`")),
        ("feat!(api): x", Some("the `!` goes after the scope, right before the colon; write `feat(api)!: x`")),
        ("feat!!: x", Some("has more than one `!`")),
        ("feat !: x", Some("a space before the `!`; write `feat!: x`")),
        // Invalid: leading blanks and invisible characters.
        (" feat: x", Some("it starts with blanks: the type must be the first thing on the line; write `feat: x`")),
        ("\tfeat: x", Some("it starts with an invisible U+0009 (a tab)")),
        ("\u{feff}feat: x", Some("`<U+FEFF>feat: x` is not a conventional commit: it starts with an invisible U+FEFF (a byte order mark)")),
        ("\u{200b}feat: x", Some("U+200B (a zero-width space)")),
        ("\nfeat: x", Some("the message starts with a blank line")),
        ("\r\nfeat: x\r\n", Some("the message starts with a blank line")),
        ("", Some("the commit message is empty")),
        ("  \n\n", Some("the commit message is empty")),
        // Invalid: types not configured, with "did you mean".
        ("wip: more", Some("the type `wip` is not allowed; use one of:")),
        ("feature: x", Some("the type `feature` is not allowed; did you mean `feat`? write `feat: x`")),
        ("Feature(api): x", Some("did you mean `feat`? write `feat(api): x`")),
        ("fixed: x", Some("did you mean `fix`?")),
        ("bugfix: x", Some("did you mean `fix`?")),
        ("doc: x", Some("did you mean `docs`?")),
        ("tests: x", Some("did you mean `test`?")),
        ("feta: x", Some("did you mean `feat`?")),
        ("refactoring: x", Some("did you mean `refactor`?")),
        ("feature:x", Some("there is no space after the colon, and the type `feature` is not allowed (did you mean `feat`?); write `feat: x`")),
        ("update: x", Some("the type `update` is not allowed; use one of:")),
        // Invalid: body and footers.
        ("feat: x\nno blank line before the body", Some("the body must be separated from the subject by a blank line")),
        ("feat: x\r\nno blank line\r\n", Some("separated from the subject by a blank line")),
        ("feat: x\n\nBREAKING CHANGE:\n", Some("the `BREAKING CHANGE:` footer has no description")),
        ("feat: x\n\nBREAKING CHANGE: \n", Some("the `BREAKING CHANGE:` footer has no description")),
        ("feat: x\n\nBREAKING-CHANGE:   \n", Some("the `BREAKING-CHANGE:` footer has no description")),
        ("feat: x\n\nBREAKING CHANGE:moved\n", Some("needs one space after the colon")),
        ("feat: x\n\nBreaking change: moved\n", Some("must be written `BREAKING CHANGE:`, in upper case")),
        // Autosquash and git's own messages.
        ("fixup! feat: add x", Some("is a commit for `git rebase --autosquash` (`fixup!`)")),
        ("squash! feat: add x\n\nmore\n", Some("(`squash!`)")),
        ("amend! feat: add x\n\nfeat: add x better\n", Some("(`amend!`)")),
        ("Revert \"feat: add x\"\n\nThis reverts commit 0123456.\n", Some("git's own revert message is not a conventional commit; write `revert: feat: add x`")),
    ];

    #[test]
    fn the_corpus_gets_the_spec_verdicts() {
        assert!(CORPUS.len() >= 80, "{} messages", CORPUS.len());
        let mut wrong = Vec::new();
        for (message, expected) in CORPUS {
            let verdict = check(message);
            match (expected, &verdict) {
                (None, Ok(())) => {}
                (Some(fragment), Err(error)) if error.contains(fragment) => {}
                _ => wrong.push(format!("{message:?}: expected {expected:?}, got {verdict:?}")),
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// Proves no invisible character is ever printed raw, and every suggested fix passes.
    #[test]
    fn refusals_show_invisible_characters_and_suggest_only_what_passes() {
        for (message, _) in CORPUS {
            let Err(error) = check(message) else { continue };
            assert!(!error.chars().any(is_invisible), "{message:?}: {error:?}");
            if let Some(fixed) = error.split("write `").nth(1).and_then(|rest| rest.split('`').next()) {
                if fixed != EXAMPLE && !fixed.contains('<') && !fixed.contains('…') {
                    assert_eq!(check(fixed), Ok(()), "{message:?} suggests {fixed:?}");
                }
            }
        }
    }

    #[test]
    fn the_configured_types_are_the_allowed_ones() {
        let config = Config { commit_types: vec!["change".into()], ..Config::default() };
        assert!(check_commit_message("change: x", &config).is_ok());
        let error = check_commit_message("feat: x", &config).unwrap_err();
        assert!(error.contains("use one of: change (e.g. `change: add scheduler receipts`)"), "{error}");
        // Never a fix with a type the hook would reject.
        let error = check_commit_message("feat:x", &config).unwrap_err();
        assert!(!error.contains("write `feat"), "{error}");
    }

    #[test]
    fn long_subjects_are_shortened_and_secrets_redacted() {
        let long = "x".repeat(200);
        let error = check(&long).unwrap_err();
        assert!(error.contains("xxx…`") && !error.contains(&"x".repeat(61)), "{error}");
    }

    /// git's `cleanup_message`, checked against what `git commit` stored in each mode.
    #[test]
    fn cleanup_is_gits() {
        let raw = "\n\nfeat: add x  \n\n\n\nbody line\t\n# Please enter the commit message\n# ------------------------ >8 ------------------------\ndiff --git a b\n";
        assert_eq!(cleanup(raw, Cleanup::Strip, "#"), "feat: add x\n\nbody line\n");
        assert_eq!(
            cleanup(raw, Cleanup::Whitespace, "#"),
            "feat: add x\n\nbody line\n# Please enter the commit message\n"
        );
        assert_eq!(cleanup(raw, Cleanup::Verbatim, "#"), &raw[..raw.find("# ----").unwrap()]);
        assert_eq!(cleanup("# only comments\n\n", Cleanup::Strip, "#"), "");
        assert_eq!(cleanup("; note\nfix: y\n#42 kept\n", Cleanup::Strip, ";"), "fix: y\n#42 kept\n");
        assert_eq!(cleanup("feat: x\r\n\r\nbody\r\n", Cleanup::Whitespace, "#"), "feat: x\n\nbody\n");
        // The scissors line only with the configured comment prefix.
        assert_eq!(
            cleanup("a\n; ------------------------ >8 ------------------------\nb\n", Cleanup::Strip, ";"),
            "a\n"
        );
        assert_eq!(
            cleanup("a\n# ------------------------ >8 ------------------------\nb\n", Cleanup::Verbatim, ";")
                .lines()
                .count(),
            3
        );
    }

    #[test]
    fn near_types() {
        let config = Config::default();
        assert_eq!(near_type("feature", &config), Some("feat"));
        assert_eq!(near_type("FIXED", &config), Some("fix"));
        assert_eq!(near_type("wip", &config), None);
        assert_eq!(near_type("deps", &config), None);
        assert_eq!(edit_distance("feta", "feat"), 1);
    }
}
