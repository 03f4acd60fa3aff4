//! Explaining a denied hop from the roles' real policies, when the pod may read IAM: the
//! connector role's trust policy, and the base role's inline and attached policies and
//! boundary, run through the evaluator for the exact request STS refused. Everything read is
//! evidence; a read that is itself denied just means this explanation is not available.

use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_sts::config::SharedCredentialsProvider;
use connector_iam::policy::PrincipalBlock;
use connector_iam::principal::PrincipalEntry;
use connector_iam::{Context, Decision, NearMiss, Policies, Policy, PolicyKind, Principal, Request};

use crate::aws::{self, CallFailure, ResolvedRegion};
use crate::config::Arn;
use crate::engine::Ctx;
use crate::outcome::Evidence;
use crate::secret::Secret;

/// Time allowed for all the reads of one explanation.
const READ_BUDGET: Duration = Duration::from_secs(5);

/// A policy and the name an explanation gives it.
pub type Named = (String, Policy);

/// What could be read.
#[derive(Debug, Default)]
pub struct Readout {
    /// The connector role's trust policy, when readable.
    pub trust: Option<Policy>,
    /// The base role's identity policies, when readable.
    pub identity: Option<Vec<Named>>,
    /// The base role's permissions boundary, when it has one and it is readable.
    pub boundary: Option<Named>,
    /// Every read made.
    pub evidence: Vec<Evidence>,
    /// What went wrong with the first read that failed ("iam:GetRole was denied").
    pub refused: Option<String>,
}

/// A reader of IAM with one identity's credentials.
struct Reader {
    iam: aws_sdk_iam::Client,
    evidence: Vec<Evidence>,
    refused: Option<String>,
}

impl Reader {
    /// A reader with `as_who`'s credentials, in the pod's region, within the read budget.
    fn new(ctx: &Ctx, as_who: &Credentials) -> Self {
        let region = ResolvedRegion::resolve(&ctx.world, &ctx.config);
        let credentials = SharedCredentialsProvider::new(as_who.clone());
        let iam = aws::iam_client(&ctx.world, &region.name, credentials, READ_BUDGET);
        Reader { iam, evidence: Vec::new(), refused: None }
    }

    fn note<T, E>(
        &mut self,
        call: &str,
        started: Instant,
        result: Result<T, aws_sdk_iam::error::SdkError<E>>,
    ) -> Option<T>
    where
        E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match result {
            Ok(v) => {
                self.evidence.push(Evidence::call(call).took(started.elapsed()));
                Some(v)
            }
            Err(e) => {
                let failure = CallFailure::from_sdk(&e);
                self.evidence.push(failure.evidence(call, "iam", started.elapsed()));
                if self.refused.is_none() {
                    self.refused = Some(match &failure {
                        CallFailure::Service { code, .. } if code == "AccessDenied" => {
                            format!("{call} was denied")
                        }
                        CallFailure::Service { code, .. } if code == "NoSuchEntity" => {
                            format!("{call} found no such entity in this account")
                        }
                        _ => format!("{call} failed"),
                    });
                }
                None
            }
        }
    }

    async fn trust(&mut self, role: &str) -> Option<Policy> {
        let started = Instant::now();
        let out = self.iam.get_role().role_name(role).send().await;
        let role = self.note("iam:GetRole", started, out)?.role?;
        parse_document(role.assume_role_policy_document.as_deref()?)
    }

    /// The role's inline and attached policies, and its boundary.
    async fn role_policies(&mut self, role: &str) -> Option<(Vec<Named>, Option<Named>)> {
        let mut all = Vec::new();
        let started = Instant::now();
        let out = self.iam.list_role_policies().role_name(role).send().await;
        for name in self.note("iam:ListRolePolicies", started, out)?.policy_names {
            let started = Instant::now();
            let out = self.iam.get_role_policy().role_name(role).policy_name(&name).send().await;
            let doc = self.note("iam:GetRolePolicy", started, out)?.policy_document;
            all.push((format!("inline policy {name}"), parse_document(&doc)?));
        }
        let started = Instant::now();
        let out = self.iam.list_attached_role_policies().role_name(role).send().await;
        for attached in
            self.note("iam:ListAttachedRolePolicies", started, out)?.attached_policies.unwrap_or_default()
        {
            let (Some(name), Some(arn)) = (attached.policy_name, attached.policy_arn) else { continue };
            all.push((format!("managed policy {name}"), self.managed(&arn).await?));
        }
        let started = Instant::now();
        let out = self.iam.get_role().role_name(role).send().await;
        let boundary_arn = self
            .note("iam:GetRole", started, out)?
            .role
            .and_then(|r| r.permissions_boundary)
            .and_then(|b| b.permissions_boundary_arn);
        let boundary = match boundary_arn {
            Some(arn) => {
                let name = arn.rsplit('/').next().unwrap_or(&arn).to_owned();
                Some((format!("permissions boundary {name}"), self.managed(&arn).await?))
            }
            None => None,
        };
        Some((all, boundary))
    }

    async fn managed(&mut self, arn: &str) -> Option<Policy> {
        let started = Instant::now();
        let out = self.iam.get_policy().policy_arn(arn).send().await;
        let version = self.note("iam:GetPolicy", started, out)?.policy?.default_version_id?;
        let started = Instant::now();
        let out = self.iam.get_policy_version().policy_arn(arn).version_id(version).send().await;
        let document = self.note("iam:GetPolicyVersion", started, out)?.policy_version?.document?;
        parse_document(&document)
    }
}

