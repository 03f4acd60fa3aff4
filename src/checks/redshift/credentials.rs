//! `redshift.credentials`: the temporary database credentials the Data API fetches on the
//! connector role's behalf (`GetClusterCredentialsWithIAM`, or Serverless `GetCredentials`),
//! asked for directly so that a denial is named before any statement runs. The answer names the
//! database user the role maps to (`IAMR:<role>`); the password in it is a secret and is only
//! handed to the redactor.

use std::time::Instant;

use aws_smithy_types::date_time::Format;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::{
    CALL_BUDGET, DbUser, Warehouse, credentials, database, is_denied, provider, redshift_facts, region,
    unclassified,
};
use crate::aws::{self, CallFailure};
use crate::checks::chain::{connector, or_return};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Evidence, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::GetCredentialsDenied];

/// The check, for one connector.
#[derive(Debug)]
pub struct CredentialsCheck {
    /// The connector's name.
    pub connector: String,
}

/// What a credentials call answered (the password only goes to the redactor).
struct Issued {
    user: String,
    expires: String,
}

/// Reads a credentials answer; the password goes to the redactor and no further.
fn issued(
    ctx: &Ctx,
    password: Option<&str>,
    user: Option<&str>,
    expiration: Option<&aws_smithy_types::DateTime>,
) -> Issued {
    if let Some(p) = password {
        ctx.world.redactor.remember(p);
    }
    Issued {
        user: user.unwrap_or_default().to_owned(),
        expires: expiration.and_then(|t| t.fmt(Format::DateTime).ok()).unwrap_or_default(),
    }
}

impl Check for CredentialsCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let warehouse = or_return!(Warehouse::of(conn));
            let creds = or_return!(credentials(ctx, conn));
            let facts = redshift_facts(ctx, conn);
            let region = region(ctx);
            let db = database(conn);
            let started = Instant::now();
            let (call, endpoint, result) = match warehouse {
                Warehouse::Cluster(id) => {
                    let client = aws::redshift_client(&ctx.world, &region, provider(&creds), CALL_BUDGET);
                    let endpoint = aws::region::endpoint(&ctx.world, "REDSHIFT", "redshift", &region).url;
                    if let Some(user) = super::named_user(conn) {
                        let answer = client
                            .get_cluster_credentials()
                            .cluster_identifier(id)
                            .db_user(user)
                            .db_name(db)
                            .auto_create(false)
                            .send()
                            .await;
                        let result = match answer {
                            Ok(out) => Ok(issued(ctx, out.db_password(), out.db_user(), out.expiration())),
                            Err(e) => Err(CallFailure::from_sdk(&e)),
                        };
                        ("redshift:GetClusterCredentials", endpoint, result)
                    } else {
                        let answer =
                            client.get_cluster_credentials_with_iam().cluster_identifier(id).db_name(db).send().await;
                        let result = match answer {
                            Ok(out) => Ok(issued(ctx, out.db_password(), out.db_user(), out.expiration())),
                            Err(e) => Err(CallFailure::from_sdk(&e)),
                        };
                        ("redshift:GetClusterCredentialsWithIAM", endpoint, result)
                    }
                }
                Warehouse::Workgroup(name) => {
                    let client =
                        aws::redshift_serverless_client(&ctx.world, &region, provider(&creds), CALL_BUDGET);
                    let endpoint =
                        aws::region::endpoint(&ctx.world, "REDSHIFT_SERVERLESS", "redshift-serverless", &region)
                            .url;
                    let answer = client.get_credentials().workgroup_name(name).db_name(db).send().await;
                    let result = match answer {
                        Ok(out) => Ok(issued(ctx, out.db_password(), out.db_user(), out.expiration())),
                        Err(e) => Err(CallFailure::from_sdk(&e)),
                    };
                    ("redshift-serverless:GetCredentials", endpoint, result)
                }
            };
            let took = started.elapsed();
            match result {
                Ok(issued) => {
                    let evidence = Evidence::call(call).endpoint(&endpoint).took(took);
                    let summary = format!(
                        "{call} for database {db} on the {} maps {} to the database user {} (credentials valid until {}; the password is never shown).",
                        warehouse.phrase(),
                        creds.arn,
                        issued.user,
                        issued.expires
                    );
                    if !issued.user.is_empty() {
                        ctx.board.put(Some(&conn.name), DbUser(issued.user.clone()));
                    }
                    Outcome::pass(summary)
                        .facts(&facts)
                        .fact("db_user", issued.user)
                        .fact("credentials_expire", issued.expires)
                        .evidence(evidence)
                }
                Err(failure) => {
                    let evidence = failure.evidence(call, &endpoint, took);
                    let outcome = if is_denied(&failure) {
                        Outcome::fail(
                            Code::GetCredentialsDenied,
                            format!(
                                "{} may not call {call} for database {db} on the {}: {}. The connector needs these credentials to log in, so every login would be refused.",
                                conn.role_arn,
                                warehouse.phrase(),
                                super::said(&failure)
                            ),
                        )
                    } else {
                        unclassified(call, &failure)
                    };
                    outcome.facts(&facts).evidence(evidence)
                }
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denials_are_recognized_in_both_protocols() {
        for code in ["AccessDenied", "AccessDeniedException"] {
            let f = CallFailure::Service {
                code: code.into(),
                message: String::new(),
                request_id: None,
                status: Some(403),
            };
            assert!(is_denied(&f), "{code}");
        }
        let f = CallFailure::Service {
            code: "ClusterNotFound".into(),
            message: String::new(),
            request_id: None,
            status: Some(404),
        };
        assert!(!is_denied(&f));
    }
}
