//! Just enough X.509 to name a certificate in a diagnosis: its subject and issuer common names
//! and the DNS names it is valid for. A tiny DER walk instead of a parser crate: these three
//! fields are all a person needs to see why verification failed (which CA, which name).

/// The names in a certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// The subject's common name.
    pub subject: Option<String>,
    /// The issuer's common name (the CA that signed it).
    pub issuer: Option<String>,
    /// Its DNS subject alternative names.
    pub dns: Vec<String>,
}

/// One DER element: its tag, its contents, and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The elements of a constructed value, in order.
fn children(mut input: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while let Some((tag, body, rest)) = element(input) {
        out.push((tag, body));
        input = rest;
    }
    out
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// The common name in an X.501 name.
fn common_name(name: &[u8]) -> Option<String> {
    children(name).into_iter().filter(|(t, _)| *t == SET).find_map(|(_, set)| {
        let (_, attribute) = children(set).into_iter().find(|(t, _)| *t == SEQUENCE)?;
        let parts = children(attribute);
        let (_, oid) = parts.first()?;
        if *oid != OID_COMMON_NAME {
            return None;
        }
        let (_, value) = parts.get(1)?;
        Some(String::from_utf8_lossy(value).into_owned())
    })
}

/// Reads the names of a DER certificate; `None` when it is not one.
pub fn names(der: &[u8]) -> Option<Names> {
    let (tag, certificate, _) = element(der)?;
    if tag != SEQUENCE {
        return None;
    }
    let (_, tbs) = children(certificate).into_iter().next()?;
    let mut fields = children(tbs).into_iter().peekable();
    // [0] version, when present; then serial, signature algorithm, issuer, validity, subject.
    if fields.peek().is_some_and(|(t, _)| *t == 0xa0) {
        fields.next();
    }
    let fields: Vec<_> = fields.collect();
    let issuer = fields.get(2).and_then(|(_, n)| common_name(n));
    let subject = fields.get(4).and_then(|(_, n)| common_name(n));
    // Extensions are in [3], a sequence of (oid, critical?, octet string).
    let mut dns = Vec::new();
    if let Some((_, wrapper)) = fields.iter().find(|(t, _)| *t == 0xa3) {
        let extensions = children(wrapper).into_iter().next().map(|(_, e)| children(e)).unwrap_or_default();
        for (_, extension) in extensions {
            let parts = children(extension);
            if parts.first().is_some_and(|(_, oid)| *oid == OID_SUBJECT_ALT_NAME)
                && let Some((_, octets)) = parts.last()
            {
                let san = children(octets).into_iter().next().map(|(_, s)| children(s)).unwrap_or_default();
                // dNSName is the context-specific primitive [2].
                dns.extend(
                    san.into_iter()
                        .filter(|(t, _)| *t == 0x82)
                        .map(|(_, n)| String::from_utf8_lossy(n).into_owned()),
                );
            }
        }
    }
    Some(Names { subject, issuer, dns })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_names_of_a_real_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Test RDS CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, &key);
        let mut leaf_params =
            rcgen::CertificateParams::new(vec!["db.example.com".to_owned(), "alt.example.com".to_owned()])
                .unwrap();
        leaf_params.distinguished_name.push(rcgen::DnType::CommonName, "db.example.com");
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        let n = names(leaf.der()).unwrap();
        assert_eq!(n.subject.as_deref(), Some("db.example.com"));
        assert_eq!(n.issuer.as_deref(), Some("Test RDS CA"));
        assert_eq!(n.dns, ["db.example.com", "alt.example.com"]);
        let ca_names = names(ca.der()).unwrap();
        assert_eq!(ca_names.subject.as_deref(), Some("Test RDS CA"));
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert_eq!(names(b""), None);
        assert_eq!(names(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(names(&[0x02, 0x01, 0x00]), None);
        let n = names(&[0x30, 0x03, 0x30, 0x01, 0x00]);
        assert_eq!(n, Some(Names::default()));
    }
}
