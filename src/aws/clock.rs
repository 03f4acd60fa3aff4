//! How far this pod's clock is from AWS's, measured from the `Date` header of AWS's replies.
//!
//! A pod whose clock runs behind signs requests and RDS tokens "in the past": AWS tolerates
//! five minutes of skew on API calls, and an RDS token dies 15 minutes after the time written
//! into it. The SDK corrects its own signatures for skew but says nothing; this records the
//! skew so that a rejected token can be explained by it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};

use crate::world::World;

/// The last skew seen: AWS's time minus the pod's, in seconds (positive: the pod is behind).
#[derive(Debug, Clone, Default)]
pub struct ServerClock(Arc<Mutex<Option<i64>>>);

impl ServerClock {
    /// The last measured skew, if any reply carried a `Date`.
    pub fn skew(&self) -> Option<i64> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a reply's `Date` against the pod's clock at the time it arrived.
    pub fn observe(&self, date: &str, local: SystemTime) {
        let Ok(server) = DateTime::from_str(date.trim(), Format::HttpDate) else { return };
        let Ok(local) = local.duration_since(SystemTime::UNIX_EPOCH) else { return };
        let local = i64::try_from(local.as_secs()).unwrap_or(i64::MAX);
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(server.secs() - local);
    }
}

/// The interceptor every AWS client of the doctor carries.
#[derive(Debug)]
pub struct Watch {
    world: World,
}

impl Watch {
    /// Watches replies for `world`'s clock.
    pub fn new(world: &World) -> Self {
        Self { world: world.clone() }
    }
}

impl Intercept for Watch {
    fn name(&self) -> &'static str {
        "ServerClockWatch"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(date) = context.response().headers().get("date") {
            self.world.server_clock.observe(date, self.world.now());
        }
        Ok(())
    }
}

/// Describes a skew for a person: "4 min 10 s behind".
pub fn describe(skew: i64) -> String {
    let (m, s) = (skew.unsigned_abs() / 60, skew.unsigned_abs() % 60);
    let amount = if m > 0 { format!("{m} min {s} s") } else { format!("{s} s") };
    if skew >= 0 { format!("{amount} behind AWS") } else { format!("{amount} ahead of AWS") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn skew_is_measured_from_the_date_header() {
        let clock = ServerClock::default();
        assert_eq!(clock.skew(), None);
        let local = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777 - 960);
        clock.observe("Sun, 06 Nov 1994 08:49:37 GMT", local);
        assert_eq!(clock.skew(), Some(960));
        clock.observe("not a date", local);
        assert_eq!(clock.skew(), Some(960));
        assert_eq!(describe(960), "16 min 0 s behind AWS");
        assert_eq!(describe(-5), "5 s ahead of AWS");
    }
}
