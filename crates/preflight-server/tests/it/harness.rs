//! The real application on `127.0.0.1:0`, spoken to over HTTP, on a store of
//! its own: SQLite in a fresh temp dir, or a fresh PostgreSQL database when
//! `PREFLIGHT_TEST_DATABASE_URL` is set.
//!
//! Every response body passes through `Harness::call` and is kept, so that
//! `finish` can check what no response may ever carry: the developer's
//! upstream credential, and a token secret anywhere but in the response that
//! created it.

use chrono::Utc;
use preflight_core::actor::User;
use preflight_core::event::{Event, EventKind};
use preflight_core::org::Role;
use preflight_server::AppState;
use preflight_store::{MasterKey, Store, TokenPepper};
use rand::RngCore;
use reqwest::Method;
use serde_json::{Value, json};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The upstream API key every test submission is created with. No response
/// body and no metric may ever contain it.
pub const UPSTREAM_CREDENTIAL: &str = "sk-upstream-NEVER-LEAVES-THE-GATEWAY-7f3a9c";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One HTTP exchange, as the test saw it.
#[derive(Debug)]
pub struct Resp {
    pub method: Method,
    pub path: String,
    pub status: u16,
    /// The response headers, one `name: value` a line.
    pub headers: String,
    pub text: String,
    /// The body parsed as JSON, or `Null` when it is not JSON.
    pub json: Value,
}

impl Resp {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The JSON body, after checking the status.
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "{} {} answered {} (expected {status}): {}",
            self.method, self.path, self.status, self.text
        );
        &self.json
    }

    /// `error.message` of an error body.
    pub fn message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or_else(|| {
            panic!(
                "{} {} ({}) has no error.message: {}",
                self.method, self.path, self.status, self.text
            )
        })
    }

    /// A string field of the JSON body.
    pub fn str(&self, field: &str) -> String {
        self.json[field]
            .as_str()
            .unwrap_or_else(|| {
                panic!(
                    "{} {} ({}) has no string {field}: {}",
                    self.method, self.path, self.status, self.text
                )
            })
            .to_owned()
    }
}

/// `/api/v1` + `path`.
pub fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

enum Place {
    Dir(PathBuf),
    Database { admin_url: String, name: String },
}

/// A running application with its own store.
pub struct Harness {
    pub backend: Backend,
    pub store: Store,
    /// The instance master key (the gateway's way to the upstream credential).
    pub master: MasterKey,
    /// The first admin's token, made through the store (never seen over HTTP).
    pub admin_token: String,
    pub admin: User,
    /// The ledger's verifier key (`name+id+key`).
    pub log_key: String,
    /// The store's URL, for tests that break the database on purpose.
    pub database_url: String,
    /// The gateway's state: its clock moves forward in tests of windows and
    /// retention.
    pub gateway: preflight_gateway::GatewayState,
    /// The application's state, for starting an evaluation worker.
    pub state: AppState,
    base: String,
    client: reqwest::Client,
    bodies: Mutex<Vec<String>>,
    /// Token secrets issued over HTTP, with the index of the body that carried them.
    issued: Mutex<Vec<(String, usize)>>,
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
    server: Mutex<Option<JoinHandle<std::io::Result<()>>>>,
    place: Place,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("backend", &self.backend)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

pub type Case = fn(Arc<Harness>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs `case` against a fresh application on `backend`, then stops it,
/// checks the confidentiality invariants and removes its store, even when
/// the case failed.
pub async fn run(backend: Backend, name: &str, case: Case) {
    let Some(h) = Harness::start(backend, name).await else {
        return;
    };
    let h = Arc::new(h);
    let outcome = tokio::spawn(case(h.clone())).await;
    if outcome.is_ok() {
        h.assert_confidential();
    }
    h.finish().await;
    if let Err(err) = outcome {
        match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => panic!("test task did not finish: {err}"),
        }
    }
}

/// `name_of_test` as a PostgreSQL database name: `pf_` + a fresh uuid.
fn database_name() -> String {
    format!("pf_{}", uuid::Uuid::new_v4().simple())
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

async fn admin_sql(admin_url: &str, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::postgres::PgConnection::connect(admin_url).await?;
    conn.execute(sql).await?;
    conn.close().await
}

impl Harness {
    /// Starts the application, or says why the backend is skipped and
    /// returns `None`.
    pub async fn start(backend: Backend, name: &str) -> Option<Self> {
        let (url, place) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir()
                    .join(format!("preflight-it-{}", uuid::Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir).expect("create the temp dir");
                (Store::sqlite_url(&dir), Place::Dir(dir))
            }
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var("PREFLIGHT_TEST_DATABASE_URL") else {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "CI must run the PostgreSQL variants: set PREFLIGHT_TEST_DATABASE_URL"
                    );
                    println!(
                        "skipped {name}: PREFLIGHT_TEST_DATABASE_URL is not set \
                         (scripts/test.sh starts a private PostgreSQL and sets it)"
                    );
                    return None;
                };
                let db = database_name();
                admin_sql(&admin_url, &format!("CREATE DATABASE {db}"))
                    .await
                    .expect("create the test database");
                (
                    with_database(&admin_url, &db),
                    Place::Database {
                        admin_url,
                        name: db,
                    },
                )
            }
        };
        let store = Store::open(&url).await.expect("open the store");
        let database_url = url.clone();
        let mut pepper_bytes = vec![0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut pepper_bytes);
        let pepper = TokenPepper::new(pepper_bytes);

