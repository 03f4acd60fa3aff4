//! A small DNS responder for the scenario's names, on UDP and TCP at one address (port 53 in
//! a test's network namespace, so that the namespace's `resolv.conf` can name it).
//!
//! It answers `A` queries for the names it knows (the scenario's `[dns] records`, and every
//! endpoint name the lab serves, at `127.0.0.1`), other types for those names with an empty
//! `NOERROR`, and anything else with `NXDOMAIN`. `[dns] fault` makes it silent (`timeout`) or
//! answer `SERVFAIL`. Queries are parsed defensively: anything that is not one well-formed
//! question is dropped, never answered wrongly and never a panic. The message format is
//! RFC 1035's; only a header, one question and `A` answers are ever written.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::scenario::Scenario;
use crate::scenario::network::DnsFault;

/// How long a TCP client may take to send its query.
const TCP_PATIENCE: Duration = Duration::from_secs(3);
/// How often the serving threads look at the stop flag.
const TICK: Duration = Duration::from_millis(50);
/// The TTL of every answer.
const TTL: u32 = 30;

const TYPE_A: u16 = 1;
const CLASS_IN: u16 = 1;
const RCODE_NXDOMAIN: u8 = 3;
const RCODE_SERVFAIL: u8 = 2;

/// What the responder knows.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    /// Lower-case names without the trailing dot, to their address.
    pub records: BTreeMap<String, Ipv4Addr>,
    /// How it misbehaves.
    pub fault: DnsFault,
}

impl Zone {
    /// The scenario's zone: its `[dns] records`, plus (unless `endpoints = false`) every RDS
    /// address, reader address and alias and every Redshift cluster and workgroup address at
    /// `127.0.0.1`. Explicit records win.
    pub fn of(scenario: &Scenario) -> Zone {
        let mut records = BTreeMap::new();
        if scenario.dns.endpoints {
            let (account, region) = (scenario.account.as_str(), scenario.region.as_str());
            let mut names = Vec::new();
            for rds in &scenario.rds {
                names.push(rds.address(account, region));
                if rds.kind == crate::scenario::rds::RdsKind::Cluster {
                    names.push(rds.reader_address(account, region));
                }
                names.extend(rds.aliases.iter().cloned());
            }
            for cluster in &scenario.redshift {
                names.push(crate::redshift::cluster_address(scenario, &cluster.id));
            }
            for workgroup in &scenario.workgroups {
                names.push(crate::redshift::workgroup_address(scenario, &workgroup.name));
            }
            for name in names {
                records.insert(normalize(&name), Ipv4Addr::LOCALHOST);
            }
        }
        for (name, address) in &scenario.dns.records {
            // Scenario::complete checked every address.
            if let Ok(address) = address.parse() {
                records.insert(normalize(name), address);
            }
        }
        Zone { records, fault: scenario.dns.fault }
    }
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// A running responder; dropping it stops it.
#[derive(Debug)]
pub struct Responder {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Responder {
    /// Binds UDP and TCP at `addr` (port 0: one free port for both) and serves `zone`.
    pub fn start(addr: SocketAddr, zone: Zone) -> io::Result<Responder> {
        let (udp, tcp) = bind(addr)?;
        let addr = udp.local_addr()?;
        udp.set_read_timeout(Some(TICK))?;
        tcp.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let zone = Arc::new(zone);
        let udp_thread = {
            let (stop, zone) = (Arc::clone(&stop), Arc::clone(&zone));
            std::thread::Builder::new().name("connector-lab-dns-udp".into()).spawn(move || {
                serve_udp(&udp, &zone, &stop);
            })?
        };
        let tcp_thread = {
            let (stop, zone) = (Arc::clone(&stop), Arc::clone(&zone));
            std::thread::Builder::new().name("connector-lab-dns-tcp".into()).spawn(move || {
                serve_tcp(&tcp, &zone, &stop);
            })?
        };
        Ok(Responder { addr, stop, threads: vec![udp_thread, tcp_thread] })
    }

