//! The network side of the lab: EC2's `DescribeSecurityGroups` and
//! `DescribeNetworkInterfaces` in EC2's own XML (checked element by element against the shapes
//! of EC2's API reference by a small XML reader here, not by the SDK, which costs too much to
//! build), the pod's IP, and the DNS responder over real UDP and TCP sockets.

#[path = "common/http.rs"]
mod raw_http;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use connector_lab::dns::{self, Zone};
use connector_lab::{Lab, Scenario};
use raw_http::request;

const WORLD: &str = r#"
account = "111122223333"
region = "us-west-1"

[pod]
source = "static"
ip = "10.0.3.7"

[[user]]
name = "ci"
access_key_id = "AKIAIOSFODNN7EXAMPLE"
[user.policies]
ec2 = '''{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"], "Resource": "*"}]}'''

[[user]]
name = "nobody"
access_key_id = "AKIAI44QH8DHBEXAMPLE"

[[user]]
name = "denied"
access_key_id = "AKIAIDENIEDEXAMPLE01"
[user.policies]
ec2 = '''{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
  {"Effect": "Deny", "Action": "ec2:DescribeSecurityGroups", "Resource": "*"}]}'''

[[security_group]]
id = "sg-0db0000000000001a"
name = "app-db"
vpc_id = "vpc-0a1b2c3d4e5f60718"
description = "app-db access"
[[security_group.inbound]]
protocol = "tcp"
ports = [5432, 5432]
cidrs = ["10.0.0.0/16"]
groups = ["sg-0eks0000000000001"]
description = "from the cluster"

[[security_group]]
id = "sg-0eks0000000000001"
name = "eks-cluster-sg-lab-cluster"
vpc_id = "vpc-0a1b2c3d4e5f60718"
description = "EKS created security group"
[[security_group.inbound]]
protocol = "-1"
groups = ["sg-0eks0000000000001"]
[[security_group.outbound]]
protocol = "tcp"
ports = [443, 443]
cidrs = ["0.0.0.0/0"]

[[security_group]]
id = "sg-0node000000000001"
name = "nodes"
vpc_id = "vpc-0other0000000001"

[[network_interface]]
id = "eni-0pod00000000000001"
ip = "10.0.3.7"
secondary_ips = ["10.0.3.8"]
groups = ["sg-0node000000000001", "sg-0eks0000000000001"]
subnet_id = "subnet-0a"
vpc_id = "vpc-0a1b2c3d4e5f60718"
description = "aws-K8S-i-0abc1234def567890"

[[network_interface]]
id = "eni-0branch0000000001"
ip = "10.0.4.4"
groups = ["sg-0node000000000001"]
description = "aws-k8s-branch-eni"
vpc_id = "vpc-0other0000000001"
interface_type = "branch"

[dns]
records = { "App-DB.example.internal" = "10.0.9.9" }
"#;

const CI: &str = "AKIAIOSFODNN7EXAMPLE";

// ---- a small XML reader: elements, attributes kept raw, text -------------------------------

