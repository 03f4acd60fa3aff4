//! The explained disagreements.
//!
//! [`KNOWN_PEER_ERRORS`]: cases where `@cloud-copilot/iam-simulate` decides differently from AWS,
//! each with the AWS documentation page that says what AWS does. Our evaluator must decide these
//! as AWS does; the entry fails the test if the peer stops disagreeing (the table went stale) or
//! if our evaluator does not give the AWS answer.
//!
//! [`OUR_OPEN_BUGS`]: cases where our evaluator disagrees with both the peer and AWS. Each entry
//! keeps the test failing until the evaluator is fixed and the entry removed.

use super::case::Outcome;

/// A case on which the peer is wrong.
pub struct KnownPeerError {
    /// The case's name.
    pub case: &'static str,
    /// What AWS decides.
    pub aws: Outcome,
    /// The AWS documentation that says so.
    pub citation: &'static str,
    /// Why the peer decides otherwise.
    pub why: &'static str,
}

/// A case on which our evaluator is wrong.
pub struct OpenBug {
    /// The case's name.
    pub case: &'static str,
    /// What AWS decides.
    pub aws: Outcome,
    /// The AWS documentation that says so.
    pub citation: &'static str,
    /// What goes wrong.
    pub why: &'static str,
}

const EKS_IRSA_TRUST: &str = "https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html \
     (the role trust policy for a service account conditions on \
     \"oidc.eks.REGION.amazonaws.com/id/ID:sub\" and \":aud\" with StringEquals); \
     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif \
     (OIDC federation keys are the provider's name followed by :aud, :sub, …)";

const IRSA_WHY: &str = "the peer's action catalogue has no `oidc.eks.<region>.amazonaws.com/id/<id>:sub|aud` keys \
     for sts:AssumeRoleWithWebIdentity, so it drops them from the request context and the trust \
     policy's StringEquals on them fails";

const NOT_PRINCIPAL: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html \
     (with NotPrincipal listing the assumed-role session cross-account-audit-app, its role and \
     account 444455556666: \"all principals except the assumed-role user named \
     cross-account-audit-app in AWS account 444455556666 are explicitly denied access\")";

const NOT_PRINCIPAL_WHY: &str = "the peer treats a listed role ARN as excluding every session of the role, and a listed \
     account ARN as excluding every principal of the account, so the Deny does not apply";

/// Cases where the peer disagrees with AWS.
pub const KNOWN_PEER_ERRORS: &[KnownPeerError] = &[
    KnownPeerError {
        case: "secrets/irsa/controller-service-account",
        aws: Outcome::Allowed,
        citation: EKS_IRSA_TRUST,
        why: IRSA_WHY,
    },
    KnownPeerError {
        case: "qualytics/irsa/spark-service-account",
        aws: Outcome::Allowed,
        citation: EKS_IRSA_TRUST,
        why: IRSA_WHY,
    },
    KnownPeerError {
        case: "gen/accounts/not-principal/other-session-of-named-role",
        aws: Outcome::ExplicitlyDenied,
        citation: NOT_PRINCIPAL,
        why: NOT_PRINCIPAL_WHY,
    },
    KnownPeerError {
        case: "gen/accounts/not-principal/other-role-in-named-account",
        aws: Outcome::ExplicitlyDenied,
        citation: NOT_PRINCIPAL,
        why: NOT_PRINCIPAL_WHY,
    },
    KnownPeerError {
        case: "gen/accounts/not-principal/user-in-named-account",
        aws: Outcome::ExplicitlyDenied,
        citation: NOT_PRINCIPAL,
        why: NOT_PRINCIPAL_WHY,
    },
    KnownPeerError {
        case: "gen/edges/root-caller/trusts-star",
        aws: Outcome::ImplicitlyDenied,
        citation: ROOT_CANNOT_ASSUME,
        why: "the peer lets the account root assume a role whose trust policy has Principal AWS \"*\"; \
              AWS refuses AssumeRole from root credentials whatever the trust policy says",
    },
    KnownPeerError {
        case: "gen/edges/root-caller/own-bucket-no-policies",
        aws: Outcome::Allowed,
        citation: ROOT_FULL_ACCESS,
        why: "the peer requires an identity or resource policy to allow the account root in its own \
              account; AWS gives the root user full access there unless something denies explicitly",
    },
    KnownPeerError {
        case: "gen/edges/root-caller/own-secret-no-policies",
        aws: Outcome::Allowed,
        citation: ROOT_FULL_ACCESS,
        why: "as for own-bucket-no-policies, on a Secrets Manager secret without a resource policy",
    },
];

const ROOT_CANNOT_ASSUME: &str = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html \
     (\"You cannot use AWS account root user credentials to call AssumeRole. You must use credentials \
     for an IAM user or an IAM role to call AssumeRole.\")";

const ROOT_FULL_ACCESS: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html \
     (the account root user \"has complete access to all AWS services and resources in the account\"; \
     no identity policy is needed and none can be attached)";

/// Cases where our evaluator disagrees with AWS. Empty when all is well. Some of them the peer
/// gets wrong too (so they are no disagreement between the two): when such a case is fixed it
/// moves to [`KNOWN_PEER_ERRORS`].
pub const OUR_OPEN_BUGS: &[OpenBug] = &[];
