//! A small HTTP/1.1 client for the plain-HTTP endpoints inside a pod (the Pod Identity agent),
//! where a diagnosis must tell "nothing listens" from "it listens but never answers", and for the
//! two EC2 reads the doctor signs itself (a whole SDK crate for two read calls would double the
//! build). Connecting and answering have separate deadlines, and the body is read only up to a
//! cap.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use crate::engine::AbortOnDrop;
use crate::net::{Address, ConnectTo, TcpFailure, bracket};
use crate::tls::{Recorder, client_config, native_roots};

/// An answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body, up to the cap.
    pub body: Bytes,
    /// Time from the start of the request to the end of the body.
    pub took: Duration,
}

/// What went wrong, by stage.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HttpFailure {
    /// The URL is not `http://host[:port]/path`.
    #[error("not an http:// URL: {0}")]
    Url(String),
    /// No TCP connection in time.
    #[error("connecting to {addr} timed out after {secs:.1} s")]
    ConnectTimeout {
        /// Where.
        addr: String,
        /// After how long.
        secs: f64,
    },
    /// The TCP connection failed.
    #[error("connecting to {addr} failed: {reason}")]
    Connect {
        /// Where.
        addr: String,
        /// Why, as the OS said.
        reason: String,
    },
    /// Connected, but no answer in time.
    #[error("connected to {addr}, but no answer came within {secs:.1} s")]
    AnswerTimeout {
        /// Where.
        addr: String,
        /// After how long.
        secs: f64,
    },
    /// The TLS handshake failed.
    #[error("the TLS handshake with {addr} failed: {reason}")]
    Tls {
        /// Where.
        addr: String,
        /// What rustls said.
        reason: String,
    },
    /// The answer was not HTTP, or broke off.
    #[error("the answer from {addr} is not valid HTTP: {reason}")]
    Protocol {
        /// Where.
        addr: String,
        /// What the parser said.
        reason: String,
    },
}

/// A URL split for dialling: scheme, host and port to connect to, the Host header and the path.
#[derive(Debug, PartialEq, Eq)]
struct Url {
    https: bool,
    host: String,
    port: u16,
    /// The Host header: the host, and the port unless it is the scheme's default, as SigV4
    /// signs it.
    host_header: String,
    /// The path and query (`/` when the URL has none).
    path: String,
}

impl Url {
    /// `host:port` to dial, IPv6 in brackets.
    fn dial(&self) -> String {
        format!("{}:{}", bracket(&self.host), self.port)
    }
}

/// Splits `http[s]://host[:port][/path][?query]`.
fn split_url(url: &str) -> Result<Url, HttpFailure> {
    let bad = || HttpFailure::Url(url.to_owned());
    let rest = url.split_once("://").ok_or_else(bad)?.1;
    let address: Address = url.parse().map_err(|_| bad())?;
    let path = match rest.find(['/', '?', '#']) {
        Some(i) if rest[i..].starts_with('/') => rest[i..].split('#').next().unwrap_or("/").to_owned(),
        Some(i) if rest[i..].starts_with('?') => {
            format!("/{}", rest[i..].split('#').next().unwrap_or_default())
        }
        _ => "/".to_owned(),
    };
    let default = if address.https { 443 } else { 80 };
    let host_header = if address.port == default {
        bracket(&address.host)
    } else {
        format!("{}:{}", bracket(&address.host), address.port)
    };
    Ok(Url { https: address.https, host: address.host, port: address.port, host_header, path })
}

/// One request and its answer over an open connection, the body read up to `max_body`.
async fn exchange<S>(
    stream: S,
    request: Request<Full<Bytes>>,
    max_body: usize,
) -> Result<(u16, Bytes), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    // The connection's task ends with this exchange, whether it completes, fails or is
    // abandoned at a deadline: no socket outlives the call.
    let _driver = AbortOnDrop(tokio::spawn(conn));
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), max_body).collect().await.map_err(|e| {
        if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            format!("the answer is longer than {max_body} bytes")
        } else {
            e.to_string()
        }
    })?;
    Ok((status, body.to_bytes()))
}

