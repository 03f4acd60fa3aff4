//! The plan: the policy documents the guide generates, and their proof. Before anything is
//! applied, every need's requests are run through the evaluator against the generated
//! documents, so that a wrong value (a connector role missing from the base role's own list, an
//! ExternalId condition on an internal statement) shows up as a failing step, not as an
//! `AccessDenied` after the user pasted everything.

use connector_iam::{Decision, NearMiss, Policy, PolicyKind, StatementRef, evaluate_policy};

use super::json::J;
use super::need::{Need, Probe, Secrets, meets};
use super::preset::RoleRef;

/// One generated policy document.
#[derive(Debug, Clone)]
pub struct Document {
    /// Whose policy.
    pub role: RoleRef,
    /// The role or user ARN holding it.
    pub owner_arn: String,
    /// The role or user name (the document's own name, for standalone documents).
    pub owner_name: String,
    /// `trust`, `initial-trust`, or the permission policy's name.
    pub policy: String,
    /// The file the guide writes it to.
    pub file: String,
    /// The document.
    pub json: J,
}

impl Document {
    /// How explanations name it.
    pub fn label(&self) -> String {
        match (self.role, self.policy.as_str()) {
            (RoleRef::Document, _) => format!("policy {}", self.owner_name),
            (_, "trust") => format!("trust policy of {}", self.owner_name),
            (_, "initial-trust") => format!("initial trust policy of {}", self.owner_name),
            (_, p) => format!("policy {p} of {}", self.owner_name),
        }
    }
}

/// Every document the needs call for, in first-mention order. Statements that share a Sid
/// within a document are one statement listing every resource (the base role's one list of
/// connector roles); a trust whose role names itself also gets an initial version without
/// those statements, for the role's creation.
pub fn documents(needs: &[Need], secrets: Secrets) -> Vec<Document> {
    let mut groups: Vec<(String, String, Vec<Need>)> = Vec::new();
    for need in needs {
        let key = (need.owner_arn.clone(), need.policy.clone());
        match groups.iter_mut().find(|(o, p, _)| (o, p) == (&key.0, &key.1)) {
            Some((_, _, members)) => merge(members, need),
            None => groups.push((key.0, key.1, vec![need.clone()])),
        }
    }
    let mut out = Vec::new();
    for (_, policy, members) in groups {
        let first = &members[0];
        let file = if first.role == RoleRef::Document {
            format!("{}.json", first.owner_name)
        } else {
            format!("{}.{policy}.json", first.owner_name)
        };
        let doc = |policy: &str, file: String, members: &[&Need]| Document {
            role: first.role,
            owner_arn: first.owner_arn.clone(),
            owner_name: first.owner_name.clone(),
            policy: policy.to_owned(),
            file,
            json: J::policy(members.iter().map(|n| n.statement(secrets)).collect()),
        };
        if policy == "trust" && members.iter().any(Need::names_itself) {
            let initial: Vec<&Need> = members.iter().filter(|n| !n.names_itself()).collect();
            out.push(doc("initial-trust", format!("{}.initial-trust.json", first.owner_name), &initial));
        }
        out.push(doc(&policy, file, &members.iter().collect::<Vec<_>>()));
    }
    out
}

/// Adds `need` to a document's statements: into the statement with its Sid, or as a new one.
fn merge(members: &mut Vec<Need>, need: &Need) {
    match members.iter_mut().find(|m| m.sid == need.sid) {
        Some(m) => {
            for r in &need.resources {
                if !m.resources.contains(r) {
                    m.resources.push(r.clone());
                }
            }
        }
        None => members.push(need.clone()),
    }
}

/// What policies decide one probe, and why.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The decision.
    pub decision: Decision,
    /// The statements that allowed.
    pub allowed_by: Vec<StatementRef>,
    /// The statements that denied.
    pub denied_by: Vec<StatementRef>,
    /// Allow statements that failed only on conditions.
    pub near_misses: Vec<NearMiss>,
}

