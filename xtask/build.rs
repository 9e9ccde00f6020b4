//! Snapshots the repository's `templates/` into the xtask as its compiled-in defaults, so the
//! xtask works in a repository without `templates/`.
//!
//! It deliberately reruns only when this file changes: the xtask reads `templates/` at run time,
//! so editing a template must not rebuild the xtask (a tracked figure, see docs/benchmarks.md).
//! The snapshot is refreshed by any clean build (CI always builds clean).

use std::path::Path;

const TEMPLATES: &[&str] = &[
    "spec.md.tera",
    "blueprint.md.tera",
    "runbook.md.tera",
    "architecture.md.tera",
    "module.rs.tera",
    "integration_test.rs.tera",
    "changelog_entry.md.tera",
    "pr_body.md.tera",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let source = Path::new(&manifest_dir).join("../templates");
    for name in TEMPLATES {
        let text = std::fs::read_to_string(source.join(name))
            .unwrap_or_else(|error| panic!("templates/{name} is part of the xtask's defaults: {error}"));
        std::fs::write(Path::new(&out_dir).join(name), text).expect("OUT_DIR is writable");
    }
}