/// IAM hands policy documents out URL-encoded.
fn parse_document(encoded: &str) -> Option<Policy> {
    let decoded = percent_decode(encoded);
    Policy::parse(&decoded).ok()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        if bytes[i] == b'%'
            && let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads what explains a hop from `caller` into `target`: the target's trust policy, and
/// (with `with_identity`) the caller role's own policies. Reads with the caller's credentials.
pub async fn read(
    ctx: &Ctx,
    as_who: &Credentials,
    caller_arn: &str,
    target: &Arn,
    with_identity: bool,
) -> Readout {
    let mut reader = Reader::new(ctx, as_who);
    let mut readout = Readout::default();
    let deadline = tokio::time::Instant::now() + READ_BUDGET;
    let work = async {
        // A role in another account cannot be read with this account's credentials.
        let same_account = caller_arn.parse::<Arn>().is_ok_and(|a| a.account == target.account);
        if same_account {
            readout.trust = reader.trust(target.name()).await;
        } else {
            reader.evidence.push(
                Evidence::call("iam:GetRole")
                    .message(format!("not attempted: the role lives in account {}", target.account)),
            );
        }
        if with_identity {
            let caller_role =
                caller_arn.parse::<Arn>().ok().and_then(|a| a.assumed_role().map(|(r, _)| r.to_owned()));
            if let Some(role) = caller_role
                && let Some((identity, boundary)) = reader.role_policies(&role).await
            {
                readout.identity = Some(identity);
                readout.boundary = boundary;
            }
        }
    };
    if tokio::time::timeout_at(deadline, work).await.is_err() {
        reader
            .evidence
            .push(Evidence::call("read IAM").message(format!("stopped after {} s", READ_BUDGET.as_secs())));
    }
    readout.evidence = reader.evidence;
    readout.refused = reader.refused;
    readout
}

/// What IAM says about one role: its trust, its own policies and its boundary.
#[derive(Debug, Default)]
pub struct RoleReadout {
    /// The trust policy, when readable.
    pub trust: Option<Policy>,
    /// Inline and attached policies, when readable.
    pub identity: Option<Vec<Named>>,
    /// The permissions boundary, when it has one.
    pub boundary: Option<Named>,
    /// IAM says the role does not exist.
    pub missing: bool,
}

/// Reads `roles` (by name) with `as_who`'s credentials, within one budget. Returns each role's
/// readout, every call made as evidence, and what refused first ("iam:GetRole was denied").
pub async fn read_roles(
    ctx: &Ctx,
    as_who: &Credentials,
    roles: &[String],
) -> (Vec<(String, RoleReadout)>, Vec<Evidence>, Option<String>) {
    let mut reader = Reader::new(ctx, as_who);
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + READ_BUDGET;
    let work = async {
        for role in roles {
            let trust = reader.trust(role).await;
            if reader.refused.as_deref().is_some_and(|r| r.ends_with("no such entity in this account")) {
                // A role that does not exist is a finding, not a refusal.
                reader.refused = None;
                out.push((
                    role.clone(),
                    RoleReadout { missing: true, identity: Some(Vec::new()), ..RoleReadout::default() },
                ));
                continue;
            }
            if reader.refused.is_some() {
                break;
            }
            let (identity, boundary) = match reader.role_policies(role).await {
                Some((identity, boundary)) => (Some(identity), boundary),
                None => (None, None),
            };
            out.push((role.clone(), RoleReadout { trust, identity, boundary, missing: false }));
        }
    };
    if tokio::time::timeout_at(deadline, work).await.is_err() {
        reader
            .evidence
            .push(Evidence::call("read IAM").message(format!("stopped after {} s", READ_BUDGET.as_secs())));
        reader
            .refused
            .get_or_insert_with(|| format!("reading IAM took longer than {} s", READ_BUDGET.as_secs()));
    }
    (out, reader.evidence, reader.refused)
}

/// What the policies say about a denied hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A trust statement admits the caller except for its `sts:ExternalId` condition.
    ExternalId {
        /// The statement, as `statement "Sid" of trust policy`.
        statement: String,
        /// The values the condition accepts (secret: only their lengths and the comparison
        /// may be shown).
        expected: Vec<Secret>,
    },
    /// No trust statement admits the caller.
    TrustDenies,
    /// The trust admits the caller; its own policies do not.
    IdentityDenies {
        /// The trust statement that admits it.
        statement: String,
    },
    /// The trust admits the caller; the caller's own policies could not be read.
    TrustAllows {
        /// The trust statement that admits it.
        statement: String,
    },
    /// Both sides allow by the policies read; something unread denies (an SCP, a session
    /// policy, a boundary on another path).
    PoliciesAllow,
}

