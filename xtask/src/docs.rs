//! Reading the add-on documents: the `**Key:** value` header of a spec (and the other three
//! documents), its lifecycle status, its Depends-on list and its Markdown headings.
//!
//! Headers are read before bodies: [`Header::parse`] stops at the first `## ` heading, so tools
//! that only need the status never scan a whole document.

use std::fmt;

/// A spec's lifecycle status (SOP 2.1, 3 step 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Status {
    Draft,
    Approved,
    #[serde(rename = "In Progress")]
    InProgress,
    Complete,
    Superseded,
}

impl Status {
    pub const ALL: [Status; 5] =
        [Status::Draft, Status::Approved, Status::InProgress, Status::Complete, Status::Superseded];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::Approved => "Approved",
            Status::InProgress => "In Progress",
            Status::Complete => "Complete",
            Status::Superseded => "Superseded",
        }
    }

    /// Parses `In Progress`, `in-progress`, `Superseded by X`, … (case-insensitive).
    pub fn parse(value: &str) -> Option<Status> {
        let normalized = value.trim().to_ascii_lowercase().replace(['-', '_'], " ");
        let first_words: String = normalized.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        Status::ALL.into_iter().find(|status| {
            let name = status.as_str().to_ascii_lowercase();
            first_words == name || first_words.split(' ').next() == Some(name.as_str())
        })
    }

    /// Frozen: the spec may not change except through a lifecycle transition (SOP 2.1).
    pub fn is_frozen(self) -> bool {
        matches!(self, Status::InProgress | Status::Complete | Status::Superseded)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `**Key:** value` line of a document header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: String,
    pub value: String,
    /// 1-based line number.
    pub line: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// The `# ` title, if any.
    pub title: Option<String>,
    pub fields: Vec<Field>,
}

/// The cache stores a spec's parsed header (`cache.rs`).
impl crate::cache::Codec for Header {
    fn encode(&self, out: &mut Vec<u8>) {
        self.title.encode(out);
        crate::cache::put_u64(out, self.fields.len() as u64);
        for field in &self.fields {
            field.key.encode(out);
            field.value.encode(out);
            field.line.encode(out);
        }
    }

    fn decode(input: &mut crate::cache::Reader<'_>) -> Option<Self> {
        let title = Option::<String>::decode(input)?;
        let count = usize::try_from(input.u64()?).ok()?;
        let mut fields = Vec::with_capacity(count.min(input.remaining() / 24));
        for _ in 0..count {
            fields.push(Field {
                key: String::decode(input)?,
                value: String::decode(input)?,
                line: usize::decode(input)?,
            });
        }
        Some(Header { title, fields })
    }
}

impl Header {
    /// Parses the header: every `**Key:** value` line before the first `## ` heading.
    pub fn parse(text: &str) -> Header {
        let mut header = Header::default();
        for (index, line) in text.lines().enumerate() {
            if line.starts_with("## ") {
                break;
            }
            if header.title.is_none() {
                if let Some(title) = line.strip_prefix("# ") {
                    header.title = Some(title.trim().to_string());
                    continue;
                }
            }
            if let Some((key, value)) = parse_field(line) {
                header.fields.push(Field { key, value, line: index + 1 });
            }
        }
        header
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.key.eq_ignore_ascii_case(key))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.field(key).map(|field| field.value.as_str())
    }

    /// The status, or an error naming what is wrong with the Status line.
    pub fn status(&self) -> Result<Status, String> {
        let field = self.field("Status").ok_or("the header has no `**Status:**` line")?;
        Status::parse(&field.value).ok_or_else(|| {
            format!("`{}` is not a status (Draft, Approved, In Progress, Complete, Superseded)", field.value)
        })
    }

    /// The features this document depends on (`[X](Lancelot_vNext2_Spec_X.md), …` or `none`).
    pub fn depends_on(&self) -> Vec<String> {
        self.get("Depends on").map(parse_depends_on).unwrap_or_default()
    }

    /// `(kind, version)` from `**Template:** spec v1`.
    pub fn template(&self) -> Option<(String, u32)> {
        let value = self.get("Template")?;
        let (kind, version) = value.trim().split_once(' ')?;
        Some((kind.to_string(), version.trim().strip_prefix('v')?.parse().ok()?))
    }
}

/// `**Key:** value  ` → `(Key, value)`, with backticks kept and trailing spaces dropped.
fn parse_field(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix("**")?;
    let (key, value) = rest.split_once(":**")?;
    if key.is_empty() || key.contains('*') {
        return None;
    }
    Some((key.trim().to_string(), value.trim().to_string()))
}

