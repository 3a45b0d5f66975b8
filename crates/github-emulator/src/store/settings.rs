//! Runtime settings: fault and limit settings read on every request (atomics, so no
//! lock), and the settings that change rarely (token and code lifetimes, auto-approve,
//! the body limit). `Control` changes both while the emulator runs.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// Lifetimes of GitHub-App user tokens, and how many tokens a grant keeps per scopes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenPolicy {
    pub(crate) access: Duration,
    pub(crate) refresh: Duration,
    pub(crate) per_scopes: usize,
}

/// Fault and limit settings, read on every request, so atomics.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) latency_min_ms: AtomicU64,
    pub(crate) latency_max_ms: AtomicU64,
    pub(crate) fail_rate: Fraction,
    pub(crate) drop_rate: Fraction,
    pub(crate) malformed_rate: Fraction,
    pub(crate) rate_limit: AtomicU32,
    pub(crate) secondary_per_minute: AtomicU32,
}

/// A fraction between 0 and 1, read and set without a lock (the bits of an `f64`).
/// Values out of range are clamped; NaN and infinities count as 0.
#[derive(Debug, Default)]
pub(crate) struct Fraction(AtomicU64);

impl Fraction {
    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    pub(crate) fn set(&self, v: f64) {
        let v = if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }
}

/// Settings that change rarely.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) auto_approve: Option<String>,
    pub(crate) tokens: TokenPolicy,
    pub(crate) code_lifetime: Duration,
    pub(crate) device_lifetime: Duration,
    pub(crate) device_interval: u64,
    pub(crate) max_body_bytes: usize,
}
