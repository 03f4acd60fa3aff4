//! A small HTTP/1.1 client for the plain-HTTP endpoints inside a pod (the Pod Identity agent),
//! where a diagnosis must tell "nothing listens" from "it listens but never answers": connecting
//! and answering have separate deadlines, and the body is read only up to a cap.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

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
    /// The answer was not HTTP, or broke off.
    #[error("the answer from {addr} is not valid HTTP: {reason}")]
    Protocol {
        /// Where.
        addr: String,
        /// What the parser said.
        reason: String,
    },
}

/// Splits `http://host:port/path` into the address to dial, the Host header and the path.
fn split_url(url: &str) -> Result<(String, String, String), HttpFailure> {
    let rest = url.strip_prefix("http://").ok_or_else(|| HttpFailure::Url(url.to_owned()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(HttpFailure::Url(url.to_owned()));
    }
    let has_port =
        if authority.starts_with('[') { authority.contains("]:") } else { authority.contains(':') };
    let addr = if has_port { authority.to_owned() } else { format!("{authority}:80") };
    Ok((addr, authority.to_owned(), path.to_owned()))
}

/// `GET url` with `headers`, within `connect` to connect and `answer` for the whole reply.
pub async fn get(
    url: &str,
    headers: &[(&str, &str)],
    connect: Duration,
    answer: Duration,
    max_body: usize,
) -> Result<Reply, HttpFailure> {
    let (addr, host, path) = split_url(url)?;
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
    let exchange = async {
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
        let driver = tokio::spawn(conn);
        let mut request =
            Request::get(path.as_str()).header("Host", host.as_str()).header("User-Agent", crate::USER_AGENT);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let request = request.body(Empty::<Bytes>::new()).map_err(|e| e.to_string())?;
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), max_body)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        driver.abort();
        Ok::<_, String>((status, body))
    };
    match tokio::time::timeout(answer, exchange).await {
        Err(_) => Err(HttpFailure::AnswerTimeout { addr, secs: answer.as_secs_f64() }),
        Ok(Err(reason)) => Err(HttpFailure::Protocol { addr, reason }),
        Ok(Ok((status, body))) => Ok(Reply { status, body, took: started.elapsed() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_dial_address_host_and_path() {
        assert_eq!(
            split_url("http://169.254.170.23/v1/credentials").unwrap(),
            ("169.254.170.23:80".into(), "169.254.170.23".into(), "/v1/credentials".into())
        );
        assert_eq!(split_url("http://[fd00:ec2::23]/v1").unwrap().0, "[fd00:ec2::23]:80");
        assert_eq!(split_url("http://127.0.0.1:9/x").unwrap().0, "127.0.0.1:9");
        assert!(split_url("https://x/").is_err());
        assert!(split_url("http:///x").is_err());
    }
}
