//! The root crate's one integration-test binary: a `mod` per topic. `status_command` and
//! `run_command` run the real `lancelot` binary in a sandbox. Each add-on's env-gated integration tests live in
//! `tests/integration/<module>.rs`; `src/build` discovers them (one per add-on module under
//! `src/core`) and they are compiled in here, so adding one edits no shared line.
//!
//! Tests here must not depend on the machine's environment or the repository's own state: every
//! run happens in a fresh temp dir with a cleared environment.

mod run_command;
mod status_command;
mod support;

include!(concat!(env!("OUT_DIR"), "/addon_tests.rs"));
