//! Amazon EC2 behind the lab's AWS endpoint: the two read calls the doctor makes to judge the
//! network path to a database (`DescribeNetworkInterfaces`, `DescribeSecurityGroups`),
//! answered from the scenario's `[[network_interface]]` and `[[security_group]]` entries.
//!
//! EC2 speaks its own flavour of the query protocol (API version 2016-11-15): form-encoded
//! parameters in, like awsQuery, but the reply has no `<ActionResult>` wrapper (the items sit
//! right under `<ActionResponse>` beside a lower-case `<requestId>`), and errors come as
//! `<Response><Errors><Error>…</Error></Errors><RequestID>…</RequestID></Response>`.
//!
//! EC2's `Describe*` actions have no resource-level permissions: they are authorized on
//! resource `*`. Resources live in the scenario's region only.

use connector_iam::{Context, Decision};

use crate::authz::{self, Ask};
use crate::aws::query::{AwsError, Params, Xml};
use crate::aws::{Caller, Context as Call, QueryService};
use crate::exchange::Reply;
use crate::scenario::Scenario;
use crate::scenario::network::{NetworkInterface, Rule, SecurityGroup};

/// The XML namespace of EC2's replies.
pub const XMLNS: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

/// EC2 behind the lab's AWS endpoint. Its replies need [`success`] and [`error`], not the
/// awsQuery envelopes.
pub const SERVICE: QueryService = QueryService {
    name: "ec2",
    version: "2016-11-15",
    xmlns: XMLNS,
    actions: &["DescribeNetworkInterfaces", "DescribeSecurityGroups"],
    unsigned: &[],
    handle,
};

/// The most `GroupId.N`, `Filter.N` or `Filter.N.Value.M` parameters read.
const MAX_LIST: usize = 1000;

/// EC2's success envelope: `<ActionResponse xmlns><requestId/>…items…</ActionResponse>`.
pub fn success(action: &str, body: &str, request_id: &str) -> Reply {
    let mut xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{XMLNS}\">");
    let mut id = Xml::default();
    id.leaf("requestId", request_id);
    xml.push_str(&id.finish());
    xml.push_str(body);
    xml.push_str(&format!("</{action}Response>\n"));
    Reply::new(200, "text/xml;charset=UTF-8", xml).with_header("x-amzn-RequestId", request_id)
}

/// EC2's error envelope: `<Response><Errors><Error><Code/><Message/></Error></Errors>
/// <RequestID/></Response>`. Key problems get EC2's own code for them.
pub fn error(err: &AwsError, request_id: &str) -> Reply {
    let (status, code, message) = match err.code.as_str() {
        "InvalidClientTokenId" => {
            (401, "AuthFailure", "AWS was not able to validate the provided access credentials")
        }
        _ => (err.status, err.code.as_str(), err.message.as_str()),
    };
    let mut xml = Xml::default();
    xml.open("Response")
        .open("Errors")
        .open("Error")
        .leaf("Code", code)
        .leaf("Message", message)
        .close("Error")
        .close("Errors")
        .leaf("RequestID", request_id)
        .close("Response");
    let text = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n", xml.finish());
    Reply::new(status, "text/xml;charset=UTF-8", text).with_header("x-amzn-RequestId", request_id)
}

