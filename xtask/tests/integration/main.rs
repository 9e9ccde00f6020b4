//! The xtask's one integration-test binary (like cargo, just and ripgrep): a module per command,
//! each test a real git repository in a temp dir driven through the real `xtask` binary.

mod new_addon;
mod support;
mod templates;
