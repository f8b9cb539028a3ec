//! Forward proxies from the environment, as curl and reqwest read them:
//! `https_proxy` for https targets (a CONNECT tunnel), `http_proxy` for
//! http targets (absolute-form requests), `all_proxy` for either, and
//! `no_proxy` for the hosts reached directly. Loopback is always reached
//! directly.

use std::net::IpAddr;

use base64::Engine;
use url::Url;

use crate::connection::Origin;
use crate::error::Error;

/// An HTTP proxy and the `Proxy-Authorization` value its URL's user
/// information gives.
#[derive(Clone)]
pub struct Proxy {
    pub(crate) origin: Origin,
    pub(crate) authorization: Option<String>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("origin", &self.origin.to_string())
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "(redacted)"),
            )
            .finish()
    }
}

impl Proxy {
    /// A proxy at `url` (`http://[user:password@]host:port`).
    pub fn parse(url: &str) -> Result<Proxy, Error> {
        let with_scheme = if url.contains("://") {
            url.to_owned()
        } else {
            format!("http://{url}")
        };
        let parsed = Url::parse(&with_scheme)
            .map_err(|e| Error::InvalidRequest(format!("proxy url: {e}")))?;
        if parsed.scheme() != "http" {
            return Err(Error::InvalidRequest(format!(
                "proxy scheme {:?}: only http:// proxies are spoken",
                parsed.scheme()
            )));
        }
        let origin = Origin::of(&parsed)?;
        let authorization = (!parsed.username().is_empty()).then(|| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            let pair = format!(
                "{}:{}",
                decode(parsed.username()),
                decode(parsed.password().unwrap_or(""))
            );
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        });
        Ok(Proxy {
            origin,
            authorization,
        })
    }
}

/// Which proxy, if any, each target goes through.
#[derive(Debug, Clone, Default)]
pub struct Proxies {
    pub http: Option<Proxy>,
    pub https: Option<Proxy>,
    /// Hosts and domains reached directly (`no_proxy`); `*` for all.
    pub bypass: Vec<String>,
}

impl Proxies {
    /// The proxies the environment names; a variable that does not parse
    /// is an error naming it.
    pub fn from_env() -> Result<Proxies, Error> {
        fn var(names: &[&'static str]) -> Option<(&'static str, String)> {
            names.iter().find_map(|name| {
                std::env::var(name)
                    .ok()
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (*name, v))
            })
        }
        let parse = |found: Option<(&str, String)>| -> Result<Option<Proxy>, Error> {
            found
                .map(|(name, value)| {
                    Proxy::parse(value.trim()).map_err(|e| {
                        Error::InvalidRequest(format!("environment variable {name}: {e}"))
                    })
                })
                .transpose()
        };
        let all = var(&["all_proxy", "ALL_PROXY"]);
        let http = parse(var(&["http_proxy"]).or_else(|| all.clone()))?;
        let https = parse(var(&["https_proxy", "HTTPS_PROXY"]).or(all))?;
        let bypass = var(&["no_proxy", "NO_PROXY"])
            .map(|(_, v)| {
                v.split(',')
                    .map(|h| h.trim().trim_start_matches('.').to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Proxies {
            http,
            https,
            bypass,
        })
    }

    /// The proxy a request to `origin` goes through.
    pub(crate) fn for_origin(&self, origin: &Origin) -> Option<&Proxy> {
        let proxy = if origin.https {
            &self.https
        } else {
            &self.http
        }
        .as_ref()?;
        let host = origin.host.to_ascii_lowercase();
        let loopback =
            host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        let bypassed = self
            .bypass
            .iter()
            .any(|entry| entry == "*" || host == *entry || host.ends_with(&format!(".{entry}")));
        (!loopback && !bypassed).then_some(proxy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Origin {
        Origin::of(&Url::parse(url).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn proxies_apply_by_scheme_except_where_bypassed() {
        let proxies = Proxies {
            http: None,
            https: Some(
                Proxy::parse("http://alice:s%3Acret@proxy.internal:3128")
                    .unwrap_or_else(|e| panic!("{e}")),
            ),
            bypass: vec!["corp.example".to_owned()],
        };
        let via = proxies.for_origin(&origin("https://api.openai.com/v1"));
        let via = via.unwrap_or_else(|| panic!("no proxy for a hosted API"));
        assert_eq!(via.origin.to_string(), "http://proxy.internal:3128");
        // base64("alice:s:cret")
        assert_eq!(via.authorization.as_deref(), Some("Basic YWxpY2U6czpjcmV0"));
        assert!(format!("{via:?}").contains("(redacted)"));
        assert!(
            proxies
                .for_origin(&origin("http://api.openai.com/v1"))
                .is_none()
        );
        assert!(
            proxies
                .for_origin(&origin("https://models.corp.example/v1"))
                .is_none()
        );
        assert!(
            proxies
                .for_origin(&origin("https://corp.example/v1"))
                .is_none()
        );
        assert!(
            proxies
                .for_origin(&origin("https://127.0.0.1:8099/v1"))
                .is_none()
        );
        assert!(
            proxies
                .for_origin(&origin("https://localhost/v1"))
                .is_none()
        );
    }

    #[test]
    fn only_http_proxies_are_spoken() {
        assert!(Proxy::parse("socks5://proxy:1080").is_err());
        let bare = Proxy::parse("proxy.internal:8080").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bare.origin.to_string(), "http://proxy.internal:8080");
        assert!(bare.authorization.is_none());
    }
}
