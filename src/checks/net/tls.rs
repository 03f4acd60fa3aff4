//! `net.tls`: a TLS handshake with every HTTPS destination, verified as the AWS SDKs verify it
//! (the machine's root store, the host name). A handshake that stalls after TCP opened points at
//! something on the path (a proxy, a firewall, an MTU problem); a certificate from a CA that is
//! not Amazon's points at a TLS-inspecting proxy, which the SDK will refuse unless its CA is
//! installed in the pod.

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, join_all};
use rustls::RootCertStore;
use rustls::pki_types::ServerName;

use super::{Destination, net_facts};
use crate::checks::chain::{connector, or_return};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Evidence, Outcome};
use crate::postgres::x509;
use crate::tls::{Recorder, client_config, native_roots};

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::TlsHandshakeFailed];

/// How long one handshake may take, TCP included.
const HANDSHAKE_BUDGET: Duration = Duration::from_secs(5);

/// The check, for one connector.
#[derive(Debug)]
pub struct TlsCheck {
    /// The connector's name.
    pub connector: String,
}

/// What a handshake with one destination showed.
struct Shake {
    destination: Destination,
    result: Result<String, String>,
    issuer: Option<String>,
    took: Duration,
}

async fn shake(ctx: &Ctx, destination: Destination, roots: RootCertStore) -> Shake {
    let started = Instant::now();
    let recorder = Recorder::default();
    let attempt = async {
        let config = client_config(Some(roots), &recorder)?;
        let name = ServerName::try_from(destination.host.clone())
            .map_err(|_| format!("{} is not a name TLS can verify", destination.host))?;
        let tcp = crate::net::connect(
            &ctx.config.connect_to,
            &destination.host,
            destination.port,
            HANDSHAKE_BUDGET,
        )
        .await
        .map_err(|e| format!("TCP: {e}"))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        Ok(crate::tls::describe_session(tls.get_ref().1))
    };
    let result = match tokio::time::timeout(HANDSHAKE_BUDGET, attempt).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "the handshake did not complete within {} s (TCP opened; nothing answered the TLS hello)",
            HANDSHAKE_BUDGET.as_secs()
        )),
    };
    let seen = std::mem::take(&mut *recorder.lock().unwrap_or_else(PoisonError::into_inner));
    let issuer = seen.certificate.as_deref().and_then(x509::names).and_then(|n| n.issuer);
    let result = match (result, seen.refusal) {
        (Err(_), Some(refusal)) => Err(format!("the certificate was refused: {refusal}")),
        (r, _) => r,
    };
    Shake { destination, result, issuer, took: started.elapsed() }
}

impl Check for TlsCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let mut facts = net_facts(ctx, conn);
            let https: Vec<Destination> =
                super::destinations(ctx, conn).into_iter().filter(|d| d.https && d.needed).collect();
            if https.is_empty() {
                return Outcome::not_applicable(format!(
                    "{} has no HTTPS destination (an endpoint overridden with http://, or a database, which negotiates TLS in its own protocol).",
                    conn.name
                ));
            }
            let store = native_roots();
            let shakes = join_all(https.into_iter().map(|d| shake(ctx, d, store.clone()))).await;
            let mut lines = Vec::new();
            let mut evidence = Vec::new();
            let mut failed = None;
            for s in &shakes {
                let d = &s.destination;
                let e = Evidence::call(format!("tls handshake {}", d.address())).took(s.took);
                match &s.result {
                    Ok(protocol) => {
                        let issuer = s.issuer.clone().unwrap_or_else(|| "an unnamed CA".into());
                        let warning = if issuer.contains("Amazon") {
                            String::new()
                        } else {
                            " — warning: not an Amazon CA, so something on the path (a TLS-inspecting proxy) presents its own certificate".to_owned()
                        };
                        lines.push(format!("{} {}: {protocol}, issued by {issuer}{warning}", d.what, d.address()));
                        evidence.push(e.message(format!("{protocol}; issuer {issuer}")));
                    }
                    Err(why) => {
                        evidence.push(e.message(why.clone()));
                        failed.get_or_insert((d, why));
                    }
                }
            }
            let outcome = match failed {
                Some((d, why)) => {
                    facts.insert("target_host".into(), d.host.clone());
                    facts.insert("target_port".into(), d.port.to_string());
                    facts.insert("tls_reason".into(), why.clone());
                    Outcome::fail(Code::TlsHandshakeFailed, format!("TLS with {} {}: {why}.", d.what, d.address()))
                        .facts(&facts)
                }
                None => Outcome::pass(format!("Handshakes complete: {}.", lines.join("; "))).facts(&facts),
            };
            evidence.into_iter().fold(outcome, Outcome::evidence)
        }
        .boxed()
    }
}
