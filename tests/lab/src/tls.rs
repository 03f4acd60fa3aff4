//! The lab's TLS material, made fresh for every lab: a CA standing in for the RDS CA bundle
//! (the pod is pointed at it through `PGSSLROOTCERT`), server certificates for the database
//! endpoints, and a second CA that nobody trusts, for certificates that must fail verification.
//! Keys are ECDSA P-256 from rcgen; the server side is rustls with the aws-lc-rs provider, the
//! product's own.

use std::sync::Arc;

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority made for one lab.
pub struct Authority {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").field("pem", &self.pem).finish_non_exhaustive()
    }
}

impl Authority {
    /// A self-signed CA whose common name is `name`.
    pub fn new(name: &str) -> anyhow::Result<Authority> {
        let key = KeyPair::generate().context("cannot make a CA key")?;
        let mut params = CertificateParams::default();
        params.distinguished_name.remove(DnType::CommonName);
        params.distinguished_name.push(DnType::OrganizationName, "connector-lab");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let cert = params.self_signed(&key).context("cannot sign the CA certificate")?;
        Ok(Authority { pem: cert.pem(), issuer: Issuer::new(params, key) })
    }

    /// The CA certificate, PEM: what a CA bundle file holds.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A rustls server configuration presenting a fresh certificate for `names` signed by this
    /// CA.
    pub fn server_config(&self, names: &[String]) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        let key = KeyPair::generate().context("cannot make a server key")?;
        let mut params = CertificateParams::new(names.to_vec()).context("bad server certificate names")?;
        params.distinguished_name.remove(DnType::CommonName);
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, first.as_str());
        }
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.issuer).context("cannot sign the server certificate")?;
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("the crypto provider offers no TLS version")?
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], private)
            .context("rustls refuses the server certificate")?;
        Ok(Arc::new(config))
    }
}

/// The crypto provider every lab TLS configuration uses (never the process default).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_a_ca_and_a_server_config() {
        let ca = Authority::new("connector-lab RDS CA").unwrap();
        assert!(ca.pem().starts_with("-----BEGIN CERTIFICATE-----"));
        let config =
            ca.server_config(&["db.example.test".to_owned(), "other.example.test".to_owned()]).unwrap();
        assert!(config.alpn_protocols.is_empty());
    }
}
