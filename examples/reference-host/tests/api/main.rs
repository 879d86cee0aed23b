//! HTTP behaviours of the API called in-process: a host opened over a fresh SQLite file
//! (`waas_host::host::open_app`) and its router called with `tower::ServiceExt::oneshot`, one
//! behaviour per test, one file per resource. What needs a real process (crash and restart,
//! concurrency, several hosts, the listening socket's limits) stays in the other test files.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

mod accounts;
mod app;
mod catalog;
mod errors;
mod wallets;
