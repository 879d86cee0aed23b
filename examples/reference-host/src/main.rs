//! `waas`: the operator command line of waas (and, later, the reference host).

mod cli;

fn main() {
    std::process::exit(cli::run());
}