    /// Where it answers (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// UDP and TCP on the same port; with port 0, tries a few free UDP ports until TCP gets the
/// same one.
fn bind(addr: SocketAddr) -> io::Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind(addr)?;
        match TcpListener::bind(udp.local_addr()?) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if addr.port() == 0 => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no port free for both UDP and TCP")))
}

fn serve_udp(socket: &UdpSocket, zone: &Zone, stop: &AtomicBool) {
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let Ok((n, peer)) = socket.recv_from(&mut buf) else { continue };
        if let Some(reply) = answer(&buf[..n], zone) {
            let _ = socket.send_to(&reply, peer);
        }
    }
}

fn serve_tcp(listener: &TcpListener, zone: &Arc<Zone>, stop: &Arc<AtomicBool>) {
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (zone, stop) = (Arc::clone(zone), Arc::clone(stop));
                if let Ok(thread) = std::thread::Builder::new()
                    .name("connector-lab-dns-conn".into())
                    .spawn(move || serve_connection(stream, &zone, &stop))
                {
                    connections.push(thread);
                }
            }
            Err(_) => std::thread::sleep(TICK),
        }
        connections.retain(|t| !t.is_finished());
    }
    for thread in connections {
        let _ = thread.join();
    }
}

/// Length-prefixed queries on one connection, until EOF, garbage, the stop flag or
/// [`TCP_PATIENCE`] without a whole query.
fn serve_connection(mut stream: TcpStream, zone: &Zone, stop: &AtomicBool) {
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(TICK)).is_err() {
        return;
    }
    let _ = stream.set_write_timeout(Some(TCP_PATIENCE));
    let mut pending = Vec::new();
    let mut since = Instant::now();
    let mut chunk = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) && since.elapsed() < TCP_PATIENCE {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => continue,
            Err(_) => return,
        }
        while pending.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([pending[0], pending[1]]));
            if pending.len() < 2 + len {
                break;
            }
            let query: Vec<u8> = pending.drain(..2 + len).skip(2).collect();
            since = Instant::now();
            let Some(reply) = answer(&query, zone) else { return };
            let Ok(len) = u16::try_from(reply.len()) else { return };
            let mut framed = len.to_be_bytes().to_vec();
            framed.extend_from_slice(&reply);
            if stream.write_all(&framed).is_err() {
                return;
            }
        }
    }
}

/// A parsed query: its ID, flags, the raw question (name, type, class) and the name.
#[derive(Debug, PartialEq, Eq)]
struct Query<'a> {
    id: u16,
    flags: u16,
    question: &'a [u8],
    name: String,
    qtype: u16,
    qclass: u16,
}

/// Parses a query with exactly one question; `None` for anything else.
fn parse(message: &[u8]) -> Option<Query<'_>> {
    let header = message.get(..12)?;
    let id = u16::from_be_bytes([header[0], header[1]]);
    let flags = u16::from_be_bytes([header[2], header[3]]);
    let qdcount = u16::from_be_bytes([header[4], header[5]]);
    let ancount = u16::from_be_bytes([header[6], header[7]]);
    // A response, or not exactly one question: not a query we answer.
    if flags & 0x8000 != 0 || qdcount != 1 || ancount != 0 {
        return None;
    }
    let mut at = 12;
    let mut labels = Vec::new();
    let mut length = 0;
    loop {
        let len = usize::from(*message.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        // Compression pointers (0xC0) and the reserved label types have no place in a query.
        if len > 63 {
            return None;
        }
        let label = message.get(at..at + len)?;
        length += len + 1;
        if length > 255 {
            return None;
        }
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        at += len;
    }
    let fixed = message.get(at..at + 4)?;
    let qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
    let qclass = u16::from_be_bytes([fixed[2], fixed[3]]);
    Some(Query { id, flags, question: &message[12..at + 4], name: labels.join("."), qtype, qclass })
}

