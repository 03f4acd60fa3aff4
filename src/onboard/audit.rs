//! The audit: the same needs the guide renders, judged against the roles' real policies. Each
//! finding names the role, the policy and the statement to add or the change to make, with the
//! real values, so that the fix can be pasted.

use connector_iam::policy::{ActionBlock, PrincipalBlock, ResourceBlock};
use connector_iam::principal::PrincipalEntry;
use connector_iam::{Effect as IamEffect, Policy, StatementRef};

use super::need::{Expect, Need, Secrets};
use super::plan::decide;
use super::preset::RoleRef;
use crate::outcome::{Code, Status};

/// One role as IAM describes it.
#[derive(Debug, Clone, Default)]
pub struct RoleView {
    /// The role's ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// Its trust policy (`None`: the role does not exist, or it could not be read).
    pub trust: Option<Policy>,
    /// Its inline and attached policies, by name.
    pub identity: Vec<(String, Policy)>,
    /// Its permissions boundary, by name, when it has one.
    pub boundary: Option<(String, Policy)>,
    /// IAM says it does not exist.
    pub missing: bool,
}

/// What the audit found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The failure code.
    pub code: Code,
    /// `fail` or `warn`.
    pub status: Status,
    /// The role whose policy needs the change.
    pub role: String,
    /// `trust`, or the permission policy's name.
    pub policy: String,
    /// What is wrong, in a sentence.
    pub summary: String,
    /// The statement to add, or the change to make.
    pub change: String,
}

/// Audits one connector's needs against the real roles. `base_assumes_only` is the preset's
/// rule that the base role only hops.
pub fn audit(needs: &[&Need], roles: &[RoleView], base_assumes_only: bool) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let push = |f: Finding, out: &mut Vec<Finding>| {
        if !out.iter().any(|o| o.code == f.code && o.role == f.role && o.change == f.change) {
            out.push(f);
        }
    };
    for need in needs.iter().filter(|n| n.role != RoleRef::Document) {
        let Some(role) = roles.iter().find(|r| r.arn == need.owner_arn) else { continue };
        let trust = role.trust.clone().map(|p| ("trust policy".to_owned(), p));
        let Some(probes) = need.probes() else {
            if let Some(probe) = need.presence_probe() {
                let v = decide(need, &probe, trust.as_ref(), &role.identity, role.boundary.as_ref());
                let demands_it = v.near_misses.iter().any(|m| {
                    !m.failed.is_empty()
                        && m.failed.iter().all(|f| f.key.eq_ignore_ascii_case("sts:ExternalId"))
                });
                // Admitted without the ExternalId is chain.external_id's to report.
                if !demands_it && v.decision != connector_iam::Decision::Allow {
                    push(missing(need, role), &mut out);
                }
            }
            continue;
        };
        let verdicts: Vec<_> = probes
            .iter()
            .filter(|p| p.expect == Expect::Allow)
            .map(|p| (p, decide(need, p, trust.as_ref(), &role.identity, role.boundary.as_ref())))
            .collect();
        for (probe, verdict) in &verdicts {
            let action = probe.request.action.as_str();
            if verdict.decision == connector_iam::Decision::Allow {
                if need.scoped
                    && let Some(wide) = verdict.allowed_by.iter().find(|s| grants_everything(role, s))
                {
                    push(wildcard(need, role, wide), &mut out);
                }
                continue;
            }
            let assume_allowed = verdicts.iter().any(|(p, v)| {
                p.request.action.eq_ignore_ascii_case("sts:AssumeRole")
                    && p.request.resource == probe.request.resource
                    && v.decision == connector_iam::Decision::Allow
            });
            if action.eq_ignore_ascii_case("sts:TagSession") && assume_allowed {
                push(tag_session(need, role, verdict.capped_by.as_deref()), &mut out);
            } else if need.is_trust() {
                let conditioned =
                    verdict.near_misses.iter().find(|m| names_principal(role, need, m.statement.index));
                match (need.internal, conditioned) {
                    (true, Some(miss)) => push(condition(need, role, &miss.statement), &mut out),
                    _ => push(missing(need, role), &mut out),
                }
            }
            // A missing data permission is proven live by its link's checks (redshift.*, rds.*).
        }
    }
    if base_assumes_only
        && let Some(base) = needs.iter().find(|n| n.role == RoleRef::Base).map(|n| &n.owner_arn)
        && !needs.iter().any(|n| n.role == RoleRef::Connector && &n.owner_arn == base)
        && let Some(role) = roles.iter().find(|r| &r.arn == base)
        && let Some(f) = service_permissions(role)
    {
        push(f, &mut out);
    }
    out
}

