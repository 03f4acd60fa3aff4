//! The awsJson 1.1 protocol (the Redshift Data API, Redshift Serverless): a JSON object in,
//! selected by `X-Amz-Target: <Prefix>.<Action>`, a JSON object out, and errors as
//! `{"__type": "<Code>", "<message key>": "…"}` with the request ID in `x-amzn-RequestId`.
//!
//! The message key is the service model's own member name (`Message` for the Data API,
//! `message` for Serverless): the SDKs fill a typed error's message from that member, so the
//! wrong spelling would leave it empty even though the generic metadata still parses.

use serde_json::{Map, Value};

use super::Caller;
use super::query::AwsError;
use crate::exchange::{Reply, Request};
use crate::world::World;

/// The content type of every awsJson 1.1 reply.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// An awsJson 1.1 service the lab implements.
#[derive(Debug)]
pub struct JsonService {
    /// Short name, as in the signing scope and in the call log (`redshift-data`).
    pub name: &'static str,
    /// The part of `X-Amz-Target` before the dot (`RedshiftData`).
    pub target_prefix: &'static str,
    /// The member name errors carry their text in (`Message` or `message`).
    pub message_key: &'static str,
    /// Actions it implements.
    pub actions: &'static [&'static str],
    /// Runs one action; returns the reply object.
    pub handle: fn(&Context<'_>) -> Result<Value, JsonError>,
}

/// Everything a JSON action gets. JSON services have no unsigned actions, so the caller is
/// always known.
#[derive(Debug)]
pub struct Context<'a> {
    /// The action name.
    pub action: &'a str,
    /// The request object.
    pub input: &'a Map<String, Value>,
    /// The authenticated caller.
    pub caller: &'a Caller,
    /// The world.
    pub world: &'a World,
}

/// An awsJson error reply.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    /// HTTP status.
    pub status: u16,
    /// `__type`, e.g. `ValidationException`.
    pub code: String,
    /// Human text, AWS's own where known.
    pub message: String,
    /// Members beyond the message (`ResourceId`, `resourceName`, …).
    pub fields: Vec<(String, Value)>,
}

impl JsonError {
    /// An error with AWS's status for it.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.to_owned(), message: message.into(), fields: Vec::new() }
    }

    /// `ValidationException` (400).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }

    /// `AccessDeniedException` (400), the code JSON services give an IAM denial.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(400, "AccessDeniedException", message)
    }

    /// Adds a member to the error object.
    #[must_use]
    pub fn with_field(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.fields.push((name.to_owned(), value.into()));
        self
    }
}

impl From<AwsError> for JsonError {
    /// The endpoint's authentication errors, renamed the way JSON services name them.
    fn from(err: AwsError) -> Self {
        let code = match err.code.as_str() {
            "InvalidClientTokenId" => "UnrecognizedClientException",
            "SignatureDoesNotMatch" => "InvalidSignatureException",
            "ExpiredToken" => "ExpiredTokenException",
            "MissingAuthenticationToken" => "MissingAuthenticationTokenException",
            "IncompleteSignature" => "IncompleteSignatureException",
            other => other,
        };
        // JSON services answer every authentication failure with 400.
        Self::new(400, code, err.message)
    }
}

/// The success reply.
pub fn success(value: &Value, request_id: &str) -> Reply {
    Reply::new(200, CONTENT_TYPE, value.to_string()).with_header("x-amzn-RequestId", request_id)
}

/// The error reply, its text under `message_key`.
pub fn error(message_key: &str, err: &JsonError, request_id: &str) -> Reply {
    let mut body = Map::new();
    body.insert("__type".to_owned(), Value::from(err.code.as_str()));
    body.insert(message_key.to_owned(), Value::from(err.message.as_str()));
    for (name, value) in &err.fields {
        body.insert(name.clone(), value.clone());
    }
    Reply::new(err.status, CONTENT_TYPE, Value::Object(body).to_string())
        .with_header("x-amzn-RequestId", request_id)
}

/// The request object. An empty body counts as `{}`, as the SDKs send for inputs without
/// members; anything but a JSON object is a `SerializationException`.
pub fn input(req: &Request) -> Result<Map<String, Value>, JsonError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(JsonError::new(400, "SerializationException", "Start of structure or map expected")),
        Err(e) => Err(JsonError::new(400, "SerializationException", format!("Malformed JSON: {e}"))),
    }
}

/// The `X-Amz-Target` split into the service prefix and the action.
pub fn target(header: &str) -> (&str, &str) {
    header.split_once('.').unwrap_or(("", header))
}

/// An optional string member; any other JSON type is a `SerializationException`.
pub fn opt_str<'a>(input: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, JsonError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => {
            Err(JsonError::new(400, "SerializationException", format!("Expected a string for {name}")))
        }
    }
}

/// A required string member, or the validation error AWS gives for it (`field` is the
/// member's name in the error text, lower camel case as AWS writes it).
pub fn req_str<'a>(input: &'a Map<String, Value>, name: &str, field: &str) -> Result<&'a str, JsonError> {
    opt_str(input, name)?.ok_or_else(|| {
        JsonError::validation(format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

/// An optional integer member.
pub fn opt_i64(input: &Map<String, Value>, name: &str) -> Result<Option<i64>, JsonError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or_else(|| {
            JsonError::new(400, "SerializationException", format!("Expected an integer for {name}"))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_objects_use_the_service_message_key() {
        let err = JsonError::new(400, "ResourceNotFoundException", "Query does not exist.")
            .with_field("ResourceId", "abc");
        let reply = error("Message", &err, "rid");
        assert_eq!(reply.status, 400);
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["__type"], "ResourceNotFoundException");
        assert_eq!(body["Message"], "Query does not exist.");
        assert_eq!(body["ResourceId"], "abc");
        assert!(reply.headers.contains(&("x-amzn-RequestId".to_owned(), "rid".to_owned())));
        assert!(reply.headers.contains(&("content-type".to_owned(), CONTENT_TYPE.to_owned())));
    }

    #[test]
    fn authentication_errors_get_json_names() {
        let err = JsonError::from(AwsError::new(403, "InvalidClientTokenId", "invalid"));
        assert_eq!((err.status, err.code.as_str()), (400, "UnrecognizedClientException"));
        let err = JsonError::from(AwsError::new(403, "MissingAuthenticationToken", "missing"));
        assert_eq!((err.status, err.code.as_str()), (400, "MissingAuthenticationTokenException"));
    }

    #[test]
    fn inputs_are_objects() {
        let req = |body: &str| Request { body: body.to_owned().into(), ..Request::default() };
        assert!(input(&req("")).unwrap().is_empty());
        assert_eq!(input(&req("{\"Id\":\"x\"}")).unwrap()["Id"], "x");
        assert_eq!(input(&req("[1]")).unwrap_err().code, "SerializationException");
        assert_eq!(input(&req("{nope")).unwrap_err().code, "SerializationException");
        let map = input(&req("{\"Sql\":5,\"N\":3}")).unwrap();
        assert_eq!(opt_str(&map, "Sql").unwrap_err().code, "SerializationException");
        assert_eq!(opt_i64(&map, "N").unwrap(), Some(3));
        let err = req_str(&map, "Database", "database").unwrap_err();
        assert!(err.message.contains("Value null at 'database'"), "{}", err.message);
        assert_eq!(target("RedshiftData.ExecuteStatement"), ("RedshiftData", "ExecuteStatement"));
    }
}
