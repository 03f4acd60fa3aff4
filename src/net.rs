//! Reaching a `host:port` the way the connector would: the pod's resolver, a TCP connection
//! with a deadline, and failures sorted by what they say about the network (nothing answered,
//! something refused, no route, no such name).
//!
//! `--connect-to` rules (curl's form) send a `host:port` somewhere else while every name the
//! protocol carries (TLS server name, the host an IAM token is signed for) stays the asked-for
//! one: how one reaches a database through a tunnel, and how the tests reach the lab.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

/// One `--connect-to` rule: `HOST:PORT:ADDRESS:PORT`. An empty `HOST` or `PORT` on the left
/// matches any; IPv6 addresses go in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    host: Option<String>,
    port: Option<u16>,
    to_host: String,
    to_port: u16,
}

/// A `--connect-to` rule that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not HOST:PORT:ADDRESS:PORT")]
pub struct ConnectToError(String);

impl FromStr for ConnectTo {
    type Err = ConnectToError;

    fn from_str(rule: &str) -> Result<Self, Self::Err> {
        let bad = || ConnectToError(rule.to_owned());
        let parts = split_hosts_and_ports(rule).ok_or_else(bad)?;
        let [host, port, to_host, to_port] = parts;
        let port = if port.is_empty() { None } else { Some(port.parse().map_err(|_| bad())?) };
        let to_port = to_port.parse().map_err(|_| bad())?;
        if to_host.is_empty() {
            return Err(bad());
        }
        Ok(ConnectTo {
            host: Some(host.to_ascii_lowercase()).filter(|h| !h.is_empty()),
            port,
            to_host: to_host.to_owned(),
            to_port,
        })
    }
}

impl fmt::Display for ConnectTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let port = self.port.map(|p| p.to_string()).unwrap_or_default();
        write!(f, "{}:{port}:{}", bracket(self.host.as_deref().unwrap_or_default()), bracket(&self.to_host))?;
        write!(f, ":{}", self.to_port)
    }
}

/// Splits `A:B:C:D` where `A` and `C` may be bracketed IPv6 addresses.
fn split_hosts_and_ports(rule: &str) -> Option<[&str; 4]> {
    fn host_then_port(s: &str) -> Option<(&str, &str, &str)> {
        let (host, rest) = if let Some(inner) = s.strip_prefix('[') {
            let end = inner.find(']')?;
            (&inner[..end], inner[end + 1..].strip_prefix(':')?)
        } else {
            s.split_once(':')?
        };
        let (port, rest) = rest.split_once(':').unwrap_or((rest, ""));
        Some((host, port, rest))
    }
    let (host, port, rest) = host_then_port(rule)?;
    let (to_host, to_port, tail) = host_then_port(rest)?;
    tail.is_empty().then_some([host, port, to_host, to_port])
}

/// `host`, in brackets when it is an IPv6 address.
pub fn bracket(host: &str) -> String {
    if host.contains(':') { format!("[{host}]") } else { host.to_owned() }
}

/// A place to connect to: from a URL (`https://host[:port][/path]`, or `http://` for an
/// endpoint override) or from `host:port`, IPv6 addresses in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The host name or address, without brackets.
    pub host: String,
    /// The port (a URL's scheme's default when it names none).
    pub port: u16,
    /// Whether it speaks HTTPS (an `https://` URL, or port 443).
    pub https: bool,
}

/// An address that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is neither a URL (https://host[:port]) nor HOST:PORT")]
pub struct AddressError(String);

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || AddressError(text.to_owned());
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => (Some(true), rest),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => (Some(false), rest),
            Some(_) => return Err(bad()),
            None => (None, text),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if scheme.is_none() && authority.len() != rest.len() {
            return Err(bad());
        }
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6.split_once(']').ok_or_else(bad)?;
                (
                    host,
                    after.strip_prefix(':').map(Some).or(after.is_empty().then_some(None)).ok_or_else(bad)?,
                )
            }
            None => match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        let port = match (port, scheme) {
            (Some(p), _) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
            (None, Some(true)) => 443,
            (None, Some(false)) => 80,
            (None, None) => return Err(bad()),
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        Ok(Address { host: host.to_owned(), port, https: scheme.unwrap_or(port == 443) })
    }
}

/// Where a connection to `host:port` really goes under `rules`: the first rule that matches,
/// else the address itself.
pub fn route(rules: &[ConnectTo], host: &str, port: u16) -> (String, u16) {
    let wanted = host.to_ascii_lowercase();
    rules
        .iter()
        .find(|r| r.host.as_ref().is_none_or(|h| *h == wanted) && r.port.is_none_or(|p| p == port))
        .map_or_else(|| (host.to_owned(), port), |r| (r.to_host.clone(), r.to_port))
}

/// Why a TCP connection could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpFailure {
    /// The name did not resolve (or resolved to nothing).
    Dns(String),
    /// No answer before the deadline: something drops the packets.
    Timeout(Duration),
    /// The host answered with a reset: it is there, nothing listens on the port.
    Refused,
    /// The network says there is no route to the host.
    Unreachable(String),
    /// Another socket error.
    Other(String),
}

