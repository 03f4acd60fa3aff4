//! Amazon Resource Names: parsed, validated, and explained when wrong.

use std::fmt;
use std::str::FromStr;

/// A parsed ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    /// The service namespace, such as `iam` or `sts`.
    pub service: String,
    /// The region; empty for global services such as IAM.
    pub region: String,
    /// The 12-digit account id.
    pub account: String,
    /// Everything after the account, such as `role/path/name`.
    pub resource: String,
}

/// Why a string is not the ARN it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// Not six colon-separated fields starting with `arn`.
    #[error("not an ARN: expected arn:<partition>:<service>:<region>:<account>:<resource>")]
    Shape,
    /// An unknown partition.
    #[error("unknown partition {0:?}: expected aws, aws-cn or aws-us-gov")]
    Partition(String),
    /// The account is not 12 digits.
    #[error("account {0:?} is not a 12-digit account id")]
    Account(String),
    /// The wrong service for what is expected.
    #[error("service is {found:?}, expected {expected:?}")]
    Service {
        /// What the ARN says.
        found: String,
        /// What it should say.
        expected: &'static str,
    },
    /// The wrong resource type or an empty name.
    #[error("resource {found:?} is not {expected}")]
    Resource {
        /// What the ARN says.
        found: String,
        /// What it should be.
        expected: &'static str,
    },
    /// Whitespace around or inside the value, usually a copy-paste artefact.
    #[error("contains whitespace")]
    Whitespace,
}

const PARTITIONS: &[&str] = &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"];

impl FromStr for Arn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.chars().any(char::is_whitespace) {
            return Err(ArnError::Whitespace);
        }
        let mut parts = s.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ArnError::Shape);
        };
        if !PARTITIONS.contains(&partition) {
            return Err(ArnError::Partition(partition.to_owned()));
        }
        if service.is_empty() || resource.is_empty() {
            return Err(ArnError::Shape);
        }
        if !is_account_id(account) {
            return Err(ArnError::Account(account.to_owned()));
        }
        Ok(Self {
            partition: partition.to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }
}

/// Whether `s` is a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

impl Arn {
    /// Parses an IAM role ARN: `arn:<partition>:iam::<account>:role/[path/]name`.
    pub fn role(s: &str) -> Result<Self, ArnError> {
        let arn: Arn = s.parse()?;
        if arn.service != "iam" {
            return Err(ArnError::Service { found: arn.service, expected: "iam" });
        }
        let name_ok =
            arn.resource.strip_prefix("role/").and_then(|rest| rest.rsplit('/').next()).is_some_and(|name| {
                !name.is_empty() && name.len() <= 64 && name.chars().all(is_role_name_char)
            });
        if !name_ok {
            return Err(ArnError::Resource { found: arn.resource, expected: "role/<name>" });
        }
        Ok(arn)
    }

    /// The last path segment of the resource: a role's or user's name.
    pub fn name(&self) -> &str {
        self.resource.rsplit('/').next().unwrap_or(&self.resource)
    }

    /// For `arn:…:sts::A:assumed-role/<role>/<session>`, the role name and session name.
    pub fn assumed_role(&self) -> Option<(&str, &str)> {
        if self.service != "sts" {
            return None;
        }
        let rest = self.resource.strip_prefix("assumed-role/")?;
        let (role, session) = rest.split_once('/')?;
        Some((role, session))
    }
}

/// IAM role names allow alphanumerics and `+=,.@_-`.
fn is_role_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_role_and_assumed_role_arns() {
        let role = Arn::role("arn:aws:iam::111122223333:role/team/xpander-base-role").unwrap();
        assert_eq!(role.name(), "xpander-base-role");
        assert_eq!(role.to_string(), "arn:aws:iam::111122223333:role/team/xpander-base-role");
        let caller: Arn =
            "arn:aws:sts::111122223333:assumed-role/xpander-base-role/eks-c-p-1".parse().unwrap();
        assert_eq!(caller.assumed_role(), Some(("xpander-base-role", "eks-c-p-1")));
    }

    #[test]
    fn rejects_each_kind_of_bad_arn() {
        let cases: &[(&str, ArnError)] = &[
            ("arn:aws:iam::::1234567890:role/example", ArnError::Account(String::new())),
            ("arn:aws:iam::12345:role/x", ArnError::Account("12345".into())),
            ("arn:azure:iam::111122223333:role/x", ArnError::Partition("azure".into())),
            ("role/x", ArnError::Shape),
            ("arn:aws:iam::111122223333:role/x ", ArnError::Whitespace),
            ("arn:aws:s3::111122223333:role/x", ArnError::Service { found: "s3".into(), expected: "iam" }),
            (
                "arn:aws:iam::111122223333:user/x",
                ArnError::Resource { found: "user/x".into(), expected: "role/<name>" },
            ),
            (
                "arn:aws:iam::111122223333:role/",
                ArnError::Resource { found: "role/".into(), expected: "role/<name>" },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Arn::role(text).as_ref().err(), Some(want), "{text}");
        }
    }
}
