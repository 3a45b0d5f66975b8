//! Newtypes for the values that must never reach a log, an error message or a page.
//!
//! Their `Debug` and `Display` print `[redacted]`; the value is reached only through
//! `.secret()`, so every place that exposes one is explicit and greppable.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

macro_rules! secret_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// `Debug` and `Display` print `[redacted]`; read the value with
        /// [`secret()`](Self::secret). Equality is checked in constant time. It
        /// serializes as the bare string, for server-side storage only.
        #[derive(Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value. Nothing is assumed about its length or alphabet.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value itself. Every call is a place where it leaves its box.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("[redacted]")
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
            }
        }

        impl Eq for $name {}
    };
}

secret_newtype!(
    /// An OAuth app's or GitHub App's client secret.
    #[derive(Clone)]
    ClientSecret
);
secret_newtype!(
    /// A user access token (`gho_…`, `ghu_…`, or any other opaque string).
    #[derive(Clone)]
    AccessToken
);
secret_newtype!(
    /// A refresh token for an expiring GitHub App user token (`ghr_…`).
    #[derive(Clone)]
    RefreshToken
);
// Single use: no `Clone`. Each is made for one sign-in and spent by its callback; the
// explicit way to keep one until then is to serialize it (server-side, or sealed).
secret_newtype!(
    /// The PKCE `code_verifier` kept between the redirect and the callback.
    PkceVerifier
);
secret_newtype!(
    /// The `state` value that binds a callback to the browser that started sign-in.
    CsrfState
);
secret_newtype!(
    /// The device flow's `device_code`; only the app may see it, unlike the user code.
    #[derive(Clone)]
    DeviceCode
);

/// An OAuth app's public client id. Not a secret: it appears in the authorize URL.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    /// Wraps a client id (`Iv1.…`, `Ov23…`, or anything else GitHub issued).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The client id as sent to GitHub.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_display_and_json_errors_never_show_the_value() {
        let long = format!("ghu_{}", "aB9.-_".repeat(86));
        let t = AccessToken::new(long.clone());
        assert_eq!(t.secret(), long);
        assert_eq!(t.to_string(), "[redacted]");
        assert_eq!(format!("{t:?}"), "AccessToken([redacted])");
        assert!(!format!("{:?}", Some(&t)).contains("aB9"));
        let s = ClientSecret::new("shh");
        assert_eq!(format!("{s:#?}"), "ClientSecret([redacted])");
    }

    #[test]
    fn serializes_as_the_bare_string_for_storage() {
        let t = RefreshToken::new("ghr_x.y-z");
        let json = serde_json::to_string(&t).expect("a string serializes");
        assert_eq!(json, "\"ghr_x.y-z\"");
        let back: RefreshToken = serde_json::from_str(&json).expect("round trip");
        assert_eq!(back, t);
    }

    #[test]
    fn equality_compares_values() {
        assert_eq!(CsrfState::new("a"), CsrfState::new("a"));
        assert_ne!(CsrfState::new("a"), CsrfState::new("ab"));
    }
}
