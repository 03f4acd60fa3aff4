//! Tables per condition operator: present, absent, multivalued and empty keys, `IfExists`, the
//! set qualifiers and the negated operators.

use super::*;

/// The request value of the key under test.
#[derive(Clone, Copy)]
enum Req<'a> {
    /// The key is absent.
    Absent,
    /// A single value.
    One(&'a str),
    /// A multivalued key (possibly empty).
    Many(&'a [&'a str]),
}

fn evaluate(operator: &str, values: &[&str], request: Req) -> bool {
    evaluate_with(operator, values, request, &Context::new())
}

fn evaluate_with(operator: &str, values: &[&str], request: Req, extra: &Context) -> bool {
    let condition = Condition::new(
        Operator::parse(operator).unwrap(),
        "test:Key".to_owned(),
        values.iter().map(|v| (*v).to_owned()).collect(),
    );
    let mut context = extra.clone();
    match request {
        Req::Absent => {}
        Req::One(v) => context.set("TEST:key", v),
        Req::Many(vs) => context.set("test:KEY", vs.to_vec()),
    }
    condition.evaluate(&context, Some(&context))
}

/// Runs rows of (values, request, expected) for one operator.
fn table(operator: &str, rows: &[(&[&str], Req, bool)]) {
    for (values, request, expected) in rows {
        let described = match request {
            Req::Absent => "absent".to_owned(),
            Req::One(v) => format!("{v:?}"),
            Req::Many(vs) => format!("{vs:?}"),
        };
        assert_eq!(evaluate(operator, values, *request), *expected, "{operator} {values:?} vs {described}");
    }
}

use Req::{Absent, Many, One};

#[test]
fn operator_names_parse() {
    let op = Operator::parse("ForAllValues:StringLikeIfExists").unwrap();
    assert_eq!(
        (op.set, op.base, op.if_exists),
        (Some(SetQualifier::ForAllValues), BaseOperator::StringLike, true)
    );
    let op = Operator::parse("foranyvalue:stringequals").unwrap();
    assert_eq!(
        (op.set, op.base, op.if_exists),
        (Some(SetQualifier::ForAnyValue), BaseOperator::StringEquals, false)
    );
    assert_eq!(Operator::parse("IpAddressIfExists").unwrap().base, BaseOperator::IpAddress);
    for bad in ["StringEqual", "ForSomeValues:StringEquals", "NullIfExists", "", "IfExists", "ForAnyValue:"] {
        assert!(Operator::parse(bad).is_err(), "{bad}");
    }
    for op in ALL_OPERATORS {
        assert_eq!(Operator::parse(op.name()).unwrap().base, *op);
    }
}

#[test]
fn string_equals() {
    table(
        "StringEquals",
        &[
            (&["org-1"], One("org-1"), true),
            (&["org-1"], One("org-1 "), false),
            (&["org-1"], One("ORG-1"), false),
            (&["a", "org-1"], One("org-1"), true),
            (&["org-*"], One("org-1"), false),
            (&["org-*"], One("org-*"), true),
            (&["org-1"], Absent, false),
            (&["org-1"], Many(&["org-1"]), false),
            (&["org-1"], Many(&[]), false),
        ],
    );
    table(
        "StringEqualsIfExists",
        &[(&["org-1"], Absent, true), (&["org-1"], One("x"), false), (&["org-1"], One("org-1"), true)],
    );
}

#[test]
fn string_not_equals() {
    table(
        "StringNotEquals",
        &[
            (&["org-1"], One("org-2"), true),
            (&["org-1"], One("org-1"), false),
            (&["a", "b"], One("b"), false),
            (&["a", "b"], One("c"), true),
            // Negated operators hold for an absent key.
            (&["org-1"], Absent, true),
            (&["org-1"], Many(&["x"]), false),
        ],
    );
    table("StringNotEqualsIfExists", &[(&["org-1"], Absent, true), (&["org-1"], One("org-1"), false)]);
}

