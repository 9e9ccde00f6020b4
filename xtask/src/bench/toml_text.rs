//! Writes TOML for the two manifests `bench` generates: the synthetic repository's `Cargo.toml`
//! and the git2-only crate's. The xtask's `toml` dependency is built without its writer (the
//! `display` feature) to keep the cold build short, and these manifests need only tables, arrays,
//! strings, numbers, booleans and dates. Comments and key order are not kept (nobody reads them).

/// A whole document: the table's plain keys, then one `[header]` per sub-table, depth first.
pub fn document(table: &toml::Table) -> String {
    let mut out = String::new();
    write_table(&mut out, &mut Vec::new(), table);
    out
}

fn write_table(out: &mut String, path: &mut Vec<String>, table: &toml::Table) {
    for (key, value) in table {
        if !value.is_table() {
            out.push_str(&format!("{} = {}\n", key_text(key), inline(value)));
        }
    }
    for (key, value) in table {
        if let toml::Value::Table(inner) = value {
            path.push(key_text(key));
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("[{}]\n", path.join(".")));
            write_table(out, path, inner);
            path.pop();
        }
    }
}

/// A key, bare when TOML allows it, quoted otherwise (`"*"`).
fn key_text(key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        string(key)
    }
}

/// A basic string. JSON's escapes are a subset of TOML's; TOML also wants DEL escaped.
fn string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string().replace('\u{7f}', "\\u007F")
}

fn inline(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => string(text),
        toml::Value::Integer(number) => number.to_string(),
        toml::Value::Float(number) if number.is_nan() => "nan".to_string(),
        toml::Value::Float(number) if number.is_infinite() => if *number > 0.0 { "inf" } else { "-inf" }.to_string(),
        // `{:?}` keeps the `.0` that tells TOML it is a float.
        toml::Value::Float(number) => format!("{number:?}"),
        toml::Value::Boolean(flag) => flag.to_string(),
        toml::Value::Datetime(datetime) => datetime.to_string(),
        toml::Value::Array(items) => format!("[{}]", items.iter().map(inline).collect::<Vec<_>>().join(", ")),
        toml::Value::Table(table) => {
            let entries: Vec<String> =
                table.iter().map(|(key, value)| format!("{} = {}", key_text(key), inline(value))).collect();
            if entries.is_empty() {
                "{}".to_string()
            } else {
                format!("{{ {} }}", entries.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip() {
        let text = r#"
top = "value"
[workspace]
members = [".", "xtask"]
[workspace.metadata.sop]
verify = [["cargo", "test"], ["true"]]
docs = { specs = "docs/specs" }
weird = "quote \" backslash \\ tab \t del \u007F é"
[profile.dev]
debug = "line-tables-only"
opt = 1
ratio = 1.0
big = 1e100
on = true
[profile.dev.package."*"]
debug = false
[dependencies]
git2 = { version = "0.21", default-features = false, features = [] }
empty = {}
"#;
        let table: toml::Table = toml::from_str(text).unwrap();
        let written = document(&table);
        let again: toml::Table = toml::from_str(&written).unwrap_or_else(|e| panic!("{e}\n{written}"));
        assert_eq!(again, table, "{written}");
        assert!(written.contains("[profile.dev.package.\"*\"]\n"), "{written}");
    }
}
