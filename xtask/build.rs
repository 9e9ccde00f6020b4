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
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    // Two packages build these sources: the xtask (`xtask/`) and the library the bench links
    // (`xtask/lib/`). Both are told where the xtask package is, and so where `templates/` is.
    let manifest_dir = Path::new(&manifest_dir);
    let xtask_dir = if manifest_dir.ends_with("xtask/lib") {
        manifest_dir.parent().expect("`xtask/lib` has a parent")
    } else {
        manifest_dir
    };
    println!("cargo:rerun-if-changed={}", xtask_dir.join("build.rs").display());
    println!("cargo:rustc-env=XTASK_DIR={}", xtask_dir.display());
    let source = xtask_dir.join("../templates");
    for name in TEMPLATES {
        let text = std::fs::read_to_string(source.join(name))
            .unwrap_or_else(|error| panic!("templates/{name} is part of the xtask's defaults: {error}"));
        std::fs::write(Path::new(&out_dir).join(name), text).expect("OUT_DIR is writable");
    }
}
