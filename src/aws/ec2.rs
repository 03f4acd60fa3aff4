//! The two Amazon EC2 reads the network link makes: which network interface holds this pod's
//! address (and so which security groups its packets carry), and what the destination's security
//! groups admit.
//!
//! They are signed here with `aws-sigv4` and sent over the crate's own HTTP client instead of
//! through the EC2 SDK crate: that crate alone would add minutes and gigabytes to every build for
//! two read calls. EC2 speaks its own dialect of the query protocol (API version 2016-11-15):
//! form parameters in, `<ActionResponse>` with the items right under it out, and errors as
//! `<Response><Errors><Error>…</Error></Errors><RequestID>…</RequestID></Response>`.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_xml::decode::{Document, ScopedDecoder, XmlDecodeError, try_data};
use bytes::Bytes;

use super::rds_token::encode;
use super::{CallFailure, Unreachable, region, xml_text};
use crate::http::{self, HttpFailure};
use crate::net::ConnectTo;
use crate::world::World;

/// The EC2 API version every query names.
const VERSION: &str = "2016-11-15";

/// The most bytes of a reply read: a few hundred security groups.
const MAX_REPLY: usize = 4 << 20;

/// A network interface, as far as the network link cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interface {
    /// `eni-…`.
    pub id: String,
    /// What made it: `aws-K8S-i-…` for a node's interface (the VPC CNI), `aws-k8s-branch-eni`
    /// for a pod's own (security groups for pods).
    pub description: String,
    /// `interface`, `branch`, `trunk`, …
    pub interface_type: String,
    /// Its security groups, id and name.
    pub groups: Vec<(String, String)>,
}

/// A security group and its inbound rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityGroup {
    /// `sg-…`.
    pub id: String,
    /// Its name (an EKS cluster security group is `eks-cluster-sg-<cluster>-<suffix>`).
    pub name: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Inbound rules.
    pub inbound: Vec<Permission>,
}

/// One inbound rule: a protocol and port range, from groups, CIDRs or prefix lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permission {
    /// `tcp`, `udp`, `icmp`, a protocol number, or `-1` for all traffic.
    pub protocol: String,
    /// The first port (absent for all traffic).
    pub from_port: Option<i64>,
    /// The last port.
    pub to_port: Option<i64>,
    /// Source security groups.
    pub groups: Vec<String>,
    /// Source IPv4 ranges.
    pub cidrs: Vec<String>,
    /// Source IPv6 ranges.
    pub ipv6_cidrs: Vec<String>,
    /// Source prefix lists.
    pub prefix_lists: Vec<String>,
}

/// EC2 for one identity in one region.
#[derive(Debug)]
pub struct Ec2<'a> {
    world: &'a World,
    connect_to: &'a [ConnectTo],
    region: String,
    /// The endpoint URL (an override, or `https://ec2.<region>.amazonaws.com`).
    pub url: String,
    credentials: Credentials,
    budget: Duration,
}

impl<'a> Ec2<'a> {
    /// A client signing with `credentials`, each call bounded by `budget`.
    pub fn new(
        world: &'a World,
        connect_to: &'a [ConnectTo],
        region: &str,
        credentials: Credentials,
        budget: Duration,
    ) -> Self {
        let url = region::endpoint(world, "EC2", "ec2", region).url;
        Self { world, connect_to, region: region.to_owned(), url, credentials, budget }
    }

    /// The interfaces holding `ip` (as a primary or secondary private address, or an IPv6
    /// address), in `vpc` when it is known: private addresses repeat across VPCs.
    pub async fn interfaces_holding(
        &self,
        ip: IpAddr,
        vpc: Option<&str>,
    ) -> Result<Vec<Interface>, CallFailure> {
        let by = if ip.is_ipv6() { "ipv6-addresses.ipv6-address" } else { "addresses.private-ip-address" };
        let mut params = vec![
            ("Filter.1.Name".to_owned(), by.to_owned()),
            ("Filter.1.Value.1".to_owned(), ip.to_string()),
        ];
        if let Some(vpc) = vpc {
            params.push(("Filter.2.Name".to_owned(), "vpc-id".to_owned()));
            params.push(("Filter.2.Value.1".to_owned(), vpc.to_owned()));
        }
        let body = self.call("DescribeNetworkInterfaces", &params).await?;
        parse(&body, "networkInterfaceSet", interface).map_err(garbled)
    }

