//! The one AWS endpoint (`AWS_ENDPOINT_URL`) that stands in for every AWS service. It tells
//! services apart the way their protocols allow: awsQuery requests by their `Version`
//! parameter, JSON requests by `X-Amz-Target`. It authenticates signed calls once, for all
//! services (key lookup, session token, expiry and the scenario's `reject_keys`), then hands
//! the call to the service module.

pub mod json;
pub mod query;
pub mod sigv4;

use query::{AwsError, Params};
use sigv4::Signing;

use crate::clock;
use crate::exchange::{Reply, Request};
use crate::scenario::RejectKeys;
use crate::sts;
use crate::world::{Call, Identity, Session, World};

/// An awsQuery service the lab implements.
#[derive(Debug)]
pub struct QueryService {
    /// Short name, as in the signing scope and in [`Call::service`].
    pub name: &'static str,
    /// The API version that selects it.
    pub version: &'static str,
    /// The XML namespace of its replies.
    pub xmlns: &'static str,
    /// Actions it implements.
    pub actions: &'static [&'static str],
    /// Actions that are called without a signature.
    pub unsigned: &'static [&'static str],
    /// Runs one action; returns the inside of `<ActionResult>`.
    pub handle: fn(&Context<'_>) -> Result<String, AwsError>,
}

/// Everything a service action gets.
#[derive(Debug)]
pub struct Context<'a> {
    /// The action name.
    pub action: &'a str,
    /// The request parameters.
    pub params: &'a Params,
    /// The authenticated caller; `None` for unsigned actions.
    pub caller: Option<&'a Caller>,
    /// The world.
    pub world: &'a World,
}

/// The authenticated caller of a signed request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Whom the key belongs to.
    pub identity: Identity,
    /// The account of that identity.
    pub account: String,
    /// Its session's tags and origin.
    pub session: Session,
    /// The region of the signature's credential scope: the region the call went to.
    pub region: String,
}

impl Caller {
    /// The caller's ARN, as `GetCallerIdentity` and AccessDenied messages name it.
    pub fn arn(&self) -> String {
        self.identity.arn(&self.account)
    }
}

/// The services behind the endpoint. IAM, RDS, Redshift and EC2 join here. EC2 answers in
/// its own envelopes ([`crate::ec2::success`], [`crate::ec2::error`]).
const SERVICES: &[&QueryService] = &[
    &sts::SERVICE,
    &crate::iam::SERVICE,
    &crate::redshift::cluster::SERVICE,
    &crate::rds::SERVICE,
    &crate::ec2::SERVICE,
];

/// awsQuery APIs the lab knows by version but does not implement yet, so the call log can
/// still name them.
const KNOWN_VERSIONS: &[(&str, &str)] = &[];

/// The awsJson services behind the endpoint, told apart by the `X-Amz-Target` prefix.
const JSON_SERVICES: &[&json::JsonService] =
    &[&crate::redshift::data_api::SERVICE, &crate::redshift::serverless::SERVICE];

/// Names the service and action of a request for the call log, without handling it.
pub fn describe(req: &Request) -> Call {
    let params = Params::of(req);
    let access_key_id = match sigv4::signing(req.header("authorization"), &params) {
        Signing::Signed(scope) => Some(scope.access_key_id),
        Signing::Malformed { access_key_id, .. } => access_key_id,
        Signing::Unsigned => None,
    };
    let (service, action) = if let Some(target) = req.header("x-amz-target") {
        let (prefix, action) = json::target(target);
        let service = JSON_SERVICES.iter().find(|s| s.target_prefix == prefix);
        (service.map_or_else(|| prefix.to_ascii_lowercase(), |s| s.name.to_owned()), action.to_owned())
    } else {
        let version = params.get("Version").unwrap_or_default();
        let service = SERVICES
            .iter()
            .find(|s| s.version == version)
            .map(|s| s.name)
            .or_else(|| KNOWN_VERSIONS.iter().find(|(v, _)| *v == version).map(|(_, s)| *s))
            .unwrap_or("unknown");
        (service.to_owned(), params.get("Action").unwrap_or_default().to_owned())
    };
    Call { endpoint: "aws".to_owned(), service, action, access_key_id }
}

