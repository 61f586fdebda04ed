//! The one HTTP GET that remote key sets need: allow-listed URLs only, https (plain http
//! for loopback hosts only), no redirects, a timeout on connecting and on the whole
//! exchange, and a body size limit enforced while streaming.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap};
use reqwest::redirect::Policy;
use rustls_platform_verifier::BuilderVerifierExt as _;

/// Why a GET (or what it returned) was not usable. Logged, never shown to clients.
#[derive(Debug)]
pub(crate) enum FetchError {
    /// Connection, TLS or protocol error (includes reqwest's own timeouts).
    Http(reqwest::Error),
    /// No complete answer within the timeout.
    Timeout(Duration),
    /// A status other than 200 (redirects are not followed).
    Status(u16),
    /// The body exceeds the limit.
    TooLarge(usize),
    /// The body is not what was expected (bad JSON, no `keys`, wrong `issuer`, ...).
    Invalid(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Http(e) => {
                write!(f, "request failed: {e}")?;
                let mut source = std::error::Error::source(e);
                while let Some(s) = source {
                    write!(f, ": {s}")?;
                    source = s.source();
                }
                Ok(())
            }
            Self::Timeout(t) => write!(f, "no complete answer within {} s", t.as_secs()),
            Self::Status(s) if (300..400).contains(s) => {
                write!(
                    f,
                    "HTTP {s}: redirects are not followed; configure the final URL"
                )
            }
            Self::Status(s) => write!(f, "HTTP {s} (expected 200)"),
            Self::TooLarge(limit) => write!(f, "response is larger than the {limit}-byte limit"),
            Self::Invalid(why) => f.write_str(why),
        }
    }
}

/// A successful GET: the body and the `Cache-Control` freshness it announced.
pub(crate) struct Fetched {
    pub(crate) body: Vec<u8>,
    /// `max-age` in seconds (`no-cache` / `no-store` count as 0), when present.
    pub(crate) max_age: Option<u64>,
}

/// An HTTP client bound to one trusted issuer's limits.
#[derive(Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_bytes: usize,
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetcher")
            .field("timeout", &self.timeout)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A client with rustls (ring provider, the OS's root certificates), no redirects, no
    /// cookies, HTTP/1.1. `loopback_only`: every configured URL is on a loopback host,
    /// so proxies from the environment are bypassed and missing OS roots are tolerated.
    pub(crate) fn new(
        timeout: Duration,
        max_bytes: usize,
        loopback_only: bool,
    ) -> Result<Self, String> {
        // The provider is passed explicitly: nothing is installed process-wide, so this
        // neither depends on nor disturbs the application's own rustls default.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?;
        let tls = match builder.clone().with_platform_verifier() {
            Ok(b) => b.with_no_client_auth(),
            // Plain http on loopback needs no roots; https would then fail to verify.
            Err(e) if loopback_only => {
                log::debug!("auth: no CA certificates ({e}); https to trusted issuers will fail");
                builder
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth()
            }
            Err(e) => {
                return Err(format!(
                    "cannot load the system's CA certificates to verify https ({e}): install them \
                     (e.g. the `ca-certificates` package)"
                ));
            }
        };
        let mut client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("auth-core/", env!("CARGO_PKG_VERSION")));
        if loopback_only {
            client = client.no_proxy();
        }
        let client = client
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            timeout,
            max_bytes,
        })
    }

    /// GETs `url`: status 200 only, at most `max_bytes` of body (refused from the
    /// `Content-Length` when it announces more, else aborted once the streamed body
    /// passes the limit), everything within the timeout.
    pub(crate) async fn get(&self, url: &Url) -> Result<Fetched, FetchError> {
        let exchange = async {
            let mut response = self
                .client
                .get(url.clone())
                .header(ACCEPT, "application/json")
                .send()
                .await
                .map_err(FetchError::Http)?;
            let status = response.status().as_u16();
            if status != 200 {
                return Err(FetchError::Status(status));
            }
            if response
                .content_length()
                .is_some_and(|n| n > self.max_bytes as u64)
            {
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            let max_age = max_age(response.headers());
            let capacity = response
                .content_length()
                .map_or(8 * 1024, |n| usize::try_from(n).unwrap_or(self.max_bytes));
            let mut body = Vec::with_capacity(capacity.min(self.max_bytes));
            while let Some(chunk) = response.chunk().await.map_err(FetchError::Http)? {
                if body.len() + chunk.len() > self.max_bytes {
                    return Err(FetchError::TooLarge(self.max_bytes));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Fetched { body, max_age })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| FetchError::Timeout(self.timeout))?
    }
}

/// The freshness announced by `Cache-Control`: `max-age=N`, or 0 for `no-cache` /
/// `no-store`; `None` without either.
fn max_age(headers: &HeaderMap) -> Option<u64> {
    let mut out = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            let (name, arg) = directive.split_once('=').unwrap_or((directive, ""));
            let name = name.trim();
            let seconds = if name.eq_ignore_ascii_case("max-age") {
                arg.trim().trim_matches('"').parse::<u64>().ok()
            } else if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store")
            {
                Some(0)
            } else {
                None
            };
            if let Some(s) = seconds {
                out = Some(out.map_or(s, |o: u64| o.min(s)));
            }
        }
    }
    out
}

/// Checks a configured (or discovered) URL: absolute, `https`, or `http` on a loopback
/// host (`localhost`, 127.0.0.0/8, `::1`); no credentials in it.
pub(crate) fn check_url(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|e| format!("is not an absolute URL ({e})"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry credentials".into());
    }
    if parsed.host().is_none() {
        return Err("has no host".into());
    }
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(
            "must use https (plain http is allowed for loopback hosts only: localhost, \
             127.0.0.1, [::1])"
                .into(),
        ),
        other => Err(format!("has scheme `{other}`; https is required")),
    }
}

/// True when the URL's host is `localhost` or a loopback address.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn url_rules() {
        for ok in [
            "https://idp.example.com/.well-known/jwks.json",
            "http://127.0.0.1:8080/jwks",
            "http://127.1.2.3/jwks",
            "http://localhost:1/x",
            "http://[::1]:9/x",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://idp.example.com/jwks",
            "http://10.0.0.1/jwks",
            "ftp://idp.example.com/jwks",
            "https://user:pw@idp.example.com/jwks",
            "/relative",
            "file:///etc/passwd",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cache_control() {
        let mut h = HeaderMap::new();
        assert_eq!(max_age(&h), None);
        h.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300, must-revalidate"),
        );
        assert_eq!(max_age(&h), Some(300));
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        assert_eq!(max_age(&h), Some(0));
        h.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=abc"));
        assert_eq!(max_age(&h), None);
    }
}