/// A request with the crate's User-Agent and `headers`.
fn request(
    method: hyper::Method,
    url: &Url,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Result<Request<Full<Bytes>>, HttpFailure> {
    let mut request = Request::builder()
        .method(method)
        .uri(url.path.as_str())
        .header("Host", url.host_header.as_str())
        .header("User-Agent", crate::USER_AGENT);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.body(Full::new(body)).map_err(|e| HttpFailure::Url(e.to_string()))
}

/// `GET url` with `headers`, within `connect` to connect and `answer` for the whole reply.
/// Plain HTTP only: the endpoints inside a pod (the Pod Identity agent) do not speak TLS.
pub async fn get(
    url: &str,
    headers: &[(&str, &str)],
    connect: Duration,
    answer: Duration,
    max_body: usize,
) -> Result<Reply, HttpFailure> {
    let parts = split_url(url)?;
    if parts.https {
        return Err(HttpFailure::Url(url.to_owned()));
    }
    let addr = parts.dial();
    let started = Instant::now();
    let stream = match tokio::time::timeout(connect, TcpStream::connect(addr.as_str())).await {
        Err(_) => {
            return Err(HttpFailure::ConnectTimeout { addr, secs: connect.as_secs_f64() });
        }
        Ok(Err(e)) => {
            return Err(HttpFailure::Connect { addr, reason: e.to_string() });
        }
        Ok(Ok(s)) => s,
    };
    let request = request(hyper::Method::GET, &parts, headers, Bytes::new())?;
    match tokio::time::timeout(answer, exchange(stream, request, max_body)).await {
        Err(_) => Err(HttpFailure::AnswerTimeout { addr, secs: answer.as_secs_f64() }),
        Ok(Err(reason)) => Err(HttpFailure::Protocol { addr, reason }),
        Ok(Ok((status, body))) => Ok(Reply { status, body, took: started.elapsed() }),
    }
}

/// `POST url` with `headers` and `body`: HTTPS verified against the machine's root store as the
/// AWS SDKs verify it, or plain HTTP for an endpoint override. The connection follows
/// `--connect-to`. The whole call ends within `budget`; DNS and TCP get at most `connect` of it.
pub async fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: Bytes,
    connect_to: &[ConnectTo],
    connect: Duration,
    budget: Duration,
    max_body: usize,
) -> Result<Reply, HttpFailure> {
    let parts = split_url(url)?;
    let addr = parts.dial();
    let started = Instant::now();
    let request = request(hyper::Method::POST, &parts, headers, body)?;
    let attempt = async {
        let tcp = crate::net::connect(connect_to, &parts.host, parts.port, connect.min(budget))
            .await
            .map_err(|e| match e {
                TcpFailure::Timeout(d) => {
                    HttpFailure::ConnectTimeout { addr: addr.clone(), secs: d.as_secs_f64() }
                }
                other => HttpFailure::Connect { addr: addr.clone(), reason: other.to_string() },
            })?;
        if parts.https {
            let recorder = Recorder::default();
            let config = client_config(Some(native_roots()), &recorder)
                .map_err(|reason| HttpFailure::Tls { addr: addr.clone(), reason })?;
            let name =
                ServerName::try_from(parts.host.clone()).map_err(|_| HttpFailure::Url(url.to_owned()))?;
            let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await
                .map_err(|e| HttpFailure::Tls { addr: addr.clone(), reason: e.to_string() })?;
            exchange(tls, request, max_body).await
        } else {
            exchange(tcp, request, max_body).await
        }
        .map_err(|reason| HttpFailure::Protocol { addr: addr.clone(), reason })
    };
    match tokio::time::timeout(budget, attempt).await {
        Err(_) => Err(HttpFailure::AnswerTimeout { addr, secs: budget.as_secs_f64() }),
        Ok(Err(failure)) => Err(failure),
        Ok(Ok((status, body))) => Ok(Reply { status, body, took: started.elapsed() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_dial_address_host_and_path() {
        let u = split_url("http://169.254.170.23/v1/credentials").unwrap();
        assert_eq!(
            (u.dial().as_str(), u.host_header.as_str(), u.path.as_str()),
            ("169.254.170.23:80", "169.254.170.23", "/v1/credentials")
        );
        let u = split_url("http://[fd00:ec2::23]/v1").unwrap();
        assert_eq!((u.dial().as_str(), u.host_header.as_str()), ("[fd00:ec2::23]:80", "[fd00:ec2::23]"));
        let u = split_url("http://127.0.0.1:9/x").unwrap();
        assert_eq!((u.port, u.host_header.as_str()), (9, "127.0.0.1:9"));
        let u = split_url("https://ec2.eu-west-1.amazonaws.com").unwrap();
        assert_eq!((u.https, u.port, u.path.as_str()), (true, 443, "/"));
        // A default port is not in the Host header: SigV4 signs the host without it.
        let u = split_url("https://ec2.eu-west-1.amazonaws.com:443?x=1#f").unwrap();
        assert_eq!((u.host_header.as_str(), u.path.as_str()), ("ec2.eu-west-1.amazonaws.com", "/?x=1"));
        for bad in ["ftp://x/", "http:///x", "http://h:port/", "https://[::1/", "x"] {
            assert!(split_url(bad).is_err(), "{bad}");
        }
    }
}
