//! The only module that speaks HTTP: accepts connections on the lab's loopback listeners,
//! turns hyper requests into [`Request`]s, logs them, applies the endpoint's fault, and
//! routes them to the endpoint's module.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::exchange::{Reply, Request};
use crate::fault::Fault;
use crate::world::{Call, World};
use crate::{agent, aws, imds};

/// Bodies larger than this are refused (413); no AWS request the doctor makes comes close.
const MAX_BODY: usize = 1024 * 1024;

/// Which endpoint a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `AWS_ENDPOINT_URL`: every AWS service.
    Aws,
    /// The Pod Identity agent.
    Agent,
    /// The instance metadata service.
    Imds,
}

impl Endpoint {
    fn describe(self, req: &Request) -> Call {
        match self {
            Self::Aws => aws::describe(req),
            Self::Agent => agent::describe(req),
            Self::Imds => imds::describe(req),
        }
    }

    fn handle(self, req: &Request, world: &World) -> Reply {
        match self {
            Self::Aws => aws::handle(req, world),
            Self::Agent => agent::handle(req, world),
            Self::Imds => imds::handle(req, world),
        }
    }
}

/// Accepts connections until `stop` turns true. Connections in progress (a hanging fault
/// holds them forever) end when the runtime that runs them is shut down.
pub async fn serve(
    listener: TcpListener,
    endpoint: Endpoint,
    fault: Fault,
    world: Arc<World>,
    mut stop: watch::Receiver<bool>,
) {
    let fault = Arc::new(fault);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let world = Arc::clone(&world);
        let fault = Arc::clone(&fault);
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let world = Arc::clone(&world);
                let fault = Arc::clone(&fault);
                async move { Ok::<_, Infallible>(respond(req, endpoint, &fault, &world).await) }
            });
            // A client that hangs up or sends nonsense only ends its own connection.
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn respond(
    req: hyper::Request<Incoming>,
    endpoint: Endpoint,
    fault: &Fault,
    world: &World,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = Limited::new(body, MAX_BODY).collect().await.map(http_body_util::Collected::to_bytes);
    let request = Request {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())
            })
            .collect(),
        body: body.as_ref().cloned().unwrap_or_default(),
    };
    world.record(endpoint.describe(&request));
    let reply = if body.is_err() {
        Reply::new(413, "text/plain", "Request Entity Too Large")
    } else if *fault == Fault::Hang {
        // Hold the connection, unanswered, until the lab stops.
        match std::future::pending::<Infallible>().await {}
    } else if let Some(reply) = fault.reply() {
        reply
    } else {
        endpoint.handle(&request, world)
    };
    // AWS's clock, which may be ahead of the pod's: SDKs measure their skew from this header.
    let reply = if endpoint == Endpoint::Aws {
        reply.with_header("date", http_date(crate::clock::now() + world.scenario.clock_skew_seconds))
    } else {
        reply
    };
    to_hyper(reply)
}

/// An RFC 7231 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form of the `Date` header.
fn http_date(epoch: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    // `YYYY-MM-DDTHH:MM:SSZ`, taken apart.
    let iso = crate::clock::iso8601(epoch);
    let month = iso.get(5..7).and_then(|m| m.parse::<usize>().ok()).unwrap_or(1);
    let weekday = DAYS[usize::try_from(epoch.div_euclid(86_400).rem_euclid(7)).unwrap_or(0)];
    format!(
        "{weekday}, {} {} {} {} GMT",
        iso.get(8..10).unwrap_or("01"),
        MONTHS[month.clamp(1, 12) - 1],
        iso.get(0..4).unwrap_or("1970"),
        iso.get(11..19).unwrap_or("00:00:00")
    )
}

fn to_hyper(reply: Reply) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_imf_fixdate() {
        assert_eq!(super::http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(super::http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
