//! Needs: a preset's requirements made concrete for one connector's values. A need is rendered
//! into a policy statement ([`Need::statement`]) and turned into the requests the statement must
//! decide ([`Need::probes`]); the plan proof and the audit both judge those same requests, the
//! first against the rendering and the second against the role's real policy.

use connector_iam::{ContextValue, Decision, Principal, Request};

use super::json::J;
use super::preset::{Effect, Preset, RoleRef};
use super::values::{ConnectorValues, Values, external_id_var};
use crate::catalog::placeholder;
use crate::secret::Secret;

/// The session name the probes' callers use.
pub const PROBE_SESSION: &str = "connector-doctor-onboard";

/// One requirement for one connector, with every value filled in that is known.
#[derive(Debug, Clone)]
pub struct Need {
    /// The requirement's id.
    pub id: String,
    /// The connector it was made for.
    pub connector: String,
    /// Whose policy.
    pub role: RoleRef,
    /// The ARN of the identity holding the policy (a role, or a user for static keys); for a
    /// standalone document, the base identity, whose requests the document would cap.
    pub owner_arn: String,
    /// The name of the role or user (or, for documents, of the document).
    pub owner_name: String,
    /// `trust`, or the permission policy's name.
    pub policy: String,
    /// The Sid.
    pub sid: String,
    /// Allow or deny.
    pub effect: Effect,
    /// For trust statements: `service:…`, `aws:…` or `federated:…`.
    pub principal: Option<String>,
    /// The actions.
    pub actions: Vec<String>,
    /// The resources the chain needs.
    pub resources: Vec<String>,
    /// The resources the rendering lists instead, when the user keeps their own list.
    pub listed: Option<Vec<String>>,
    /// The ExternalId the statement demands (`Some` only when the requirement says so).
    pub external_id: Option<Option<Secret>>,
    /// Other conditions: operator, key, value.
    pub conditions: Vec<(String, String, String)>,
    /// The session tags the caller's requests carry: EKS Pod Identity tags every session it
    /// asks for with the cluster, namespace and service account, and trust policies may demand
    /// them (`aws:RequestTag/kubernetes-namespace`, as AWS's own examples do).
    pub session_tags: Vec<(String, String)>,
    /// Must carry no condition.
    pub internal: bool,
    /// Resources should be scoped.
    pub scoped: bool,
    /// Why, for people.
    pub why: String,
    /// Placeholders no value filled.
    pub unfilled: Vec<String>,
}

/// How the ExternalId appears in a rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// As a shell variable the script reads (guides, remedies).
    ShellVar,
    /// As the value itself (only for the evaluator, never printed).
    Reveal,
}

/// What a probe expects the policy to decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The policy must allow.
    Allow,
    /// The policy must not allow (an ExternalId that must be demanded).
    NotAllow,
    /// The policy must deny explicitly.
    Deny,
}

/// One request a need's statement must decide a certain way.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The request.
    pub request: Request,
    /// What the statement must decide.
    pub expect: Expect,
    /// The request, for people ("base role session sts:TagSession on … without an ExternalId").
    pub what: String,
}

/// Every need of `preset` for `values`: each requirement that applies, once per connector.
pub fn needs(preset: &Preset, values: &Values) -> Vec<Need> {
    let mut out = Vec::new();
    for conn in &values.connectors {
        for req in &preset.requirements {
            let applies = (req.kinds.is_empty() || req.kinds.contains(&conn.kind))
                && values.holds(Some(conn), req.when.as_deref());
            if applies {
                out.push(instantiate(req, conn, values));
            }
        }
    }
    out
}

