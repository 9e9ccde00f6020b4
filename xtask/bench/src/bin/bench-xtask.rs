//! The xtask, linked from its library into the bench's package: the binary the bench's own tests
//! time. A test cannot build the `xtask` package itself (cargo holds the target dir's lock while
//! tests run), and a test never times anything: the real bench times the binary `cargo xtask`
//! built, which `cargo xtask bench` passes as `--xtask`.

fn main() -> std::process::ExitCode {
    xtask::main()
}
