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
    /// The permissions boundary that withheld what the identity policies allow, by name.
    pub capped_by: Option<String>,
}

/// Decides a probe: against `trust` (a resource policy) for trust needs, else against the
/// identity policies together (an explicit deny in any wins, then an allow in any), capped by
/// the owner's permissions `boundary` when it has one (what it does not allow is denied).
pub fn decide(
    need: &Need,
    probe: &Probe,
    trust: Option<&(String, Policy)>,
    identity: &[(String, Policy)],
    boundary: Option<&(String, Policy)>,
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
    let mut decision = if results.iter().any(|r| r.decision == Decision::ExplicitDeny) {
        Decision::ExplicitDeny
    } else if results.iter().any(|r| r.decision == Decision::Allow) {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    };
    let mut capped_by = None;
    if decision == Decision::Allow
        && !need.is_trust()
        && let Some((name, policy)) = boundary
    {
        let capped = evaluate_policy(name, policy, PolicyKind::Boundary, &probe.request);
        if capped.decision != Decision::Allow {
            decision = capped.decision;
            capped_by = Some(name.clone());
        }
    }
    Verdict {
        decision,
        allowed_by: results.iter().flat_map(|r| r.allowed_by.clone()).collect(),
        denied_by: results.iter().flat_map(|r| r.denied_by.clone()).collect(),
        near_misses: results.into_iter().flat_map(|r| r.near_misses).collect(),
        capped_by,
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
            let verdict = decide(need, &probe, trust, &parsed, None);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onboard::fixtures::{LAKE, QUALYTICS, XPANDER, config, given, onboarding};
    use crate::onboard::guide;

    /// The xpander setup with two connectors.
    fn two() -> String {
        format!("{XPANDER}{LAKE}")
    }

    fn failures(proof: &Proof) -> Vec<String> {
        proof.failures().map(|l| format!("{} [{}] {}: {}", l.need, l.connector, l.what, l.detail)).collect()
    }

    #[test]
    fn a_complete_plan_proves_and_leaves_no_placeholder() {
        let ob = onboarding("xpander", &two(), &[]);
        let proof = ob.prove();
        assert!(proof.holds(), "{:?} unproven {:?}", failures(&proof), proof.unproven);
        let g = guide::render(&ob, &proof, None);
        assert!(g.unfilled.is_empty(), "{:?}", g.unfilled);
        assert!(
            !g.markdown.contains("org-7f3a9c2e") && !g.script.contains("org-7f3a9c2e"),
            "ExternalId shown"
        );
        // One base policy lists both connector roles.
        let base = documents(&ob.needs, Secrets::ShellVar)
            .into_iter()
            .find(|d| d.policy == "AssumeConnectorRoles")
            .unwrap()
            .json
            .pretty();
        assert!(base.contains("xpander-redshift-access") && base.contains("xpander-lake-access"), "{base}");
    }

    #[test]
    fn a_connector_missing_from_the_base_roles_own_list_is_caught_before_apply() {
        let list = ("assume_list", "arn:aws:iam::111122223333:role/xpander-redshift-access");
        let ob = onboarding("xpander", &two(), &[list]);
        let proof = ob.prove();
        let f = failures(&proof);
        assert_eq!(f.len(), 2, "AssumeRole and TagSession into the lake role: {f:?}");
        assert!(
            f.iter()
                .all(|l| l.starts_with("base-assume-connector [lake]") && l.contains("xpander-lake-access")),
            "{f:?}"
        );
        assert!(f[0].contains("implicitly denied"), "{f:?}");
    }

    #[test]
    fn every_preset_proves_with_its_values() {
        let q = onboarding(
            "qualytics",
            r#"
region = "us-west-1"
base_role_arn = "arn:aws:iam::111122223333:role/qualytics-dataplane-base"
cluster_name = "analytics-prod"
[[connector]]
name = "warehouse"
kind = "redshift"
role_arn = "arn:aws:iam::111122223333:role/qualytics-redshift-target"
cluster_id = "analytics"
database = "warehouse"
user = "qualytics"
external_id = "qualytics-4c1d-prod"
"#,
            &[("oidc_provider", "oidc.eks.us-west-1.amazonaws.com/id/EXAMPLE")],
        );
        let v = onboarding(
            "vcluster-rds",
            r#"
region = "us-west-1"
base_role_arn = "arn:aws:iam::111122223333:role/vcluster-db"
cluster_name = "vcluster-prod"
[[connector]]
name = "vcluster-db"
kind = "rds"
role_arn = "arn:aws:iam::111122223333:role/vcluster-db"
instance_id = "vcluster-db"
user = "postgres"
database = "postgres"
"#,
            &[
                ("db_resource_id", "db-VCLUSTERDBEXAMPLE234567ABC"),
                ("db_host", "vcluster-db.example.us-west-1.rds.amazonaws.com"),
            ],
        );
        for ob in [q, v] {
            let proof = ob.prove();
            assert!(
                proof.holds(),
                "{}: {:?} unproven {:?}",
                ob.preset.name,
                failures(&proof),
                proof.unproven
            );
            let g = guide::render(&ob, &proof, None);
            assert!(g.unfilled.is_empty(), "{}: {:?}", ob.preset.name, g.unfilled);
        }
    }

    #[test]
    fn qualytics_managed_and_static_key_paths_have_their_own_base() {
        let dataplane = "arn:aws:iam::315179787488:role/acme-dataplane-role";
        let managed = onboarding(
            "qualytics",
            QUALYTICS,
            &[("deployment", "managed"), ("base_principal_arn", dataplane)],
        );
        let proof = managed.prove();
        assert!(proof.holds(), "{:?} unproven {:?}", failures(&proof), proof.unproven);
        let g = guide::render(&managed, &proof, None);
        assert!(g.unfilled.is_empty(), "{:?}", g.unfilled);
        assert!(g.markdown.contains("Use the dataplane role Qualytics gives you"), "managed step");
        assert!(!g.markdown.contains("AssumeTargetRoles"), "no base policy of ours in a managed deployment");
        assert!(
            g.markdown.contains(&format!("\"AWS\": \"{dataplane}\"")),
            "the trust names the dataplane role"
        );

        let keys = onboarding("qualytics", QUALYTICS, &[("deployment", "static-keys")]);
        let proof = keys.prove();
        assert!(proof.holds(), "{:?} unproven {:?}", failures(&proof), proof.unproven);
        let g = guide::render(&keys, &proof, None);
        assert!(g.unfilled.is_empty(), "{:?}", g.unfilled);
        assert!(
            g.markdown.contains("aws iam put-user-policy --user-name qualytics-dataplane"),
            "{}",
            g.markdown
        );
        assert!(
            g.markdown.contains("\"AWS\": \"arn:aws:iam::111122223333:user/qualytics-dataplane\""),
            "the trust names the user"
        );
        let e = crate::onboard::Onboarding::prepare(
            Some("qualytics"),
            &config(QUALYTICS),
            &given(&[("deployment", "hybrid")]),
            &|_| None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("not one of managed, irsa, static-keys"), "{e}");
    }

    #[test]
    fn a_serverless_connector_gets_serverless_credentials_and_no_cluster_values() {
        let config = two().replace("cluster_id = \"lake\"", "workgroup = \"lake\"");
        let ob = onboarding("xpander", &config, &[]);
        let missing: Vec<_> =
            ob.values.missing(ob.preset).into_iter().map(|m| (m.key, m.connector)).collect();
        assert_eq!(missing, [("workgroup_arn".to_owned(), Some("lake".to_owned()))]);
        let arn = "arn:aws:redshift-serverless:us-west-1:111122223333:workgroup/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6";
        let ob = onboarding("xpander", &config, &[("workgroup_arn", arn)]);
        let proof = ob.prove();
        assert!(proof.holds(), "{:?} unproven {:?}", failures(&proof), proof.unproven);
        let g = guide::render(&ob, &proof, None);
        assert!(g.unfilled.is_empty(), "{:?}", g.unfilled);
        assert!(g.markdown.contains("--workgroup-name lake") && g.markdown.contains(arn), "serverless steps");
    }

    #[test]
    fn an_external_id_demanded_of_an_internal_hop_fails_the_proof() {
        let mut ob = onboarding("xpander", &two(), &[]);
        // As if the preset put the ExternalId on AllowFromBaseRole: its own probe still passes
        // the ExternalId, so judge the internal hop's probe (without one) against that rendering.
        let internal = ob.needs.iter().position(|n| n.id == "connector-trust-base").unwrap();
        let mut wrong = ob.needs[internal].clone();
        wrong.external_id = Some(ob.values.connectors[0].external_id.clone());
        let probes = ob.needs[internal].probes().unwrap();
        ob.needs[internal] = wrong;
        let doc = documents(&ob.needs, Secrets::Reveal)
            .into_iter()
            .find(|d| d.policy == "trust" && d.owner_name == "xpander-redshift-access")
            .unwrap();
        let trust = ("trust".to_owned(), Policy::parse(&doc.json.pretty()).unwrap());
        let verdict = decide(&ob.needs[internal], &probes[0], Some(&trust), &[], None);
        assert_eq!(verdict.decision, Decision::ImplicitDeny);
        assert!(verdict.near_misses.iter().any(|m| m.statement.sid.as_deref() == Some("AllowFromBaseRole")));
    }
}
