//! The device flow, for programs without a browser: show a user code, then poll until
//! the person has entered it. Polling honours `interval` and `slow_down`, stops at
//! expiry, and can be cancelled at any time.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::token::{read_fields, str_field, u64_field};
use crate::{DeviceCode, OAuthError, error::excerpt};

/// What GitHub answered to a device code request. Show `user_code` and
/// `verification_uri` to the person; keep the rest for polling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAuthorization {
    /// The code only this program uses to poll.
    pub device_code: DeviceCode,
    /// The code the person types at `verification_uri` (e.g. `WDJB-MJHT`).
    pub user_code: String,
    /// Where the person enters the code (e.g. `https://github.com/login/device`).
    pub verification_uri: String,
    /// How long the codes stay valid.
    #[serde(with = "secs")]
    pub expires_in: Duration,
    /// The minimum time between polls.
    #[serde(with = "secs")]
    pub interval: Duration,
}

impl DeviceAuthorization {
    pub(crate) fn parse(status: u16, body: &[u8]) -> Result<Self, OAuthError> {
        let f = read_fields(status, body)?;
        let unexpected = || OAuthError::UnexpectedResponse {
            status,
            excerpt: excerpt(body, &[]),
        };
        if !(200..300).contains(&status) {
            return Err(unexpected());
        }
        let device_code = str_field(&f, "device_code").filter(|s| !s.is_empty());
        let user_code = str_field(&f, "user_code").filter(|s| !s.is_empty());
        let verification_uri = str_field(&f, "verification_uri").filter(|s| !s.is_empty());
        match (device_code, user_code, verification_uri) {
            (Some(d), Some(u), Some(v)) => Ok(Self {
                device_code: DeviceCode::new(d),
                user_code: u,
                verification_uri: v,
                expires_in: Duration::from_secs(u64_field(&f, "expires_in").unwrap_or(900)),
                interval: Duration::from_secs(u64_field(&f, "interval").unwrap_or(5).max(1)),
            }),
            _ => Err(unexpected()),
        }
    }
}

/// The next interval after a `slow_down`: GitHub's value if it sent one, else 5 s more.
pub(crate) fn slowed(current: Duration, sent: Option<Duration>) -> Duration {
    let bumped = current + Duration::from_secs(5);
    match sent {
        Some(s) if s > current => s,
        _ => bumped,
    }
}

mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_github_example() {
        let body = br#"{"device_code":"3584d83530557fdd1f46af8289938c8ef79f9dc5","user_code":"WDJB-MJHT","verification_uri":"https://github.com/login/device","expires_in":900,"interval":5}"#;
        let d = DeviceAuthorization::parse(200, body).unwrap();
        assert_eq!(d.user_code, "WDJB-MJHT");
        assert_eq!(d.interval, Duration::from_secs(5));
        assert_eq!(d.expires_in, Duration::from_secs(900));
        assert!(!format!("{d:?}").contains("3584d8"));
    }

    #[test]
    fn errors_first() {
        assert!(matches!(
            DeviceAuthorization::parse(200, br#"{"error":"device_flow_disabled"}"#),
            Err(OAuthError::DeviceFlowDisabled)
        ));
        assert!(matches!(
            DeviceAuthorization::parse(200, br#"{"user_code":"x"}"#),
            Err(OAuthError::UnexpectedResponse { .. })
        ));
    }

    #[test]
    fn slow_down_adds_five_seconds_or_takes_githubs_value() {
        let five = Duration::from_secs(5);
        assert_eq!(slowed(five, None), Duration::from_secs(10));
        assert_eq!(
            slowed(five, Some(Duration::from_secs(15))),
            Duration::from_secs(15)
        );
        assert_eq!(
            slowed(five, Some(Duration::from_secs(1))),
            Duration::from_secs(10)
        );
    }
}
