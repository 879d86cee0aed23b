//! `waas`: the operator command line of waas and the reference host (`waas serve`, also what runs
//! with no arguments).

/// mimalloc instead of the system allocator (docs/BENCHMARKS.md, "2026-12-06").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(waas_host::cli::run());
}
