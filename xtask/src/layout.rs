//! The fixed places of the runtime kit that the xtask reads and edits, and their marker lines.
//! `new-addon` inserts between the markers; `check` reads between them. Keep both in sync here.

use crate::config::Config;

/// The flag registry of the runtime kit.
pub const FLAG_REGISTRY: &str = "src/flags.rs";
pub const FLAGS_BEGIN: &str = "// sop:flags:begin";
pub const FLAGS_END: &str = "// sop:flags:end";

pub const MODULES_BEGIN: &str = "// sop:modules:begin";
pub const MODULES_END: &str = "// sop:modules:end";
pub const ADDONS_BEGIN: &str = "// sop:addons:begin";
pub const ADDONS_END: &str = "// sop:addons:end";

/// The root crate's one integration-test binary.
pub const TESTS_MAIN: &str = "tests/integration/main.rs";
pub const TESTS_BEGIN: &str = "// sop:tests:begin";
pub const TESTS_END: &str = "// sop:tests:end";

pub const ENV_EXAMPLE: &str = ".env.example";
pub const ENV_BEGIN: &str = "# sop:flags:begin";
pub const ENV_END: &str = "# sop:flags:end";

pub const CHANGELOG: &str = "CHANGELOG.md";

/// `src/core/mod.rs`: the list of add-on modules.
pub fn modules_file(config: &Config) -> String {
    format!("{}/mod.rs", config.modules_dir)
}

/// The registry line of one flag, exactly as the runtime kit declares it.
pub fn registry_line(flag: &str, snake: &str) -> String {
    format!("    FlagSpec {{ name: \"{flag}\", addon: \"{snake}\" }},")
}

/// Parses a registry line back into `(flag, addon)`.
pub fn parse_registry_line(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim().strip_prefix("FlagSpec { name: \"")?;
    let (flag, rest) = rest.split_once('"')?;
    let rest = rest.strip_prefix(", addon: \"")?;
    let (addon, _) = rest.split_once('"')?;
    Some((flag, addon))
}

pub fn module_line(snake: &str) -> String {
    format!("pub mod {snake};")
}

pub fn addon_line(snake: &str, feature: &str) -> String {
    format!("        Box::new({snake}::{feature}::new()),")
}

pub fn test_module_line(snake: &str) -> String {
    format!("mod {snake};")
}

pub fn env_line(flag: &str) -> String {
    format!("{flag}=false")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_lines_round_trip() {
        let line = registry_line("FEATURE_SCHEDULER", "scheduler");
        assert_eq!(parse_registry_line(&line), Some(("FEATURE_SCHEDULER", "scheduler")));
        assert_eq!(parse_registry_line("// comment"), None);
    }
}
