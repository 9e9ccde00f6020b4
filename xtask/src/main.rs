//! `cargo xtask`: the Lancelot engineering SOP as commands.
//!
//! Everything is in the library (`lib.rs`: the modules and the dispatch), so that the benchmark
//! beside the tool (`xtask/bench/`) links the very code it measures. See docs/ARCHITECTURE.md.

fn main() -> std::process::ExitCode {
    xtask::main()
}
