//! Names of what this crate records through the `metrics` facade (nothing is recorded
//! unless the application installed a recorder). No label names a person.

/// Completed sign-ins (a session was made).
pub const SIGN_INS: &str = "github_login_sign_ins_total";
/// Sign-ins that failed, labelled `reason` with [`crate::FailureKind::name`].
pub const SIGN_IN_FAILURES: &str = "github_login_sign_in_failures_total";
/// Attempts to renew an expiring token, labelled `result`: `renewed` or `failed`.
pub const TOKEN_RENEWALS: &str = "github_login_token_renewals_total";