pub fn parse_depends_on(value: &str) -> Vec<String> {
    let value = value.trim();
    if value.is_empty() || value.eq_ignore_ascii_case("none") || value == "-" {
        return Vec::new();
    }
    value
        .split(',')
        .filter_map(|item| {
            let item = item.trim();
            // `[Feature](file.md)` → the file's feature; bare `Feature` or `file.md` also work.
            let target = item.rsplit_once("](").map(|(_, rest)| rest.trim_end_matches(')')).unwrap_or(item);
            let file = target.rsplit('/').next().unwrap_or(target).trim_matches('`');
            let feature =
                crate::names::feature_of_spec_file(file).map(str::to_string).unwrap_or_else(|| file.to_string());
            (!feature.is_empty()).then_some(feature)
        })
        .collect()
}

/// Replaces the value of the `**Status:**` line, changing nothing else in the document.
pub fn set_status(text: &str, new_value: &str) -> Option<String> {
    let header = Header::parse(text);
    let field = header.field("Status")?;
    let mut out = String::with_capacity(text.len() + 16);
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if index + 1 == field.line {
            let (prefix, _) = line.split_once(":**")?;
            let ending = &line[line.trim_end().len()..];
            let trailing = if ending.starts_with("  ") { "  " } else { "" };
            let newline = ending.trim_start_matches(' ');
            out.push_str(&format!("{prefix}:** {new_value}{trailing}{newline}"));
        } else {
            out.push_str(line);
        }
    }
    Some(out)
}

/// The Markdown headings of a document (lines starting with `#`, outside code fences).
pub fn headings(text: &str) -> Vec<(usize, &str)> {
    let mut in_fence = false;
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence && line.starts_with('#') && line.trim_start_matches('#').starts_with(' ') {
            out.push((index + 1, line.trim_end()));
        }
    }
    out
}

/// The marker of a template placeholder the engineer has not filled in yet.
pub const PLACEHOLDER: &str = "TODO(sop)";

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "# Lancelot vNext2 Spec: Scheduler\n\n**Status:** In Progress  \n**Depends on:** [HealthMonitor](Lancelot_vNext2_Spec_HealthMonitor.md), [Jobs](Lancelot_vNext2_Spec_Jobs.md)  \n**Template:** spec v1\n\n## Scope\n\n**Status:** ignored in the body\n";

    #[test]
    fn reads_the_header_only() {
        let header = Header::parse(SPEC);
        assert_eq!(header.title.as_deref(), Some("Lancelot vNext2 Spec: Scheduler"));
        assert_eq!(header.status(), Ok(Status::InProgress));
        assert_eq!(header.depends_on(), ["HealthMonitor", "Jobs"]);
        assert_eq!(header.template(), Some(("spec".to_string(), 1)));
        assert_eq!(header.fields.len(), 3);
        assert_eq!(header.field("status").unwrap().line, 3);
    }

    #[test]
    fn statuses_parse_leniently() {
        assert_eq!(Status::parse("in-progress"), Some(Status::InProgress));
        assert_eq!(Status::parse("Superseded by Lancelot_vNext2_Spec_X.md"), Some(Status::Superseded));
        assert_eq!(Status::parse("draft"), Some(Status::Draft));
        assert_eq!(Status::parse("Maybe"), None);
        assert!(Header::parse("# T\n**Status:** Maybe\n").status().unwrap_err().contains("`Maybe`"));
        assert!(Header::parse("# T\n").status().is_err());
    }

    #[test]
    fn depends_on_accepts_links_names_and_none() {
        assert!(parse_depends_on("none").is_empty());
        assert_eq!(parse_depends_on("Scheduler, `Lancelot_vNext2_Spec_Jobs.md`"), ["Scheduler", "Jobs"]);
    }

    #[test]
    fn set_status_changes_only_the_status_line() {
        let out = set_status(SPEC, "Complete").unwrap();
        assert_eq!(out, SPEC.replacen("**Status:** In Progress  \n", "**Status:** Complete  \n", 1));
        let crlf = SPEC.replace('\n', "\r\n");
        let out = set_status(&crlf, "Approved").unwrap();
        assert!(out.contains("**Status:** Approved  \r\n"), "{out:?}");
        assert_eq!(out.len(), crlf.len() - "In Progress".len() + "Approved".len());
    }

    #[test]
    fn headings_skip_code_fences() {
        let text = "# A\n```\n# not\n```\n## B\n";
        assert_eq!(headings(text), [(1, "# A"), (5, "## B")]);
    }
}
