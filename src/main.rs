//! The `lancelot` binary: hands the arguments to [`lancelot::run`] and exits with its code.
//! It must not contain any logic of its own; everything lives in the library so it is testable
//! without spawning a process.

fn main() {
    std::process::exit(lancelot::run(std::env::args_os().skip(1)));
}
