//! HTTP behaviours of the API called in-process: a host opened over a fresh SQLite file
//! (`waas_host::host::open_app`) and its router called with `tower::ServiceExt::oneshot`, one
//! behaviour per test, one file per resource. What needs a real process (crash and restart,
//! concurrency, several hosts, the listening socket's limits) stays in the other test files.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

/// Runs each named `async fn(App)` of the module on SQLite and on PostgreSQL, as tests named
/// `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::app::App::new().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(app) = $crate::app::App::postgres(stringify!($name)).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// As [`on_both!`], on apps whose simulated chain makes a block every `$block_ms` milliseconds and
/// runs beside the router (`App::on_chain`), as tests named `sqlite_on_chain::NAME` and
/// `postgres_on_chain::NAME`.
#[macro_export]
macro_rules! on_chain {
    ($block_ms:literal; $($name:ident),* $(,)?) => {
        mod sqlite_on_chain {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::app::App::on_chain($block_ms).await).await;
                }
            )*
        }
        mod postgres_on_chain {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = $crate::app::App::postgres_on_chain(stringify!($name), $block_ms);
                    if let Some(app) = app.await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

mod access_levels;
mod accounts;
mod app;
mod bad_input;
mod batches;
mod card_funding;
mod catalog;
mod edits;
mod errors;
mod holds;
mod host_settings;
mod journal;
mod lists;
mod management;
mod money;
mod openapi;
mod receiver;
mod rules;
mod simulated_chain;
mod tenancy;
mod transactions;
mod wallets;
mod webhooks;
mod withdrawals;
