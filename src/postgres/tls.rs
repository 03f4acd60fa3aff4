//! TLS for the PostgreSQL login: tokio-postgres asks for it through its `TlsConnect` trait, and
//! this adapter answers with the doctor's own recording rustls setup (`crate::tls`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_postgres::tls::{ChannelBinding, TlsConnect};

/// tokio-postgres' TLS hook: one handshake for `server_name`.
pub struct Connector {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    recorder: crate::tls::Recorder,
}

impl Connector {
    /// A connector that will present `server_name` (SNI) and verify against it.
    pub fn new(
        config: ClientConfig,
        server_name: &str,
        recorder: crate::tls::Recorder,
    ) -> Result<Self, String> {
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
            crate::tls::established(&self.recorder, tls.get_ref().1);
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
