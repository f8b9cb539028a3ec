//! A request and its bytes on the wire.

use url::Url;

use crate::error::Error;
use crate::proxy::Proxy;

/// One request: method, absolute URL, headers and a body sent with its
/// `Content-Length`.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    method: &'static str,
    url: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: Vec<u8>,
}

impl<'a> Request<'a> {
    /// `GET url`.
    pub fn get(url: &'a str) -> Request<'a> {
        Request {
            method: "GET",
            url,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `POST url` with `body`.
    pub fn post(url: &'a str, body: Vec<u8>) -> Request<'a> {
        Request {
            method: "POST",
            url,
            headers: Vec::new(),
            body,
        }
    }

    /// Adds a header (`Host` and `Content-Length` are written by the client).
    pub fn header(mut self, name: &'a str, value: &'a str) -> Request<'a> {
        self.headers.push((name, value));
        self
    }

    pub fn url(&self) -> &str {
        self.url
    }

    pub(crate) fn method(&self) -> &'static str {
        self.method
    }

    /// The request's head and body, one buffer, for `url`; through an
    /// http `forward` proxy, in absolute form with the proxy's credentials.
    pub(crate) fn encode(&self, url: &Url, forward: Option<&Proxy>) -> Result<Vec<u8>, Error> {
        let host = url
            .host_str()
            .ok_or_else(|| Error::InvalidRequest(format!("{} has no host", self.url)))?;
        let mut out = Vec::with_capacity(128 + self.body.len() + self.headers.len() * 48);
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        if forward.is_some() {
            out.extend_from_slice(url[..url::Position::AfterPath].as_bytes());
        } else {
            out.extend_from_slice(url.path().as_bytes());
        }
        if let Some(query) = url.query() {
            out.push(b'?');
            out.extend_from_slice(query.as_bytes());
        }
        out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        out.extend_from_slice(host.as_bytes());
        if let Some(port) = url.port() {
            out.extend_from_slice(format!(":{port}").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        if let Some(authorization) = forward.and_then(|p| p.authorization.as_deref()) {
            out.extend_from_slice(b"proxy-authorization: ");
            out.extend_from_slice(authorization.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        for (name, value) in &self.headers {
            let valid_name = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !valid_name {
                return Err(Error::InvalidRequest(format!("header name {name:?}")));
            }
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(Error::InvalidRequest(format!(
                    "the value of header {name} holds a line break or NUL"
                )));
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !self.body.is_empty() || self.method == "POST" {
            out.extend_from_slice(format!("content-length: {}\r\n", self.body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_head_and_body() {
        let url = Url::parse("http://127.0.0.1:8099/v1/chat/completions?x=1")
            .unwrap_or_else(|e| panic!("{e}"));
        let request =
            Request::post(url.as_str(), b"{}".to_vec()).header("authorization", "Bearer k");
        let bytes = request.encode(&url, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "POST /v1/chat/completions?x=1 HTTP/1.1\r\nhost: 127.0.0.1:8099\r\nauthorization: Bearer k\r\ncontent-length: 2\r\n\r\n{}"
        );
    }

    #[test]
    fn through_a_proxy_the_target_is_absolute() {
        let url =
            Url::parse("http://models.test:8080/v1/models?x=1").unwrap_or_else(|e| panic!("{e}"));
        let proxy = Proxy::parse("http://u:p@proxy.test:3128").unwrap_or_else(|e| panic!("{e}"));
        let bytes = Request::get(url.as_str())
            .encode(&url, Some(&proxy))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "GET http://models.test:8080/v1/models?x=1 HTTP/1.1\r\nhost: models.test:8080\r\nproxy-authorization: Basic dTpw\r\n\r\n"
        );
    }

    #[test]
    fn refuses_header_injection() {
        let url = Url::parse("http://example.test/").unwrap_or_else(|e| panic!("{e}"));
        let request = Request::get(url.as_str()).header("x-key", "a\r\nevil: 1");
        let error = request.encode(&url, None).err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("invalid request: the value of header x-key holds a line break or NUL")
        );
        let request = Request::get(url.as_str()).header("bad name", "v");
        assert!(request.encode(&url, None).is_err());
    }
}