/// The finding that decides the check: the first failure, else the first warning.
pub fn verdict(findings: &[Finding]) -> Option<&Finding> {
    findings.iter().find(|f| f.status == Status::Fail).or_else(|| findings.first())
}

fn missing(need: &Need, role: &RoleView) -> Finding {
    let why = if role.missing {
        format!("{} does not exist; create it with this statement in its trust", role.name)
    } else {
        format!("the trust policy of {} has no statement that admits it", role.name)
    };
    Finding {
        code: Code::TrustStatementMissing,
        status: Status::Fail,
        role: role.name.clone(),
        policy: "trust".into(),
        summary: format!("{} ({}): {why}.", need.sid, need.why),
        change: need.statement(Secrets::ShellVar).pretty(),
    }
}

fn condition(need: &Need, role: &RoleView, statement: &StatementRef) -> Finding {
    Finding {
        code: Code::TrustConditionOnInternalStatement,
        status: Status::Fail,
        role: role.name.clone(),
        policy: "trust".into(),
        summary: format!(
            "{statement} names the caller of {} ({}) but carries a condition that internal hops cannot meet.",
            need.sid, need.why
        ),
        change: format!(
            "remove the Condition from {statement}, so that it reads:\n\n{}",
            need.statement(Secrets::ShellVar).pretty()
        ),
    }
}

fn tag_session(need: &Need, role: &RoleView, boundary: Option<&str>) -> Finding {
    let policy = match boundary {
        Some(b) => b.to_owned(),
        None if need.is_trust() => "trust".to_owned(),
        None => need.policy.clone(),
    };
    let change = need.statement(Secrets::ShellVar).pretty();
    Finding {
        code: Code::TagSessionMissingInPolicy,
        status: Status::Fail,
        role: role.name.clone(),
        policy: policy.clone(),
        summary: match boundary {
            Some(b) => format!(
                "The {b} of {} lets it sts:AssumeRole for {} but not sts:TagSession, though its policies allow both ({}).",
                role.name, need.sid, need.why
            ),
            None => format!(
                "{policy} of {} allows sts:AssumeRole for {} but not sts:TagSession ({}).",
                role.name, need.sid, need.why
            ),
        },
        change: match boundary {
            Some(b) => format!("allow sts:TagSession in the {b} as well, for:\n\n{change}"),
            None => change,
        },
    }
}

fn wildcard(need: &Need, role: &RoleView, wide: &StatementRef) -> Finding {
    let scoped = Need { listed: None, ..need.clone() };
    Finding {
        code: Code::WildcardResource,
        status: Status::Warn,
        role: role.name.clone(),
        policy: wide.policy.clone(),
        summary: format!(
            "{wide} grants {} on \"*\"; the setup scopes it to named resources.",
            need.actions.join(", ")
        ),
        change: scoped.statement(Secrets::ShellVar).pretty(),
    }
}

/// Whether the statement `s` of one of `role`'s policies has `"Resource": "*"`.
fn grants_everything(role: &RoleView, s: &StatementRef) -> bool {
    role.identity.iter().filter(|(name, _)| *name == s.policy).any(|(_, p)| {
        p.statements().get(s.index).is_some_and(
            |st| matches!(st.resource(), Some(ResourceBlock::Resource(r)) if r.iter().any(|x| x == "*")),
        )
    })
}

/// Whether trust statement `index` names the need's principal itself (not an account or everyone).
fn names_principal(role: &RoleView, need: &Need, index: usize) -> bool {
    let Some(statement) = role.trust.as_ref().and_then(|t| t.statements().get(index)) else { return false };
    let Some(principal) = need.principal.as_deref() else { return false };
    let Some(PrincipalBlock::Principal(entries)) = statement.principal() else { return false };
    let wanted = principal.split_once(':').map_or(principal, |(_, v)| v);
    entries.iter().any(|e| match e {
        PrincipalEntry::Role { arn, .. } | PrincipalEntry::User(arn) | PrincipalEntry::Session(arn) => {
            arn == wanted
        }
        PrincipalEntry::Service(name) => name == wanted,
        _ => false,
    })
}