/// Serves one request to the AWS endpoint.
pub fn handle(req: &Request, world: &World) -> Reply {
    let request_id = world.ids.request_id();
    if let Some(target) = req.header("x-amz-target") {
        let (prefix, _) = json::target(target);
        if let Some(service) = JSON_SERVICES.iter().find(|s| s.target_prefix == prefix) {
            return match dispatch_json(req, target, service, world) {
                Ok(value) => json::success(&value, &request_id),
                Err(err) => json::error(service.message_key, &err, &request_id),
            };
        }
        let body = serde_json::json!({
            "__type": "com.amazon.coral.service#UnknownOperationException",
            "message": format!("The lab has no JSON service for {target}"),
        });
        return Reply::new(400, "application/x-amz-json-1.1", body.to_string())
            .with_header("x-amzn-RequestId", &request_id);
    }
    let params = Params::of(req);
    let version = params.get("Version");
    let service = SERVICES.iter().find(|s| Some(s.version) == version);
    if service.is_some_and(|s| s.name == crate::ec2::SERVICE.name) {
        return match dispatch(req, &params, service.copied(), world) {
            Ok((action, body)) => crate::ec2::success(action, &body, &request_id),
            Err(err) => crate::ec2::error(&err, &request_id),
        };
    }
    let xmlns = service.map_or(sts::SERVICE.xmlns, |s| s.xmlns);
    match dispatch(req, &params, service.copied(), world) {
        Ok((action, result)) => query::success(xmlns, action, &result, &request_id),
        Err(err) => query::error(xmlns, &err, &request_id),
    }
}

fn dispatch<'p>(
    req: &Request,
    params: &'p Params,
    service: Option<&QueryService>,
    world: &World,
) -> Result<(&'p str, String), AwsError> {
    let Some(action) = params.get("Action").filter(|a| !a.is_empty()) else {
        return Err(AwsError::new(400, "MissingAction", "Missing Action"));
    };
    let version = params.get("Version").unwrap_or("NO_VERSION_SPECIFIED");
    let invalid = || {
        AwsError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {action} for version {version}"),
        )
    };
    let service = service.ok_or_else(invalid)?;
    if !service.actions.contains(&action) {
        return Err(invalid());
    }
    let caller = if service.unsigned.contains(&action) {
        None
    } else {
        Some(authenticate(req, params, service.name, world)?)
    };
    let context = Context { action, params, caller: caller.as_ref(), world };
    (service.handle)(&context).map(|result| (action, result))
}

/// Runs one awsJson request: the action must be the service's, the caller signed, the body
/// a JSON object.
fn dispatch_json(
    req: &Request,
    target: &str,
    service: &json::JsonService,
    world: &World,
) -> Result<serde_json::Value, json::JsonError> {
    let (_, action) = json::target(target);
    if !service.actions.contains(&action) {
        return Err(json::JsonError::new(
            400,
            "UnknownOperationException",
            format!("The lab's {} has no operation {action}", service.name),
        ));
    }
    let caller = authenticate(req, &Params::of(req), service.name, world)?;
    let input = json::input(req)?;
    let context = json::Context { action, input: &input, caller: &caller, world };
    (service.handle)(&context)
}

