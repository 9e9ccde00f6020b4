//! Text edits that wire an add-on into the repository: sorted insertion between marker lines
//! (`// sop:flags:begin` … `// sop:flags:end`). CHANGELOG entries are fragments (`changelog.rs`).
//!
//! Pure functions over strings: no disk access, so they are unit-tested exhaustively and the
//! file-writing stays in `plan.rs`. Line endings (`\n` or `\r\n`) are preserved.

use anyhow::bail;

/// Inserts `line` between the `begin` and `end` marker lines, keeping the entries sorted.
/// Fails if a marker is missing or the line is already there.
pub fn insert_between_markers(text: &str, begin: &str, end: &str, line: &str) -> anyhow::Result<String> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let find = |marker: &str, from: usize| {
        lines.iter().enumerate().skip(from).find(|(_, l)| l.trim() == marker).map(|(index, _)| index)
    };
    let Some(start) = find(begin, 0) else { bail!("the marker line `{begin}` is missing") };
    let Some(stop) = find(end, start + 1) else { bail!("the marker line `{end}` is missing after `{begin}`") };
    let entries = &lines[start + 1..stop];
    if entries.iter().any(|existing| existing.trim() == line.trim()) {
        bail!("`{}` is already there", line.trim());
    }
    let position = entries.iter().position(|existing| existing.trim() > line.trim()).unwrap_or(entries.len());
    let mut out = String::with_capacity(text.len() + line.len() + 2);
    for existing in &lines[..start + 1 + position] {
        out.push_str(existing);
    }
    out.push_str(line);
    out.push_str(newline);
    for existing in &lines[start + 1 + position..] {
        out.push_str(existing);
    }
    Ok(out)
}

/// The lines between two markers, trimmed (for checks that read the registry).
pub fn lines_between_markers<'a>(text: &'a str, begin: &str, end: &str) -> Option<Vec<(usize, &'a str)>> {
    let mut inside = false;
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed == begin {
            inside = true;
        } else if trimmed == end {
            return inside.then_some(out);
        } else if inside && !trimmed.is_empty() {
            out.push((index + 1, trimmed));
        }
    }
    None
}

/// The `## [Unreleased]` heading of CHANGELOG.md (its entries live in `docs/changelog.d/`).
pub fn is_unreleased_heading(line: &str) -> bool {
    line.starts_with("## ") && line.to_ascii_lowercase().contains("unreleased")
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTRY: &str = "const A: &[F] = &[\n    // sop:flags:begin\n    F(\"FEATURE_B\"),\n    F(\"FEATURE_D\"),\n    // sop:flags:end\n];\n";

    #[test]
    fn inserts_sorted_between_markers() {
        let out = insert_between_markers(REGISTRY, "// sop:flags:begin", "// sop:flags:end", "    F(\"FEATURE_C\"),")
            .unwrap();
        assert_eq!(out, REGISTRY.replace("    F(\"FEATURE_D\"),", "    F(\"FEATURE_C\"),\n    F(\"FEATURE_D\"),"));
        let out = insert_between_markers(REGISTRY, "// sop:flags:begin", "// sop:flags:end", "    F(\"FEATURE_Z\"),")
            .unwrap();
        assert!(out.contains("F(\"FEATURE_D\"),\n    F(\"FEATURE_Z\"),\n    // sop:flags:end"));
    }

    #[test]
    fn refuses_duplicates_and_missing_markers() {
        let error = insert_between_markers(REGISTRY, "// sop:flags:begin", "// sop:flags:end", "    F(\"FEATURE_B\"),");
        assert!(error.unwrap_err().to_string().contains("already there"));
        let error = insert_between_markers("x\n", "// sop:flags:begin", "// sop:flags:end", "y");
        assert!(error.unwrap_err().to_string().contains("`// sop:flags:begin` is missing"));
    }

    #[test]
    fn preserves_crlf() {
        let text = REGISTRY.replace('\n', "\r\n");
        let out =
            insert_between_markers(&text, "// sop:flags:begin", "// sop:flags:end", "    F(\"FEATURE_C\"),").unwrap();
        assert!(out.contains("F(\"FEATURE_C\"),\r\n"));
        assert!(!out.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn reads_lines_between_markers() {
        let lines = lines_between_markers(REGISTRY, "// sop:flags:begin", "// sop:flags:end").unwrap();
        assert_eq!(lines, [(3, "F(\"FEATURE_B\"),"), (4, "F(\"FEATURE_D\"),")]);
    }
}