    /// The security groups with these ids. `exact`: by id, so that a missing one is EC2's
    /// `InvalidGroup.NotFound`; otherwise by filter, which leaves out the ones this identity
    /// cannot see (another account's, a deleted one) without failing the others.
    pub async fn security_groups(
        &self,
        ids: &[String],
        exact: bool,
    ) -> Result<Vec<SecurityGroup>, CallFailure> {
        let params: Vec<(String, String)> = if exact {
            ids.iter().enumerate().map(|(i, id)| (format!("GroupId.{}", i + 1), id.clone())).collect()
        } else {
            std::iter::once(("Filter.1.Name".to_owned(), "group-id".to_owned()))
                .chain(
                    ids.iter().enumerate().map(|(i, id)| (format!("Filter.1.Value.{}", i + 1), id.clone())),
                )
                .collect()
        };
        let body = self.call("DescribeSecurityGroups", &params).await?;
        parse(&body, "securityGroupInfo", security_group).map_err(garbled)
    }

    /// One signed call; the reply's body on success.
    async fn call(&self, action: &str, params: &[(String, String)]) -> Result<String, CallFailure> {
        let mut form = format!("Action={action}&Version={VERSION}");
        for (name, value) in params {
            let _ = write!(form, "&{}={}", encode(name), encode(value));
        }
        let headers = self.sign(&form)?;
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let connect = self.budget.mul_f64(0.5).min(Duration::from_secs(3));
        let reply = http::post(
            &self.url,
            &headers,
            Bytes::from(form),
            self.connect_to,
            connect,
            self.budget,
            MAX_REPLY,
        )
        .await
        .map_err(|f| unreachable(&f))?;
        let text = String::from_utf8_lossy(&reply.body).into_owned();
        if reply.status == 200 {
            return Ok(text);
        }
        match xml_text(&text, "Code") {
            Some(code) => Err(CallFailure::Service {
                code,
                message: xml_text(&text, "Message").unwrap_or_default(),
                request_id: xml_text(&text, "RequestID").or_else(|| xml_text(&text, "RequestId")),
                status: Some(reply.status),
            }),
            None => Err(CallFailure::Garbled {
                status: Some(reply.status),
                detail: format!("HTTP {} without an EC2 error in the body", reply.status),
            }),
        }
    }

    /// The headers that sign a form body for EC2 (`x-amz-date`, the session token,
    /// `authorization`), with the content type they cover.
    fn sign(&self, form: &str) -> Result<Vec<(String, String)>, CallFailure> {
        let local = |detail: String| CallFailure::Local { detail };
        let identity: Identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("ec2")
            .time(self.world.now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| local(format!("cannot set up the signing: {e}")))?;
        let content_type = ("content-type", "application/x-www-form-urlencoded; charset=utf-8");
        let signable = SignableRequest::new(
            "POST",
            &self.url,
            std::iter::once(content_type),
            SignableBody::Bytes(form.as_bytes()),
        )
        .map_err(|e| local(format!("cannot sign a request for {}: {e}", self.url)))?;
        let (instructions, _) =
            sign(signable, &params.into()).map_err(|e| local(format!("cannot sign: {e}")))?.into_parts();
        let mut headers = vec![(content_type.0.to_owned(), content_type.1.to_owned())];
        headers.extend(instructions.headers().map(|(k, v)| (k.to_owned(), v.to_owned())));
        Ok(headers)
    }
}

fn unreachable(failure: &HttpFailure) -> CallFailure {
    let kind = match &failure {
        HttpFailure::ConnectTimeout { .. } | HttpFailure::AnswerTimeout { .. } => Unreachable::Timeout,
        HttpFailure::Connect { reason, .. } => super::transport_kind(reason),
        _ => Unreachable::Other,
    };
    CallFailure::Unreachable { kind, detail: failure.to_string() }
}

#[allow(clippy::needless_pass_by_value)] // The shape `map_err` hands over.
fn garbled(e: XmlDecodeError) -> CallFailure {
    CallFailure::Garbled { status: Some(200), detail: format!("the reply is not EC2's XML: {e}") }
}

