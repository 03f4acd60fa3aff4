//! The EKS Pod Identity agent (container-credentials protocol), modelled on
//! aws/eks-pod-identity-agent 0.1.37: `GET /v1/credentials` with the raw service account
//! token in `Authorization`. The agent first parses the token itself (golang-jwt, unverified,
//! expiry and not-before checked) and answers 400 with golang-jwt's words; then it calls EKS
//! Auth `AssumeRoleForPodIdentity`, and passes EKS Auth's HTTP status on with a body
//! `[<request id>]: (<code>): <message>, fault: client`. Like Go's `http.Error`, error bodies
//! are plain text ending in a newline. The agent's check that it was called on 169.254.170.23
//! is left out: the lab listens on 127.0.0.1.

use crate::authz;
use crate::clock;
use crate::exchange::{Reply, Request};
use crate::scenario::{POD_IDENTITY_AUDIENCE, Source};
use crate::token::{self, Claims};
use crate::world::{Call, Identity, Session, World};

/// How long EKS Auth's credentials last.
const SESSION_SECONDS: i64 = 6 * 3600;

/// Names the request for the call log.
pub fn describe(req: &Request) -> Call {
    Call {
        endpoint: "agent".to_owned(),
        service: "pod-identity-agent".to_owned(),
        action: format!("{} {}", req.method, req.path),
        access_key_id: None,
    }
}

/// Serves one request to the agent.
pub fn handle(req: &Request, world: &World) -> Reply {
    if req.path != "/v1/credentials" {
        return Reply::go_error(404, "404 page not found");
    }
    // Go's HTTP server trims optional whitespace around header values.
    let token = req.header("authorization").unwrap_or_default().trim_matches([' ', '\t']);
    if token.is_empty() {
        return Reply::go_error(400, "Service account token cannot be empty");
    }
    let claims = match token::parse(token) {
        Ok(claims) => claims,
        Err(e) => {
            return Reply::go_error(400, &format!("Service account token cannot be parsed: {e}"));
        }
    };
    if let Some(e) = token::basic_claim_errors(&claims, clock::now()) {
        return Reply::go_error(400, &format!("Service account token failed basic claim validations: {e}"));
    }
    match assume_role_for_pod_identity(&claims, world) {
        Ok(body) => Reply::new(200, "application/json", body),
        Err((status, code, message)) => Reply::go_error(
            status,
            &format!("[{}]: ({code}): {message}, fault: client", world.ids.request_id()),
        ),
    }
}

