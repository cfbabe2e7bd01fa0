//! The `ningan` binary.

fn main() -> std::process::ExitCode {
    ningan::cli::main()
}
