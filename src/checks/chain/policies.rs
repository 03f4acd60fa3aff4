//! `chain.policies`: a static audit of the roles' real policies against the configured preset's
//! requirements, when the base identity may read IAM. It reads rather than calls STS, so it
//! neither waits for nor blocks the live hops: a broken `chain.assume` is exactly when the
//! audit says most.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::explain::read_roles;
use super::{base, chain_facts, connector, or_return, role_of};
use crate::config::Arn;
use crate::engine::{Check, Ctx};
use crate::onboard::Onboarding;
use crate::onboard::audit::{RoleView, audit, verdict};
use crate::onboard::preset::RoleRef;
use crate::outcome::{Code, Outcome, Status};

/// Codes this check emits.
pub const CODES: &[Code] = &[
    Code::TrustStatementMissing,
    Code::TrustConditionOnInternalStatement,
    Code::BaseRoleHasServicePermissions,
    Code::TagSessionMissingInPolicy,
    Code::WildcardResource,
];

/// The IAM reads the audit needs, named when they are refused.
const READS: &str = "iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy and iam:GetPolicyVersion";

/// The check, for one connector.
#[derive(Debug)]
pub struct PoliciesCheck {
    /// The connector's name.
    pub connector: String,
}

impl Check for PoliciesCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let Some(preset) = ctx.config.preset.as_deref() else {
                return Outcome::not_applicable(
                    "No preset is configured (preset = \"xpander\", \"qualytics\" or \"vcluster-rds\"), so there is nothing to compare the policies with.",
                );
            };
            let base = or_return!(base(ctx));
            let mut facts = chain_facts(ctx, conn, Some(&base));
            facts.insert("preset".into(), preset.to_owned());
            // Without a configured base role, the audit judges the role the pod really runs as.
            let caller_role = role_of(&base.arn).parse::<Arn>().ok().filter(|a| a.resource.starts_with("role/"));
            let given: Vec<(String, String)> = match (&ctx.config.base_role_arn, &caller_role) {
                (None, Some(role)) => vec![("base_role_name".into(), role.name().to_owned())],
                _ => Vec::new(),
            };
            let ob = match Onboarding::prepare(Some(preset), &ctx.config, &given, &|k| ctx.world.var(k).map(str::to_owned)) {
                Ok(ob) => ob,
                Err(e) => {
                    return Outcome::not_applicable(format!("The configuration does not fit the {preset} preset: {e}."))
                        .facts(&facts);
                }
            };
            let needs: Vec<_> = ob.needs.iter().filter(|n| n.connector == conn.name && n.role != RoleRef::Document).collect();
            let mut names: Vec<String> = Vec::new();
            let mut views: Vec<RoleView> = Vec::new();
            for n in &needs {
                let Ok(arn) = Arn::role(&n.owner_arn) else { continue };
                if arn.account != base.account || names.contains(&arn.name().to_owned()) {
                    continue;
                }
                names.push(arn.name().to_owned());
                views.push(RoleView { arn: n.owner_arn.clone(), name: arn.name().to_owned(), ..RoleView::default() });
            }
            if views.is_empty() {
                return Outcome::not_applicable(format!(
                    "None of the roles the {preset} setup puts on {} lives in this identity's account ({}), so none can be read from here.",
                    conn.name, base.account
                ))
                .facts(&facts);
            }
            let (read, evidence, refused) = read_roles(ctx, &base.credentials, &names).await;
            if let Some(why) = refused {
                let mut o = Outcome::not_applicable(format!(
                    "{} may not read IAM ({why}); the audit needs {READS} on the roles of {}.",
                    base.arn, conn.name
                ))
                .facts(&facts);
                o.evidence = evidence;
                return o;
            }
            for (name, readout) in read {
                if let Some(view) = views.iter_mut().find(|v| v.name == name) {
                    view.trust = readout.trust;
                    view.identity = readout.identity.unwrap_or_default();
                    view.boundary = readout.boundary;
                    view.missing = readout.missing;
                }
            }
            let findings = audit(&needs, &views, ob.preset.base_assumes_only);
            let lines: Vec<String> = findings.iter().map(|f| format!("- {}: {}", f.code, f.summary)).collect();
            let mut outcome = match verdict(&findings) {
                None => Outcome::pass(format!(
                    "The real policies of {} hold every statement the {preset} setup requires of {} ({} requirements).",
                    names.join(" and "),
                    conn.name,
                    needs.len()
                )),
                Some(f) => {
                    facts.insert("policy_role".into(), f.role.clone());
                    facts.insert("policy_name".into(), f.policy.clone());
                    facts.insert("policy_change".into(), f.change.clone());
                    facts.insert("policy_findings".into(), lines.join("\n"));
                    let more = if findings.len() > 1 { format!(" ({} findings in all.)", findings.len()) } else { String::new() };
                    let summary = format!("{}{more}", f.summary);
                    if f.status == Status::Warn { Outcome::warn(f.code, summary) } else { Outcome::fail(f.code, summary) }
                }
            };
            outcome.evidence = evidence;
            outcome.facts(&facts)
        }
        .boxed()
    }
}