fn instantiate(req: &super::preset::Requirement, conn: &ConnectorValues, values: &Values) -> Need {
    let facts = values.facts(Some(conn));
    let mut unfilled = Vec::new();
    let mut fill = |t: &str| placeholder::fill(t, &facts, &mut unfilled);
    let base =
        values.get(Some(conn), "base_principal_arn").or_else(|| values.get(Some(conn), "base_role_arn"));
    let (owner_arn, owner_name) = match req.role {
        RoleRef::Base => {
            let arn = base.clone().unwrap_or_else(|| "<base_role_arn>".to_owned());
            let name = arn.rsplit('/').next().unwrap_or_default().to_owned();
            (arn, name)
        }
        RoleRef::Connector => (
            values.get(Some(conn), "connector_role_arn").unwrap_or_else(|| "<connector_role_arn>".to_owned()),
            values
                .get(Some(conn), "connector_role_name")
                .unwrap_or_else(|| "<connector_role_name>".to_owned()),
        ),
        RoleRef::Document => {
            (base.clone().unwrap_or_else(|| "<base_role_arn>".to_owned()), fill(&req.policy))
        }
    };
    let listed =
        req.resources_value.as_ref().and_then(|key| values.get(Some(conn), key)).map(|list| {
            list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        });
    let need = Need {
        id: req.id.clone(),
        connector: conn.name.clone(),
        role: req.role,
        owner_arn,
        owner_name,
        policy: fill(&req.policy),
        sid: req.sid.clone(),
        effect: req.effect,
        principal: req.principal.as_deref().map(&mut fill),
        actions: req.actions.clone(),
        resources: req.resources.iter().map(|r| fill(r)).collect(),
        listed,
        external_id: req.external_id.then(|| conn.external_id.clone()),
        conditions: req.conditions.iter().map(|c| (c.test.clone(), fill(&c.key), fill(&c.value))).collect(),
        session_tags: if req.principal.as_deref() == Some(POD_IDENTITY) {
            pod_identity_tags(&facts)
        } else {
            Vec::new()
        },
        internal: req.internal,
        scoped: req.scoped,
        why: fill(&req.why),
        unfilled: Vec::new(),
    };
    Need { unfilled, ..need }
}

/// The service principal of EKS Pod Identity, as requirements name it.
const POD_IDENTITY: &str = "service:pods.eks.amazonaws.com";

/// The session tags EKS Pod Identity sets, as far as the values know them (the pod's own name
/// and uid are not known before it runs, and a trust that demands them is rare).
fn pod_identity_tags(facts: &crate::outcome::Facts) -> Vec<(String, String)> {
    let get = |k: &str| facts.get(k).filter(|v| !v.starts_with('<')).cloned();
    let mut tags = Vec::new();
    if let (Some(partition), Some(region), Some(account), Some(cluster)) =
        (get("partition"), get("region"), get("account"), get("cluster_name"))
    {
        tags.push((
            "eks-cluster-arn".to_owned(),
            format!("arn:{partition}:eks:{region}:{account}:cluster/{cluster}"),
        ));
    }
    for (tag, key) in [
        ("eks-cluster-name", "cluster_name"),
        ("kubernetes-namespace", "namespace"),
        ("kubernetes-service-account", "service_account"),
    ] {
        if let Some(value) = get(key) {
            tags.push((tag.to_owned(), value));
        }
    }
    tags
}

impl Need {
    /// Whether this is a trust statement.
    pub fn is_trust(&self) -> bool {
        self.policy == "trust"
    }

    /// Whether the principal is the owner itself (a role cannot name itself at creation).
    pub fn names_itself(&self) -> bool {
        self.principal.as_deref().is_some_and(|p| p.strip_prefix("aws:") == Some(self.owner_arn.as_str()))
    }

