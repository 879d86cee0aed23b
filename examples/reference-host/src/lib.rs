//! waas-host: the reference host of waas and its operator command line, as a library.
//!
//! [`host`] is the HTTP API over SQLite or PostgreSQL (books in rows, webhooks from an outbox,
//! the simulated chain and the EVM adapter); [`cli`] is the `waas` command line, whose `serve`
//! runs the host. The `waas` binary is [`cli::run`].

pub mod cli;
pub mod host;