/// The items of the list `list` right under the reply's root element; a reply without the
/// list is not EC2's answer to the call.
fn parse<T>(
    body: &str,
    list: &str,
    item: fn(&mut ScopedDecoder<'_, '_>) -> Result<T, XmlDecodeError>,
) -> Result<Vec<T>, XmlDecodeError> {
    let mut doc = Document::new(body);
    let mut root = doc.root_element()?;
    let mut out = None;
    while let Some(mut tag) = root.next_tag() {
        if tag.start_el().matches(list) {
            let found = out.get_or_insert_with(Vec::new);
            items(&mut tag, |entry| {
                found.push(item(entry)?);
                Ok(())
            })?;
        }
    }
    out.ok_or_else(|| XmlDecodeError::custom(format!("no <{list}> in the reply")))
}

/// The text of a leaf element.
fn text(tag: &mut ScopedDecoder<'_, '_>) -> Result<String, XmlDecodeError> {
    Ok(try_data(tag)?.trim().to_owned())
}

/// Each `<item>` of a list, read by `each`.
fn items(
    list: &mut ScopedDecoder<'_, '_>,
    mut each: impl FnMut(&mut ScopedDecoder<'_, '_>) -> Result<(), XmlDecodeError>,
) -> Result<(), XmlDecodeError> {
    while let Some(mut entry) = list.next_tag() {
        if entry.start_el().matches("item") {
            each(&mut entry)?;
        }
    }
    Ok(())
}

/// The text of the child `name` of each `<item>` of a list.
fn item_texts(list: &mut ScopedDecoder<'_, '_>, name: &str) -> Result<Vec<String>, XmlDecodeError> {
    let mut out = Vec::new();
    items(list, |entry| {
        while let Some(mut field) = entry.next_tag() {
            if field.start_el().matches(name) {
                out.push(text(&mut field)?);
            }
        }
        Ok(())
    })?;
    Ok(out)
}

fn interface(tag: &mut ScopedDecoder<'_, '_>) -> Result<Interface, XmlDecodeError> {
    let mut eni = Interface::default();
    while let Some(mut field) = tag.next_tag() {
        let name = field.start_el().local().to_owned();
        match name.as_str() {
            "networkInterfaceId" => eni.id = text(&mut field)?,
            "description" => eni.description = text(&mut field)?,
            "interfaceType" => eni.interface_type = text(&mut field)?,
            "groupSet" => items(&mut field, |entry| {
                let (mut id, mut group_name) = (String::new(), String::new());
                while let Some(mut g) = entry.next_tag() {
                    let which = g.start_el().local().to_owned();
                    match which.as_str() {
                        "groupId" => id = text(&mut g)?,
                        "groupName" => group_name = text(&mut g)?,
                        _ => {}
                    }
                }
                eni.groups.push((id, group_name));
                Ok(())
            })?,
            _ => {}
        }
    }
    Ok(eni)
}

fn security_group(tag: &mut ScopedDecoder<'_, '_>) -> Result<SecurityGroup, XmlDecodeError> {
    let mut group = SecurityGroup::default();
    while let Some(mut field) = tag.next_tag() {
        let name = field.start_el().local().to_owned();
        match name.as_str() {
            "groupId" => group.id = text(&mut field)?,
            "groupName" => group.name = text(&mut field)?,
            "vpcId" => group.vpc_id = text(&mut field)?,
            "ipPermissions" => items(&mut field, |entry| {
                group.inbound.push(permission(entry)?);
                Ok(())
            })?,
            _ => {}
        }
    }
    Ok(group)
}

