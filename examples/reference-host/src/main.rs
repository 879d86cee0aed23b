//! `waas`: the operator command line of waas and the reference host (`waas serve`, also what runs
//! with no arguments).

mod cli;
mod host;

fn main() {
    std::process::exit(cli::run());
}
