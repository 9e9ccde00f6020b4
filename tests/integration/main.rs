//! The root crate's one integration-test binary: a `mod` per topic. `status_command` runs the
//! real `lancelot` binary in a sandbox; each add-on's module (between the `sop:tests` markers,
//! added by `cargo xtask new-addon`) holds its env-gated integration tests.
//!
//! Tests here must not depend on the machine's environment or the repository's own state: every
//! run happens in a fresh temp dir with a cleared environment.

mod status_command;
mod support;

// sop:tests:begin
mod health_monitor;
// sop:tests:end
