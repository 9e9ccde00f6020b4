//! The one redaction layer (SOP 4.9: secrets never leave the engineer's machine in clear):
//! everything the tool prints, stores in a receipt, reports as JSON or writes into the PR body
//! passes through here when it may hold user-derived text (commit subjects, remote URLs, git's
//! messages, finding messages, spec sections).
//!
//! Two things are removed:
//! - credentials in URLs, as git strips them: `https://user:token@host/x` becomes
//!   `https://***@host/x` (any userinfo, so a bare token as the user name goes too);
//! - every secret the scanner's rules find (`check::secrets::rules::scan_line`), replaced on
//!   exactly its span by a fixed mask that keeps at most the safe prefix the finding itself
//!   shows (`ghp_****`).
//!
//! It never panics on any text: spans are clamped to the line and widened to character
//! boundaries. It detects nothing of its own beyond URL userinfo (the rules are the scanner's)
//! and decides nothing about *whether* to print.

use std::borrow::Cow;
use std::ops::Range;

use crate::check::secrets::rules;

/// What replaces a secret (after its safe prefix, if it has one).
pub const MASK: &str = "****";

/// What replaces the userinfo of a URL: `https://***@host`.
pub const URL_USERINFO_MASK: &str = "***";

/// Rescans after masking catch a second secret of the same kind on a line (the rules report one
/// hit per rule per line). A line still holding a secret after this many passes is masked whole.
const MAX_PASSES: usize = 16;

/// `text` (one line or many) with URL credentials stripped and every detected secret masked.
/// Borrowed when there was nothing to redact, so the common case allocates nothing.
pub fn text(text: &str) -> Cow<'_, str> {
    if !text.contains('\n') {
        return line(text);
    }
    let mut out: Option<String> = None;
    let mut done = 0;
    for piece in text.split_inclusive('\n') {
        let content = piece.strip_suffix('\n').unwrap_or(piece);
        let content = content.strip_suffix('\r').unwrap_or(content);
        let redacted = line(content);
        if let Cow::Owned(redacted) = redacted {
            let out = out.get_or_insert_with(|| text[..done].to_string());
            out.push_str(&redacted);
            out.push_str(&piece[content.len()..]);
        } else if let Some(out) = out.as_mut() {
            out.push_str(piece);
        }
        done += piece.len();
    }
    match out {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(text),
    }
}

/// [`text`] as an owned `String`, for fields that store it.
pub fn owned(value: &str) -> String {
    text(value).into_owned()
}

/// Every string inside a JSON value redacted in place (object keys are the tool's own).
pub fn json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(string) => {
            if let Cow::Owned(redacted) = text(string) {
                *string = redacted;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(json),
        serde_json::Value::Object(map) => map.values_mut().for_each(json),
        serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {}
    }
}

/// One line: URL credentials first, then the scanner's secrets, rescanned until none is left.
fn line(line: &str) -> Cow<'_, str> {
    let mut current = urls(line);
    for _ in 0..MAX_PASSES {
        let hits = rules::scan_line(&current);
        if hits.is_empty() {
            return current;
        }
        current = Cow::Owned(mask_hits(&current, &hits));
    }
    if rules::scan_line(&current).is_empty() {
        current
    } else {
        Cow::Owned(MASK.to_string())
    }
}

/// `line` with each hit's span (merged where they overlap) replaced by its safe prefix and
/// [`MASK`].
fn mask_hits(line: &str, hits: &[rules::Hit]) -> String {
    let mut spans: Vec<(Range<usize>, &rules::Hit)> =
        hits.iter().map(|hit| (char_span(line, &hit.span), hit)).filter(|(span, _)| !span.is_empty()).collect();
    if spans.is_empty() {
        // Hits without a usable span: nothing can be masked precisely, so nothing of it is shown.
        return MASK.to_string();
    }
    spans.sort_by_key(|(span, _)| (span.start, std::cmp::Reverse(span.end)));
    let mut out = String::with_capacity(line.len());
    let mut cursor = 0;
    let mut index = 0;
    while index < spans.len() {
        let (first, hit) = &spans[index];
        let mut span = first.clone();
        index += 1;
        while index < spans.len() && spans[index].0.start <= span.end {
            span.end = span.end.max(spans[index].0.end);
            index += 1;
        }
        let start = span.start.max(cursor);
        out.push_str(&line[cursor..start]);
        // The prefix belongs to the first hit's own span; a merged span starts where it does.
        out.push_str(safe_prefix(hit, &line[first.start..first.end]).filter(|_| start == first.start).unwrap_or(""));
        out.push_str(MASK);
        cursor = span.end;
    }
    out.push_str(&line[cursor..]);
    out
}

