//! Faults an endpoint can be given as a whole. `status` and `garbage` are ordinary replies;
//! `hang` and `refused` are carried out by the server (holding the connection, or not
//! listening at all) because they are about the connection, not the reply.

use crate::exchange::Reply;
use crate::scenario::FaultKind;

/// Bytes that parse as no reply any SDK expects: not XML, not JSON, not even UTF-8.
const GARBAGE: &[u8] = b"\x1f\x8b\x08\x00}{<<not a reply: the lab's garbage fault\xff\xfe\x00\x01";

/// How an endpoint misbehaves, with what it needs to do so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// It works.
    None,
    /// Reads the request and never answers, until the lab stops.
    Hang,
    /// Answers 200 with [`GARBAGE`].
    Garbage,
    /// Answers this status and body.
    Status(u16, String),
    /// Nothing listens on the endpoint's port.
    Refused,
}

impl Fault {
    /// Builds a fault from a scenario's `fault`, `status` and `body`.
    pub fn new(kind: FaultKind, status: u16, body: &str) -> Self {
        match kind {
            FaultKind::None => Self::None,
            FaultKind::Hang => Self::Hang,
            FaultKind::Garbage => Self::Garbage,
            FaultKind::Status => Self::Status(status, body.to_owned()),
            FaultKind::Refused => Self::Refused,
        }
    }

    /// The reply this fault gives instead of the real one, if it is a reply at all.
    pub fn reply(&self) -> Option<Reply> {
        match self {
            Self::Garbage => Some(Reply::new(200, "application/octet-stream", GARBAGE)),
            Self::Status(status, body) => {
                let trimmed = body.trim_start();
                let content_type = if trimmed.starts_with('<') {
                    "text/xml"
                } else if trimmed.starts_with('{') {
                    "application/json"
                } else {
                    "text/plain; charset=utf-8"
                };
                Some(Reply::new(*status, content_type, body.as_bytes()))
            }
            Self::None | Self::Hang | Self::Refused => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fault_keeps_status_and_body() {
        let reply = Fault::new(FaultKind::Status, 503, "<x/>").reply().unwrap();
        assert_eq!(reply.status, 503);
        assert_eq!(reply.body, b"<x/>");
        assert_eq!(reply.headers[0].1, "text/xml");
    }

    #[test]
    fn garbage_is_neither_xml_nor_json_nor_utf8() {
        let reply = Fault::Garbage.reply().unwrap();
        assert_eq!(reply.status, 200);
        assert!(std::str::from_utf8(&reply.body).is_err());
        assert!(Fault::Hang.reply().is_none());
    }
}
