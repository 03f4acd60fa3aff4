//! Parsing: the accepted shapes, and errors that name the statement and the field.

use super::*;
use crate::condition::BaseOperator;

fn error_of(json: &str) -> String {
    Policy::parse(json).expect_err(json).to_string()
}

#[test]
fn statement_object_or_list() {
    let one = Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"}}"#)
        .unwrap();
    assert_eq!(one.statements().len(), 1);
    assert_eq!(one.version(), Version::V2012_10_17);
    let list = Policy::parse(
        r#"{"Version":"2012-10-17","Id":"trust","Statement":[
            {"Sid":"A","Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/r"]}},
            {"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}"#,
    )
    .unwrap();
    assert_eq!(list.id(), Some("trust"));
    let [first, second] = list.statements() else { panic!("two statements") };
    assert_eq!((first.sid.as_deref(), first.index, first.effect), (Some("A"), 0, Effect::Allow));
    assert_eq!(first.action(), &ActionBlock::Action(vec!["sts:AssumeRole".into(), "sts:TagSession".into()]));
    let Some(PrincipalBlock::Principal(entries)) = first.principal() else { panic!("principal") };
    assert_eq!(entries.len(), 2);
    assert_eq!((second.index, second.effect, second.sid.clone()), (1, Effect::Deny, None));
    assert!(matches!(second.resource(), Some(ResourceBlock::NotResource(r)) if r.len() == 2));
    assert_eq!(second.label(), "#2");
}

#[test]
fn version_defaults_to_2008() {
    let policy = Policy::parse(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#).unwrap();
    assert_eq!(policy.version(), Version::V2008_10_17);
    assert!(!policy.version().has_variables());
}

#[test]
fn principal_shapes() {
    let policy = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"*"}},
            {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["pods.eks.amazonaws.com"]}},
            {"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/x"}},
            {"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Principal":{"CanonicalUser":"79a5"}},
            {"Effect":"Deny","Action":"s3:*","Resource":"*","NotPrincipal":{"AWS":"arn:aws:sts::111122223333:assumed-role/r/s"}}]}"#,
    )
    .unwrap();
    let principals: Vec<_> = policy.statements().iter().map(|s| s.principal().cloned().unwrap()).collect();
    assert_eq!(principals[0], PrincipalBlock::Principal(vec![PrincipalEntry::Everyone]));
    assert_eq!(
        principals[1],
        PrincipalBlock::Principal(vec![PrincipalEntry::Service("pods.eks.amazonaws.com".into())])
    );
    assert!(
        matches!(&principals[2], PrincipalBlock::Principal(e) if matches!(e[0], PrincipalEntry::Federated(_)))
    );
    assert!(
        matches!(&principals[3], PrincipalBlock::Principal(e) if matches!(e[0], PrincipalEntry::CanonicalUser(_)))
    );
    assert!(
        matches!(&principals[4], PrincipalBlock::NotPrincipal(e) if matches!(e[0], PrincipalEntry::Session(_)))
    );
}

#[test]
fn condition_values_of_every_json_scalar() {
    let policy = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
            "NumericLessThan":{"aws:MultiFactorAuthAge":3600},
            "Bool":{"aws:SecureTransport":true},
            "StringEquals":{"sts:ExternalId":["a","b"],"aws:PrincipalTag/team":"data"},
            "Null":{"aws:TokenIssueTime":"false"}}}}"#,
    )
    .unwrap();
    let conditions = policy.statements()[0].conditions();
    assert_eq!(conditions.len(), 5);
    let find = |key: &str| conditions.iter().find(|c| c.key == key).unwrap();
    assert_eq!(find("aws:MultiFactorAuthAge").values, ["3600"]);
    assert_eq!(find("aws:SecureTransport").values, ["true"]);
    assert_eq!(find("sts:ExternalId").values, ["a", "b"]);
    assert_eq!(find("aws:TokenIssueTime").operator.base, BaseOperator::Null);
}