#[test]
fn string_ignore_case() {
    table(
        "StringEqualsIgnoreCase",
        &[(&["Org-1"], One("ORG-1"), true), (&["Org-1"], One("org-2"), false), (&["Org-1"], Absent, false)],
    );
    table(
        "StringNotEqualsIgnoreCase",
        &[(&["Org-1"], One("ORG-1"), false), (&["Org-1"], One("org-2"), true), (&["Org-1"], Absent, true)],
    );
}

#[test]
fn string_like() {
    table(
        "StringLike",
        &[
            (&["system:serviceaccount:ns:*"], One("system:serviceaccount:ns:app"), true),
            (&["system:serviceaccount:ns:*"], One("system:serviceaccount:other:app"), false),
            (&["pod-?"], One("pod-1"), true),
            (&["pod-?"], One("pod-12"), false),
            (&["Pod-*"], One("pod-1"), false),
            (&["*"], One(""), true),
            (&["*"], Absent, false),
        ],
    );
    table(
        "StringNotLike",
        &[
            (&["pod-*"], One("pod-1"), false),
            (&["pod-*"], One("job-1"), true),
            (&["pod-*", "job-*"], One("job-1"), false),
            (&["pod-*"], Absent, true),
        ],
    );
    table("StringLikeIfExists", &[(&["pod-*"], Absent, true), (&["pod-*"], One("job"), false)]);
}

#[test]
fn numeric() {
    table(
        "NumericEquals",
        &[
            (&["10"], One("10"), true),
            (&["10"], One("10.0"), true),
            (&["10"], One("11"), false),
            (&["10"], One("ten"), false),
            (&["10"], Absent, false),
        ],
    );
    table(
        "NumericNotEquals",
        &[
            (&["10"], One("11"), true),
            (&["10"], One("10"), false),
            (&["10"], One("ten"), false),
            (&["10"], Absent, true),
        ],
    );
    table(
        "NumericLessThan",
        &[(&["3600"], One("900"), true), (&["3600"], One("3600"), false), (&["3600"], One("-1"), true)],
    );
    table("NumericLessThanEquals", &[(&["3600"], One("3600"), true), (&["3600"], One("3601"), false)]);
    table(
        "NumericGreaterThan",
        &[(&["1.5"], One("2"), true), (&["1.5"], One("1.5"), false), (&["1.5"], Absent, false)],
    );
    table("NumericGreaterThanEquals", &[(&["1.5"], One("1.5"), true), (&["1.5"], One("1"), false)]);
    table("NumericLessThanIfExists", &[(&["10"], Absent, true), (&["10"], One("20"), false)]);
}

#[test]
fn dates() {
    let noon = "2024-06-01T12:00:00Z";
    table(
        "DateEquals",
        &[
            (&[noon], One("2024-06-01T12:00:00Z"), true),
            (&[noon], One("1717243200"), true),
            (&[noon], One("2024-06-01T12:00:01Z"), false),
            (&[noon], Absent, false),
        ],
    );
    table(
        "DateNotEquals",
        &[
            (&[noon], One("2024-06-01T12:00:01Z"), true),
            (&[noon], One(noon), false),
            (&[noon], Absent, true),
            (&[noon], One("soon"), false),
        ],
    );
    table(
        "DateLessThan",
        &[
            (&[noon], One("2024-06-01T11:59:59Z"), true),
            (&[noon], One(noon), false),
            (&["1717243200"], One("2024-06-01T14:00:00+03:00"), true),
        ],
    );
    table("DateLessThanEquals", &[(&[noon], One(noon), true), (&[noon], One("2024-06-02"), false)]);
    table(
        "DateGreaterThan",
        &[(&[noon], One("2024-06-02"), true), (&[noon], One(noon), false), (&[noon], Absent, false)],
    );
    table("DateGreaterThanEquals", &[(&[noon], One(noon), true), (&[noon], One("2024-01-01"), false)]);
    table("DateGreaterThanIfExists", &[(&[noon], Absent, true)]);
}

