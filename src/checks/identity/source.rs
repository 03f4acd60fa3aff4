//! `identity.source`: which credential source the pod's SDKs will use.

use std::net::IpAddr;
use std::time::Duration;

use aws_credential_types::Credentials;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::{ContainerSettings, IrsaSettings, Source, Survey, pod_facts};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Evidence, Outcome};
use crate::world::World;

/// Codes this check emits.
pub const CODES: &[Code] =
    &[Code::NoCredentialSource, Code::ConflictingCredentialSources, Code::ContainerUriHostInvalid];

/// The ECS agent's address, to which relative container URIs are resolved.
const ECS_HOST: &str = "http://169.254.170.2";

/// How long resolving a container-credentials host name may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(2);

/// The check.
#[derive(Debug)]
pub struct SourceCheck;

impl Check for SourceCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let survey = survey(&ctx.world);
            let host = match &survey.container {
                Some(c) => Some(check_container_uri(&c.uri).await),
                None => None,
            };
            let outcome = judge(&survey, host.as_ref()).facts(&pod_facts(ctx));
            ctx.board.put(None, survey);
            outcome
        }
        .boxed()
    }
}

/// Reads the environment (and the shared profile files) as the SDKs' default chain would.
pub fn survey(world: &World) -> Survey {
    let static_keys = match (world.var("AWS_ACCESS_KEY_ID"), world.var("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => {
            let secret = world.redactor.secret(secret);
            let token = world.var("AWS_SESSION_TOKEN").map(|t| world.redactor.secret(t));
            // Used as given, as the SDKs use them: a stray newline in a key fails at STS, and
            // the caller check should see the same failure the connector does.
            Some(Credentials::new(
                id,
                secret.expose(),
                token.map(|t| t.expose().trim().to_owned()),
                None,
                "environment",
            ))
        }
        _ => None,
    };
    let profile = active_profile(world);
    let irsa = match (world.var("AWS_ROLE_ARN"), world.var("AWS_WEB_IDENTITY_TOKEN_FILE")) {
        (Some(role_arn), Some(token_file)) => Some(IrsaSettings {
            role_arn: role_arn.to_owned(),
            token_file: token_file.to_owned(),
            session_name: world.var("AWS_ROLE_SESSION_NAME").map(str::to_owned),
        }),
        _ => None,
    };
    let container = if let Some(relative) = world.var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        Some(("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", format!("{ECS_HOST}{}", relative.trim())))
    } else {
        world
            .var("AWS_CONTAINER_CREDENTIALS_FULL_URI")
            .map(|full| ("AWS_CONTAINER_CREDENTIALS_FULL_URI", full.trim().to_owned()))
    }
    .map(|(uri_var, uri)| ContainerSettings {
        uri,
        uri_var,
        token_file: world.var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").map(str::to_owned),
        inline_token: world.var("AWS_CONTAINER_AUTHORIZATION_TOKEN").map(|t| world.redactor.secret(t)),
    });
    let mut present = Vec::new();
    for (source, is_present) in [
        (Source::StaticKeys, static_keys.is_some()),
        (Source::Profile, profile.is_some()),
        (Source::Irsa, irsa.is_some()),
        (Source::PodIdentity, container.is_some()),
    ] {
        if is_present {
            present.push(source);
        }
    }
    Survey {
        winner: present.first().copied().unwrap_or(Source::InstanceMetadata),
        present,
        container,
        irsa,
        static_keys,
        profile,
        imds_enabled: !world.flag("AWS_EC2_METADATA_DISABLED"),
    }
}

/// The profile the SDKs would read credentials from: `AWS_PROFILE` or `default`, when the
/// shared files give that profile something that yields credentials. The SDKs pass over a
/// profile without credentials to the next source, and so does this survey.
fn active_profile(world: &World) -> Option<String> {
    let name = world.var("AWS_PROFILE").map_or("default", str::trim);
    let found = [world.aws_credentials_file(), world.aws_config_file()]
        .into_iter()
        .flatten()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .any(|text| profile_has_credentials(&text, name));
    found.then(|| name.to_owned())
}