        // The first admin: through the store, as `preflight admin` would.
        let admin = User::new(None, "Admin", "admin@x.example", Role::Admin).expect("admin");
        let event = Event::new(
            EventKind::UserCreated,
            None,
            None,
            Utc::now(),
            json!({ "user_id": admin.id, "bootstrap": true }),
        );
        store
            .create_user(&admin, &event)
            .await
            .expect("bootstrap admin");
        let event = Event::new(
            EventKind::TokenCreated,
            None,
            Some(admin.id),
            Utc::now(),
            json!({ "user_id": admin.id, "label": "t" }),
        );
        let token = store
            .create_token(&pepper, admin.id, "t", None, &event)
            .await
            .expect("bootstrap admin token");
        let admin_token = token.secret.to_string();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let master = MasterKey::generate();
        let settings = preflight_gateway::GatewaySettings {
            first_byte_timeout: std::time::Duration::from_secs(15),
            idle_timeout: std::time::Duration::from_secs(5),
            ..Default::default()
        };
        let state =
            AppState::with_gateway_settings(store.clone(), pepper, master.clone(), settings);
        // No worker inside: tests that run suites start one (as `preflight
        // worker` would), so that other tests see no background writes.
        let state = state
            .with_suites_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites"));
        let app_state = state.clone();
        let gateway = state.gateway.clone();
        let log_key = state.ledger.signer.verifier().to_key_string();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(preflight_server::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Some(Self {
            backend,
            store,
            master,
            admin_token,
            admin,
            log_key,
            database_url,
            gateway,
            state: app_state,
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .expect("http client"),
            bodies: Mutex::new(Vec::new()),
            issued: Mutex::new(Vec::new()),
            shutdown: Mutex::new(Some(stop)),
            server: Mutex::new(Some(server)),
            place,
        })
    }

    /// Stops the server and removes the store.
    async fn finish(&self) {
        let stop = self.shutdown.lock().expect("lock").take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let server = self.server.lock().expect("lock").take();
        if let Some(server) = server {
            // Idle keep-alive connections of the client may hold a graceful
            // shutdown open; give it a moment, then stop waiting.
            if let Ok(joined) =
                tokio::time::timeout(std::time::Duration::from_secs(5), server).await
            {
                joined.expect("server task").expect("server");
            }
        }
        self.store.close().await;
        match &self.place {
            Place::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Place::Database { admin_url, name } => {
                admin_sql(
                    admin_url,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                )
                .await
                .expect("drop the test database");
            }
        }
    }

