//! The node's instance metadata service, IMDSv2 only (tokens required, as on current EKS
//! AMIs): `PUT /latest/api/token`, then the role listing and the role's credentials JSON in
//! the shape aws-config's `ImdsCredentialsProvider` parses. The caller becomes
//! `assumed-role/<node role>/<instance id>`.

use crate::clock;
use crate::exchange::{Reply, Request};
use crate::world::{Call, Identity, World};

const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const CREDENTIALS: &str = "/latest/meta-data/iam/security-credentials/";
/// How long instance profile credentials last.
const SESSION_SECONDS: i64 = 6 * 3600;

/// Names the request for the call log.
pub fn describe(req: &Request) -> Call {
    Call {
        endpoint: "imds".to_owned(),
        service: "imds".to_owned(),
        action: format!("{} {}", req.method, req.path),
        access_key_id: None,
    }
}

/// Serves one request to IMDS (only routed here when the scenario has `[imds]`).
pub fn handle(req: &Request, world: &World) -> Reply {
    let Some(imds) = &world.scenario.imds else {
        return not_found();
    };
    if req.method == "PUT" && req.path == "/latest/api/token" {
        let ttl = req.header(TTL_HEADER).and_then(|t| t.trim().parse::<u32>().ok());
        let Some(ttl) = ttl.filter(|t| (1..=21_600).contains(t)) else {
            return Reply::new(400, "text/plain", "Bad Request");
        };
        let token = format!("AQAEA{}", world.ids.secret_access_key());
        world.add_imds_token(token.clone());
        return Reply::new(200, "text/plain", token).with_header(TTL_HEADER, ttl.to_string());
    }
    if req.method != "GET" {
        return Reply::new(405, "text/plain", "Method Not Allowed");
    }
    if !req.header(TOKEN_HEADER).is_some_and(|t| world.imds_token_ok(t)) {
        return Reply::new(401, "text/plain", "Unauthorized");
    }
    let scenario = &world.scenario;
    let path = req.path.as_str();
    match path {
        "/latest/meta-data/instance-id" => Reply::new(200, "text/plain", imds.instance_id.clone()),
        "/latest/meta-data/placement/region" => Reply::new(200, "text/plain", scenario.region.clone()),
        "/latest/meta-data/placement/availability-zone" => {
            Reply::new(200, "text/plain", format!("{}a", scenario.region))
        }
        p if p == CREDENTIALS || p == CREDENTIALS.trim_end_matches('/') => {
            Reply::new(200, "text/plain", imds.role.clone())
        }
        p if p.strip_prefix(CREDENTIALS) == Some(imds.role.as_str()) => {
            let creds = world.issue(
                Identity::AssumedRole { role: imds.role.clone(), session: imds.instance_id.clone() },
                SESSION_SECONDS,
            );
            let body = serde_json::json!({
                "Code": "Success",
                "LastUpdated": clock::iso8601(clock::now()),
                "Type": "AWS-HMAC",
                "AccessKeyId": creds.access_key_id,
                "SecretAccessKey": creds.secret_access_key,
                "Token": creds.session_token,
                "Expiration": clock::iso8601(creds.expiration),
            });
            Reply::new(200, "text/plain", serde_json::to_string_pretty(&body).unwrap_or_default())
        }
        _ => not_found(),
    }
}

fn not_found() -> Reply {
    Reply::new(
        404,
        "text/html",
        "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<html><head><title>404 - Not Found</title></head><body><h1>404 - Not Found</h1></body></html>\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            headers: headers.iter().map(|(n, v)| ((*n).into(), (*v).into())).collect(),
            ..Request::default()
        }
    }

    #[test]
    fn token_then_credentials() {
        let world =
            World::new(Scenario::from_toml_str("[imds]\nrole = \"node\"\ninstance_id = \"i-1\"\n").unwrap());
        assert_eq!(handle(&req("GET", CREDENTIALS, &[]), &world).status, 401);
        assert_eq!(handle(&req("PUT", "/latest/api/token", &[]), &world).status, 400);
        let put = handle(&req("PUT", "/latest/api/token", &[(TTL_HEADER, "21600")]), &world);
        let token = put.text();
        let list = handle(&req("GET", CREDENTIALS, &[(TOKEN_HEADER, &token)]), &world);
        assert_eq!(list.text(), "node");
        let creds = handle(
            &req("GET", "/latest/meta-data/iam/security-credentials/node", &[(TOKEN_HEADER, &token)]),
            &world,
        );
        let json: serde_json::Value = serde_json::from_slice(&creds.body).unwrap();
        assert_eq!(json["Code"], "Success");
        let key = world.key(json["AccessKeyId"].as_str().unwrap()).unwrap();
        assert_eq!(key.identity.arn("1"), "arn:aws:sts::1:assumed-role/node/i-1");
        let other = handle(
            &req("GET", "/latest/meta-data/iam/security-credentials/x", &[(TOKEN_HEADER, &token)]),
            &world,
        );
        assert_eq!(other.status, 404);
    }
}
