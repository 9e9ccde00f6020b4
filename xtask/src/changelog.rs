//! Placeholder: CHANGELOG fragments (replaced by the changelog command).

pub fn fragment_path(slug: &str) -> String {
    format!("docs/changelog.d/{slug}.md")
}

pub fn render_fragment(section: &str, entry: &str) -> String {
    format!("<!-- section: {section} -->\n{}\n", entry.trim_end())
}

pub fn migrate(_root: &std::path::Path, _plan: &mut crate::plan::Plan) -> anyhow::Result<Vec<String>> {
    Ok(Vec::new())
}
