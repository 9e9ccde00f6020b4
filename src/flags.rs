//! The feature-flag registry and resolver. Every `FEATURE_*` flag is declared once, in
//! [`REGISTRY`]; values come from the process environment and an optional `.env` file (the
//! environment wins), must be `true` or `false` (any case), and default to off. Unknown
//! `FEATURE_*` variables become warnings that `status` surfaces.
//!
//! This module must not mutate the process environment, and must not decide what an add-on does
//! with its flag: only the add-on's own module asks [`Flags::is_enabled`] about its flag
//! (SOP 3.4). The registry is discovered from the add-on modules at build time (`src/build`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dotenv::DotEnv;
use crate::error::{Error, FlagOrigin, Warning};

/// The prefix every add-on flag carries.
pub const FLAG_PREFIX: &str = "FEATURE_";

/// One registered flag and the add-on module it gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FlagSpec {
    /// The environment variable, e.g. `FEATURE_HEALTH_MONITOR`.
    pub name: &'static str,
    /// The snake_case module under `src/core` that owns it, e.g. `health_monitor`.
    pub addon: &'static str,
}

/// Every flag the runtime knows, one per add-on, sorted by module name. It is not written by
/// hand: `src/build` builds it from the `FLAG` and `NAME` each add-on module declares.
pub const REGISTRY: &[FlagSpec] = crate::core::DISCOVERED_FLAGS;

/// The resolved value of one registered flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagState {
    /// The flag.
    pub spec: FlagSpec,
    /// `true` only when explicitly set to `true`.
    pub enabled: bool,
    /// Where the value came from.
    pub origin: FlagOrigin,
}

/// The resolved flags of one run: a value for every registered flag, plus warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flags {
    states: Vec<FlagState>,
    warnings: Vec<Warning>,
}

impl Flags {
    /// Resolves every registered flag from `environment` (the process environment's variables)
    /// and `dotenv`. Fails on the first value that is not `true` or `false`, in the environment
    /// or in the `.env` file, even when the environment overrides the `.env` line.
    pub fn resolve<I>(environment: I, dotenv: Option<&DotEnv>) -> Result<Flags, Error>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        Flags::resolve_in(REGISTRY, environment, dotenv)
    }

    /// Every registered flag off, no warnings.
    pub fn all_disabled() -> Flags {
        let states = REGISTRY
            .iter()
            .map(|spec| FlagState { spec: *spec, enabled: false, origin: FlagOrigin::Default })
            .collect();
        Flags { states, warnings: Vec::new() }
    }

    /// [`Flags::resolve`] against an explicit registry (the real one is [`REGISTRY`]).
    pub fn resolve_in<I>(registry: &[FlagSpec], environment: I, dotenv: Option<&DotEnv>) -> Result<Flags, Error>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        // Sorted, so warnings come out in the same order whatever order the OS lists variables in.
        let environment: BTreeMap<String, String> =
            environment.into_iter().filter(|(name, _)| name.starts_with(FLAG_PREFIX)).collect();
        let mut warnings = Vec::new();
        let mut from_dotenv: BTreeMap<&str, (bool, FlagOrigin)> = BTreeMap::new();
        if let Some(dotenv) = dotenv {
            for entry in dotenv.entries().iter().filter(|entry| entry.key.starts_with(FLAG_PREFIX)) {
                let origin = FlagOrigin::DotEnv { path: dotenv.path().to_path_buf(), line: entry.line };
                match registry.iter().find(|spec| spec.name == entry.key) {
                    Some(spec) => {
                        let enabled = parse_value(spec.name, &entry.value, &origin)?;
                        from_dotenv.insert(spec.name, (enabled, origin));
                    }
                    None => warnings.push(unknown_flag(registry, &entry.key, &origin)),
                }
            }
        }
        let mut from_environment: BTreeMap<&str, bool> = BTreeMap::new();
        for (name, value) in &environment {
            match registry.iter().find(|spec| spec.name == name) {
                Some(spec) => {
                    from_environment.insert(spec.name, parse_value(spec.name, value, &FlagOrigin::Environment)?);
                }
                None => warnings.push(unknown_flag(registry, name, &FlagOrigin::Environment)),
            }
        }
        let states = registry
            .iter()
            .map(|spec| {
                let (enabled, origin) = match (from_environment.get(spec.name), from_dotenv.remove(spec.name)) {
                    (Some(enabled), _) => (*enabled, FlagOrigin::Environment),
                    (None, Some((enabled, origin))) => (enabled, origin),
                    (None, None) => (false, FlagOrigin::Default),
                };
                FlagState { spec: *spec, enabled, origin }
            })
            .collect();
        Ok(Flags { states, warnings })
    }

    /// Whether `flag` is explicitly `true`. Unregistered flags are off. Call this only from the
    /// add-on module that owns `flag`.
    pub fn is_enabled(&self, flag: &str) -> bool {
        self.get(flag).is_some_and(|state| state.enabled)
    }

    /// The resolved state of `flag`, if it is registered.
    pub fn get(&self, flag: &str) -> Option<&FlagState> {
        self.states.iter().find(|state| state.spec.name == flag)
    }

    /// Every registered flag's state, in registry order.
    pub fn states(&self) -> &[FlagState] {
        &self.states
    }

    /// Unknown `FEATURE_*` variables, one warning each.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// `cargo run -- <args>` with `enable` switched on, as a command that does so when pasted:
    /// e.g. `FEATURE_HEALTH_MONITOR=true FEATURE_SCHEDULER=true cargo run -- run`.
    ///
    /// A variable set in front of a command holds for that command alone, so every flag this
    /// process has on from the environment is set too (else the pasted command would switch it
    /// off); flags on from `.env` need nothing, and the environment wins over `.env`.
    pub fn command(&self, enable: &[&str], args: &str) -> String {
        let mut assignments: Vec<String> = self
            .states
            .iter()
            .filter(|state| {
                enable.contains(&state.spec.name) || (state.enabled && state.origin == FlagOrigin::Environment)
            })
            .map(|state| format!("{}=true ", state.spec.name))
            .collect();
        // A flag this build does not register still goes first, so the command says what it enables.
        for name in enable.iter().filter(|name| self.get(name).is_none()) {
            assignments.insert(0, format!("{name}=true "));
        }
        format!("{}cargo run -- {args}", assignments.concat())
    }
}

