//! The region, and the endpoint each service is reached at, decided the way the pod's SDKs
//! decide them, so that the doctor probes what the connector really uses and can say so.

use std::fmt;

use crate::config::Config;
use crate::world::World;

/// The region in force and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRegion {
    /// The region, such as `us-west-1`.
    pub name: String,
    /// Where it was found, for the report.
    pub from: &'static str,
}

impl ResolvedRegion {
    /// Configuration first, then the AWS variables, then the profile; `us-east-1` as the SDKs'
    /// last resort for STS, said plainly.
    pub fn resolve(world: &World, config: &Config) -> Self {
        let found = config
            .region
            .clone()
            .map(|r| (r, "configuration"))
            .or_else(|| world.var("AWS_REGION").map(|r| (r.trim().to_owned(), "AWS_REGION")))
            .or_else(|| world.var("AWS_DEFAULT_REGION").map(|r| (r.trim().to_owned(), "AWS_DEFAULT_REGION")))
            .or_else(|| profile_region(world).map(|r| (r, "profile")));
        match found {
            Some((name, from)) => Self { name, from },
            None => Self { name: "us-east-1".to_owned(), from: "default (no region configured)" },
        }
    }
}

/// The `region` of the active profile in the shared config file, if any.
fn profile_region(world: &World) -> Option<String> {
    let profile = world.var("AWS_PROFILE").unwrap_or("default");
    let text = std::fs::read_to_string(world.aws_config_file()?).ok()?;
    let mut in_section = false;
    for line in text.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = header.trim();
            in_section = name == profile || name.strip_prefix("profile ").map(str::trim) == Some(profile);
        } else if in_section
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "region"
        {
            return Some(value.trim().to_owned());
        }
    }
    None
}

/// How an endpoint was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// The service's endpoint in the region.
    Regional,
    /// The legacy global endpoint (`sts.amazonaws.com`).
    Global,
    /// Set by `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL`.
    Override,
}

impl fmt::Display for EndpointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EndpointKind::Regional => "regional",
            EndpointKind::Global => "global",
            EndpointKind::Override => "configured override",
        })
    }
}

/// An endpoint URL and how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL.
    pub url: String,
    /// How it was chosen.
    pub kind: EndpointKind,
}

/// Regions that the legacy STS setting sends to the global endpoint.
const LEGACY_GLOBAL_STS: &[&str] = &[
    "ap-northeast-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "aws-global",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The endpoint of `service` (its `AWS_ENDPOINT_URL_<ID>` suffix and its host prefix) in `region`.
pub fn endpoint(world: &World, env_suffix: &str, host_prefix: &str, region: &str) -> Endpoint {
    if !world.flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") {
        let specific = format!("AWS_ENDPOINT_URL_{env_suffix}");
        if let Some(url) = world.var(&specific).or_else(|| world.var("AWS_ENDPOINT_URL")) {
            return Endpoint { url: url.trim().to_owned(), kind: EndpointKind::Override };
        }
    }
    let suffix = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    Endpoint { url: format!("https://{host_prefix}.{region}.{suffix}"), kind: EndpointKind::Regional }
}

/// The STS endpoint: as [`endpoint`], except that `AWS_STS_REGIONAL_ENDPOINTS=legacy` sends the
/// legacy regions to the global endpoint, as older SDKs do by default.
pub fn sts_endpoint(world: &World, region: &str) -> Endpoint {
    let e = endpoint(world, "STS", "sts", region);
    let legacy =
        world.var("AWS_STS_REGIONAL_ENDPOINTS").is_some_and(|v| v.trim().eq_ignore_ascii_case("legacy"));
    if e.kind == EndpointKind::Regional && legacy && LEGACY_GLOBAL_STS.contains(&region) {
        return Endpoint { url: "https://sts.amazonaws.com".to_owned(), kind: EndpointKind::Global };
    }
    e
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::world::SystemClock;

    fn world(vars: &[(&str, &str)]) -> World {
        World::with_env(vars.iter().copied(), Arc::new(SystemClock))
    }

    #[test]
    fn sts_endpoint_follows_the_sdk_rules() {
        assert_eq!(sts_endpoint(&world(&[]), "us-west-1").url, "https://sts.us-west-1.amazonaws.com");
        let legacy = world(&[("AWS_STS_REGIONAL_ENDPOINTS", "legacy")]);
        assert_eq!(sts_endpoint(&legacy, "us-west-1").kind, EndpointKind::Global);
        assert_eq!(sts_endpoint(&legacy, "ap-east-1").kind, EndpointKind::Regional);
        let both = world(&[("AWS_ENDPOINT_URL", "http://a"), ("AWS_ENDPOINT_URL_STS", "http://b")]);
        assert_eq!(sts_endpoint(&both, "us-west-1").url, "http://b");
        let ignored =
            world(&[("AWS_ENDPOINT_URL", "http://a"), ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")]);
        assert_eq!(sts_endpoint(&ignored, "us-west-1").kind, EndpointKind::Regional);
    }

    #[test]
    fn region_precedence() {
        let w = world(&[
            ("AWS_REGION", "eu-west-2"),
            ("AWS_DEFAULT_REGION", "us-east-2"),
            ("AWS_CONFIG_FILE", "/nonexistent"),
        ]);
        assert_eq!(ResolvedRegion::resolve(&w, &Config::default()).name, "eu-west-2");
        let c = Config { region: Some("ap-south-1".into()), ..Config::default() };
        assert_eq!(ResolvedRegion::resolve(&w, &c).from, "configuration");
        let none = world(&[("AWS_CONFIG_FILE", "/nonexistent")]);
        assert_eq!(ResolvedRegion::resolve(&none, &Config::default()).name, "us-east-1");
    }
}
