//! The client against a real loopback server that answers with scripted
//! bytes: framing, connection reuse, stale connections, timeouts and cut
//! answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use preflight_http::{Client, Config, Error, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with each request on a connection: the bytes to
/// answer with, and whether to close the connection afterwards.
type Script = fn(request: usize) -> (Vec<u8>, bool);

struct Server {
    url: String,
    connections: Arc<AtomicUsize>,
}

/// A server answering every request of every connection by `script`
/// (request numbers count across connections).
async fn serve(script: Script) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}/v1/answer",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(answer(socket, script, requests.clone()));
        }
    });
    Server { url, connections }
}

async fn answer(mut socket: TcpStream, script: Script, requests: Arc<AtomicUsize>) {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // One request: a head and its content-length body.
        let request = loop {
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |v| v.trim().parse().unwrap_or(0));
                if received.len() >= end + 4 + length {
                    received.drain(..end + 4 + length);
                    break requests.fetch_add(1, Ordering::SeqCst);
                }
            }
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        };
        let (bytes, close) = script(request);
        // Written in two parts, so the client sees answers split anywhere.
        let half = bytes.len() / 2;
        if socket.write_all(&bytes[..half]).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        if socket.write_all(&bytes[half..]).await.is_err() || close {
            return;
        }
    }
}

fn client(read_timeout: Duration) -> Client {
    Client::new(Config {
        read_timeout,
        ..Config::default()
    })
}

fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn post(client: &Client, url: &str) -> Result<(u16, String), Error> {
    let response = client
        .send(Request::post(url, b"{\"q\":1}".to_vec()).header("content-type", "application/json"))
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

#[tokio::test]
async fn keep_alive_reuses_one_connection() {
    let server = serve(|n| (ok(&format!("{{\"n\":{n}}}")), false)).await;
    let client = client(Duration::from_secs(5));
    for n in 0..5 {
        let answer = post(&client, &server.url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer, (200, format!("{{\"n\":{n}}}")));
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn chunked_answers_arrive_in_pieces_and_whole() {
    let server = serve(|_| {
        let body = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/event-stream\r\n\r\n\
            7\r\ndata: 1\r\n8\r\n\n\ndata: \r\n3\r\n2\n\n\r\n0\r\n\r\n";
        (body.to_vec(), false)
    })
    .await;
    let client = client(Duration::from_secs(5));
    let response = client
        .send(Request::get(&server.url))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.header("Content-Type"), Some("text/event-stream"));
    let mut body = response.into_body();
    let mut pieces = Vec::new();
    while let Some(piece) = body.chunk().await.unwrap_or_else(|e| panic!("{e}")) {
        pieces.push(piece);
    }
    assert!(pieces.len() >= 3, "{pieces:?}");
    assert_eq!(pieces.concat(), b"data: 1\n\ndata: 2\n\n");
    // The connection went back to the pool at the last chunk.
    let answer = post(&client, &server.url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.1, "data: 1\n\ndata: 2\n\n");
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_body_ended_by_close_is_read_and_not_reused() {
    let server = serve(|_| (b"HTTP/1.0 200 OK\r\n\r\nuntil the end".to_vec(), true)).await;
    let client = client(Duration::from_secs(5));
    for _ in 0..2 {
        let answer = post(&client, &server.url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer, (200, "until the end".to_owned()));
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn connection_close_is_honoured() {
    let server = serve(|_| {
        let head = b"HTTP/1.1 429 Too Many Requests\r\nconnection: close\r\nretry-after: 2\r\ncontent-length: 2\r\n\r\n{}";
        (head.to_vec(), false)
    })
    .await;
    let client = client(Duration::from_secs(5));
    for _ in 0..2 {
        let response = client
            .send(Request::get(&server.url))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (response.status(), response.header("retry-after")),
            (429, Some("2"))
        );
        assert_eq!(
            &response.bytes().await.unwrap_or_else(|e| panic!("{e}"))[..],
            b"{}"
        );
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_connection_closed_while_idle_is_replaced() {
    // Every answer is followed by the server closing the connection, without
    // saying so: the pooled connection is stale when it is next used.
    let server = serve(|n| (ok(&n.to_string()), true)).await;
    let client = client(Duration::from_secs(5));
    for n in 0..3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let answer = post(&client, &server.url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer, (200, n.to_string()));
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn interim_responses_are_skipped() {
    let server = serve(|_| {
        let mut bytes = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
        bytes.extend(ok("final"));
        (bytes, false)
    })
    .await;
    let answer = post(&client(Duration::from_secs(5)), &server.url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer, (200, "final".to_owned()));
}

#[tokio::test]
async fn silence_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}/",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let held = tokio::spawn(async move {
        let accepted = listener.accept().await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(accepted);
    });
    let error = post(&client(Duration::from_millis(200)), &url)
        .await
        .err()
        .unwrap_or_else(|| panic!("an answer from a silent server"));
    assert!(error.is_timeout(), "{error}");
    assert!(!error.is_connect(), "the server was reached: {error}");
    held.abort();
}

#[tokio::test]
async fn a_body_cut_short_is_an_error() {
    let server = serve(|_| {
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this".to_vec(),
            true,
        )
    })
    .await;
    let error = post(&client(Duration::from_secs(5)), &server.url)
        .await
        .err()
        .unwrap_or_else(|| panic!("a cut body read as whole"));
    assert_eq!(
        error.to_string(),
        "the server closed the connection in the middle of the body"
    );
}

#[tokio::test]
async fn garbage_is_an_invalid_response() {
    let server = serve(|_| (b"NOT HTTP AT ALL\r\n\r\n".to_vec(), true)).await;
    let error = post(&client(Duration::from_secs(5)), &server.url)
        .await
        .err()
        .unwrap_or_else(|| panic!("garbage read as an answer"));
    assert!(matches!(error, Error::InvalidResponse(_)), "{error}");
}

#[tokio::test]
async fn refused_connections_name_the_origin() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .port();
    drop(listener);
    let error = post(
        &client(Duration::from_secs(5)),
        &format!("http://127.0.0.1:{port}/v1"),
    )
    .await
    .err()
    .unwrap_or_else(|| panic!("an answer from a closed port"));
    assert!(
        error
            .to_string()
            .starts_with(&format!("connecting to http://127.0.0.1:{port}: ")),
        "{error}"
    );
    assert!(error.is_connect(), "{error}");
}