/// The one rule for a flag's value (`dotenv::syntax::flag_value`, which the xtask applies too).
fn parse_value(name: &str, value: &str, origin: &FlagOrigin) -> Result<bool, Error> {
    crate::dotenv::syntax::flag_value(value).ok_or_else(|| Error::InvalidFlagValue {
        name: name.to_string(),
        value: value.to_string(),
        origin: origin.clone(),
    })
}

fn unknown_flag(registry: &[FlagSpec], name: &str, origin: &FlagOrigin) -> Warning {
    let registered: Vec<String> = registry.iter().map(|spec| format!("`{}`", spec.name)).collect();
    let message = format!("unknown flag `{name}` in {origin} is ignored (registered: {})", registered.join(", "));
    // A registered flag spelled in another case: point at its spelling, not at a new add-on.
    if let Some(spec) = registry.iter().find(|spec| spec.name.eq_ignore_ascii_case(name)) {
        let right = spec.name;
        let hint = match origin {
            FlagOrigin::DotEnv { path, line } => {
                format!(
                    "flags are upper case: write line {line} of `{}` as `{right}=true` (or `=false`)",
                    path.display()
                )
            }
            _ => format!(
                "flags are upper case: unset {name}, and set `{right}` instead: {right}=true cargo run -- status"
            ),
        };
        return Warning { message, hint };
    }
    let fix = match origin {
        FlagOrigin::DotEnv { path, line } => format!("delete line {line} of `{}`", path.display()),
        _ => format!("unset {name}"),
    };
    let slug = name.trim_start_matches(FLAG_PREFIX).to_ascii_lowercase().replace('_', "-");
    let nameable = slug.starts_with(|c: char| c.is_ascii_lowercase())
        && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let hint = if nameable {
        format!("{fix}, or add the add-on it should gate: cargo xtask new-addon {slug}")
    } else {
        format!("{fix}: it names no add-on")
    };
    Warning { message, hint }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_REGISTRY: &[FlagSpec] =
        &[FlagSpec { name: "FEATURE_ALPHA", addon: "alpha" }, FlagSpec { name: "FEATURE_BETA", addon: "beta" }];

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn dotenv(text: &str) -> DotEnv {
        DotEnv::parse("/repo/.env", text).unwrap()
    }

    /// Defect (repro-1, repro-4, repro-16): printed actions set only the flag to enable, so
    /// pasted they switched off the flags this process had on from the environment. The
    /// command keeps them on; `.env` flags need nothing; the flag to enable comes once.
    #[test]
    fn a_command_keeps_the_environment_flags_on_and_enables_the_asked_ones() {
        let flags = Flags::resolve_in(TEST_REGISTRY, env(&[("FEATURE_BETA", "true")]), None).unwrap();
        assert_eq!(flags.command(&["FEATURE_ALPHA"], "run"), "FEATURE_ALPHA=true FEATURE_BETA=true cargo run -- run");
        assert_eq!(flags.command(&["FEATURE_BETA"], "run"), "FEATURE_BETA=true cargo run -- run");
        assert_eq!(flags.command(&[], "onboard"), "FEATURE_BETA=true cargo run -- onboard");
        let from_dotenv = dotenv("FEATURE_BETA=true\nFEATURE_ALPHA=false\n");
        let flags = Flags::resolve_in(TEST_REGISTRY, env(&[]), Some(&from_dotenv)).unwrap();
        assert_eq!(flags.command(&["FEATURE_ALPHA"], "run"), "FEATURE_ALPHA=true cargo run -- run");
        assert_eq!(flags.command(&["FEATURE_GAMMA"], "run"), "FEATURE_GAMMA=true cargo run -- run");
    }

    /// Defect (repro-17): a wrongly-cased registered flag suggested scaffolding the add-on that
    /// exists, and `FEATURE_` suggested `new-addon ` with no name.
    #[test]
    fn a_wrongly_cased_flag_points_at_its_spelling_and_an_empty_name_at_nothing() {
        let flags =
            Flags::resolve_in(TEST_REGISTRY, env(&[("FEATURE_alpha", "true"), ("FEATURE_", "true")]), None).unwrap();
        let hints: Vec<&str> = flags.warnings().iter().map(|warning| warning.hint.as_str()).collect();
        assert_eq!(
            hints,
            [
                "unset FEATURE_: it names no add-on",
                "flags are upper case: unset FEATURE_alpha, and set `FEATURE_ALPHA` instead: FEATURE_ALPHA=true cargo run -- status",
            ]
        );
        let flags = Flags::resolve_in(TEST_REGISTRY, env(&[]), Some(&dotenv("FEATURE_beta=true\n"))).unwrap();
        assert_eq!(
            flags.warnings()[0].hint,
            "flags are upper case: write line 1 of `/repo/.env` as `FEATURE_BETA=true` (or `=false`)"
        );
    }

    #[test]
    fn every_flag_defaults_to_off() {
        let flags = Flags::resolve_in(TEST_REGISTRY, env(&[("PATH", "/bin")]), None).unwrap();
        assert!(!flags.is_enabled("FEATURE_ALPHA") && !flags.is_enabled("FEATURE_BETA"));
        assert_eq!(flags.get("FEATURE_ALPHA").unwrap().origin, FlagOrigin::Default);
        assert!(flags.warnings().is_empty());
    }

    #[test]
    fn values_are_true_or_false_in_any_case() {
        let flags =
            Flags::resolve_in(TEST_REGISTRY, env(&[("FEATURE_ALPHA", "TRUE"), ("FEATURE_BETA", "False")]), None)
                .unwrap();
        assert!(flags.is_enabled("FEATURE_ALPHA"));
        assert!(!flags.is_enabled("FEATURE_BETA"));
        assert_eq!(flags.get("FEATURE_BETA").unwrap().origin, FlagOrigin::Environment);
    }

    #[test]
    fn anything_else_is_refused_naming_the_variable_and_accepted_values() {
        for bad in ["maybe", "1", "yes", "", " true"] {
            let error = Flags::resolve_in(TEST_REGISTRY, env(&[("FEATURE_ALPHA", bad)]), None).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("`FEATURE_ALPHA={bad}` is not a valid flag value (set in the environment)")
            );
            assert!(error.hint().contains("`true` or `false`"));
            assert_eq!(error.exit_code(), crate::error::EXIT_USAGE);
        }
    }

    #[test]
    fn a_bad_dotenv_value_names_the_file_and_line() {
        let file = dotenv("# flags\nFEATURE_BETA=on\n");
        let error = Flags::resolve_in(TEST_REGISTRY, Vec::new(), Some(&file)).unwrap_err();
        assert_eq!(error.to_string(), "`FEATURE_BETA=on` is not a valid flag value (set in `/repo/.env` line 2)");
        assert!(error.hint().contains("change line 2 of `/repo/.env`"), "{}", error.hint());
    }

    #[test]
    fn the_environment_wins_over_dotenv() {
        let file = dotenv("FEATURE_ALPHA=true\nFEATURE_BETA=true\n");
        let flags = Flags::resolve_in(TEST_REGISTRY, env(&[("FEATURE_ALPHA", "false")]), Some(&file)).unwrap();
        assert!(!flags.is_enabled("FEATURE_ALPHA"));
        assert_eq!(flags.get("FEATURE_ALPHA").unwrap().origin, FlagOrigin::Environment);
        assert!(flags.is_enabled("FEATURE_BETA"));
        assert_eq!(
            flags.get("FEATURE_BETA").unwrap().origin,
            FlagOrigin::DotEnv { path: "/repo/.env".into(), line: 2 }
        );
    }

    #[test]
    fn unknown_feature_variables_are_reported_not_ignored() {
        let file = dotenv("FEATURE_GAMMA=true\nOTHER=1\n");
        let flags =
            Flags::resolve_in(TEST_REGISTRY, env(&[("FEATURE_ZETA_RAY", "true"), ("HOME", "/root")]), Some(&file))
                .unwrap();
        let messages: Vec<&str> = flags.warnings().iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "unknown flag `FEATURE_GAMMA` in `/repo/.env` line 1 is ignored (registered: `FEATURE_ALPHA`, `FEATURE_BETA`)",
                "unknown flag `FEATURE_ZETA_RAY` in the environment is ignored (registered: `FEATURE_ALPHA`, `FEATURE_BETA`)",
            ]
        );
        assert_eq!(
            flags.warnings()[1].hint,
            "unset FEATURE_ZETA_RAY, or add the add-on it should gate: cargo xtask new-addon zeta-ray"
        );
        assert!(!flags.is_enabled("FEATURE_GAMMA"));
    }

    #[test]
    fn unregistered_flags_are_never_enabled() {
        let flags = Flags::resolve_in(TEST_REGISTRY, env(&[("FEATURE_OTHER", "true")]), None).unwrap();
        assert!(!flags.is_enabled("FEATURE_OTHER"));
    }

    /// **Architecture Invariant:** `.env.example` may show flags, but only registered ones, and
    /// never switched on: the flags themselves are documented by `cargo run -- flags`.
    #[test]
    fn env_example_sets_only_registered_flags_and_only_off() {
        let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example"));
        let example = DotEnv::parse(".env.example", text).unwrap();
        for entry in example.entries().iter().filter(|entry| entry.key.starts_with(FLAG_PREFIX)) {
            assert!(REGISTRY.iter().any(|spec| spec.name == entry.key), "{} is not registered", entry.key);
            assert!(entry.value.eq_ignore_ascii_case("false"), "{} ships switched on", entry.key);
        }
    }

    #[test]
    fn the_registry_is_sorted_unique_and_well_formed() {
        let modules: Vec<&str> = REGISTRY.iter().map(|spec| spec.addon).collect();
        let mut sorted = modules.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(modules, sorted, "REGISTRY must be sorted by module and free of duplicates");
        for spec in REGISTRY {
            let expected = format!("{FLAG_PREFIX}{}", spec.addon.to_ascii_uppercase());
            assert_eq!(spec.name, expected, "flag and add-on module disagree");
        }
        assert!(Flags::all_disabled().states().iter().all(|state| !state.enabled));
        assert_eq!(Flags::all_disabled().states().len(), REGISTRY.len());
    }
}