#[test]
fn booleans() {
    table(
        "Bool",
        &[
            (&["true"], One("true"), true),
            (&["true"], One("TRUE"), true),
            (&["true"], One("false"), false),
            (&["false"], One("false"), true),
            (&["true"], One("yes"), false),
            (&["true"], Absent, false),
        ],
    );
    table("BoolIfExists", &[(&["true"], Absent, true), (&["true"], One("false"), false)]);
}

#[test]
fn binary() {
    table(
        "BinaryEquals",
        &[
            (&["QmluYXJ5"], One("QmluYXJ5"), true),
            (&["QmluYXJ5"], One("QmluYXJ6"), false),
            (&["QmluYXJ5"], Absent, false),
        ],
    );
    table("BinaryEqualsIfExists", &[(&["QmluYXJ5"], Absent, true)]);
}

#[test]
fn ip_addresses() {
    table(
        "IpAddress",
        &[
            (&["203.0.113.0/24"], One("203.0.113.9"), true),
            (&["203.0.113.0/24"], One("198.51.100.9"), false),
            (&["198.51.100.0/24", "203.0.113.0/24"], One("203.0.113.9"), true),
            (&["2001:db8::/32"], One("2001:db8::9"), true),
            (&["203.0.113.0/24"], One("garbage"), false),
            (&["203.0.113.0/24"], Absent, false),
        ],
    );
    table(
        "NotIpAddress",
        &[
            (&["203.0.113.0/24"], One("198.51.100.9"), true),
            (&["203.0.113.0/24"], One("203.0.113.9"), false),
            (&["203.0.113.0/24"], One("2001:db8::9"), true),
            (&["203.0.113.0/24"], One("garbage"), false),
            (&["203.0.113.0/24"], Absent, true),
        ],
    );
    table("IpAddressIfExists", &[(&["203.0.113.0/24"], Absent, true)]);
}

#[test]
fn arns() {
    let role = "arn:aws:iam::111122223333:role/xpander-base-role";
    for op in ["ArnEquals", "ArnLike"] {
        table(
            op,
            &[
                (&[role], One(role), true),
                (&["arn:aws:iam::111122223333:role/xpander-*"], One(role), true),
                (&["arn:aws:iam::*:role/xpander-base-role"], One(role), true),
                (&["arn:aws:iam::111122223333:role/other"], One(role), false),
                (&["arn:aws:iam::111122223333:role/XPANDER-base-role"], One(role), false),
                (&[role], One("xpander-base-role"), false),
                (&[role], Absent, false),
            ],
        );
    }
    for op in ["ArnNotEquals", "ArnNotLike"] {
        table(
            op,
            &[
                (&[role], One(role), false),
                (&["arn:aws:iam::111122223333:role/other"], One(role), true),
                (&["arn:aws:iam::*:role/*"], One(role), false),
                (&[role], One("not-an-arn"), false),
                (&[role], Absent, true),
            ],
        );
    }
    table("ArnLikeIfExists", &[(&[role], Absent, true)]);
}

#[test]
fn null_checks() {
    table(
        "Null",
        &[
            (&["true"], Absent, true),
            (&["true"], One("x"), false),
            (&["false"], One("x"), true),
            (&["false"], Absent, false),
            (&["false"], Many(&[]), true),
            (&["TRUE"], Absent, true),
            (&["true", "false"], One("x"), true),
        ],
    );
}

