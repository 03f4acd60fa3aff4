//! TLS on rustls with the SDK's crypto provider (aws-lc-rs), for every handshake the doctor
//! makes itself (the database login, the network link's probes).
//!
//! The verifier verifies the server the way libpq's `verify-full` and the AWS SDKs do (the chain
//! to the roots, the host name), or only encrypts (no roots: libpq's `require`). Either way it
//! keeps the certificate the server presented and the verdict, so that a failed handshake can say
//! which CA and which name were involved, which the usual error (`error performing TLS
//! handshake`) does not.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// What the handshake showed, kept whether it succeeded or not.
#[derive(Debug, Default)]
pub struct Seen {
    /// The server's own certificate (DER), once presented.
    pub certificate: Option<Vec<u8>>,
    /// Why verification refused it, in rustls' words.
    pub refusal: Option<rustls::Error>,
    /// The handshake completed.
    pub established: bool,
    /// The TLS version and cipher suite agreed.
    pub protocol: Option<String>,
}

/// Shared between the connector and the check that reads it afterwards.
pub type Recorder = Arc<Mutex<Seen>>;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The machine's root store, as the SDK's HTTPS client loads it (`SSL_CERT_FILE` included),
/// read once per run.
pub fn native_roots() -> RootCertStore {
    static ROOTS: std::sync::OnceLock<RootCertStore> = std::sync::OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            roots
        })
        .clone()
}

/// A client configuration: verifying against `roots`, or (`roots == None`) only encrypting.
pub fn client_config(roots: Option<RootCertStore>, recorder: &Recorder) -> Result<ClientConfig, String> {
    let provider = provider();
    let algorithms = provider.signature_verification_algorithms;
    let inner: Option<Arc<dyn ServerCertVerifier>> = match roots {
        Some(roots) => Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| format!("the CA bundle cannot verify anything: {e}"))?,
        ),
        None => None,
    };
    let verifier = Arc::new(Recording { inner, algorithms, recorder: recorder.clone() });
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("no TLS version in common with the crypto provider: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// Delegates to the WebPKI verifier (or to none, for `require`) and writes down what it saw.
#[derive(Debug)]
struct Recording {
    inner: Option<Arc<dyn ServerCertVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
    recorder: Recorder,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.inner {
            Some(inner) => {
                inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Ok(ServerCertVerified::assertion()),
        };
        let mut seen = self.recorder.lock().unwrap_or_else(PoisonError::into_inner);
        seen.certificate = Some(end_entity.to_vec());
        seen.refusal = verdict.as_ref().err().cloned();
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `TLS 1.3 (TLS13_AES_256_GCM_SHA384)`: the version and suite a session agreed.
pub fn describe_session(session: &rustls::ClientConnection) -> String {
    let version = match session.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_owned(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_owned(),
        other => other.map_or_else(|| "TLS".to_owned(), |v| format!("{v:?}")),
    };
    match session.negotiated_cipher_suite() {
        Some(suite) => format!("{version} ({:?})", suite.suite()),
        None => version,
    }
}

/// Marks a recorder's handshake as established, with what the session agreed.
pub fn established(recorder: &Recorder, session: &rustls::ClientConnection) {
    let mut seen = recorder.lock().unwrap_or_else(PoisonError::into_inner);
    seen.established = true;
    seen.protocol = Some(describe_session(session));
}