#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: String,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn names(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.name.as_str()).collect()
    }

    fn child(&self, name: &str) -> &Element {
        self.children
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("<{}> has no <{name}>: {:?}", self.name, self.names()))
    }

    fn items(&self, name: &str) -> Vec<&Element> {
        let list = self.child(name);
        assert!(list.children.iter().all(|c| c.name == "item"), "{:?}", list.names());
        list.children.iter().collect()
    }

    fn text_of(&self, name: &str) -> &str {
        &self.child(name).text
    }
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Parses the document; panics on anything malformed (unbalanced tags, stray text at the top).
fn parse(xml: &str) -> Element {
    let mut rest = xml.trim();
    if let Some(after) = rest.strip_prefix("<?xml") {
        rest = after.split_once("?>").expect("unterminated declaration").1.trim_start();
    }
    let mut stack = vec![Element::default()];
    while !rest.is_empty() {
        if let Some(tag) = rest.strip_prefix('<') {
            let (inside, after) = tag.split_once('>').expect("unterminated tag");
            rest = after;
            if let Some(name) = inside.strip_prefix('/') {
                let done = stack.pop().expect("balanced");
                assert_eq!(done.name, name, "mismatched close tag");
                stack.last_mut().expect("a parent").children.push(done);
            } else {
                let (name, attributes) = inside.split_once(' ').unwrap_or((inside, ""));
                let element = Element {
                    name: name.to_owned(),
                    attributes: attributes.to_owned(),
                    ..Element::default()
                };
                if attributes.ends_with('/') {
                    stack.last_mut().expect("a parent").children.push(element);
                } else {
                    stack.push(element);
                }
            }
        } else {
            let (text, after) = rest.split_at(rest.find('<').unwrap_or(rest.len()));
            assert!(stack.len() > 1 || text.trim().is_empty(), "text outside the root: {text:?}");
            stack.last_mut().expect("an element").text.push_str(&unescape(text));
            rest = after;
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut top = stack.pop().expect("the document");
    assert_eq!(top.children.len(), 1, "one root element");
    top.children.pop().expect("the root")
}

// ---- calls ------------------------------------------------------------------------------

fn lab() -> Lab {
    Lab::start(Scenario::from_toml_str(WORLD).unwrap()).unwrap()
}

fn ec2(lab: &Lab, key: &str, region: &str, params: &str) -> (u16, Element) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={key}/20260115/{region}/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
    );
    let body = format!("Version=2016-11-15&{params}");
    let (status, text) = request(
        &format!("{}/", lab.aws_url()),
        "POST",
        &[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Authorization", &auth)],
        &body,
    )
    .unwrap();
    (status, parse(&text))
}

fn error_of(root: &Element) -> (String, String) {
    assert_eq!(root.name, "Response");
    assert_eq!(root.names(), ["Errors", "RequestID"]);
    let errors = root.child("Errors");
    assert_eq!(errors.names(), ["Error"]);
    let error = errors.child("Error");
    assert_eq!(error.names(), ["Code", "Message"]);
    (error.text_of("Code").to_owned(), error.text_of("Message").to_owned())
}

const GROUP_ITEM: &[&str] = &[
    "ownerId",
    "groupId",
    "groupName",
    "groupDescription",
    "vpcId",
    "ipPermissions",
    "ipPermissionsEgress",
    "securityGroupArn",
];
const PERMISSION: &[&str] =
    &["ipProtocol", "fromPort", "toPort", "groups", "ipRanges", "ipv6Ranges", "prefixListIds"];
const ALL_TRAFFIC: &[&str] = &["ipProtocol", "groups", "ipRanges", "ipv6Ranges", "prefixListIds"];

#[test]
fn describe_security_groups_has_ec2s_shape() {
    let lab = lab();
    let (status, root) = ec2(&lab, CI, "us-west-1", "Action=DescribeSecurityGroups");
    assert_eq!(status, 200);
    assert_eq!(root.name, "DescribeSecurityGroupsResponse");
    assert_eq!(root.attributes, "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"");
    assert_eq!(root.names(), ["requestId", "securityGroupInfo"]);
    assert!(!root.text_of("requestId").is_empty());
    let groups = root.items("securityGroupInfo");
    assert_eq!(groups.len(), 3);
    for group in &groups {
        assert_eq!(group.names(), GROUP_ITEM);
        assert_eq!(group.text_of("ownerId"), "111122223333");
    }
    let db = groups[0];
    assert_eq!(
        (db.text_of("groupId"), db.text_of("groupName"), db.text_of("vpcId"), db.text_of("groupDescription")),
        ("sg-0db0000000000001a", "app-db", "vpc-0a1b2c3d4e5f60718", "app-db access")
    );
    let inbound = db.items("ipPermissions");
    assert_eq!(inbound.len(), 1);
    assert_eq!(inbound[0].names(), PERMISSION);
    assert_eq!(
        (inbound[0].text_of("ipProtocol"), inbound[0].text_of("fromPort"), inbound[0].text_of("toPort")),
        ("tcp", "5432", "5432")
    );
    let ranges = inbound[0].items("ipRanges");
    assert_eq!(ranges[0].names(), ["cidrIp", "description"]);
    assert_eq!(
        (ranges[0].text_of("cidrIp"), ranges[0].text_of("description")),
        ("10.0.0.0/16", "from the cluster")
    );
    let sources = inbound[0].items("groups");
    assert_eq!(sources[0].names(), ["groupId", "userId", "description"]);
    assert_eq!(
        (sources[0].text_of("groupId"), sources[0].text_of("userId")),
        ("sg-0eks0000000000001", "111122223333")
    );
    // No outbound rules declared: AWS's default, all traffic anywhere, without ports.
    let egress = db.items("ipPermissionsEgress");
    assert_eq!(egress.len(), 1);
    assert_eq!(egress[0].names(), ALL_TRAFFIC);
    assert_eq!(egress[0].text_of("ipProtocol"), "-1");
    assert_eq!(egress[0].items("ipRanges")[0].names(), ["cidrIp"]);
    assert_eq!(egress[0].items("ipRanges")[0].text_of("cidrIp"), "0.0.0.0/0");
    // Declared outbound rules replace the default; an all-traffic self rule has no ports.
    let eks = groups[1];
    assert_eq!(eks.items("ipPermissions")[0].names(), ALL_TRAFFIC);
    assert_eq!(eks.items("ipPermissions")[0].items("groups")[0].text_of("groupId"), "sg-0eks0000000000001");
    assert_eq!(eks.items("ipPermissionsEgress")[0].text_of("fromPort"), "443");
    assert_eq!(
        groups[2].text_of("securityGroupArn"),
        "arn:aws:ec2:us-west-1:111122223333:security-group/sg-0node000000000001"
    );
}

#[test]
fn security_groups_by_id_and_filter_and_their_errors() {
    let lab = lab();
    let ids = |root: &Element| -> Vec<String> {
        root.items("securityGroupInfo").iter().map(|g| g.text_of("groupId").to_owned()).collect()
    };
    let (_, root) = ec2(
        &lab,
        CI,
        "us-west-1",
        "Action=DescribeSecurityGroups&GroupId.1=sg-0node000000000001&GroupId.2=sg-0db0000000000001a",
    );
    assert_eq!(ids(&root), ["sg-0db0000000000001a", "sg-0node000000000001"]);
    let (_, root) = ec2(
        &lab,
        CI,
        "us-west-1",
        "Action=DescribeSecurityGroups&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-0a1b2c3d4e5f60718",
    );
    assert_eq!(ids(&root), ["sg-0db0000000000001a", "sg-0eks0000000000001"]);
    let (_, root) = ec2(
        &lab,
        CI,
        "us-west-1",
        "Action=DescribeSecurityGroups&Filter.1.Name=group-id&Filter.1.Value.1=sg-0e*&Filter.1.Value.2=sg-0node000000000001",
    );
    assert_eq!(ids(&root), ["sg-0eks0000000000001", "sg-0node000000000001"]);

    let (status, root) =
        ec2(&lab, CI, "us-west-1", "Action=DescribeSecurityGroups&GroupId.1=sg-0gone00000000000");
    assert_eq!(status, 400);
    assert_eq!(
        error_of(&root),
        ("InvalidGroup.NotFound".into(), "The security group 'sg-0gone00000000000' does not exist".into())
    );
    let (status, root) = ec2(&lab, CI, "us-west-1", "Action=DescribeSecurityGroups&GroupId.1=app-db");
    assert_eq!(status, 400);
    assert_eq!(error_of(&root).0, "InvalidGroupId.Malformed");
    let (_, root) =
        ec2(&lab, CI, "us-west-1", "Action=DescribeSecurityGroups&Filter.1.Name=color&Filter.1.Value.1=blue");
    assert_eq!(error_of(&root), ("InvalidParameterValue".into(), "The filter 'color' is invalid".into()));
    // Another region has none of them.
    let (status, root) = ec2(&lab, CI, "eu-west-1", "Action=DescribeSecurityGroups");
    assert_eq!(status, 200);
    assert!(root.items("securityGroupInfo").is_empty());
    let (_, root) = ec2(&lab, CI, "us-west-1", "Action=DescribeSecurityGroups&DryRun=true");
    assert_eq!(error_of(&root).0, "DryRunOperation");
}

const ENI_ITEM: &[&str] = &[
    "networkInterfaceId",
    "subnetId",
    "vpcId",
    "availabilityZone",
    "description",
    "ownerId",
    "requesterManaged",
    "status",
    "macAddress",
    "privateIpAddress",
    "sourceDestCheck",
    "groupSet",
    "tagSet",
    "privateIpAddressesSet",
    "ipv6AddressesSet",
    "interfaceType",
];

#[test]
fn describe_network_interfaces_has_ec2s_shape_and_filters() {
    let lab = lab();
    let (status, root) = ec2(
        &lab,
        CI,
        "us-west-1",
        "Action=DescribeNetworkInterfaces&Filter.1.Name=addresses.private-ip-address&Filter.1.Value.1=10.0.3.7",
    );
    assert_eq!(status, 200);
    assert_eq!(root.name, "DescribeNetworkInterfacesResponse");
    assert_eq!(root.names(), ["requestId", "networkInterfaceSet"]);
    let enis = root.items("networkInterfaceSet");
    assert_eq!(enis.len(), 1);
    let eni = enis[0];
    assert_eq!(eni.names(), ENI_ITEM);
    assert_eq!(
        (
            eni.text_of("networkInterfaceId"),
            eni.text_of("subnetId"),
            eni.text_of("vpcId"),
            eni.text_of("description")
        ),
        ("eni-0pod00000000000001", "subnet-0a", "vpc-0a1b2c3d4e5f60718", "aws-K8S-i-0abc1234def567890")
    );
    assert_eq!(
        (eni.text_of("privateIpAddress"), eni.text_of("interfaceType"), eni.text_of("status")),
        ("10.0.3.7", "interface", "in-use")
    );
    let groups = eni.items("groupSet");
    assert_eq!(groups[0].names(), ["groupId", "groupName"]);
    assert_eq!(
        (groups[0].text_of("groupId"), groups[0].text_of("groupName")),
        ("sg-0node000000000001", "nodes")
    );
    assert_eq!(groups[1].text_of("groupName"), "eks-cluster-sg-lab-cluster");
    let addresses = eni.items("privateIpAddressesSet");
    assert_eq!(addresses[0].names(), ["privateIpAddress", "primary"]);
    let pairs: Vec<(&str, &str)> =
        addresses.iter().map(|a| (a.text_of("privateIpAddress"), a.text_of("primary"))).collect();
    assert_eq!(pairs, [("10.0.3.7", "true"), ("10.0.3.8", "false")]);

    let ids = |params: &str| -> Vec<String> {
        let (status, root) =
            ec2(&lab, CI, "us-west-1", &format!("Action=DescribeNetworkInterfaces&{params}"));
        assert_eq!(status, 200, "{params}");
        root.items("networkInterfaceSet").iter().map(|e| e.text_of("networkInterfaceId").to_owned()).collect()
    };
    // A secondary address is found by `addresses.private-ip-address`, not by `private-ip-address`.
    assert_eq!(
        ids("Filter.1.Name=addresses.private-ip-address&Filter.1.Value.1=10.0.3.8"),
        ["eni-0pod00000000000001"]
    );
    assert!(ids("Filter.1.Name=private-ip-address&Filter.1.Value.1=10.0.3.8").is_empty());
    assert_eq!(ids("Filter.1.Name=group-id&Filter.1.Value.1=sg-0node000000000001").len(), 2);
    assert_eq!(
        ids(
            "Filter.1.Name=group-id&Filter.1.Value.1=sg-0node000000000001&Filter.2.Name=vpc-id&Filter.2.Value.1=vpc-0a1b2c3d4e5f60718"
        ),
        ["eni-0pod00000000000001"]
    );
    assert_eq!(ids("NetworkInterfaceId.1=eni-0branch0000000001"), ["eni-0branch0000000001"]);
    assert_eq!(ids("Filter.1.Name=network-interface-id&Filter.1.Value.1=eni-0b*"), ["eni-0branch0000000001"]);
    assert_eq!(ids("").len(), 2);

    let (status, root) =
        ec2(&lab, CI, "us-west-1", "Action=DescribeNetworkInterfaces&NetworkInterfaceId.1=eni-0gone");
    assert_eq!(status, 400);
    assert_eq!(
        error_of(&root),
        (
            "InvalidNetworkInterfaceID.NotFound".into(),
            "The networkInterface ID 'eni-0gone' does not exist".into()
        )
    );
    let (_, root) = ec2(&lab, CI, "us-west-1", "Action=DescribeNetworkInterfaces&NetworkInterfaceId.1=sg-1");
    assert_eq!(error_of(&root).0, "InvalidNetworkInterfaceID.Malformed");
    let (_, root) = ec2(&lab, CI, "us-west-1", "Action=DescribeNetworkInterfaces&Filter.1.Name=group-id");
    assert_eq!(error_of(&root).0, "InvalidParameterValue");
}

#[test]
fn denials_and_bad_keys_in_ec2s_words() {
    let lab = lab();
    let (status, root) = ec2(&lab, "AKIAI44QH8DHBEXAMPLE", "us-west-1", "Action=DescribeSecurityGroups");
    assert_eq!(status, 403);
    assert_eq!(
        error_of(&root),
        (
            "UnauthorizedOperation".into(),
            "You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/nobody is not authorized to perform: ec2:DescribeSecurityGroups because no identity-based policy allows the ec2:DescribeSecurityGroups action".into()
        )
    );
    let (status, root) = ec2(&lab, "AKIAIDENIEDEXAMPLE01", "us-west-1", "Action=DescribeSecurityGroups");
    assert_eq!(status, 403);
    assert!(
        error_of(&root)
            .1
            .ends_with("ec2:DescribeSecurityGroups with an explicit deny in an identity-based policy")
    );
    let (status, _) = ec2(&lab, "AKIAIDENIEDEXAMPLE01", "us-west-1", "Action=DescribeNetworkInterfaces");
    assert_eq!(status, 200);
    // A denial comes before DryRun's "would have succeeded".
    let (_, root) =
        ec2(&lab, "AKIAI44QH8DHBEXAMPLE", "us-west-1", "Action=DescribeNetworkInterfaces&DryRun=true");
    assert_eq!(error_of(&root).0, "UnauthorizedOperation");
    let (status, root) = ec2(&lab, "AKIANOSUCHKEY0000000", "us-west-1", "Action=DescribeSecurityGroups");
    assert_eq!(status, 401);
    assert_eq!(error_of(&root).0, "AuthFailure");
    let (status, root) = ec2(&lab, CI, "us-west-1", "Action=RunInstances");
    assert_eq!(status, 400);
    assert_eq!(error_of(&root).0, "InvalidAction");
    let calls = lab.calls();
    assert!(calls.iter().any(|c| c.service == "ec2" && c.action == "DescribeSecurityGroups"), "{calls:?}");
}

#[test]
fn the_pod_ip_is_exported() {
    let lab = lab();
    assert!(lab.pod_env().contains(&("POD_IP".to_owned(), "10.0.3.7".to_owned())));
    let plain = Lab::start(Scenario::from_toml_str("").unwrap()).unwrap();
    assert!(!plain.pod_env().iter().any(|(k, _)| k == "POD_IP"));
}

// ---- DNS ----------------------------------------------------------------------------------

fn udp_ask(addr: SocketAddr, name: &str, qtype: u16) -> Option<Vec<u8>> {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    socket.send_to(&dns::query(0x4242, name, qtype), addr).unwrap();
    let mut buf = [0u8; 1500];
    let (n, _) = socket.recv_from(&mut buf).ok()?;
    Some(buf[..n].to_vec())
}

fn rcode(reply: &[u8]) -> u8 {
    reply[3] & 0x0f
}

fn answers(reply: &[u8]) -> u16 {
    u16::from_be_bytes([reply[6], reply[7]])
}

#[test]
fn dns_answers_over_udp_and_tcp_and_survives_garbage() {
    let scenario = Scenario::from_toml_str(WORLD).unwrap();
    let lab = Lab::start_with_dns(scenario, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let addr = lab.dns_addr().unwrap();
    assert!(Lab::start(Scenario::from_toml_str("").unwrap()).unwrap().dns_addr().is_none());

    let reply = udp_ask(addr, "app-db.EXAMPLE.internal", 1).expect("an answer");
    assert_eq!(&reply[..2], &[0x42, 0x42]);
    assert_eq!((rcode(&reply), answers(&reply)), (0, 1));
    assert_eq!(&reply[reply.len() - 4..], &[10, 0, 9, 9]);
    let reply = udp_ask(addr, "app-db.example.internal", 28).expect("an answer");
    assert_eq!((rcode(&reply), answers(&reply)), (0, 0));
    let reply = udp_ask(addr, "nope.example.internal", 1).expect("an answer");
    assert_eq!(rcode(&reply), 3);

    // Garbage gets no answer and leaves the responder serving.
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    for junk in [&b""[..], b"\x00", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", &[0u8; 600]] {
        socket.send_to(junk, addr).unwrap();
    }
    assert_eq!(rcode(&udp_ask(addr, "app-db.example.internal", 1).expect("still answering")), 0);

    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    for name in ["app-db.example.internal", "nope.example.internal"] {
        let query = dns::query(7, name, 1);
        let mut framed = u16::try_from(query.len()).unwrap().to_be_bytes().to_vec();
        framed.extend_from_slice(&query);
        tcp.write_all(&framed).unwrap();
        let mut len = [0u8; 2];
        tcp.read_exact(&mut len).unwrap();
        let mut reply = vec![0u8; usize::from(u16::from_be_bytes(len))];
        tcp.read_exact(&mut reply).unwrap();
        assert_eq!(rcode(&reply), if name.starts_with("app") { 0 } else { 3 });
    }
    // Garbage on TCP closes that connection only.
    let mut junk = TcpStream::connect(addr).unwrap();
    junk.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    junk.write_all(b"\x00\x05hello").unwrap();
    assert_eq!(junk.read(&mut [0u8; 16]).unwrap_or(0), 0);
    assert_eq!(rcode(&udp_ask(addr, "app-db.example.internal", 1).expect("still answering")), 0);
}

#[test]
fn dns_faults() {
    let servfail = format!("{WORLD}fault = \"servfail\"\n");
    let lab = Lab::start_with_dns(
        Scenario::from_toml_str(&servfail).unwrap(),
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    )
    .unwrap();
    assert_eq!(rcode(&udp_ask(lab.dns_addr().unwrap(), "app-db.example.internal", 1).unwrap()), 2);
    let timeout = format!("{WORLD}fault = \"timeout\"\n");
    let lab = Lab::start_with_dns(
        Scenario::from_toml_str(&timeout).unwrap(),
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    )
    .unwrap();
    assert!(udp_ask(lab.dns_addr().unwrap(), "app-db.example.internal", 1).is_none());
}

#[test]
fn the_zone_holds_every_endpoint_the_lab_serves() {
    let text = r#"
[[rds]]
id = "app-db"
aliases = ["db.internal.example"]

[[rds]]
id = "app-aurora"
type = "cluster"

[[redshift]]
id = "analytics"

[[workgroup]]
name = "wg"

[dns]
records = { "db.internal.example" = "10.1.1.1" }
"#;
    let scenario = Scenario::from_toml_str(text).unwrap();
    let zone = Zone::of(&scenario);
    let names: Vec<&str> = zone.records.keys().map(String::as_str).collect();
    let hash = names.iter().find_map(|n| n.strip_prefix("app-db.")).unwrap().split('.').next().unwrap();
    for expected in [
        format!("app-db.{hash}.us-west-1.rds.amazonaws.com"),
        format!("app-aurora.cluster-{hash}.us-west-1.rds.amazonaws.com"),
        format!("app-aurora.cluster-ro-{hash}.us-west-1.rds.amazonaws.com"),
        "wg.111122223333.us-west-1.redshift-serverless.amazonaws.com".to_owned(),
    ] {
        assert_eq!(zone.records.get(&expected), Some(&Ipv4Addr::LOCALHOST), "{expected} in {names:?}");
    }
    assert!(
        names.iter().any(|n| n.starts_with("analytics.") && n.ends_with(".us-west-1.redshift.amazonaws.com"))
    );
    // Explicit records win over the endpoint default.
    assert_eq!(zone.records.get("db.internal.example"), Some(&Ipv4Addr::new(10, 1, 1, 1)));
    let off = Scenario::from_toml_str(&format!("{text}endpoints = false\n")).unwrap();
    assert_eq!(Zone::of(&off).records.len(), 1);
}

#[test]
fn serve_answers_dns_where_told() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.toml");
    std::fs::write(&path, WORLD).unwrap();
    // A free port for both protocols, released just before the lab takes it.
    let port = {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        udp.local_addr().unwrap().port()
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_connector-lab"))
        .arg("serve")
        .arg(&path)
        .arg("--dns")
        .arg(format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // The first export line means the lab (and its responder) is up.
    let read = std::io::BufRead::read_line(&mut stdout, &mut line);
    let reply = udp_ask(SocketAddr::from((Ipv4Addr::LOCALHOST, port)), "app-db.example.internal", 1);
    let _ = child.kill();
    let _ = child.wait();
    assert!(read.is_ok() && line.starts_with("export "), "{line:?}");
    assert_eq!(rcode(&reply.expect("an answer")), 0);
}
