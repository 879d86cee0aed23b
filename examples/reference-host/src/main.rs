//! `waas`: the operator command line of waas and the reference host (`waas serve`, also what runs
//! with no arguments).

fn main() {
    std::process::exit(waas_host::cli::run());
}