/// `span` clamped to `line` and widened to character boundaries.
fn char_span(line: &str, span: &Range<usize>) -> Range<usize> {
    let mut start = span.start.min(line.len());
    let mut end = span.end.min(line.len()).max(start);
    while !line.is_char_boundary(start) {
        start -= 1;
    }
    while !line.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// The prefix the finding itself shows (`ghp_` of `` `ghp_****` (40 characters) ``), when it
/// really is how the secret starts and is at most a third of it; otherwise none.
fn safe_prefix<'a>(hit: &rules::Hit, secret: &'a str) -> Option<&'a str> {
    let (shown, _) = hit.redacted.split_once(MASK)?;
    let shown = shown.strip_prefix('`').unwrap_or(shown);
    let short_enough = shown.chars().count() * 3 <= secret.chars().count();
    (!shown.is_empty() && short_enough && secret.starts_with(shown)).then(|| &secret[..shown.len()])
}

/// `text` with the userinfo of every `scheme://userinfo@host` replaced by [`URL_USERINFO_MASK`],
/// as git strips credentials from the URLs it prints. The authority ends at `/`, `?`, `#`,
/// whitespace, a quote or an angle bracket; its userinfo is everything before its last `@`.
pub fn urls(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out: Option<String> = None;
    let mut cursor = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find("://") {
        let authority_start = search + found + 3;
        let rest = &text[authority_start..];
        let authority_end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#' | '\\' | '"' | '\'' | '`' | '<' | '>') || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        search = authority_start + authority_end;
        let Some(at) = authority.rfind('@') else { continue };
        if at == 0 || &authority[..at] == URL_USERINFO_MASK {
            continue;
        }
        let out = out.get_or_insert_with(String::new);
        out.push_str(&text[cursor..authority_start]);
        out.push_str(URL_USERINFO_MASK);
        cursor = authority_start + at;
    }
    match out {
        Some(mut out) => {
            out.push_str(&text[cursor..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(text),
    }
}

/// A URL (a remote's) as it may be shown: [`urls`], then the scanner's secrets (a token in the
/// path or the query).
pub fn url(url: &str) -> String {
    owned(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every sample is assembled at run time so that no scannable literal exists in the repository.
    fn github_token() -> String {
        ["gh", "p_", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"].concat()
    }
    fn aws_key_id() -> String {
        ["AK", "IA", "Z7Q2K4M9", "T3W8X5R1"].concat()
    }
    fn slack_token() -> String {
        ["xo", "xb-", "1234567890-", "ABCDEFghijklMNOP"].concat()
    }

    #[test]
    fn url_credentials_are_stripped_as_git_does() {
        let cases = [
            ("https://user:secret@example.com/x.git", "https://***@example.com/x.git"), // sop:allow-secret
            ("https://TOKEN123@github.com/acme/x", "https://***@github.com/acme/x"),    // sop:allow-secret
            ("https://x-access-token:abc@github.com/acme/x.git", "https://***@github.com/acme/x.git"), // sop:allow-secret
            ("fatal: 'https://u:p@h:9/x' failed", "fatal: 'https://***@h:9/x' failed"), // sop:allow-secret
            ("a https://u:p@ss@h b http://v:w@i", "a https://***@h b http://***@i"),    // sop:allow-secret
            ("postgres://admin:hunter2@db:5432/app", "postgres://***@db:5432/app"),     // sop:allow-secret
            ("(`https://u:p@h`)", "(`https://***@h`)"),                                 // sop:allow-secret
            ("https://example.com/path/@scope/pkg", "https://example.com/path/@scope/pkg"), // sop:allow-secret
            ("no url here", "no url here"),
            ("https://@host/x", "https://@host/x"),       // sop:allow-secret
            ("https://***@host/x", "https://***@host/x"), // sop:allow-secret
            ("://", "://"),
            ("x://u@", "x://***@"), // sop:allow-secret
        ];
        for (input, expected) in cases {
            assert_eq!(urls(input), expected, "{input}");
        }
        assert!(matches!(urls("https://example.com/x"), Cow::Borrowed(_)));
    }

    #[test]
    fn secrets_are_masked_on_their_span_keeping_the_safe_prefix() {
        let token = github_token();
        let redacted = owned(&format!("feat: use {token} for the API"));
        assert_eq!(redacted, "feat: use ghp_**** for the API");

        let key = aws_key_id();
        assert_eq!(owned(&format!("key={key}!")), "key=AKIA****!");

        let slack = slack_token();
        let redacted = owned(&format!("`{slack}` is not a conventional commit"));
        assert!(!redacted.contains(&slack[5..]), "{redacted}");
        assert!(redacted.starts_with("`xoxb-****`"), "{redacted}");

        let password = ["DB_PASSWORD=", "Xk9#mP2$vL8qR4tW"].concat();
        assert_eq!(owned(&password), "DB_PASSWORD=****");
    }

    #[test]
    fn two_secrets_of_one_kind_on_a_line_are_both_masked() {
        let (one, two) = (github_token(), github_token().replace("aB3d", "zY9x"));
        let redacted = owned(&format!("{one} and {two}"));
        assert_eq!(redacted, "ghp_**** and ghp_****");
    }

    #[test]
    fn multi_line_text_keeps_its_line_endings() {
        let token = github_token();
        let input = format!("title\r\nbody {token}\n\nhttps://u:p@h/x\nend"); // sop:allow-secret
        assert_eq!(owned(&input), "title\r\nbody ghp_****\n\nhttps://***@h/x\nend"); // sop:allow-secret
        assert!(matches!(text("plain\ntext\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_strings_are_redacted_everywhere() {
        let token = github_token();
        let mut value = serde_json::json!({
            "message": format!("push to https://u:{token}@h/x"), // sop:allow-secret
            "detail": { "subjects": [format!("feat: {token}"), "fine"], "n": 3, "ok": true },
        });
        json(&mut value);
        let text = value.to_string();
        assert!(!text.contains(&token) && !text.contains(&token[4..]), "{text}");
        assert_eq!(value["detail"]["subjects"][1], "fine");
        assert_eq!(value["detail"]["n"], 3);
    }

    #[test]
    fn odd_spans_never_panic() {
        let hit = |span: Range<usize>| rules::Hit {
            rule: "test",
            id: "sop-4.9/secret/test",
            rotate: true,
            span,
            redacted: "`é****` (9 characters)".into(),
        };
        let line = "aé€𝄞b";
        for start in 0..=line.len() + 2 {
            for end in 0..=line.len() + 2 {
                let out = mask_hits(line, &[hit(start..end), hit(end..start)]);
                assert!(!out.is_empty());
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any UTF-8 at all: redacting never panics, and the result holds nothing the scanner finds.
        #[test]
        fn redacting_arbitrary_text_never_panics_and_leaves_no_secret(input in "\\PC*") {
            let out = owned(&input);
            for piece in out.lines() {
                proptest::prop_assert!(rules::scan_line(piece).is_empty(), "{piece:?}");
            }
        }

        /// Secrets planted in arbitrary text are gone afterwards, prefix and all but the safe part.
        #[test]
        fn planted_secrets_never_survive(before in "\\PC{0,40}", after in "\\PC{0,40}", kind in 0usize..5) {
            let secret = match kind {
                0 => github_token(),
                1 => aws_key_id(),
                2 => slack_token(),
                3 => "https://user:s3cr3tPass@127.0.0.1:9/x.git".to_string(), // sop:allow-secret
                _ => format!("https://{}@github.com/acme/x", github_token()), // sop:allow-secret
            };
            let input = format!("{before} {secret} {after}");
            let out = owned(&input);
            proptest::prop_assert!(!out.contains(&secret), "{out:?}");
            for piece in out.lines() {
                proptest::prop_assert!(rules::scan_line(piece).is_empty(), "{piece:?}");
            }
        }
    }
}
