//! The awsQuery protocol (STS, IAM, RDS, Redshift, EC2): form-encoded parameters in, XML out,
//! and the `ErrorResponse` shape for errors.

use crate::exchange::{Reply, Request};

/// The request parameters: the query string and, for form posts, the body, in order.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Collects the parameters of a request.
    pub fn of(req: &Request) -> Self {
        let mut pairs: Vec<(String, String)> =
            form_urlencoded::parse(req.query.as_bytes()).into_owned().collect();
        let is_form =
            req.header("content-type").is_none_or(|t| t.starts_with("application/x-www-form-urlencoded"));
        if req.method == "POST" && is_form {
            pairs.extend(form_urlencoded::parse(&req.body).into_owned());
        }
        Self(pairs)
    }

    /// The first value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// An AWS error reply: status, code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// HTTP status.
    pub status: u16,
    /// Error code, e.g. `AccessDenied`.
    pub code: String,
    /// Human text, AWS's own where known.
    pub message: String,
}

impl AwsError {
    /// An error with AWS's status for it.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.to_owned(), message: message.into() }
    }

    /// `ValidationError` (400).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationError", message)
    }
}

/// Writes XML with every value escaped.
#[derive(Debug, Default)]
pub struct Xml(String);

impl Xml {
    /// `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    /// `<name>value</name>`.
    pub fn leaf(&mut self, name: &str, value: &str) -> &mut Self {
        self.open(name);
        escape_into(&mut self.0, value);
        self.close(name)
    }

    /// The document so far.
    pub fn finish(self) -> String {
        self.0
    }
}

fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all are dropped rather than breaking the reply.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

/// The success envelope: `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>`.
pub fn success(xmlns: &str, action: &str, result: &str, request_id: &str) -> Reply {
    let mut xml = Xml::default();
    xml.0.push_str(&format!("<{action}Response xmlns=\"{xmlns}\">\n  "));
    xml.open(&format!("{action}Result"));
    xml.0.push_str(result);
    xml.close(&format!("{action}Result"));
    xml.0.push_str("\n  ");
    xml.open("ResponseMetadata").leaf("RequestId", request_id).close("ResponseMetadata");
    xml.0.push_str(&format!("\n</{action}Response>\n"));
    Reply::new(200, "text/xml", xml.finish()).with_header("x-amzn-RequestId", request_id)
}

/// The error envelope: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
pub fn error(xmlns: &str, err: &AwsError, request_id: &str) -> Reply {
    let mut xml = Xml::default();
    xml.0.push_str(&format!("<ErrorResponse xmlns=\"{xmlns}\">\n  "));
    xml.open("Error")
        .leaf("Type", if err.status >= 500 { "Receiver" } else { "Sender" })
        .leaf("Code", &err.code)
        .leaf("Message", &err.message)
        .close("Error");
    xml.0.push_str("\n  ");
    xml.leaf("RequestId", request_id);
    xml.0.push_str("\n</ErrorResponse>\n");
    Reply::new(err.status, "text/xml", xml.finish()).with_header("x-amzn-RequestId", request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_values() {
        let mut xml = Xml::default();
        xml.leaf("M", "a<b & \"c\" 'd'\u{1}");
        assert_eq!(xml.finish(), "<M>a&lt;b &amp; &quot;c&quot; &apos;d&apos;</M>");
    }

    #[test]
    fn reads_query_and_form() {
        let req = Request {
            method: "POST".into(),
            query: "A=1".into(),
            body: "Action=GetCallerIdentity&Version=2011-06-15&X=a%20b".into(),
            ..Request::default()
        };
        let params = Params::of(&req);
        assert_eq!(params.get("A"), Some("1"));
        assert_eq!(params.get("Action"), Some("GetCallerIdentity"));
        assert_eq!(params.get("X"), Some("a b"));
    }

    #[test]
    fn error_envelope() {
        let reply = error("urn:x", &AwsError::new(403, "AccessDenied", "no"), "rid");
        assert_eq!(reply.status, 403);
        let text = reply.text();
        assert!(text.contains("<Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message>"));
        assert!(text.contains("<RequestId>rid</RequestId>"));
    }
}
