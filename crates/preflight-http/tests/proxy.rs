//! Requests through a forward proxy: a real loopback server plays the
//! proxy and checks what it is sent.

use std::time::Duration;

use preflight_http::{Client, Config, Proxies, Proxy, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A proxy that reads one request head, hands it to the test, and answers
/// with `answer`.
async fn proxy(answer: &'static [u8]) -> (String, oneshot::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://user:pa%20ss@{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
        let _ = socket.write_all(answer).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    });
    (url, rx)
}

fn through(proxy_url: &str, https: bool) -> Client {
    let proxy = Proxy::parse(proxy_url).unwrap_or_else(|e| panic!("{e}"));
    let proxies = if https {
        Proxies {
            https: Some(proxy),
            ..Proxies::default()
        }
    } else {
        Proxies {
            http: Some(proxy),
            ..Proxies::default()
        }
    };
    Client::new(Config {
        read_timeout: Duration::from_secs(5),
        proxies,
        ..Config::default()
    })
}

#[tokio::test]
async fn http_targets_go_to_the_proxy_in_absolute_form() {
    let (url, head) = proxy(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let client = through(&url, false);
    let response = client
        .send(Request::get("http://models.test:8080/v1/models"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    assert_eq!(
        &response.bytes().await.unwrap_or_else(|e| panic!("{e}"))[..],
        b"ok"
    );
    let head = head.await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        head.starts_with(
            "GET http://models.test:8080/v1/models HTTP/1.1\r\nhost: models.test:8080\r\n"
        ),
        "{head}"
    );
    // base64("user:pa ss")
    assert!(
        head.contains("proxy-authorization: Basic dXNlcjpwYSBzcw==\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn https_targets_ask_for_a_tunnel_and_a_refusal_is_an_error() {
    let (url, head) =
        proxy(b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n").await;
    let client = through(&url, true);
    let error = client
        .send(Request::post(
            "https://api.models.test/v1/chat/completions",
            b"{}".to_vec(),
        ))
        .await
        .err()
        .unwrap_or_else(|| panic!("an answer through a refused tunnel"));
    assert!(
        error
            .to_string()
            .contains("the proxy refused a tunnel to api.models.test:443 with status 407"),
        "{error}"
    );
    let head = head.await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        head.starts_with("CONNECT api.models.test:443 HTTP/1.1\r\nhost: api.models.test:443\r\n"),
        "{head}"
    );
    assert!(
        !head.contains("chat/completions"),
        "nothing of the request before the tunnel"
    );
}

#[tokio::test]
async fn loopback_targets_skip_the_proxy() {
    let target = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let address = target.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        if let Ok((mut socket, _)) = target.accept().await {
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\ndirect")
                .await;
        }
    });
    // A proxy nobody listens on: used, it would refuse the connection.
    let client = through("http://127.0.0.1:9", false);
    let response = client
        .send(Request::get(&format!("http://{address}/v1/models")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        &response.bytes().await.unwrap_or_else(|e| panic!("{e}"))[..],
        b"direct"
    );
}