#[test]
fn for_any_value() {
    table(
        "ForAnyValue:StringEquals",
        &[
            (&["team", "env"], Many(&["env", "cost"]), true),
            (&["team"], Many(&["env", "cost"]), false),
            (&["team"], One("team"), true),
            // Absent key or empty set: false, even for a negated operator.
            (&["team"], Absent, false),
            (&["team"], Many(&[]), false),
            (&["team"], One(""), false),
        ],
    );
    table(
        "ForAnyValue:StringNotEquals",
        &[
            (&["team"], Many(&["team", "env"]), true),
            (&["team"], Many(&["team"]), false),
            (&["team"], Absent, false),
            (&["team"], Many(&[]), false),
        ],
    );
    table(
        "ForAnyValue:StringLike",
        &[(&["x-*"], Many(&["a", "x-1"]), true), (&["x-*"], Many(&["a"]), false)],
    );
    table("ForAnyValue:StringEqualsIfExists", &[(&["team"], Absent, true), (&["team"], Many(&["x"]), false)]);
}

#[test]
fn for_all_values() {
    table(
        "ForAllValues:StringEquals",
        &[
            (&["team", "env"], Many(&["env", "team"]), true),
            (&["team", "env"], Many(&["env", "cost"]), false),
            (&["team"], One("team"), true),
            // Absent key or empty set: true.
            (&["team"], Absent, true),
            (&["team"], Many(&[]), true),
            (&["team"], One(""), true),
        ],
    );
    table(
        "ForAllValues:StringNotEquals",
        &[
            (&["secret"], Many(&["team", "env"]), true),
            (&["secret"], Many(&["team", "secret"]), false),
            (&["secret"], Absent, true),
            (&["secret"], Many(&[]), true),
        ],
    );
    table(
        "ForAllValues:StringLike",
        &[(&["x-*"], Many(&["x-1", "x-2"]), true), (&["x-*"], Many(&["x-1", "y"]), false)],
    );
    table(
        "ForAllValues:NumericLessThan",
        &[(&["10"], Many(&["1", "9"]), true), (&["10"], Many(&["1", "10"]), false)],
    );
}

#[test]
fn multiple_values_are_ored_and_negations_nored() {
    assert!(evaluate("StringEquals", &["a", "b", "c"], One("c")));
    assert!(!evaluate("StringNotEquals", &["a", "b", "c"], One("c")));
    assert!(evaluate("StringNotEquals", &["a", "b", "c"], One("d")));
}

#[test]
fn policy_variables_in_values() {
    let extra = Context::new().with("aws:username", "alice").with("aws:PrincipalTag/team", "data");
    assert!(evaluate_with("StringEquals", &["${aws:username}"], One("alice"), &extra));
    assert!(!evaluate_with("StringEquals", &["${aws:username}"], One("bob"), &extra));
    assert!(evaluate_with("StringLike", &["${aws:PrincipalTag/team}-*"], One("data-lake"), &extra));
    assert!(evaluate_with("StringEquals", &["${aws:missing, 'dflt'}"], One("dflt"), &extra));
    // An unresolvable variable matches nothing, and satisfies no negation either.
    assert!(!evaluate_with("StringEquals", &["${aws:missing}"], One("${aws:missing}"), &extra));
    assert!(!evaluate_with("StringNotEquals", &["${aws:missing}"], One("x"), &extra));
    assert!(evaluate_with("StringEquals", &["${*}"], One("*"), &extra));
    assert!(evaluate_with(
        "ArnLike",
        &["arn:aws:iam::*:user/${aws:username}"],
        One("arn:aws:iam::1:user/alice"),
        &extra
    ));
    // Numeric values take no variables.
    assert!(!evaluate_with("NumericEquals", &["${aws:username}"], One("1"), &extra));
}

#[test]
fn version_2008_keeps_variables_literal() {
    let condition =
        Condition::new(Operator::parse("StringEquals").unwrap(), "k".into(), vec!["${aws:username}".into()]);
    let context = Context::new().with("k", "${aws:username}").with("aws:username", "alice");
    assert!(condition.evaluate(&context, None));
    assert!(!condition.evaluate(&Context::new().with("k", "alice").with("aws:username", "alice"), None));
}
