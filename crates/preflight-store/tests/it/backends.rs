use preflight_store::Store;
use std::path::PathBuf;

/// A fresh, empty store for one test.
pub struct TestStore {
    pub store: Store,
    pub url: String,
    dir: Option<PathBuf>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub async fn sqlite() -> TestStore {
    let dir = std::env::temp_dir().join(format!(
        "preflight-store-it-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = Store::sqlite_url(&dir);
    let store = Store::open(&url).await.expect("open sqlite store");
    TestStore {
        store,
        url,
        dir: Some(dir),
    }
}

/// A fresh PostgreSQL database, or `None` when no server is configured.
pub async fn postgres() -> Option<TestStore> {
    let Ok(base) = std::env::var("PREFLIGHT_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the PostgreSQL variants: set PREFLIGHT_TEST_DATABASE_URL"
        );
        eprintln!("PREFLIGHT_TEST_DATABASE_URL is not set: skipping the PostgreSQL variant");
        return None;
    };
    use sqlx::Connection;
    let name = format!("pf_store_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    let url = match base.rfind('/') {
        Some(i) => format!("{}/{name}", &base[..i]),
        None => panic!("PREFLIGHT_TEST_DATABASE_URL has no database part: {base}"),
    };
    let store = Store::open(&url).await.expect("open postgres store");
    Some(TestStore {
        store,
        url,
        dir: None,
    })
}

/// Runs `case` on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $case:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let s = $crate::backends::sqlite().await;
                super::$case(&s).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(s) = $crate::backends::postgres().await {
                    super::$case(&s).await;
                }
            }
        }
    };
}
