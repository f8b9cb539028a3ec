//! Integration tests of the HTTP API: the real application on a free port,
//! spoken to over HTTP, each test on SQLite and on PostgreSQL. One binary, so
//! the crate links once.

/// `on_both_backends!(case => sqlite_x, postgres_x)` makes two tests that run
/// `async fn case(h: &Harness)` against SQLite and PostgreSQL. Without
/// `PREFLIGHT_TEST_DATABASE_URL` the PostgreSQL test says it was skipped.
macro_rules! on_both_backends {
    ($case:path => $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            fn case(
                h: std::sync::Arc<$crate::harness::Harness>,
            ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
                Box::pin(async move { $case(&h).await })
            }
            $crate::harness::run(
                $crate::harness::Backend::Sqlite,
                concat!(module_path!(), "::", stringify!($sqlite)),
                case,
            )
            .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            fn case(
                h: std::sync::Arc<$crate::harness::Harness>,
            ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
                Box::pin(async move { $case(&h).await })
            }
            $crate::harness::run(
                $crate::harness::Backend::Postgres,
                concat!(module_path!(), "::", stringify!($postgres)),
                case,
            )
            .await;
        }
    };
}

mod authz;
mod bad_input;
mod basics;
mod clearinghouse;
mod confidentiality;
mod evaluations;
mod fake_upstream;
mod flag_redaction;
mod gateway;
mod harness;
mod ledger;
mod lifecycle;
mod no_veto;
mod web;
mod witness;
mod world;