/// Judges a denied hop from what was read. `None` when the trust policy could not be read.
pub fn judge(
    readout: &Readout,
    caller_arn: &str,
    target: &Arn,
    external_id: Option<&Secret>,
) -> Option<Finding> {
    let principal = Principal::from_arn(caller_arn).ok()?;
    let cross_account = principal.account() != Some(target.account.as_str());
    let Some(trust) = readout.trust.as_ref() else {
        // Across accounts the caller's own side must allow the hop too, and that side can be
        // judged without the other account's trust policy.
        let identity = readout.identity.as_ref().filter(|_| cross_account)?;
        let request = assume_request(principal, target, external_id);
        let policies =
            Policies { identity: identity.clone(), resource: None, boundary: readout.boundary.clone() };
        let own_side = identity.iter().any(|(name, p)| {
            connector_iam::evaluate_policy(name, p, PolicyKind::Identity, &request).decision
                == Decision::Allow
        });
        let capped = policies.boundary.as_ref().is_some_and(|(name, b)| {
            connector_iam::evaluate_policy(name, b, PolicyKind::Boundary, &request).decision
                != Decision::Allow
        });
        return (!own_side || capped).then(|| Finding::IdentityDenies {
            statement: format!("the trust policy in account {} could not be read from here", target.account),
        });
    };
    let request = assume_request(principal, target, external_id);
    let trust_result = connector_iam::evaluate_policy("trust policy", trust, PolicyKind::Resource, &request);
    if trust_result.decision != Decision::Allow {
        // A statement written for this caller (its role or session by ARN) that fails only on
        // the ExternalId is an ExternalId problem; an account-wide statement that would admit it
        // with an ExternalId means the caller has no statement of its own.
        let external = trust_result
            .near_misses
            .iter()
            .find(|m| only_external_id(m) && names_caller(trust, m.statement.index));
        return Some(match external {
            Some(miss) => Finding::ExternalId {
                statement: miss.statement.to_string(),
                expected: miss.failed.iter().flat_map(|f| f.expected.iter().map(Secret::new)).collect(),
            },
            None => Finding::TrustDenies,
        });
    }
    let statement = trust_result.allowed_by.first().map(ToString::to_string).unwrap_or_default();
    let Some(identity) = &readout.identity else {
        return Some(Finding::TrustAllows { statement });
    };
    let policies = Policies {
        identity: identity.clone(),
        resource: Some(("trust policy".into(), trust.clone())),
        boundary: readout.boundary.clone(),
    };
    let full = connector_iam::authorize(&request, &policies);
    Some(if full.decision == Decision::Allow {
        Finding::PoliciesAllow
    } else {
        Finding::IdentityDenies { statement }
    })
}

