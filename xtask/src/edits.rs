//! Text edits of the CHANGELOG's Unreleased section.
//!
//! Pure functions over strings: no disk access, so they are unit-tested exhaustively and the
//! file-writing stays in `plan.rs`. Line endings (`\n` or `\r\n`) are preserved.

use anyhow::bail;

/// Adds `entry` (one or more lines) under `### <section>` of the `## [Unreleased]` section,
/// creating the subsection if needed.
pub fn changelog_add(text: &str, section: &str, entry: &str) -> anyhow::Result<String> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.lines().collect();
    let Some(unreleased) = lines.iter().position(|l| is_unreleased_heading(l)) else {
        bail!("it has no `## [Unreleased]` section (Keep a Changelog)");
    };
    let section_end = lines[unreleased + 1..]
        .iter()
        .position(|l| l.starts_with("## "))
        .map_or(lines.len(), |offset| unreleased + 1 + offset);
    let heading = format!("### {section}");
    let entry_lines: Vec<&str> = entry.trim_end().lines().collect();
    let mut out: Vec<&str> = Vec::with_capacity(lines.len() + entry_lines.len() + 3);
    match lines[unreleased + 1..section_end].iter().position(|l| l.trim() == heading) {
        Some(offset) => {
            let heading_line = unreleased + 1 + offset;
            // After the last list item of the subsection (or right under its heading).
            let mut insert_at = heading_line + 1;
            let mut index = heading_line + 1;
            while index < section_end && !lines[index].starts_with('#') {
                if !lines[index].trim().is_empty() {
                    insert_at = index + 1;
                }
                index += 1;
            }
            out.extend_from_slice(&lines[..insert_at]);
            out.extend(entry_lines.iter().copied());
            out.extend_from_slice(&lines[insert_at..]);
        }
        None => {
            out.extend_from_slice(&lines[..=unreleased]);
            out.push("");
            out.push(&heading);
            out.push("");
            out.extend(entry_lines.iter().copied());
            let mut rest = &lines[unreleased + 1..];
            while rest.first().is_some_and(|l| l.trim().is_empty()) {
                rest = &rest[1..];
            }
            out.push("");
            out.extend_from_slice(rest);
        }
    }
    let mut joined = out.join(newline);
    joined.push_str(newline);
    Ok(joined)
}

pub fn is_unreleased_heading(line: &str) -> bool {
    line.starts_with("## ") && line.to_ascii_lowercase().contains("unreleased")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changelog_creates_the_added_subsection() {
        let text = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\n### Added\n\n- old\n";
        let out = changelog_add(text, "Added", "- new").unwrap();
        assert_eq!(
            out,
            "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- new\n\n## [0.1.0] - 2026-01-01\n\n### Added\n\n- old\n"
        );
    }

    #[test]
    fn changelog_appends_to_the_existing_subsection() {
        let text = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- one\n- two\n\n### Fixed\n\n- bug\n";
        let out = changelog_add(text, "Added", "- three").unwrap();
        assert_eq!(out, "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- one\n- two\n- three\n\n### Fixed\n\n- bug\n");
    }

    #[test]
    fn changelog_without_unreleased_is_refused() {
        assert!(changelog_add("# Changelog\n", "Added", "- x").unwrap_err().to_string().contains("Unreleased"));
    }
}