/// Whether the section of profile `name` (`[name]` in the credentials file, `[profile name]`
/// in the config file, `[default]` in both) holds something that yields credentials.
fn profile_has_credentials(text: &str, name: &str) -> bool {
    const KEYS: &[&str] = &[
        "aws_access_key_id",
        "role_arn",
        "credential_process",
        "sso_session",
        "sso_start_url",
        "web_identity_token_file",
    ];
    let mut in_section = false;
    for line in text.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let header = header.trim();
            in_section = header == name || header.strip_prefix("profile ").map(str::trim) == Some(name);
        } else if in_section
            && let Some((key, _)) = line.split_once('=')
            && KEYS.contains(&key.trim())
        {
            return true;
        }
    }
    false
}

/// What was found out about the container-credentials URI's host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostCheck {
    /// The SDKs accept it.
    Allowed,
    /// The SDKs refuse it, for this reason.
    Refused(String),
}

/// Applies the SDKs' rule: over `http`, every address the host resolves to must be loopback,
/// the ECS agent or the EKS Pod Identity agent; `https` is always allowed.
pub async fn check_container_uri(uri: &str) -> HostCheck {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return HostCheck::Refused("it is not an absolute http(s) URI".to_owned());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host_of(authority);
    if host.is_empty() {
        return HostCheck::Refused("it has no host".to_owned());
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => return HostCheck::Allowed,
        "http" => {}
        other => return HostCheck::Refused(format!("scheme {other:?} is neither http nor https")),
    }
    let addresses: Vec<IpAddr> = if let Ok(ip) = host.parse::<IpAddr>() {
        vec![ip]
    } else {
        match tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, 80))).await {
            Ok(Ok(addrs)) => addrs.map(|a| a.ip()).collect(),
            Ok(Err(e)) => return HostCheck::Refused(format!("{host} does not resolve ({e})")),
            Err(_) => return HostCheck::Refused(format!("resolving {host} timed out")),
        }
    };
    match addresses.iter().find(|ip| !is_allowed_container_ip(**ip)) {
        None if !addresses.is_empty() => HostCheck::Allowed,
        None => HostCheck::Refused(format!("{host} resolves to no address")),
        Some(ip) => {
            HostCheck::Refused(format!("{ip} is not loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23"))
        }
    }
}