/// The `sts:AssumeRole` request the hop made, as the evaluator sees it.
fn assume_request(principal: Principal, target: &Arn, external_id: Option<&Secret>) -> Request {
    let mut context = Context::new();
    if let Some(id) = external_id {
        context.set("sts:ExternalId", id.expose());
    }
    Request {
        principal,
        action: "sts:AssumeRole".to_owned(),
        resource: target.to_string(),
        resource_account: Some(target.account.clone()),
        context,
    }
}

/// Whether statement `index` of `policy` names a principal by ARN (a role, a session, a user)
/// rather than a whole account, everyone or a service.
fn names_caller(policy: &Policy, index: usize) -> bool {
    let Some(statement) = policy.statements().get(index) else { return false };
    match statement.principal() {
        Some(PrincipalBlock::Principal(entries)) => entries.iter().any(|e| {
            matches!(e, PrincipalEntry::Role { .. } | PrincipalEntry::Session(_) | PrincipalEntry::User(_))
        }),
        _ => false,
    }
}

/// Whether the only conditions a near miss failed are on `sts:ExternalId`.
fn only_external_id(miss: &NearMiss) -> bool {
    !miss.failed.is_empty() && miss.failed.iter().all(|f| f.key.eq_ignore_ascii_case("sts:ExternalId"))
}

/// How a configured ExternalId differs from the expected one, without showing either:
/// lengths, the first differing position, and whitespace at either end.
pub fn compare(configured: &Secret, expected: &[Secret]) -> String {
    let given = configured.expose().as_bytes();
    // The expected value closest to the configured one: the longest common prefix.
    let Some(closest) = expected.iter().max_by_key(|e| common_prefix(e.expose().as_bytes(), given)) else {
        return format!(
            "the configured ExternalId has {} characters; the condition lists no value",
            given.len()
        );
    };
    let want = closest.expose().as_bytes();
    let prefix = common_prefix(want, given);
    let mut parts = vec![format!("configured {} characters, expected {}", given.len(), want.len())];
    if prefix < given.len().min(want.len()) {
        parts.push(format!("they first differ at position {}", prefix + 1));
    } else {
        parts.push(format!(
            "one is the other with {} extra character(s) at the end",
            given.len().abs_diff(want.len())
        ));
    }
    if configured.expose() != configured.expose().trim() {
        parts.push("the configured value has whitespace at an end".to_owned());
    }
    if expected.len() > 1 {
        parts.push(format!("the condition accepts {} values", expected.len()));
    }
    parts.join("; ")
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readout(trust: &str, identity: Option<&str>) -> Readout {
        Readout {
            trust: Some(Policy::parse(trust).unwrap()),
            identity: identity.map(|p| vec![("inline policy P".to_owned(), Policy::parse(p).unwrap())]),
            ..Readout::default()
        }
    }

    const BASE: &str = "arn:aws:sts::111122223333:assumed-role/base/s";

    fn target() -> Arn {
        Arn::role("arn:aws:iam::111122223333:role/conn").unwrap()
    }

    #[test]
    fn denials_are_narrowed_from_the_policies() {
        let by_role = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowFromBaseRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/base"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"org-123"}}}]}"#;
        let id = Secret::new("org-124");
        match judge(&readout(by_role, None), BASE, &target(), Some(&id)) {
            Some(Finding::ExternalId { statement, expected }) => {
                assert!(statement.contains("AllowFromBaseRole"), "{statement}");
                assert_eq!(
                    compare(&id, &expected),
                    "configured 7 characters, expected 7; they first differ at position 7"
                );
            }
            other => panic!("{other:?}"),
        }
        let other = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/someone"},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(judge(&readout(other, None), BASE, &target(), None), Some(Finding::TrustDenies));
        let root = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#;
        let nothing = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        assert!(matches!(
            judge(&readout(root, Some(nothing)), BASE, &target(), None),
            Some(Finding::IdentityDenies { .. })
        ));
        let allows = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
        assert_eq!(judge(&readout(root, Some(allows)), BASE, &target(), None), Some(Finding::PoliciesAllow));
        assert_eq!(judge(&Readout::default(), BASE, &target(), None), None);
    }

    #[test]
    fn comparisons_never_show_values() {
        let out = compare(&Secret::new("org-123 "), &[Secret::new("org-123")]);
        assert_eq!(
            out,
            "configured 8 characters, expected 7; one is the other with 1 extra character(s) at the end; the configured value has whitespace at an end"
        );
        assert!(!out.contains("org"));
        assert_eq!(percent_decode("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert_eq!(percent_decode("%é%4"), "%é%4");
    }
}