fn permission(tag: &mut ScopedDecoder<'_, '_>) -> Result<Permission, XmlDecodeError> {
    let mut rule = Permission::default();
    let port = |s: String| s.parse::<i64>().map_err(|_| XmlDecodeError::custom(format!("not a port: {s}")));
    while let Some(mut field) = tag.next_tag() {
        let name = field.start_el().local().to_owned();
        match name.as_str() {
            "ipProtocol" => rule.protocol = text(&mut field)?,
            "fromPort" => rule.from_port = Some(port(text(&mut field)?)?),
            "toPort" => rule.to_port = Some(port(text(&mut field)?)?),
            "groups" => rule.groups = item_texts(&mut field, "groupId")?,
            "ipRanges" => rule.cidrs = item_texts(&mut field, "cidrIp")?,
            "ipv6Ranges" => rule.ipv6_cidrs = item_texts(&mut field, "cidrIpv6")?,
            "prefixListIds" => rule.prefix_lists = item_texts(&mut field, "prefixListId")?,
            _ => {}
        }
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUPS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>7f1c2a3b-0000-4000-8000-000000000000</requestId>
    <securityGroupInfo>
        <item>
            <ownerId>111122223333</ownerId>
            <groupId>sg-0abc</groupId>
            <groupName>warehouse</groupName>
            <groupDescription>Redshift &amp; friends</groupDescription>
            <vpcId>vpc-1</vpcId>
            <ipPermissions>
                <item>
                    <ipProtocol>tcp</ipProtocol>
                    <fromPort>5439</fromPort>
                    <toPort>5439</toPort>
                    <groups><item><userId>111122223333</userId><groupId>sg-0def</groupId></item></groups>
                    <ipRanges><item><cidrIp>10.0.0.0/16</cidrIp><description>vpc</description></item></ipRanges>
                    <ipv6Ranges/>
                    <prefixListIds><item><prefixListId>pl-1</prefixListId></item></prefixListIds>
                </item>
                <item><ipProtocol>-1</ipProtocol><groups/><ipRanges/><ipv6Ranges><item><cidrIpv6>fd00::/8</cidrIpv6></item></ipv6Ranges><prefixListIds/></item>
            </ipPermissions>
            <ipPermissionsEgress>
                <item><ipProtocol>-1</ipProtocol><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item>
            </ipPermissionsEgress>
        </item>
    </securityGroupInfo>
</DescribeSecurityGroupsResponse>"#;

    #[test]
    fn security_groups_are_read_with_their_inbound_rules_only() {
        let groups = parse(GROUPS, "securityGroupInfo", security_group).unwrap();
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!((g.id.as_str(), g.name.as_str(), g.vpc_id.as_str()), ("sg-0abc", "warehouse", "vpc-1"));
        assert_eq!(g.inbound.len(), 2, "egress rules are not inbound rules");
        let first = &g.inbound[0];
        assert_eq!(
            (first.protocol.as_str(), first.from_port, first.to_port),
            ("tcp", Some(5439), Some(5439))
        );
        assert_eq!(first.groups, ["sg-0def"]);
        assert_eq!(first.cidrs, ["10.0.0.0/16"]);
        assert_eq!(first.prefix_lists, ["pl-1"]);
        assert_eq!(g.inbound[1].ipv6_cidrs, ["fd00::/8"]);
        assert_eq!(g.inbound[1].from_port, None);
    }

    #[test]
    fn interfaces_are_read_with_their_groups() {
        let body = r#"<DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
<requestId>r</requestId><networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId>
<description>aws-K8S-i-0123456789abcdef0</description><groupSet><item><groupId>sg-node</groupId>
<groupName>nodes</groupName></item><item><groupId>sg-2</groupId><groupName>eks-cluster-sg-x-1</groupName></item></groupSet>
<tagSet/><interfaceType>interface</interfaceType></item></networkInterfaceSet></DescribeNetworkInterfacesResponse>"#;
        let found = parse(body, "networkInterfaceSet", interface).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "eni-1");
        assert_eq!(found[0].interface_type, "interface");
        assert_eq!(
            found[0].groups,
            [("sg-node".into(), "nodes".into()), ("sg-2".into(), "eks-cluster-sg-x-1".into())]
        );
        let empty = r"<DescribeNetworkInterfacesResponse><requestId>r</requestId><networkInterfaceSet/></DescribeNetworkInterfacesResponse>";
        assert_eq!(parse(empty, "networkInterfaceSet", interface).unwrap(), []);
        let other = r"<SomethingElseResponse><requestId>r</requestId></SomethingElseResponse>";
        assert!(parse(other, "networkInterfaceSet", interface).is_err(), "no list is no answer");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for body in [
            "",
            "not xml",
            "<a><b>",
            "<R><securityGroupInfo><item><ipPermissions><item><fromPort>x</fromPort></item></ipPermissions></item></securityGroupInfo></R>",
        ] {
            let _ = parse(body, "securityGroupInfo", security_group);
        }
        assert!(parse("<R><securityGroupInfo><item><ipPermissions><item><fromPort>x</fromPort></item></ipPermissions></item></securityGroupInfo></R>", "securityGroupInfo", security_group).is_err());
    }
}