    /// One request; the body is kept for the confidentiality checks.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        self.send(method, path, req).await
    }

    /// A request built by the caller (for odd bodies and headers).
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// Sends a request built with `request`, keeping its body.
    pub async fn send(&self, method: Method, path: &str, req: reqwest::RequestBuilder) -> Resp {
        let resp = self.exchange(method, path, req).await;
        assert!(
            resp.status < 500,
            "{} {} answered {}, a server error: {}",
            resp.method,
            resp.path,
            resp.status,
            resp.text
        );
        resp
    }

    /// A call to the gateway (`/v1/...`) with a gateway token. 5xx answers
    /// are expected here (the upstream's faults); the body is still kept.
    pub async fn gateway(&self, path: &str, token: &str, body: Option<&Value>) -> Resp {
        let method = if body.is_some() {
            Method::POST
        } else {
            Method::GET
        };
        let mut req = self.request(method.clone(), path).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(body);
        }
        self.exchange(method, path, req).await
    }

    /// A request built by `build` from a bare one, answered whatever its status.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Resp {
        let req = build(self.request(method.clone(), path));
        self.exchange(method, path, req).await
    }

    /// The base URL of the running application.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Keeps a body seen outside [`Harness::send`] (a stream read by hand)
    /// for the confidentiality checks.
    pub fn keep_body(&self, text: String) {
        self.bodies.lock().expect("lock").push(text);
    }

    async fn exchange(&self, method: Method, path: &str, req: reqwest::RequestBuilder) -> Resp {
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let headers: String = resp
            .headers()
            .iter()
            .map(|(name, value)| format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes())))
            .collect();
        let text = resp
            .text()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: reading the body: {e}"));
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        let index = {
            let mut bodies = self.bodies.lock().expect("lock");
            bodies.push(format!("{headers}\n{text}"));
            bodies.len() - 1
        };
        match json["token"].as_str() {
            Some(secret) if status == 201 && path.ends_with("tokens") => {
                let mut issued = self.issued.lock().expect("lock");
                issued.push((secret.to_owned(), index));
            }
            _ => {}
        }
        Resp {
            method,
            path: path.to_owned(),
            status,
            headers,
            text,
            json,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::POST, path, token, Some(&body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::PUT, path, token, Some(&body)).await
    }

    /// How many events the store holds (every state change writes one).
    pub async fn event_count(&self) -> i64 {
        self.store.event_count().await.expect("count events")
    }

    /// How many response bodies the test has seen so far.
    pub fn bodies_seen(&self) -> usize {
        self.bodies.lock().expect("lock").len()
    }

    /// The confidentiality invariants over every body seen: the upstream
    /// credential never, a token only in the response that issued it, the
    /// bootstrap token never.
    pub fn assert_confidential(&self) {
        let bodies = self.bodies.lock().expect("lock");
        for (i, body) in bodies.iter().enumerate() {
            assert!(
                !body.contains(UPSTREAM_CREDENTIAL),
                "response body #{i} carries the upstream credential: {body}"
            );
            assert!(
                !body.contains(&self.admin_token),
                "response body #{i} carries the bootstrap admin token"
            );
        }
        for (secret, issued_in) in self.issued.lock().expect("lock").iter() {
            for (i, body) in bodies.iter().enumerate() {
                if i != *issued_in {
                    assert!(
                        !body.contains(secret.as_str()),
                        "token issued in body #{issued_in} reappears in body #{i}: {body}"
                    );
                }
            }
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Place::Dir(dir) = &self.place {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn database_urls_swap_only_the_database() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/preflight_test", "pf_1"),
        "postgres://postgres@127.0.0.1:5432/pf_1"
    );
    assert_eq!(
        with_database("postgres://u:p@h/base?sslmode=disable", "pf_2"),
        "postgres://u:p@h/pf_2?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:1", "pf_3"),
        "postgres://h:1/pf_3"
    );
}