/// Broken policies and a fragment of the message each must give.
const PARSE_ERRORS: &[(&str, &str)] = &[
    ("not json", "not valid JSON"),
    ("[]", "a policy is a JSON object, found a list"),
    (r#"{"Version":"2012-10-17"}"#, "field Statement: a policy needs a Statement"),
    (r#"{"Version":"2012-10-17","Statement":[]}"#, "field Statement: the Statement list is empty"),
    (
        r#"{"Version":"2012-10-17","Statement":"x"}"#,
        "field Statement: expected an object or a list of objects, found a string",
    ),
    (r#"{"Version":"2012-10-18","Statement":[]}"#, "field Version: \"2012-10-18\" is not a policy version"),
    (r#"{"Version":2012,"Statement":[]}"#, "field Version: expected a string, found a number"),
    (r#"{"Version":"2012-10-17","Statment":[]}"#, "field Statment: unknown element \"Statment\""),
    (r#"{"version":"2012-10-17","Statement":[]}"#, "did you mean Version?"),
    (
        r#"{"Statement":[{"Effect":"Allow","Action":"*"}, 3]}"#,
        "Statement[1], field (statement): a statement is a JSON object, found a number",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Action":"*"}]}"#,
        "Statement[0] (Sid \"X\"), field Effect: a statement needs an Effect",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"allow","Action":"*"}]}"#,
        "field Effect: \"allow\" is neither \"Allow\" nor \"Deny\"",
    ),
    (
        r#"{"Statement":[{"Sid":7,"Effect":"Allow","Action":"*"}]}"#,
        "Statement[0], field Sid: expected a string, found a number",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow"}]}"#,
        "field Action: a statement needs an Action or a NotAction",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","NotAction":"*"}]}"#,
        "has Action or NotAction, not both",
    ),
    (r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":[]}]}"#, "field Action: the list is empty"),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":["sts:AssumeRole",5]}]}"#,
        "field Action[1]: expected a string, found a number",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"AssumeRole"}]}"#,
        "field Action[0]: \"AssumeRole\" is not \"*\" or \"service:action\"",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Resource":"bucket"}]}"#,
        "field Resource[0]: \"bucket\" is not \"*\" or an ARN",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}"#,
        "not both",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Principal":"111122223333"}]}"#,
        "field Principal: \"111122223333\": a principal is \"*\" or an object",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Principal":{"aws":"*"}}]}"#,
        "field Principal.aws: unknown element \"aws\"; did you mean AWS?",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Principal":{}}]}"#,
        "field Principal: the principal object is empty",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Principal":{"AWS":["a",null]}}]}"#,
        "field Principal.AWS[1]: expected a string, found null",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Principal":"*","NotPrincipal":"*"}]}"#,
        "not both",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Condition":[]}]}"#,
        "field Condition: expected an object of operators, found a list",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Condition":{"StringEqual":{"k":"v"}}}]}"#,
        "field Condition.StringEqual: \"StringEqual\" is not a condition operator",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Condition":{"StringEquals":"v"}}]}"#,
        "field Condition.StringEquals: expected an object of condition keys",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":[]}}}]}"#,
        "field Condition.StringEquals.k: the list of values is empty",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":{"a":1}}}}]}"#,
        "field Condition.StringEquals.k: expected a string, number or boolean, found an object",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":["a",null]}}}]}"#,
        "field Condition.StringEquals.k[1]: expected a string, number or boolean, found null",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Condition":{"Null":{"k":"yes"}}}]}"#,
        "Null takes true or false, found \"yes\"",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Condition":{"StringEquals":{"":"v"}}}]}"#,
        "the condition key is empty",
    ),
    (
        r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"*","Conditions":{}}]}"#,
        "Statement[0] (Sid \"X\"), field Conditions: unknown element \"Conditions\"",
    ),
];

#[test]
fn errors_name_statement_and_field() {
    let cases = PARSE_ERRORS;
    for (json, expected) in cases {
        let message = error_of(json);
        assert!(message.contains(expected), "{json}\n  gave: {message}\n  want: {expected}");
    }
}

#[test]
fn error_fields_are_structured() {
    let err = Policy::parse(r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"*"},{"Sid":"B","Effect":"Allow","Action":"*","Principal":{"AWS":7}}]}"#)
        .unwrap_err();
    assert_eq!(
        err,
        PolicyError::Invalid {
            statement: Some(1),
            sid: Some("B".into()),
            field: "Principal.AWS".into(),
            message: "expected a string or a list of strings, found a number".into(),
        }
    );
}

/// A tiny deterministic generator, so the garbage test needs no dependency and repeats exactly.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next()).unwrap_or(0) % n.max(1)
    }
}

const SEED_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"PodIdentity","Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]},
  {"Sid":"CrossAccountWithExternalId","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
   "Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"org-1"},"NumericLessThan":{"k":5}}},
  {"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::b/${aws:username}/*"]}]}"#;

/// Mutated and garbage JSON must give an error or a policy, never a panic.
#[test]
fn garbage_never_panics() {
    let mut rng = Lcg(0x5eed);
    let alphabet: Vec<char> = "{}[]:,\"\\ 0123456789.-+eEtrufalsnAllowDenyStatement*?$".chars().collect();
    let seed: Vec<char> = SEED_POLICY.chars().collect();
    let (mut parsed, mut rejected) = (0, 0);
    for round in 0..4000 {
        let mut text = seed.clone();
        let edits = 1 + rng.below(4);
        for _ in 0..edits {
            let at = rng.below(text.len());
            match rng.below(4) {
                0 => {
                    text.remove(at);
                }
                1 => text.insert(at, alphabet[rng.below(alphabet.len())]),
                2 => text[at] = alphabet[rng.below(alphabet.len())],
                _ => {
                    let end = (at + rng.below(12)).min(text.len());
                    text.drain(at..end);
                }
            }
        }
        if round % 10 == 0 {
            text = (0..rng.below(40)).map(|_| alphabet[rng.below(alphabet.len())]).collect();
        }
        let text: String = text.into_iter().collect();
        match Policy::parse(&text) {
            Ok(_) => parsed += 1,
            Err(err) => {
                assert!(!err.to_string().is_empty());
                rejected += 1;
            }
        }
    }
    assert!(rejected > 1000 && parsed > 10, "parsed {parsed}, rejected {rejected}");
}

/// Every JSON value in a statement's slots is either accepted or rejected with a message.
#[test]
fn wrong_types_everywhere() {
    let values =
        [r"null", "true", "1", "1.5", r#""""#, r#""x""#, "[]", "[1]", r#"["x"]"#, "{}", r#"{"a":"b"}"#];
    let slots = [
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    ];
    for slot in slots {
        for value in values {
            let json = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","{slot}":{value}}}]}}"#
            );
            if let Err(err) = Policy::parse(&json) {
                let message = err.to_string();
                assert!(message.contains(slot) || message.contains("Action"), "{json}: {message}");
            }
        }
    }
}