/// Decides a probe: against `trust` (a resource policy) for trust needs, else against the
/// identity policies together (an explicit deny in any wins, then an allow in any).
pub fn decide(
    need: &Need,
    probe: &Probe,
    trust: Option<&(String, Policy)>,
    identity: &[(String, Policy)],
) -> Verdict {
    let results: Vec<_> = if need.is_trust() {
        trust
            .map(|(name, p)| evaluate_policy(name, p, PolicyKind::Resource, &probe.request))
            .into_iter()
            .collect()
    } else {
        identity
            .iter()
            .map(|(name, p)| evaluate_policy(name, p, PolicyKind::Identity, &probe.request))
            .collect()
    };
    let decision = if results.iter().any(|r| r.decision == Decision::ExplicitDeny) {
        Decision::ExplicitDeny
    } else if results.iter().any(|r| r.decision == Decision::Allow) {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    };
    Verdict {
        decision,
        allowed_by: results.iter().flat_map(|r| r.allowed_by.clone()).collect(),
        denied_by: results.iter().flat_map(|r| r.denied_by.clone()).collect(),
        near_misses: results.into_iter().flat_map(|r| r.near_misses).collect(),
    }
}

/// One proven (or disproven) request.
#[derive(Debug, Clone)]
pub struct ProofLine {
    /// The need.
    pub need: String,
    /// Its connector.
    pub connector: String,
    /// The document that decided.
    pub policy: String,
    /// The request.
    pub what: String,
    /// Whether the document decides as the chain needs.
    pub ok: bool,
    /// What the evaluator said.
    pub detail: String,
}

/// The proof of a plan.
#[derive(Debug, Clone, Default)]
pub struct Proof {
    /// Every request judged.
    pub lines: Vec<ProofLine>,
    /// Needs that could not be judged because a value is missing: `(connector, need id)`.
    pub unproven: Vec<(String, String)>,
}

impl Proof {
    /// Whether every request was judged and decided as needed.
    pub fn holds(&self) -> bool {
        self.unproven.is_empty() && self.lines.iter().all(|l| l.ok)
    }

    /// The requests decided against the chain.
    pub fn failures(&self) -> impl Iterator<Item = &ProofLine> {
        self.lines.iter().filter(|l| !l.ok)
    }
}

/// Proves the plan: renders the documents with the real values (never shown) and runs every
/// need's requests through the evaluator against them.
pub fn prove(needs: &[Need]) -> Proof {
    let docs = documents(needs, Secrets::Reveal);
    let mut proof = Proof::default();
    for need in needs {
        let Some(probes) = need.probes() else {
            proof.unproven.push((need.connector.clone(), need.id.clone()));
            continue;
        };
        let mut parsed = Vec::new();
        let mut broken = None;
        for doc in docs.iter().filter(|d| d.owner_arn == need.owner_arn && d.role == need.role) {
            let wanted = if need.role == RoleRef::Document {
                doc.owner_name == need.owner_name
            } else if need.is_trust() {
                doc.policy == "trust"
            } else {
                doc.policy != "trust" && doc.policy != "initial-trust"
            };
            if !wanted {
                continue;
            }
            match Policy::parse(&doc.json.pretty()) {
                Ok(p) => parsed.push((doc.label(), p)),
                Err(e) => broken = Some(format!("the generated {} does not parse: {e}", doc.label())),
            }
        }
        if let Some(why) = broken {
            proof.lines.push(ProofLine {
                need: need.id.clone(),
                connector: need.connector.clone(),
                policy: String::new(),
                what: need.why.clone(),
                ok: false,
                detail: why,
            });
            continue;
        }
        let trust = if need.is_trust() { parsed.first() } else { None };
        let policy = match need.role {
            RoleRef::Document => format!("policy {}", need.owner_name),
            _ if need.is_trust() => format!("trust policy of {}", need.owner_name),
            _ => format!("permissions of {}", need.owner_name),
        };
        for probe in probes {
            let verdict = decide(need, &probe, trust, &parsed);
            let ok = meets(verdict.decision, probe.expect);
            let detail = match (&verdict.allowed_by.first(), &verdict.denied_by.first()) {
                (_, Some(deny)) => format!("{} by {deny}", verdict.decision),
                (Some(allow), None) => format!("{} by {allow}", verdict.decision),
                (None, None) => format!("{}: no statement applies", verdict.decision),
            };
            proof.lines.push(ProofLine {
                need: need.id.clone(),
                connector: need.connector.clone(),
                policy: policy.clone(),
                what: probe.what,
                ok,
                detail,
            });
        }
    }
    proof
}