/// The base role's grants beyond hopping (and beyond the reads this audit needs).
fn service_permissions(role: &RoleView) -> Option<Finding> {
    let mut extra = Vec::new();
    for (name, policy) in &role.identity {
        for st in policy.statements().iter().filter(|s| s.effect == IamEffect::Allow) {
            let actions: Vec<String> = match st.action() {
                ActionBlock::Action(actions) => actions
                    .iter()
                    .filter(|a| {
                        let lower = a.to_ascii_lowercase();
                        // IAM reads (iam:Get*, iam:List*) are not service permissions: they are
                        // what lets this very audit run from the pod.
                        let iam_read = lower.starts_with("iam:get") || lower.starts_with("iam:list");
                        !iam_read && !["sts:assumerole", "sts:tagsession"].contains(&lower.as_str())
                    })
                    .cloned()
                    .collect(),
                ActionBlock::NotAction(not) => vec![format!("every action but {}", not.join(", "))],
            };
            if !actions.is_empty() {
                extra.push(format!("{} in statement {} of {name}", actions.join(", "), st.label()));
            }
        }
    }
    (!extra.is_empty()).then(|| Finding {
        code: Code::BaseRoleHasServicePermissions,
        status: Status::Warn,
        role: role.name.clone(),
        policy: "its permission policies".into(),
        summary: format!(
            "The base role {} holds more than sts:AssumeRole and sts:TagSession: {}.",
            role.name,
            extra.join("; ")
        ),
        change: format!("{}.", extra.join("; ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onboard::Onboarding;
    use crate::onboard::plan::documents;

    /// The documents exactly as the guide would create them: (owner ARN, owner name, policy, text).
    fn generated() -> (Onboarding, Vec<(String, String, String, String)>) {
        let config = crate::onboard::fixtures::config(crate::onboard::fixtures::XPANDER);
        let ob = Onboarding::prepare(Some("xpander"), &config, &[], &|_| None).unwrap();
        let docs = documents(&ob.needs, Secrets::Reveal)
            .into_iter()
            .filter(|d| d.policy != "initial-trust")
            .map(|d| (d.owner_arn.clone(), d.owner_name.clone(), d.policy.clone(), d.json.pretty()))
            .collect();
        (ob, docs)
    }

    fn roles(docs: &[(String, String, String, String)]) -> Vec<RoleView> {
        let mut roles: Vec<RoleView> = Vec::new();
        for (arn, name, policy, text) in docs {
            let i = roles.iter().position(|r| &r.arn == arn).unwrap_or_else(|| {
                roles.push(RoleView { arn: arn.clone(), name: name.clone(), ..RoleView::default() });
                roles.len() - 1
            });
            let parsed = Policy::parse(text).unwrap();
            if policy == "trust" {
                roles[i].trust = Some(parsed);
            } else {
                roles[i].identity.push((policy.clone(), parsed));
            }
        }
        roles
    }

    fn codes(ob: &Onboarding, docs: &[(String, String, String, String)]) -> Vec<Code> {
        let needs: Vec<&Need> = ob.needs.iter().collect();
        audit(&needs, &roles(docs), true).into_iter().map(|f| f.code).collect()
    }

    /// `docs` with `from` replaced by `to` once in `role`'s `policy`.
    fn edit(
        docs: &[(String, String, String, String)],
        role: &str,
        policy: &str,
        from: &str,
        to: &str,
    ) -> Vec<(String, String, String, String)> {
        let mut out = docs.to_vec();
        let d = out.iter_mut().find(|d| d.1 == role && d.2 == policy).unwrap();
        assert!(d.3.contains(from), "{from} not in {}", d.3);
        d.3 = d.3.replacen(from, to, 1);
        out
    }

    #[test]
    fn the_generated_roles_pass_the_audit() {
        let (ob, docs) = generated();
        assert_eq!(codes(&ob, &docs), []);
    }

    #[test]
    fn a_pod_identity_trust_hardened_with_session_tags_is_not_a_missing_statement() {
        let (ob, docs) = generated();
        let conn = "xpander-redshift-access";
        let pod_identity = "\"Service\": \"pods.eks.amazonaws.com\"\n      },";
        let hardened = |namespace: &str| {
            edit(
                &docs,
                conn,
                "trust",
                pod_identity,
                &format!(
                    "{pod_identity} \"Condition\": {{\"StringEquals\": {{\"aws:RequestTag/kubernetes-namespace\": \"{namespace}\", \"aws:RequestTag/kubernetes-service-account\": \"xpander\"}}}},"
                ),
            )
        };
        // As AWS's examples scope it: Pod Identity tags every session with the namespace.
        assert_eq!(codes(&ob, &hardened("xpander")), []);
        // Scoped to another namespace, the xpander pods are refused.
        assert_eq!(codes(&ob, &hardened("elsewhere")), [Code::TrustStatementMissing]);
    }

    #[test]
    fn each_policy_fault_is_named() {
        let (ob, docs) = generated();
        let conn = "xpander-redshift-access";
        let base = "xpander-base-role";
        let d = edit(
            &docs,
            conn,
            "trust",
            "\"Sid\": \"AllowFromBaseRole\",",
            "\"Sid\": \"AllowFromBaseRole\", \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"x1\"}},",
        );
        assert_eq!(codes(&ob, &d), [Code::TrustConditionOnInternalStatement]);
        let d = edit(
            &docs,
            conn,
            "trust",
            "\"arn:aws:iam::111122223333:role/xpander-base-role\"",
            "\"arn:aws:iam::111122223333:role/someone-else\"",
        );
        assert_eq!(codes(&ob, &d), [Code::TrustStatementMissing]);
        let d = edit(
            &docs,
            base,
            "AssumeConnectorRoles",
            "[\"sts:AssumeRole\", \"sts:TagSession\"]",
            "[\"sts:AssumeRole\", \"s3:GetObject\"]",
        );
        assert_eq!(codes(&ob, &d), [Code::TagSessionMissingInPolicy, Code::BaseRoleHasServicePermissions]);
        let d = edit(
            &docs,
            conn,
            "SelfAssumeAndTagSession",
            "\"Resource\": \"arn:aws:iam::111122223333:role/xpander-redshift-access\"",
            "\"Resource\": \"*\"",
        );
        let findings = audit(&ob.needs.iter().collect::<Vec<_>>(), &roles(&d), true);
        assert_eq!(findings.iter().map(|f| f.code).collect::<Vec<_>>(), [Code::WildcardResource]);
        assert!(findings[0].change.contains("role/xpander-redshift-access\""), "{}", findings[0].change);
        assert_eq!(verdict(&findings).map(|f| f.status), Some(Status::Warn));
        // Reading IAM is what the audit itself needs: not a service permission.
        let d = edit(
            &docs,
            base,
            "AssumeConnectorRoles",
            "[\"sts:AssumeRole\", \"sts:TagSession\"]",
            "[\"sts:AssumeRole\", \"sts:TagSession\", \"iam:Get*\", \"iam:List*\"]",
        );
        assert_eq!(codes(&ob, &d), []);
    }

    #[test]
    fn a_boundary_that_withholds_tag_session_is_named() {
        let (ob, docs) = generated();
        let mut views = roles(&docs);
        let base = views.iter_mut().find(|r| r.name == "xpander-base-role").unwrap();
        let boundary = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}"#;
        base.boundary = Some(("permissions boundary HopOnly".into(), Policy::parse(boundary).unwrap()));
        let findings = audit(&ob.needs.iter().collect::<Vec<_>>(), &views, true);
        assert_eq!(findings.iter().map(|f| f.code).collect::<Vec<_>>(), [Code::TagSessionMissingInPolicy]);
        assert_eq!(findings[0].policy, "permissions boundary HopOnly");
        assert!(
            findings[0].change.starts_with("allow sts:TagSession in the permissions boundary HopOnly"),
            "{}",
            findings[0].change
        );
    }
}
