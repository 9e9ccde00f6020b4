//! The xtask's one integration-test binary (like cargo, just and ripgrep): a module per command,
//! each test a real git repository in a temp dir driven through the real `xtask` binary.

mod bench;
mod branch;
mod changelog;
mod check;
mod config;
mod confinement;
mod golden;
mod hints;
mod hooks;
mod interruptions;
mod json_reports;
mod leaks;
mod locking;
mod migrate;
mod names;
mod new_addon;
mod onboard;
mod pipes;
mod pre_pr;
mod prune;
mod receipts_log;
mod recovery;
mod repo_states;
mod secrets_recall;
mod secrets_scope;
mod snapshots;
mod spec;
mod status;
mod support;
mod sync_cmd;
mod sync_safety;
mod team;
mod templates;
mod trust;
mod undo;
