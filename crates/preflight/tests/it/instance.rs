//! A Preflight instance run through the real binary: a fresh data directory,
//! on SQLite or on a fresh PostgreSQL database, the `admin` commands, and
//! `preflight serve` as a child process that is always killed.

use preflight_store::Store;
use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_preflight");

/// Settings the binary reads from the environment, cleared so that the
/// caller's environment cannot change what the test runs against.
const PREFLIGHT_ENV: &[&str] = &[
    "PREFLIGHT_DATA_DIR",
    "PREFLIGHT_DATABASE_URL",
    "PREFLIGHT_LISTEN",
    "PREFLIGHT_LEDGER_PUBLIC",
    "PREFLIGHT_LEDGER_KEY",
    "PREFLIGHT_MASTER_KEY",
    "PREFLIGHT_TOKEN_PEPPER",
];

/// Which database the instance keeps its records in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A throwaway instance: its data directory (keys, SQLite store, server
/// logs) and, on PostgreSQL, its own database.
#[derive(Clone, Debug)]
pub struct Instance {
    pub dir: PathBuf,
    database: Option<Database>,
}

#[derive(Clone, Debug)]
struct Database {
    /// The server-level URL the database was created through.
    admin_url: String,
    name: String,
    url: String,
}

impl Instance {
    /// A fresh instance, or `None` (after saying so) when the PostgreSQL
    /// variant cannot run here. On CI it must run.
    pub async fn create(backend: Backend, test: &str) -> Option<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var("PREFLIGHT_TEST_DATABASE_URL") else {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "CI must run the PostgreSQL variants: set PREFLIGHT_TEST_DATABASE_URL"
                    );
                    println!(
                        "skipped {test}: PREFLIGHT_TEST_DATABASE_URL is not set \
                         (scripts/test.sh starts a private PostgreSQL and sets it)"
                    );
                    return None;
                };
                let name = format!("pf_crash_{id}");
                admin_sql(&admin_url, &format!("CREATE DATABASE {name}")).await;
                let url = with_database(&admin_url, &name);
                Some(Database {
                    admin_url,
                    name,
                    url,
                })
            }
        };
        let dir = std::env::temp_dir().join(format!("preflight-crash-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        Some(Self { dir, database })
    }

    /// The URL of the instance's store, for opening it from the test.
    pub fn store_url(&self) -> String {
        match &self.database {
            Some(db) => db.url.clone(),
            None => Store::sqlite_url(&self.dir),
        }
    }

    /// `preflight <subcommand...> --data-dir D [--database-url U]`.
    fn command(&self, subcommand: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(subcommand).arg("--data-dir").arg(&self.dir);
        if let Some(db) = &self.database {
            cmd.arg("--database-url").arg(&db.url);
        }
        for var in PREFLIGHT_ENV {
            cmd.env_remove(var);
        }
        cmd.env("RUST_LOG", "info").stdin(Stdio::null());
        cmd
    }

    /// Runs `preflight admin <args...>` and returns what it printed.
    pub fn admin(&self, args: &[&str]) -> String {
        let (command, rest) = args.split_first().unwrap();
        let out = self
            .command(&["admin", command])
            .args(rest)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "preflight admin {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Starts `preflight serve` on a port the system picks, logging to
    /// `<dir>/<log_name>`, and waits until it reports its address and
    /// ledger key.
    pub async fn serve(&self, log_name: &str) -> Server {
        let log = self.dir.join(log_name);
        let child = self
            .command(&["serve"])
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            base: String::new(),
            log_key: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some((addr, key)) = started(&server.log) {
                server.base = format!("http://{addr}");
                server.log_key = key;
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!(
                    "preflight serve exited with {status} before serving:\n{}",
                    server.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "preflight serve did not report its address within 20 s:\n{}",
                server.log_text()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Drops the database and removes the data directory, unless the test
    /// failed: then the directory (with every server log) is kept and named.
    pub async fn remove(self, failed: bool) {
        if let Some(db) = &self.database {
            admin_sql(
                &db.admin_url,
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", db.name),
            )
            .await;
        }
        if failed {
            eprintln!(
                "kept the instance's data and logs in {}",
                self.dir.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The address and ledger key from the log lines `preflight serve` writes
/// once it listens.
fn started(log: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(log).ok()?;
    let mut addr = None;
    let mut key = None;
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let field = |name: &str| {
            v["fields"][name]
                .as_str()
                .or_else(|| v[name].as_str())
                .map(str::to_owned)
        };
        if let Some(k) = field("log_key") {
            key = Some(k);
        }
        if field("message").as_deref() == Some("preflight serving") {
            addr = field("addr");
        }
    }
    Some((addr?, key?))
}

/// A running `preflight serve`. Dropping it kills the process (SIGKILL).
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The ledger verifier key it logged.
    pub log_key: String,
    log: PathBuf,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until `GET /healthz` answers 200.
    pub async fn wait_healthy(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(resp) = client.get(self.url("/healthz")).send().await
                && resp.status() == reqwest::StatusCode::OK
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("preflight serve exited with {status}:\n{}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "preflight serve was not healthy within 20 s:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// SIGKILL: no graceful shutdown, no final integration.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL preflight serve");
        self.child.wait().expect("reap preflight serve");
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // `Child::kill` sends SIGKILL on Unix; reap it so no zombie is left.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that never goes through a proxy.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn admin_sql(admin_url: &str, sql: &str) {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::postgres::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("connecting to PREFLIGHT_TEST_DATABASE_URL: {e}"));
    conn.execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.close().await.unwrap();
}

/// `base` (a postgres:// URL) pointing at database `name` instead.
fn with_database(base: &str, name: &str) -> String {
    let (without_query, query) = match base.split_once('?') {
        Some((u, q)) => (u, format!("?{q}")),
        None => (base, String::new()),
    };
    let authority_start = without_query.find("://").map_or(0, |i| i + 3);
    let root = match without_query[authority_start..].find('/') {
        Some(i) => &without_query[..authority_start + i],
        None => without_query,
    };
    format!("{root}/{name}{query}")
}
