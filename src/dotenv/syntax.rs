//! The syntax of one `.env` line, shared by the runtime (`src/dotenv.rs`) and the xtask, which
//! compiles this file in with `#[path]`: blank lines, `#` comments, `export KEY=VALUE`, single-
//! and double-quoted values, trailing ` # comments` on unquoted values. Standard library only,
//! and no error type of either crate: a malformed line is a reason in words.
//!
//! It also holds the runtime's two whole-file rules, so the xtask cannot judge a `.env` the host
//! refuses as fine: a variable defined twice is refused ([`read`]), and a flag's value is `true`
//! or `false` in any case, nothing else ([`flag_value`]).

/// Why the runtime refuses a `.env` file (`cargo run -- …` exits 2), one line's worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The line is no definition, a blank line or a comment.
    Malformed {
        /// The 1-based line number.
        line: usize,
        /// Why, in words.
        reason: String,
    },
    /// `key` is defined again on `second_line`.
    Duplicate {
        /// The variable.
        key: String,
        /// Where it was first defined.
        first_line: usize,
        /// Where it is defined again.
        second_line: usize,
    },
}

/// A whole `.env` as the runtime reads it: the definitions it keeps (`(line, key, value)`, each
/// key once, its first definition) and every line it refuses, both in file order. The runtime
/// refuses the file at the first refusal; `status` and `check` show them all.
pub fn read(text: &str) -> (Vec<(usize, String, String)>, Vec<Refused>) {
    let (mut kept, mut refused): (Vec<(usize, String, String)>, Vec<Refused>) = (Vec::new(), Vec::new());
    for (line, definition) in definitions(text) {
        match definition {
            Err(reason) => refused.push(Refused::Malformed { line, reason }),
            Ok((key, value)) => match kept.iter().find(|(_, kept_key, _)| *kept_key == key) {
                Some((first_line, _, _)) => {
                    refused.push(Refused::Duplicate { key, first_line: *first_line, second_line: line })
                }
                None => kept.push((line, key, value)),
            },
        }
    }
    (kept, refused)
}

/// A flag's value as the runtime takes it: `true` or `false`, in any case; anything else
/// (`1`, `yes`, `on`, empty) is `None`, which the runtime refuses.
pub fn flag_value(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Every definition of `text` with its 1-based line number, in file order: `Ok((key, value))`
/// (quotes removed, escapes resolved) or `Err(reason)` for a malformed line. Blank and comment
/// lines are skipped; a leading byte order mark is ignored. Duplicates are the caller's concern.
pub fn definitions(text: &str) -> impl Iterator<Item = (usize, Result<(String, String), String>)> + '_ {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().enumerate().filter_map(|(index, raw)| parse_line(raw).transpose().map(|result| (index + 1, result)))
}

/// `Ok(None)` for blank and comment lines, `Ok(Some((key, value)))` for definitions.
pub fn parse_line(raw: &str) -> Result<Option<(String, String)>, String> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let line = match line.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => line,
    };
    let Some((key, raw_value)) = line.split_once('=') else {
        return Err(format!("expected `KEY=VALUE`, found `{line}`"));
    };
    let key = key.trim_end();
    if !is_variable_name(key) {
        return Err(format!(
            "`{key}` is not a valid variable name (letters, digits and `_`, not starting with a digit)"
        ));
    }
    let value = parse_value(raw_value)?;
    Ok(Some((key.to_string(), value)))
}

fn is_variable_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_value(raw_value: &str) -> Result<String, String> {
    let trimmed = raw_value.trim_start();
    let (value, rest) = if let Some(quoted) = trimmed.strip_prefix('"') {
        double_quoted(quoted)?
    } else if let Some(quoted) = trimmed.strip_prefix('\'') {
        let Some(end) = quoted.find('\'') else {
            return Err("the single-quoted value has no closing `'`".to_string());
        };
        (quoted[..end].to_string(), &quoted[end + 1..])
    } else {
        return Ok(strip_trailing_comment(raw_value).trim().to_string());
    };
    let rest = rest.trim_start();
    if !rest.is_empty() && !rest.starts_with('#') {
        return Err(format!("unexpected `{rest}` after the closing quote"));
    }
    Ok(value)
}

/// Parses the inside of a double-quoted value (after the opening quote); returns the value and
/// the text after the closing quote. `\"`, `\\`, `\n`, `\r` and `\t` are escapes; any other
/// backslash is kept as written.
fn double_quoted(quoted: &str) -> Result<(String, &str), String> {
    let mut value = String::with_capacity(quoted.len());
    let mut chars = quoted.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &quoted[index + 1..])),
            '\\' => match chars.next() {
                Some((_, '"')) => value.push('"'),
                Some((_, '\\')) => value.push('\\'),
                Some((_, 'n')) => value.push('\n'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, 't')) => value.push('\t'),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => break,
            },
            other => value.push(other),
        }
    }
    Err("the double-quoted value has no closing `\"`".to_string())
}

/// Cuts an unquoted value at a `#` that follows whitespace: `a # note` is `a`, `a#b` stays.
fn strip_trailing_comment(raw_value: &str) -> &str {
    let mut previous_is_space = false;
    for (index, c) in raw_value.char_indices() {
        if c == '#' && previous_is_space {
            return &raw_value[..index];
        }
        previous_is_space = c.is_whitespace();
    }
    raw_value
}