/// Checks a signed call's key the way AWS does, plus the scenario's simulated key problems.
/// `service` is the service's short name (`sts`, `redshift-data`, …); the protocols share it.
fn authenticate(req: &Request, params: &Params, service: &str, world: &World) -> Result<Caller, AwsError> {
    let scope = match sigv4::signing(req.header("authorization"), params) {
        Signing::Signed(scope) => scope,
        Signing::Unsigned => {
            return Err(AwsError::new(
                403,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            ));
        }
        Signing::Malformed { message, .. } => {
            return Err(AwsError::new(400, "IncompleteSignature", message));
        }
    };
    let scenario = &world.scenario;
    if service == "sts" && scenario.sts.disabled_regions.contains(&scope.region) {
        return Err(AwsError::new(
            403,
            "RegionDisabledException",
            format!(
                "STS is not activated in this region for account:{}. Your account administrator can activate STS in this region using the IAM Console.",
                scenario.account
            ),
        ));
    }
    let invalid = || {
        AwsError::new(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    };
    let expired =
        || AwsError::new(403, "ExpiredToken", "The security token included in the request is expired");
    match scenario.sts.reject_keys {
        RejectKeys::None => {}
        RejectKeys::Invalid => return Err(invalid()),
        RejectKeys::Expired => return Err(expired()),
        RejectKeys::Signature => {
            return Err(AwsError::new(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ));
        }
    }
    let key = world.key(&scope.access_key_id).ok_or_else(invalid)?;
    if let Some(expected) = &key.session_token {
        let presented = req.header("x-amz-security-token").or_else(|| params.get("X-Amz-Security-Token"));
        if presented != Some(expected.as_str()) {
            return Err(invalid());
        }
    }
    if key.expires.is_some_and(|t| clock::now() >= t) {
        return Err(expired());
    }
    let account = key.session.account.clone().unwrap_or_else(|| scenario.account.clone());
    Ok(Caller { identity: key.identity, account, session: key.session, region: scope.region })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn world(toml: &str) -> World {
        World::new(Scenario::from_toml_str(toml).unwrap())
    }

    fn post(body: &str, auth: Option<&str>) -> Request {
        let mut headers = vec![("content-type".to_owned(), "application/x-www-form-urlencoded".to_owned())];
        if let Some(auth) = auth {
            headers.push(("authorization".to_owned(), auth.to_owned()));
        }
        Request {
            method: "POST".into(),
            path: "/".into(),
            headers,
            body: body.to_owned().into(),
            ..Request::default()
        }
    }

    fn auth(key: &str, region: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential={key}/20240501/{region}/sts/aws4_request, SignedHeaders=host, Signature=00"
        )
    }

    #[test]
    fn unknown_actions_and_versions() {
        let w = world("");
        let reply = handle(&post("Action=Nope&Version=2011-06-15", None), &w);
        assert_eq!(reply.status, 400);
        assert!(reply.text().contains("<Code>InvalidAction</Code>"));
        assert!(reply.text().contains("Could not find operation Nope for version 2011-06-15"));
        let reply = handle(&post("garbage=%%%", None), &w);
        assert!(reply.text().contains("MissingAction"));
        let reply = handle(&post("Action=ListRoles&Version=2010-05-08", None), &w);
        assert!(reply.text().contains("InvalidAction"));
        assert_eq!(describe(&post("Action=ListRoles&Version=2010-05-08", None)).service, "iam");
    }

    #[test]
    fn signed_calls_are_checked() {
        let w = world("[[user]]\nname = \"ci\"\naccess_key_id = \"AKIAIOSFODNN7EXAMPLE\"\n");
        let body = "Action=GetCallerIdentity&Version=2011-06-15";
        let reply = handle(&post(body, None), &w);
        assert_eq!(reply.status, 403);
        assert!(reply.text().contains("MissingAuthenticationToken"));
        let reply = handle(&post(body, Some(&auth("AKIAUNKNOWN", "us-west-1"))), &w);
        assert!(reply.text().contains("InvalidClientTokenId"));
        let reply = handle(&post(body, Some(&auth("AKIAIOSFODNN7EXAMPLE", "us-west-1"))), &w);
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert!(reply.text().contains("arn:aws:iam::111122223333:user/ci"));
        let call = describe(&post(body, Some(&auth("AKIAIOSFODNN7EXAMPLE", "us-west-1"))));
        assert_eq!(call.access_key_id.as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!((call.service.as_str(), call.action.as_str()), ("sts", "GetCallerIdentity"));
    }

    #[test]
    fn expired_sessions_and_missing_tokens() {
        let w = world("");
        let who = Identity::AssumedRole { role: "r".into(), session: "s".into() };
        let old = w.issue(who.clone(), -10);
        let body = "Action=GetCallerIdentity&Version=2011-06-15";
        let mut req = post(body, Some(&auth(&old.access_key_id, "us-west-1")));
        req.headers.push(("x-amz-security-token".into(), old.session_token.clone()));
        assert!(handle(&req, &w).text().contains("<Code>ExpiredToken</Code>"));
        let fresh = w.issue(who, 60);
        let req = post(body, Some(&auth(&fresh.access_key_id, "us-west-1")));
        assert!(handle(&req, &w).text().contains("InvalidClientTokenId"));
    }

    #[test]
    fn scenario_key_problems_and_disabled_regions() {
        let w = world(
            "[[user]]\nname = \"ci\"\naccess_key_id = \"AKIAIOSFODNN7EXAMPLE\"\n[sts]\ndisabled_regions = [\"us-west-1\"]\nreject_keys = \"signature\"\n",
        );
        let body = "Action=GetCallerIdentity&Version=2011-06-15";
        let reply = handle(&post(body, Some(&auth("AKIAIOSFODNN7EXAMPLE", "us-west-1"))), &w);
        assert!(reply.text().contains("RegionDisabledException"));
        assert!(reply.text().contains("account:111122223333."));
        let reply = handle(&post(body, Some(&auth("AKIAIOSFODNN7EXAMPLE", "us-east-1"))), &w);
        assert!(reply.text().contains("SignatureDoesNotMatch"));
    }

    #[test]
    fn json_protocol_is_routed_by_target() {
        let mut req = post("{}", None);
        req.headers.push(("x-amz-target".into(), "AmazonSSM.GetParameter".into()));
        let reply = handle(&req, &world(""));
        assert_eq!(reply.status, 400);
        assert!(reply.text().contains("UnknownOperationException"));
        assert_eq!(describe(&req).service, "amazonssm");
    }

    #[test]
    fn json_services_authenticate_and_answer_in_json() {
        let w = world("[[user]]\nname = \"ci\"\naccess_key_id = \"AKIAIOSFODNN7EXAMPLE\"\n");
        let json_post = |target: &str, body: &str, auth: Option<&str>| {
            let mut req = post(body, auth);
            req.headers[0].1 = json::CONTENT_TYPE.to_owned();
            req.headers.push(("x-amz-target".into(), target.into()));
            req
        };
        let body = |reply: &Reply| serde_json::from_slice::<serde_json::Value>(&reply.body).unwrap();
        let req = json_post("RedshiftData.DescribeStatement", "{}", None);
        let reply = handle(&req, &w);
        assert_eq!(reply.status, 400);
        assert_eq!(body(&reply)["__type"], "MissingAuthenticationTokenException");
        assert_eq!(body(&reply)["Message"], "Request is missing Authentication Token");
        let call = describe(&req);
        assert_eq!((call.service.as_str(), call.action.as_str()), ("redshift-data", "DescribeStatement"));

        let signed = auth("AKIAIOSFODNN7EXAMPLE", "us-west-1");
        let reply = handle(&json_post("RedshiftData.ListTables", "{}", Some(&signed)), &w);
        assert_eq!(body(&reply)["__type"], "UnknownOperationException");
        let reply = handle(&json_post("RedshiftServerless.GetWorkgroup", "{oops", Some(&signed)), &w);
        assert_eq!(body(&reply)["__type"], "SerializationException");
        let unknown = auth("AKIANOPE", "us-west-1");
        let reply = handle(&json_post("RedshiftServerless.GetWorkgroup", "{}", Some(&unknown)), &w);
        assert_eq!(body(&reply)["__type"], "UnrecognizedClientException");
        assert_eq!(body(&reply)["message"], "The security token included in the request is invalid.");
        let missing = r#"{"workgroupName":"w"}"#;
        let reply = handle(&json_post("RedshiftServerless.GetWorkgroup", missing, Some(&signed)), &w);
        assert_eq!(body(&reply)["__type"], "ResourceNotFoundException");
        assert!(reply.headers.iter().any(|(n, _)| n == "x-amzn-RequestId"));
    }
}