    /// The statement, as the generated policy carries it.
    pub fn statement(&self, secrets: Secrets) -> J {
        let mut fields = vec![("Sid", J::s(&self.sid))];
        fields.push(("Effect", J::s(if self.effect == Effect::Deny { "Deny" } else { "Allow" })));
        if let Some(p) = &self.principal {
            let (kind, value) = p.split_once(':').unwrap_or(("AWS", p));
            let kind = match kind {
                "service" => "Service",
                "federated" => "Federated",
                _ => "AWS",
            };
            fields.push(("Principal", J::obj(vec![(kind, J::s(value))])));
        }
        fields.push(("Action", J::list(&self.actions)));
        if !self.is_trust() {
            let resources = self.listed.as_ref().unwrap_or(&self.resources);
            fields.push((
                "Resource",
                if resources.len() == 1 { J::s(&resources[0]) } else { J::list(resources) },
            ));
        }
        let mut tests: Vec<(String, Vec<(String, J)>)> = Vec::new();
        let mut add = |test: &str, key: &str, value: J| match tests.iter_mut().find(|(t, _)| t == test) {
            Some((_, keys)) => keys.push((key.to_owned(), value)),
            None => tests.push((test.to_owned(), vec![(key.to_owned(), value)])),
        };
        if let Some(id) = &self.external_id {
            let value = match (secrets, id) {
                (Secrets::Reveal, Some(id)) => id.expose().to_owned(),
                _ => format!("${{{}}}", external_id_var(&self.connector)),
            };
            add("StringEquals", "sts:ExternalId", J::s(&value));
        }
        for (test, key, value) in &self.conditions {
            add(test, key, J::s(value));
        }
        if !tests.is_empty() {
            fields
                .push(("Condition", J::Obj(tests.into_iter().map(|(t, keys)| (t, J::Obj(keys))).collect())));
        }
        J::Obj(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// The caller of the probes: the principal for trust statements, else the owner's session.
    fn caller(&self) -> Option<(Principal, String)> {
        let session = |arn: &str| -> Option<(Principal, String)> {
            let parsed: crate::config::Arn = arn.parse().ok()?;
            if let Some(name) = parsed.resource.strip_prefix("role/") {
                let name = name.rsplit('/').next().unwrap_or(name);
                let s = format!(
                    "arn:{}:sts::{}:assumed-role/{name}/{PROBE_SESSION}",
                    parsed.partition, parsed.account
                );
                Some((Principal::from_arn(&s).ok()?, format!("a session of {arn}")))
            } else {
                Some((Principal::from_arn(arn).ok()?, arn.to_owned()))
            }
        };
        if !self.is_trust() {
            return session(&self.owner_arn);
        }
        let p = self.principal.as_deref()?;
        match p.split_once(':')? {
            ("service", name) => Some((Principal::service(name), name.to_owned())),
            ("federated", provider) => {
                Some((Principal::federated(provider), format!("tokens from {provider}")))
            }
            (_, arn) => session(arn),
        }
    }

    /// For a statement that demands an ExternalId nobody gave: the hop without one. Its near
    /// miss on the ExternalId alone shows that the statement is there, value unseen.
    pub fn presence_probe(&self) -> Option<Probe> {
        if !matches!(self.external_id, Some(None)) || !self.unfilled.is_empty() || !self.is_trust() {
            return None;
        }
        let (principal, who) = self.caller()?;
        Some(Probe {
            request: Request::new(principal, "sts:AssumeRole", &self.owner_arn),
            expect: Expect::NotAllow,
            what: format!("{who} sts:AssumeRole on {} without the ExternalId", self.owner_arn),
        })
    }

    /// The requests the statement must decide, or `None` while a value is missing.
    pub fn probes(&self) -> Option<Vec<Probe>> {
        if !self.unfilled.is_empty() || self.owner_arn.starts_with('<') {
            return None;
        }
        let (principal, who) = self.caller()?;
        let resources: Vec<String> = if self.is_trust() {
            vec![self.owner_arn.clone()]
        } else {
            self.resources.iter().map(|r| concrete(r)).collect()
        };
        let mut out = Vec::new();
        for action in &self.actions {
            for resource in &resources {
                let mut request = Request::new(principal.clone(), action, resource);
                let mut with = Vec::new();
                if let Some(id) = &self.external_id {
                    // Without a value the statement cannot be proven; with one, prove it is demanded.
                    let id = id.as_ref()?;
                    request.context.set("sts:ExternalId", id.expose());
                    with.push("with the ExternalId".to_owned());
                } else if self.is_trust() && self.internal {
                    with.push("without an ExternalId".to_owned());
                }
                for (_, key, value) in &self.conditions {
                    request.context.set(key, value.as_str());
                }
                if !self.session_tags.is_empty() {
                    for (tag, value) in &self.session_tags {
                        request.context.set(&format!("aws:RequestTag/{tag}"), value.as_str());
                    }
                    let keys: Vec<String> = self.session_tags.iter().map(|(t, _)| t.clone()).collect();
                    request.context.set("aws:TagKeys", ContextValue::Multi(keys));
                }
                let expect = if self.effect == Effect::Deny { Expect::Deny } else { Expect::Allow };
                let what = format!("{who} {action} on {resource}{}", suffix(&with));
                if self.external_id.is_some() && action.eq_ignore_ascii_case("sts:AssumeRole") {
                    let mut bare = request.clone();
                    bare.context.remove("sts:ExternalId");
                    out.push(Probe {
                        request: bare,
                        expect: Expect::NotAllow,
                        what: format!("{who} {action} on {resource} without the ExternalId"),
                    });
                }
                out.push(Probe { request, expect, what });
            }
        }
        Some(out)
    }
}

/// A resource the chain will really name, for a pattern the setup grants: every `*` becomes a
/// sample name and every `?` a letter, so that a probe asks for one real resource the pattern
/// must cover instead of for the pattern itself. A bare `*` (actions without resource-level
/// scope) stays as it is.
fn concrete(pattern: &str) -> String {
    if pattern == "*" {
        return pattern.to_owned();
    }
    pattern.replace('*', "connector-doctor-probe").replace('?', "x")
}

fn suffix(parts: &[String]) -> String {
    if parts.is_empty() { String::new() } else { format!(" {}", parts.join(", ")) }
}

/// Whether a decision meets an expectation.
pub fn meets(decision: Decision, expect: Expect) -> bool {
    match expect {
        Expect::Allow => decision == Decision::Allow,
        Expect::NotAllow => decision != Decision::Allow,
        Expect::Deny => decision == Decision::ExplicitDeny,
    }
}
