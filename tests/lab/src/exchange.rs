//! The lab's own view of one HTTP exchange. Services take a [`Request`] and give a [`Reply`]
//! without touching hyper, so each can be unit-tested with plain values and the server module
//! is the only place that knows the HTTP library.

use bytes::Bytes;

/// A request as the services see it: header names lower-cased, values decoded lossily (a
/// garbage token must reach the agent's parser, not crash the server).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `GET`, `POST`, `PUT`, …
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The raw query string (no `?`).
    pub query: String,
    /// `(lower-case name, value)` in arrival order.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Bytes,
}

impl Request {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A reply to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// A reply with a body and its content type.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    /// A reply the way Go's `http.Error` writes one (the agent is a Go program): plain text,
    /// `nosniff`, and a trailing newline.
    pub fn go_error(status: u16, message: &str) -> Self {
        let mut reply = Self::new(status, "text/plain; charset=utf-8", format!("{message}\n"));
        reply.headers.push(("x-content-type-options".to_owned(), "nosniff".to_owned()));
        reply
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The body as text, for tests and logs.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}