/// The reply to one query, or `None` when it is dropped (garbage, or the timeout fault).
pub fn answer(message: &[u8], zone: &Zone) -> Option<Vec<u8>> {
    let query = parse(message)?;
    let opcode = (query.flags >> 11) & 0xf;
    if zone.fault == DnsFault::Timeout {
        return None;
    }
    let found = zone.records.get(&query.name).filter(|_| query.qclass == CLASS_IN);
    let (rcode, address) = if opcode != 0 {
        (4, None) // NOTIMP
    } else if zone.fault == DnsFault::Servfail {
        (RCODE_SERVFAIL, None)
    } else {
        match found {
            None => (RCODE_NXDOMAIN, None),
            Some(address) if query.qtype == TYPE_A => (0, Some(*address)),
            Some(_) => (0, None),
        }
    };
    // QR, the query's opcode and RD, AA for names we own, RA.
    let aa = if found.is_some() { 0x0400 } else { 0 };
    let flags = 0x8000 | (query.flags & 0x7900) | aa | 0x0080 | u16::from(rcode);
    let mut out = Vec::with_capacity(12 + query.question.len() + 16);
    out.extend_from_slice(&query.id.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&u16::from(address.is_some()).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(query.question);
    if let Some(address) = address {
        out.extend_from_slice(&[0xc0, 12]); // the name in the question
        out.extend_from_slice(&TYPE_A.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&TTL.to_be_bytes());
        out.extend_from_slice(&4u16.to_be_bytes());
        out.extend_from_slice(&address.octets());
    }
    Some(out)
}

/// Encodes a query for `name` and `qtype` (tests and probes).
pub fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&0x0100u16.to_be_bytes());
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        out.push(u8::try_from(label.len()).unwrap_or(63).min(63));
        out.extend_from_slice(&label.as_bytes()[..label.len().min(63)]);
    }
    out.push(0);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Zone {
        let mut records = BTreeMap::new();
        records.insert("db.example.internal".to_owned(), Ipv4Addr::new(10, 0, 9, 9));
        Zone { records, fault: DnsFault::None }
    }

    #[test]
    fn answers_a_and_nodata_and_nxdomain() {
        let reply = answer(&query(7, "DB.Example.Internal.", 1), &zone()).unwrap();
        assert_eq!(&reply[..2], &7u16.to_be_bytes());
        assert_eq!(reply[3] & 0xf, 0);
        assert_eq!(u16::from_be_bytes([reply[6], reply[7]]), 1);
        assert_eq!(&reply[reply.len() - 4..], &[10, 0, 9, 9]);
        // The question comes back as asked, case included.
        assert!(reply.windows(2).any(|w| w == b"DB"));
        let reply = answer(&query(8, "db.example.internal", 28), &zone()).unwrap();
        assert_eq!((reply[3] & 0xf, u16::from_be_bytes([reply[6], reply[7]])), (0, 0));
        let reply = answer(&query(9, "nope.example.internal", 1), &zone()).unwrap();
        assert_eq!(reply[3] & 0xf, RCODE_NXDOMAIN);
    }

    #[test]
    fn faults() {
        let mut z = zone();
        z.fault = DnsFault::Servfail;
        assert_eq!(answer(&query(1, "db.example.internal", 1), &z).unwrap()[3] & 0xf, RCODE_SERVFAIL);
        z.fault = DnsFault::Timeout;
        assert!(answer(&query(1, "db.example.internal", 1), &z).is_none());
    }

    #[test]
    fn garbage_is_dropped() {
        let z = zone();
        let good = query(1, "db.example.internal", 1);
        for n in 0..good.len() {
            assert!(answer(&good[..n], &z).is_none(), "prefix {n}");
        }
        let mut pointer = good.clone();
        pointer[12] = 0xc0;
        assert!(answer(&pointer, &z).is_none());
        let mut response = good.clone();
        response[2] |= 0x80;
        assert!(answer(&response, &z).is_none());
        // A deterministic stream of junk.
        let mut state: u32 = 0x1234_5678;
        for _ in 0..20_000 {
            let len = (state % 64) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect();
            let _ = answer(&bytes, &z);
        }
    }
}
