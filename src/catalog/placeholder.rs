//! `{placeholder}` filling for remedy texts and commands.
//!
//! A placeholder is `{` + a lower-case name + `}`. Anything else in braces (a JSON policy, a
//! shell `${VAR}`) is left alone, so remedies can carry policies verbatim.

use crate::outcome::Facts;

/// Every placeholder a remedy may use, with what it stands for. A remedy that names anything
/// else fails the catalog's drift test.
pub const KNOWN: &[(&str, &str)] = &[
    ("account", "the AWS account id"),
    ("region", "the AWS region"),
    ("partition", "the AWS partition (aws, aws-cn, aws-us-gov)"),
    ("namespace", "the pod's Kubernetes namespace"),
    ("pod", "the pod's name (Kubernetes sets HOSTNAME to it)"),
    ("service_account", "the pod's Kubernetes service account"),
    ("role_arn", "the role the pod should run as"),
    ("role_name", "that role's name"),
    ("base_role_arn", "the configured base role"),
    ("caller_arn", "who STS says the caller is"),
    ("source", "the credential source in force"),
    ("sources", "every credential source configured"),
    ("winner", "the credential source that wins"),
    ("container_uri", "the container-credentials URI"),
    ("container_host", "that URI's host"),
    ("token_file", "the service-account token file"),
    ("token_mode", "the token file's mode"),
    ("token_owner", "the token file's owner"),
    ("process_uid", "the user this process runs as"),
    ("token_audience", "the token's audience"),
    ("expected_audience", "the audience its consumer expects"),
    ("token_subject", "the token's subject"),
    ("token_issuer", "the token's issuer"),
    ("oidc_provider", "the issuer without its scheme, as IAM names OIDC providers"),
    ("token_expires", "the token's expiry"),
    ("agent_endpoint", "the Pod Identity agent's address"),
    ("agent_status", "the agent's HTTP status"),
    ("sts_endpoint", "the STS endpoint used"),
    ("sts_endpoint_kind", "regional, global or an override"),
    ("cluster_name", "the EKS cluster's name"),
    ("connector", "the connector's name"),
    ("connector_role_arn", "the connector's role"),
    ("connector_role_name", "that role's name"),
    ("base_role_name", "the base role's name"),
    ("session_name", "the role session name the connector uses"),
    ("duration_seconds", "the session length the connector asks for"),
    ("external_id_length", "the configured ExternalId's length (never the value)"),
    (
        "external_id_comparison",
        "how the configured ExternalId differs from the expected one (never the values)",
    ),
    ("statement", "the trust statement concerned, by Sid or number"),
    ("packed_percent", "how full STS's packed space for session tags is"),
    ("db_id", "the RDS instance, cluster or proxy id"),
    ("db_kind", "instance, cluster or proxy"),
    ("db_endpoint", "the database's own endpoint"),
    ("db_host", "the host the connector connects to"),
    ("db_port", "the database port"),
    ("db_user", "the database user"),
    ("database", "the database name"),
    ("db_resource_id", "the resource id in rds-db:connect ARNs (db-…, cluster-…, prx-…)"),
    ("likely_cause", "what most likely made the database refuse the token"),
    ("sslmode", "the connector's TLS mode"),
    ("ca_bundle", "the CA bundle the certificate was checked against"),
    ("cert_subject", "the server certificate's subject"),
    ("cert_issuer", "the CA that issued it"),
    ("cert_names", "the names it is valid for"),
    ("tls_reason", "why TLS failed"),
    ("tcp_reason", "why TCP (or the name) failed"),
    ("target_host", "the host a connection went to"),
    ("target_port", "its port"),
    ("destination_sg", "the destination's security group a rule belongs in"),
    ("destination_groups", "every security group of the destination"),
    ("cluster_sg", "the EKS cluster security group"),
    ("pod_ip", "the address this pod's packets leave from"),
    ("pod_eni", "the network interface holding that address"),
    ("pod_groups", "the security groups of that interface"),
    ("pod_sg", "the pod's security group to admit"),
    ("redshift_target", "the Redshift cluster or Serverless workgroup, as the remedy names it"),
    ("cluster_id", "the Redshift cluster id"),
    ("workgroup", "the Redshift Serverless workgroup"),
    ("warehouse_status", "the cluster's or workgroup's status"),
    ("warehouse_arn", "the cluster's or workgroup's ARN, the resource of ExecuteStatement"),
    ("credentials_action", "the action that issues temporary database credentials"),
    ("credentials_policy", "the policy statement that allows those credentials"),
    ("schema", "the schema the connector reads"),
    ("catalog", "the catalog path the connector reads"),
    ("statement_error", "the server's error for the failed statement"),
    ("denied_call", "the call that was denied"),
    ("warehouse_flag", "the CLI option naming the cluster or workgroup"),
    ("preset", "the onboarding preset the setup follows"),
    ("policy_role", "the role whose policy the audit wants changed"),
    ("policy_name", "that policy: trust, or a permission policy's name"),
    ("policy_change", "the statement to add, or the change to make, with real values"),
    ("policy_findings", "every finding of the policy audit, one a line"),
];

/// Whether `name` is a known placeholder.
pub fn is_known(name: &str) -> bool {
    KNOWN.iter().any(|(k, _)| *k == name)
}

/// The placeholder names in `text`, in order of appearance.
pub fn names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    scan(text, |name| {
        out.push(name.to_owned());
        None
    });
    out
}

/// `text` with each placeholder replaced by its fact; a missing fact is shown as `<name>` and
/// recorded in `unfilled`.
pub fn fill(text: &str, facts: &Facts, unfilled: &mut Vec<String>) -> String {
    scan(text, |name| {
        Some(if let Some(value) = facts.get(name) {
            value.clone()
        } else {
            unfilled.push(name.to_owned());
            format!("<{name}>")
        })
    })
}

/// Walks `text`, calling `on` for each placeholder and substituting what it returns.
fn scan(text: &str, mut on: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let is_placeholder = !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && after[name_len..].starts_with('}')
            && !out.ends_with('$');
        if is_placeholder {
            match on(name) {
                Some(value) => out.push_str(&value),
                None => out.push_str(&rest[open..open + name_len + 2]),
            }
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_leaves_json_and_shell_alone() {
        let mut facts = Facts::new();
        facts.insert("account".into(), "111122223333".into());
        let mut unfilled = Vec::new();
        let text = r#"{"Principal": {"AWS": "arn:aws:iam::{account}:root"}} ${HOME} {region}"#;
        let out = fill(text, &facts, &mut unfilled);
        assert_eq!(out, r#"{"Principal": {"AWS": "arn:aws:iam::111122223333:root"}} ${HOME} <region>"#);
        assert_eq!(unfilled, vec!["region"]);
    }

    #[test]
    fn names_lists_only_placeholders() {
        assert_eq!(names("{a} { b } {C} {x_1} {\"k\": 1}"), vec!["a", "x_1"]);
    }
}