fn handle(ctx: &Call<'_>) -> Result<String, AwsError> {
    let caller = ctx.caller.ok_or_else(|| {
        AwsError::new(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
    })?;
    let scenario = &ctx.world.scenario;
    let describe_groups = ctx.action == "DescribeSecurityGroups";
    let (id_param, prefix, filter_names): (_, _, &[&str]) = if describe_groups {
        ("GroupId", "sg-", &["group-id", "vpc-id", "group-name"])
    } else {
        (
            "NetworkInterfaceId",
            "eni-",
            &[
                "addresses.private-ip-address",
                "private-ip-address",
                "network-interface-id",
                "group-id",
                "vpc-id",
                "subnet-id",
                "description",
                "interface-type",
                "status",
            ],
        )
    };
    let ids = list(ctx.params, id_param);
    for id in &ids {
        if !id.starts_with(prefix) || id.len() <= prefix.len() {
            let code = if describe_groups {
                "InvalidGroupId.Malformed"
            } else {
                "InvalidNetworkInterfaceID.Malformed"
            };
            return Err(AwsError::new(
                400,
                code,
                format!("Invalid id: \"{id}\" (expecting \"{prefix}...\")"),
            ));
        }
    }
    let filters = filters(ctx.params)?;
    if let Some((name, _)) = filters.iter().find(|(name, _)| !filter_names.contains(&name.as_str())) {
        return Err(AwsError::new(400, "InvalidParameterValue", format!("The filter '{name}' is invalid")));
    }
    authorize(ctx, caller)?;
    if ctx.params.get("DryRun").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Err(AwsError::new(
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    // Resources exist in the scenario's region; a call to any other region finds none.
    let here = caller.region == scenario.region;
    let mut xml = Xml::default();
    if describe_groups {
        let found: Vec<&SecurityGroup> = scenario
            .security_groups
            .iter()
            .filter(|g| here && (ids.is_empty() || ids.contains(&g.id)))
            .filter(|g| filters.iter().all(|(name, values)| group_matches(g, name, values)))
            .collect();
        if let Some(missing) = ids.iter().find(|id| !found.iter().any(|g| &g.id == *id)) {
            return Err(AwsError::new(
                400,
                "InvalidGroup.NotFound",
                format!("The security group '{missing}' does not exist"),
            ));
        }
        xml.open("securityGroupInfo");
        for group in found {
            security_group(&mut xml, group, scenario);
        }
        xml.close("securityGroupInfo");
    } else {
        let found: Vec<&NetworkInterface> = scenario
            .network_interfaces
            .iter()
            .filter(|e| here && (ids.is_empty() || ids.contains(&e.id)))
            .filter(|e| filters.iter().all(|(name, values)| interface_matches(e, name, values)))
            .collect();
        if let Some(missing) = ids.iter().find(|id| !found.iter().any(|e| &e.id == *id)) {
            return Err(AwsError::new(
                400,
                "InvalidNetworkInterfaceID.NotFound",
                format!("The networkInterface ID '{missing}' does not exist"),
            ));
        }
        xml.open("networkInterfaceSet");
        for eni in found {
            network_interface(&mut xml, eni, scenario);
        }
        xml.close("networkInterfaceSet");
    }
    Ok(xml.finish())
}

/// `Name.1`, `Name.2`, … until the first gap.
fn list(params: &Params, name: &str) -> Vec<String> {
    (1..=MAX_LIST).map_while(|n| params.get(&format!("{name}.{n}")).map(str::to_owned)).collect()
}

/// `Filter.N.Name` with its `Filter.N.Value.M`.
fn filters(params: &Params) -> Result<Vec<(String, Vec<String>)>, AwsError> {
    let mut out = Vec::new();
    for n in 1..=MAX_LIST {
        let Some(name) = params.get(&format!("Filter.{n}.Name")) else { break };
        let values = list(params, &format!("Filter.{n}.Value"));
        if values.is_empty() {
            return Err(AwsError::new(
                400,
                "InvalidParameterValue",
                format!("The filter '{name}' requires a value"),
            ));
        }
        out.push((name.to_owned(), values));
    }
    Ok(out)
}

/// EC2 filter values are globs: `*` any run, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn any_matches<'a>(values: &[String], mut candidates: impl Iterator<Item = &'a str>) -> bool {
    candidates.any(|c| values.iter().any(|v| glob(v, c)))
}

fn group_matches(group: &SecurityGroup, name: &str, values: &[String]) -> bool {
    match name {
        "group-id" => any_matches(values, std::iter::once(group.id.as_str())),
        "vpc-id" => any_matches(values, std::iter::once(group.vpc_id.as_str())),
        "group-name" => any_matches(values, std::iter::once(group.name.as_str())),
        _ => false,
    }
}

fn interface_matches(eni: &NetworkInterface, name: &str, values: &[String]) -> bool {
    let one = |v: &str| any_matches(values, std::iter::once(v));
    match name {
        "addresses.private-ip-address" => {
            any_matches(values, std::iter::once(&eni.ip).chain(&eni.secondary_ips).map(String::as_str))
        }
        "private-ip-address" => one(&eni.ip),
        "network-interface-id" => one(&eni.id),
        "group-id" => any_matches(values, eni.groups.iter().map(String::as_str)),
        "vpc-id" => one(&eni.vpc_id),
        "subnet-id" => one(&eni.subnet_id),
        "description" => one(&eni.description),
        "interface-type" => one(&eni.interface_type),
        "status" => one(&eni.status),
        _ => false,
    }
}

/// EC2 `Describe*` calls are allowed by the caller's identity policies on resource `*`; the
/// denial is EC2's `UnauthorizedOperation` wording.
fn authorize(ctx: &Call<'_>, caller: &Caller) -> Result<(), AwsError> {
    let action = format!("ec2:{}", ctx.action);
    let ask = Ask {
        action: &action,
        resource: "*",
        resource_account: &caller.account,
        resource_policy: None,
        context: Context::new(),
    };
    let why = match authz::decide(&ctx.world.scenario, caller, ask).decision {
        Decision::Allow => return Ok(()),
        Decision::ExplicitDeny => "with an explicit deny in an identity-based policy".to_owned(),
        Decision::ImplicitDeny => format!("because no identity-based policy allows the {action} action"),
    };
    Err(AwsError::new(
        403,
        "UnauthorizedOperation",
        format!(
            "You are not authorized to perform this operation. User: {} is not authorized to perform: {action} {why}",
            caller.arn()
        ),
    ))
}

fn owner(group: &SecurityGroup, scenario: &Scenario) -> String {
    group.owner.clone().unwrap_or_else(|| scenario.account.clone())
}

fn group_name(scenario: &Scenario, id: &str) -> String {
    scenario.security_groups.iter().find(|g| g.id == id).map(|g| g.name.clone()).unwrap_or_default()
}

fn security_group(xml: &mut Xml, group: &SecurityGroup, scenario: &Scenario) {
    let owner = owner(group, scenario);
    xml.open("item")
        .leaf("ownerId", &owner)
        .leaf("groupId", &group.id)
        .leaf("groupName", &group.name)
        .leaf("groupDescription", &group.description)
        .leaf("vpcId", &group.vpc_id);
    xml.open("ipPermissions");
    for rule in &group.inbound {
        permission(xml, rule, scenario);
    }
    xml.close("ipPermissions");
    xml.open("ipPermissionsEgress");
    match &group.outbound {
        Some(rules) => {
            for rule in rules {
                permission(xml, rule, scenario);
            }
        }
        None => {
            let all = Rule {
                protocol: "-1".to_owned(),
                ports: None,
                cidrs: vec!["0.0.0.0/0".to_owned()],
                groups: Vec::new(),
                description: None,
            };
            permission(xml, &all, scenario);
        }
    }
    xml.close("ipPermissionsEgress");
    xml.leaf(
        "securityGroupArn",
        &format!("arn:aws:ec2:{}:{owner}:security-group/{}", scenario.region, group.id),
    );
    xml.close("item");
}

fn permission(xml: &mut Xml, rule: &Rule, scenario: &Scenario) {
    xml.open("item").leaf("ipProtocol", &rule.protocol);
    if let Some((from, to)) = rule.range() {
        xml.leaf("fromPort", &from.to_string()).leaf("toPort", &to.to_string());
    }
    xml.open("groups");
    for id in &rule.groups {
        let user = scenario
            .security_groups
            .iter()
            .find(|g| &g.id == id)
            .map_or_else(|| scenario.account.clone(), |g| owner(g, scenario));
        xml.open("item").leaf("groupId", id).leaf("userId", &user);
        if let Some(description) = &rule.description {
            xml.leaf("description", description);
        }
        xml.close("item");
    }
    xml.close("groups");
    xml.open("ipRanges");
    for cidr in &rule.cidrs {
        xml.open("item").leaf("cidrIp", cidr);
        if let Some(description) = &rule.description {
            xml.leaf("description", description);
        }
        xml.close("item");
    }
    xml.close("ipRanges");
    xml.open("ipv6Ranges").close("ipv6Ranges");
    xml.open("prefixListIds").close("prefixListIds");
    xml.close("item");
}

/// A made-up but stable MAC address for an interface.
fn mac(id: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let bytes = hash.to_be_bytes();
    format!("02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes[0], bytes[1], bytes[2], bytes[3], bytes[4])
}

fn network_interface(xml: &mut Xml, eni: &NetworkInterface, scenario: &Scenario) {
    xml.open("item")
        .leaf("networkInterfaceId", &eni.id)
        .leaf("subnetId", &eni.subnet_id)
        .leaf("vpcId", &eni.vpc_id)
        .leaf("availabilityZone", &format!("{}a", scenario.region))
        .leaf("description", &eni.description)
        .leaf("ownerId", &scenario.account)
        .leaf("requesterManaged", "false")
        .leaf("status", &eni.status)
        .leaf("macAddress", &mac(&eni.id))
        .leaf("privateIpAddress", &eni.ip)
        .leaf("sourceDestCheck", "true");
    xml.open("groupSet");
    for id in &eni.groups {
        xml.open("item").leaf("groupId", id).leaf("groupName", &group_name(scenario, id)).close("item");
    }
    xml.close("groupSet");
    xml.open("tagSet").close("tagSet");
    xml.open("privateIpAddressesSet");
    for (i, ip) in std::iter::once(&eni.ip).chain(&eni.secondary_ips).enumerate() {
        xml.open("item")
            .leaf("privateIpAddress", ip)
            .leaf("primary", if i == 0 { "true" } else { "false" })
            .close("item");
    }
    xml.close("privateIpAddressesSet");
    xml.open("ipv6AddressesSet").close("ipv6AddressesSet");
    xml.leaf("interfaceType", &eni.interface_type);
    xml.close("item");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("sg-*", "sg-0abc"));
        assert!(glob("10.0.3.?", "10.0.3.7"));
        assert!(!glob("10.0.3.?", "10.0.3.77"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b", "axxc"));
    }

    #[test]
    fn error_envelope_is_ec2s() {
        let reply = error(&AwsError::new(400, "InvalidGroup.NotFound", "gone"), "rid");
        let text = reply.text();
        assert!(text.contains(
            "<Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>gone</Message></Error></Errors><RequestID>rid</RequestID></Response>"
        ));
        let reply = error(&AwsError::new(403, "InvalidClientTokenId", "x"), "rid");
        assert_eq!(reply.status, 401);
        assert!(reply.text().contains("<Code>AuthFailure</Code>"));
    }
}