/// The host part of `host[:port]`, `[v6]:port` or `user@host`.
fn host_of(authority: &str) -> &str {
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

fn is_allowed_container_ip(ip: IpAddr) -> bool {
    const ALLOWED: &[&str] = &["169.254.170.2", "169.254.170.23", "fd00:ec2::23"];
    ip.is_loopback() || ALLOWED.iter().any(|a| a.parse::<IpAddr>().is_ok_and(|allowed| allowed == ip))
}

/// Turns the survey into a verdict.
pub fn judge(survey: &Survey, host: Option<&HostCheck>) -> Outcome {
    let names: Vec<String> = survey.present.iter().map(ToString::to_string).collect();
    let refused = match (&survey.container, host) {
        (Some(c), Some(HostCheck::Refused(why))) => Some((c, why)),
        _ => None,
    };
    if let Some((container, why)) = refused.filter(|_| survey.winner == Source::PodIdentity) {
        return Outcome::fail(
            Code::ContainerUriHostInvalid,
            format!(
                "{} is {}: the AWS SDKs refuse this address ({why}), so the pod gets no Pod Identity credentials.",
                container.uri_var, container.uri
            ),
        )
        .fact("container_uri", &container.uri)
        .fact("container_host", host_of(container.uri.split("://").nth(1).unwrap_or_default().split('/').next().unwrap_or_default()))
        .fact("source", Source::PodIdentity.name())
        .evidence(Evidence::call("resolve container-credentials host").message(why.clone()));
    }
    let base = |o: Outcome| {
        o.fact("source", survey.winner.name()).fact("winner", survey.winner.to_string()).fact(
            "instance_metadata",
            if survey.imds_enabled { "enabled" } else { "disabled (AWS_EC2_METADATA_DISABLED)" },
        )
    };
    if survey.present.is_empty() {
        let fallback = if survey.imds_enabled {
            "An SDK falls through to the instance metadata service: the node's role, if it can reach it."
        } else {
            "Instance metadata is disabled too, so an SDK finds no credentials at all."
        };
        return base(Outcome::fail(
            Code::NoCredentialSource,
            format!(
                "No credential source of the pod's own: no Pod Identity, IRSA, static-key or profile variables. {fallback}"
            ),
        ));
    }
    let mut detail = Vec::new();
    if let Some(c) = &survey.container
        && c.token_file.is_none()
        && c.inline_token.is_none()
    {
        detail.push(format!(
            "{} is set without AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: the agent will get no token.",
            c.uri_var
        ));
    }
    if survey.present.len() > 1 {
        let unusable =
            refused.map(|(c, why)| format!(" {} is unusable anyway: {why}.", c.uri_var)).unwrap_or_default();
        return base(Outcome::warn(
            Code::ConflictingCredentialSources,
            format!(
                "{} are all configured; the SDKs use {} and ignore the rest.{unusable}",
                names.join(", "),
                survey.winner
            ),
        ))
        .fact("sources", names.join(", "));
    }
    let mut summary = format!("The pod's SDKs will use {}.", survey.winner);
    if let Some(p) = &survey.profile {
        summary = format!("The pod's SDKs will use profile {p:?} from the shared config files.");
    }
    for d in detail {
        summary.push(' ');
        summary.push_str(&d);
    }
    base(Outcome::pass(summary))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::outcome::Status;
    use crate::world::SystemClock;

    fn survey_of(vars: &[(&str, &str)]) -> Survey {
        let mut all =
            vec![("AWS_CONFIG_FILE", "/nonexistent/c"), ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/k")];
        all.extend_from_slice(vars);
        survey(&World::with_env(all, Arc::new(SystemClock)))
    }

    const POD_IDENTITY: [(&str, &str); 2] = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials"),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
        ),
    ];

    #[test]
    fn no_source_fails_and_says_where_the_sdk_goes() {
        let s = survey_of(&[]);
        assert_eq!(s.winner, Source::InstanceMetadata);
        let o = judge(&s, None);
        assert_eq!((o.status, o.code), (Status::Fail, Some(Code::NoCredentialSource)));
        assert!(o.summary.contains("instance metadata"), "{}", o.summary);
        let o = judge(&survey_of(&[("AWS_EC2_METADATA_DISABLED", "true")]), None);
        assert!(o.summary.contains("no credentials at all"), "{}", o.summary);
    }

    #[test]
    fn static_keys_beside_pod_identity_win_and_warn() {
        let mut vars = POD_IDENTITY.to_vec();
        vars.extend([("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "secret-value")]);
        let s = survey_of(&vars);
        assert_eq!(s.winner, Source::StaticKeys);
        let o = judge(&s, Some(&HostCheck::Allowed));
        assert_eq!((o.status, o.code), (Status::Warn, Some(Code::ConflictingCredentialSources)));
        assert!(o.summary.contains("use static keys"), "{}", o.summary);
    }

    #[test]
    fn irsa_wins_over_pod_identity() {
        let mut vars = POD_IDENTITY.to_vec();
        vars.extend([
            ("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/r"),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/t"),
        ]);
        assert_eq!(survey_of(&vars).winner, Source::Irsa);
        assert_eq!(survey_of(&vars).token_source(), Some((Source::Irsa, "/t")));
    }

    #[tokio::test]
    async fn container_hosts_follow_the_sdk_rule() {
        for ok in [
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            "http://127.0.0.1:8080/creds",
            "http://localhost:1/x",
            "https://agent.example.com/creds",
        ] {
            assert_eq!(check_container_uri(ok).await, HostCheck::Allowed, "{ok}");
        }
        for bad in
            ["http://10.20.30.40/v1/credentials", "ftp://127.0.0.1/x", "169.254.170.23/v1", "http:///x"]
        {
            assert!(matches!(check_container_uri(bad).await, HostCheck::Refused(_)), "{bad}");
        }
    }

    #[test]
    fn an_invalid_host_fails_with_its_own_code() {
        let s = survey_of(&[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.20.30.40/v1/credentials"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/t"),
        ]);
        let o = judge(&s, Some(&HostCheck::Refused("10.20.30.40 is not loopback".into())));
        assert_eq!(o.code, Some(Code::ContainerUriHostInvalid));
        assert_eq!(o.facts["container_host"], "10.20.30.40");
    }

    #[test]
    fn default_profile_detection() {
        assert!(profile_has_credentials("[default]\naws_access_key_id = AKIA\n", "default"));
        assert!(profile_has_credentials("[profile default]\nrole_arn=arn\n", "default"));
        assert!(!profile_has_credentials(
            "[default]\nregion = us-west-1\n[other]\naws_access_key_id=x\n",
            "default"
        ));
        assert!(profile_has_credentials(
            "[default]\nregion = us-west-1\n[other]\naws_access_key_id=x\n",
            "other"
        ));
        assert!(profile_has_credentials("[profile lab]\ncredential_process = x\n", "lab"));
    }
}