/// The session tags EKS Pod Identity puts on every session it creates (all transitive), unless
/// the association sets `disableSessionTags`.
pub fn pod_identity_tags(scenario: &crate::scenario::Scenario, pod_name: &str) -> Vec<(String, String)> {
    let pod = &scenario.pod;
    if !pod.session_tags {
        return Vec::new();
    }
    let cluster_arn =
        format!("arn:aws:eks:{}:{}:cluster/{}", scenario.region, scenario.account, scenario.cluster);
    [
        ("eks-cluster-arn", cluster_arn),
        ("eks-cluster-name", scenario.cluster.clone()),
        ("kubernetes-namespace", pod.namespace.clone()),
        ("kubernetes-service-account", pod.service_account.clone()),
        ("kubernetes-pod-name", pod_name.to_owned()),
        ("kubernetes-pod-uid", crate::ids::stable_uuid(&format!("{}/{pod_name}", pod.namespace))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// EKS Auth's side: audience, association, the role's trust in `pods.eks.amazonaws.com`.
fn assume_role_for_pod_identity(
    claims: &Claims,
    world: &World,
) -> Result<String, (u16, &'static str, &'static str)> {
    let scenario = &world.scenario;
    let pod = &scenario.pod;
    if !claims.aud.iter().any(|a| a == POD_IDENTITY_AUDIENCE) {
        return Err((
            400,
            "InvalidTokenException",
            "The specified Kubernetes service account token is invalid.",
        ));
    }
    let associated = pod.source == Source::PodIdentity
        && pod.association
        && claims.namespace.as_deref() == Some(pod.namespace.as_str())
        && claims.service_account.as_deref() == Some(pod.service_account.as_str());
    let role = pod.role.as_deref().filter(|_| associated).ok_or((
        404,
        "ResourceNotFoundException",
        "The specified resource could not be found.",
    ))?;
    let pod_name = claims.pod.clone().unwrap_or_else(|| pod.name.clone());
    let tags = pod_identity_tags(scenario, &pod_name);
    let mut context = connector_iam::Context::new();
    context.set("aws:SourceAccount", scenario.account.as_str());
    context.set(
        "aws:SourceArn",
        format!("arn:aws:eks:{}:{}:cluster/{}", scenario.region, scenario.account, scenario.cluster),
    );
    for (key, value) in &tags {
        context.set(&format!("aws:RequestTag/{key}"), value.as_str());
    }
    context.set("aws:TagKeys", tags.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>());
    // EKS Auth assumes the role with AssumeRole, and with TagSession unless the association
    // disables session tags.
    let actions: &[&str] =
        if tags.is_empty() { &["sts:AssumeRole"] } else { &["sts:AssumeRole", "sts:TagSession"] };
    let trusted = scenario.roles.iter().find(|r| r.name == role).is_some_and(|r| {
        let policy = scenario.trust_of(r);
        actions.iter().all(|action| {
            authz::resource_allows(
                &policy,
                connector_iam::Principal::service(POD_IDENTITY_AUDIENCE),
                action,
                &scenario.arn_of(r),
                context.clone(),
            )
        })
    });
    if !trusted {
        return Err((
            400,
            "AccessDeniedException",
            "Unauthorized Exception! EKS does not have permissions to assume the associated role.",
        ));
    }
    // Pod Identity session names: eks-<cluster>-<pod>-<uuid>, cut to STS's 64 characters.
    let session: String =
        format!("eks-{}-{pod_name}-{}", scenario.cluster, world.ids.request_id()).chars().take(64).collect();
    let session = session.trim_end_matches('-').to_owned();
    let transitive = tags.iter().map(|(k, _)| k.clone()).collect();
    let creds = world.issue_session(
        Identity::AssumedRole { role: role.to_owned(), session },
        SESSION_SECONDS,
        Session { account: None, tags, transitive, chained: false },
    );
    Ok(serde_json::json!({
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "Token": creds.session_token,
        "AccountId": scenario.account,
        "Expiration": clock::iso8601(creds.expiration),
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Ids;
    use crate::scenario::Scenario;

    const POD: &str = "[pod]\nsource = \"pod-identity\"\nnamespace = \"xpander\"\nservice_account = \"xpander-connector\"\nrole = \"xpander-base-role\"\n";

    fn ask(world: &World, token: &str) -> Reply {
        let req = Request {
            method: "GET".into(),
            path: "/v1/credentials".into(),
            headers: vec![("authorization".into(), token.into())],
            ..Request::default()
        };
        handle(&req, world)
    }

    fn jwt(audience: &str, expires_in: i64) -> String {
        token::make(
            &token::Spec {
                issuer: "https://oidc.example/id/X",
                audience,
                namespace: "xpander",
                service_account: "xpander-connector",
                pod: "connector-0",
                expires_in,
                now: clock::now(),
            },
            &Ids::default(),
        )
    }

    #[test]
    fn healthy() {
        let world = World::new(Scenario::from_toml_str(POD).unwrap());
        let reply = ask(&world, &jwt("pods.eks.amazonaws.com", 3600));
        assert_eq!(reply.status, 200, "{}", reply.text());
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["AccountId"], "111122223333");
        let key = world.key(body["AccessKeyId"].as_str().unwrap()).unwrap();
        let Identity::AssumedRole { role, session } = key.identity else {
            panic!("not a role session");
        };
        assert_eq!(role, "xpander-base-role");
        assert!(session.starts_with("eks-lab-cluster-connector-0-"), "{session}");
        assert!(session.len() <= 64);
    }

    #[test]
    fn refusals_in_the_agents_words() {
        let world = World::new(Scenario::from_toml_str(POD).unwrap());
        let bearer = ask(&world, &format!("Bearer {}", jwt("pods.eks.amazonaws.com", 3600)));
        assert_eq!(bearer.status, 400);
        assert_eq!(
            bearer.text(),
            "Service account token cannot be parsed: token is malformed: could not base64 decode header: illegal base64 data at input byte 6\n"
        );
        assert_eq!(ask(&world, "").text(), "Service account token cannot be empty\n");
        let expired = ask(&world, &jwt("pods.eks.amazonaws.com", -5));
        assert_eq!(
            expired.text(),
            "Service account token failed basic claim validations: token is expired\n"
        );
        let aud = ask(&world, &jwt("sts.amazonaws.com", 3600));
        assert_eq!(aud.status, 400);
        assert!(aud.text().contains("]: (InvalidTokenException): "), "{}", aud.text());
        assert!(aud.text().ends_with(", fault: client\n"));
    }

    #[test]
    fn no_association_and_untrusting_role() {
        let world = World::new(
            Scenario::from_toml_str(&POD.replace("role =", "association = false\nrole =")).unwrap(),
        );
        let reply = ask(&world, &jwt("pods.eks.amazonaws.com", 3600));
        assert_eq!(reply.status, 404);
        assert!(reply.text().contains("(ResourceNotFoundException)"));
        let untrusting = format!(
            "{POD}[[role]]\nname = \"xpander-base-role\"\ntrust = '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"ec2.amazonaws.com\"}},\"Action\":\"sts:AssumeRole\"}}]}}'\n"
        );
        let world = World::new(Scenario::from_toml_str(&untrusting).unwrap());
        let reply = ask(&world, &jwt("pods.eks.amazonaws.com", 3600));
        assert!(reply.text().contains("(AccessDeniedException): Unauthorized Exception!"));
    }
}