impl fmt::Display for TcpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcpFailure::Dns(why) => write!(f, "the name did not resolve ({why})"),
            TcpFailure::Timeout(d) => {
                write!(f, "nothing answered within {:.1} s: the packets are dropped", d.as_secs_f64())
            }
            TcpFailure::Refused => {
                f.write_str("the connection was refused: the host is there, nothing listens")
            }
            TcpFailure::Unreachable(why) => write!(f, "no route to the host ({why})"),
            TcpFailure::Other(why) => f.write_str(why),
        }
    }
}

/// Opens a TCP connection to `host:port` (after `rules`) within `deadline`: the name is
/// resolved first (a resolver that does not answer is a DNS failure, not a dropped SYN), then
/// each address is tried in turn with its share of the time left.
pub async fn connect(
    rules: &[ConnectTo],
    host: &str,
    port: u16,
    deadline: Duration,
) -> Result<TcpStream, TcpFailure> {
    let started = Instant::now();
    let (host, port) = route(rules, host, port);
    let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            match tokio::time::timeout(deadline, tokio::net::lookup_host((host.as_str(), port))).await {
                Err(_) => {
                    let waited = deadline.as_secs_f64();
                    return Err(TcpFailure::Dns(format!("the resolver did not answer within {waited:.1} s")));
                }
                Ok(Err(e)) => return Err(TcpFailure::Dns(e.to_string())),
                Ok(Ok(found)) => found.collect(),
            }
        }
    };
    let mut last = TcpFailure::Dns(format!("{host} has no address"));
    for (i, address) in addresses.iter().enumerate() {
        let left = deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        let share = left / u32::try_from(addresses.len() - i).unwrap_or(u32::MAX);
        match tokio::time::timeout(share, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                // The PostgreSQL protocol exchanges small messages; do not let Nagle hold them.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => last = sort_io_error(&e, started.elapsed()),
            Err(_) => last = TcpFailure::Timeout(share),
        }
    }
    Err(last)
}

/// Sorts a connect error by what it says about the network; `waited` is how long it took.
pub fn sort_io_error(e: &io::Error, waited: Duration) -> TcpFailure {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => TcpFailure::Refused,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            TcpFailure::Unreachable(e.to_string())
        }
        io::ErrorKind::TimedOut => TcpFailure::Timeout(waited),
        _ => TcpFailure::Other(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_from_urls_and_host_port() {
        let a = |t: &str| t.parse::<Address>().map(|a| (a.host, a.port, a.https));
        assert_eq!(
            a("https://redshift-data.us-west-1.amazonaws.com"),
            Ok(("redshift-data.us-west-1.amazonaws.com".into(), 443, true))
        );
        assert_eq!(a("http://127.0.0.1:4566/"), Ok(("127.0.0.1".into(), 4566, false)));
        assert_eq!(a("https://[::1]:8443/x?y"), Ok(("::1".into(), 8443, true)));
        assert_eq!(a("logs.internal:443"), Ok(("logs.internal".into(), 443, true)));
        assert_eq!(a("db.internal:5432"), Ok(("db.internal".into(), 5432, false)));
        assert_eq!(a("[fd00::5]:5439"), Ok(("fd00::5".into(), 5439, false)));
        for bad in [
            "not a url",
            "https://host:notaport",
            "db.internal",
            "ftp://x",
            "host:0",
            "https://",
            "[::1",
            "h:1/x",
            "https://[::1]x",
        ] {
            assert!(a(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_parse_route_and_print() {
        let r: ConnectTo = "db.example.com:5432:127.0.0.1:40001".parse().unwrap();
        assert_eq!(route(std::slice::from_ref(&r), "DB.example.com", 5432), ("127.0.0.1".to_owned(), 40001));
        assert_eq!(
            route(std::slice::from_ref(&r), "db.example.com", 5433),
            ("db.example.com".to_owned(), 5433)
        );
        assert_eq!(r.to_string(), "db.example.com:5432:127.0.0.1:40001");
        let any: ConnectTo = "::[::1]:7".parse().unwrap();
        assert_eq!(route(std::slice::from_ref(&any), "x", 1), ("::1".to_owned(), 7));
        assert_eq!(any.to_string(), "::[::1]:7");
        let v6: ConnectTo = "[fd00::1]:443:localhost:8443".parse().unwrap();
        assert_eq!(route(&[v6], "fd00::1", 443), ("localhost".to_owned(), 8443));
        for bad in ["", "a:1", "a:1:b", "a:x:b:1", "a:1:b:99999", "a:1::1", "a:1:b:1:c", "[::1:1:b:1"] {
            assert!(bad.parse::<ConnectTo>().is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_refused() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let refused = connect(&[], "127.0.0.1", port, Duration::from_secs(2)).await.unwrap_err();
        assert_eq!(refused, TcpFailure::Refused);
    }
}
