//! The fake model for plain calls: nginx answering every
//! `POST /v1/chat/completions` with one fixed chat completion, run
//! unprivileged from a folder of its own.

use super::process::{Child, free_port, wait_ready};
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The fixed answer, with a `usage` object as a real model sends it.
pub const ANSWER: &str = r#"{"id":"chatcmpl-bench","object":"chat.completion","created":1767225600,"model":"frontier","choices":[{"index":0,"message":{"role":"assistant","content":"nmap"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":2,"total_tokens":16}}"#;

/// nginx serving [`ANSWER`] on a free loopback port.
#[derive(Debug)]
pub struct Nginx {
    pub child: Child,
    pub addr: SocketAddr,
    pub version: String,
}

impl Nginx {
    pub async fn start(bin: &Path, dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir.join("logs"))?;
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config(dir, addr))
            .with_context(|| format!("writing {}", conf.display()))?;
        let version = Command::new(bin)
            .arg("-v")
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stderr)
                    .trim()
                    .trim_start_matches("nginx version: ")
                    .to_owned()
            })
            .unwrap_or_default();
        let mut child = Child::spawn(
            "nginx",
            Command::new(bin).arg("-p").arg(dir).arg("-c").arg(&conf),
            &dir.join("nginx.log"),
        )?;
        wait_ready(&mut child, Duration::from_secs(10), || async move {
            tokio::net::TcpStream::connect(addr).await.is_ok()
        })
        .await?;
        Ok(Self {
            child,
            addr,
            version,
        })
    }
}

/// One worker (the machine has two cores to share), no access log, one
/// keep-alive connection kept for as many requests as the bench sends.
fn config(dir: &Path, addr: SocketAddr) -> String {
    let dir = dir.display();
    format!(
        r#"worker_processes 1;
worker_rlimit_nofile 16384;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/logs/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    keepalive_requests 1000000000;
    keepalive_timeout 600s;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen {addr} backlog=4096;
        location = /v1/chat/completions {{
            default_type application/json;
            return 200 '{ANSWER}';
        }}
    }}
}}
"#
    )
}
