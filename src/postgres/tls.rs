//! TLS for the PostgreSQL login, on rustls with the SDK's crypto provider (aws-lc-rs).
//!
//! tokio-postgres asks for TLS through its `TlsConnect` trait; this connector verifies the
//! server the way libpq's `verify-full` does (the chain to the CA bundle, the host name), or
//! only encrypts (`require`). Either way it keeps the certificate the server presented and the
//! verifier's verdict, so that a failed handshake can say which CA and which name were involved,
//! something tokio-postgres' own error (`error performing TLS handshake`) does not.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_postgres::tls::{ChannelBinding, TlsConnect};

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

/// tokio-postgres' TLS hook: one handshake for `server_name`.
pub struct Connector {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    recorder: Recorder,
}

impl Connector {
    /// A connector that will present `server_name` (SNI) and verify against it.
    pub fn new(config: ClientConfig, server_name: &str, recorder: Recorder) -> Result<Self, String> {
        let server_name = ServerName::try_from(server_name.to_owned())
            .map_err(|_| format!("{server_name:?} is not a host name TLS can verify"))?;
        Ok(Self { config: Arc::new(config), server_name, recorder })
    }
}

impl TlsConnect<TcpStream> for Connector {
    type Stream = Stream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Stream>> + Send>>;

    fn connect(self, stream: TcpStream) -> Self::Future {
        Box::pin(async move {
            let connector = tokio_rustls::TlsConnector::from(self.config);
            let tls = connector.connect(self.server_name, stream).await?;
            let (_, session) = tls.get_ref();
            let version = match session.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_owned(),
                Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_owned(),
                other => other.map_or_else(|| "TLS".to_owned(), |v| format!("{v:?}")),
            };
            let protocol = match session.negotiated_cipher_suite() {
                Some(suite) => format!("{version} ({:?})", suite.suite()),
                None => version,
            };
            let mut seen = self.recorder.lock().unwrap_or_else(PoisonError::into_inner);
            seen.established = true;
            seen.protocol = Some(protocol);
            drop(seen);
            Ok(Stream(tls))
        })
    }
}

/// The TLS stream tokio-postgres talks through.
pub struct Stream(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncRead for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl tokio_postgres::tls::TlsStream for Stream {
    fn channel_binding(&self) -> ChannelBinding {
        // SCRAM channel binding is not used: RDS IAM logins send a cleartext token over TLS.
        ChannelBinding::none()
    }
}
