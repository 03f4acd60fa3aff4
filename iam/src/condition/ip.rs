//! Addresses for `IpAddress` / `NotIpAddress`: an IPv4 or IPv6 address against a CIDR block.
//!
//! "The value must be in the standard CIDR format (for example, `203.0.113.0/24` or
//! `2001:DB8:1234:5678::/64`). If you specify an IP address without the associated routing prefix,
//! IAM uses the default prefix value of /32" (or /128 for IPv6)
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress>).

use std::net::IpAddr;

/// Whether the request address lies in the policy block; `None` when either is malformed.
/// Addresses of the other family are never inside.
pub(crate) fn contains(block: &str, address: &str) -> Option<bool> {
    let address: IpAddr = address.trim().parse().ok()?;
    let (network, prefix) = match block.trim().split_once('/') {
        Some((network, prefix)) => (network.parse::<IpAddr>().ok()?, Some(prefix.parse::<u32>().ok()?)),
        None => (block.trim().parse::<IpAddr>().ok()?, None),
    };
    match (network, address) {
        (IpAddr::V4(network), IpAddr::V4(address)) => {
            let prefix = prefix.unwrap_or(32);
            if prefix > 32 {
                return None;
            }
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            Some(u32::from(network) & mask == u32::from(address) & mask)
        }
        (IpAddr::V6(network), IpAddr::V6(address)) => {
            let prefix = prefix.unwrap_or(128);
            if prefix > 128 {
                return None;
            }
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            Some(u128::from(network) & mask == u128::from(address) & mask)
        }
        _ if prefix.is_some_and(|p| p > 128) => None,
        _ => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn blocks() {
        let cases: &[(&str, &str, Option<bool>)] = &[
            ("203.0.113.0/24", "203.0.113.7", Some(true)),
            ("203.0.113.0/24", "203.0.114.7", Some(false)),
            ("203.0.113.7", "203.0.113.7", Some(true)),
            ("203.0.113.7/32", "203.0.113.8", Some(false)),
            ("0.0.0.0/0", "198.51.100.1", Some(true)),
            ("10.0.0.0/8", "10.255.255.255", Some(true)),
            ("2001:DB8:1234:5678::/64", "2001:db8:1234:5678:abcd::1", Some(true)),
            ("2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", Some(false)),
            ("::/0", "2001:db8::1", Some(true)),
            ("203.0.113.0/24", "2001:db8::1", Some(false)),
            ("2001:db8::/32", "203.0.113.7", Some(false)),
            ("203.0.113.0/33", "203.0.113.7", None),
            ("not-a-block", "203.0.113.7", None),
            ("203.0.113.0/24", "not-an-ip", None),
            ("203.0.113.0/24", "203.0.113.7/32", None),
        ];
        for (block, address, expected) in cases {
            assert_eq!(contains(block, address), *expected, "{block} vs {address}");
        }
    }
}
