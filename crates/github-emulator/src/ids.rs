//! Random and derived identifiers shaped like GitHub's (tokens, gist ids, node ids).
//! Randomness comes from the OS; nothing here may panic on a failing RNG except at
//! start-up, where the emulator cannot work without it anyway.

use base64::Engine as _;
use sha2::{Digest, Sha256};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Fills `buf` from the OS generator.
fn random_bytes(buf: &mut [u8]) {
    // The OS generator failing is not a recoverable condition for a test server.
    getrandom::fill(buf).expect("the operating system's random generator is available");
}

/// A random `u64`.
pub(crate) fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    random_bytes(&mut b);
    u64::from_le_bytes(b)
}

/// A random float in `[0, 1)`.
pub(crate) fn random_unit() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// `len` random base62 characters.
pub(crate) fn base62(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    random_bytes(&mut bytes);
    // 62 * 4 = 248: reject bytes >= 248 to stay uniform.
    let mut out = String::with_capacity(len);
    let mut i = 0;
    while out.len() < len {
        if i == bytes.len() {
            random_bytes(&mut bytes);
            i = 0;
        }
        let b = bytes[i];
        i += 1;
        if b < 248 {
            out.push(BASE62[(b % 62) as usize] as char);
        }
    }
    out
}

/// `n` random bytes as lowercase hex.
pub(crate) fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    random_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A token with GitHub's prefix and shape: `gho_` + 36 base62 characters, and so on.
pub(crate) fn token(prefix: &str) -> String {
    let len = if prefix == "ghr_" { 76 } else { 36 };
    format!("{prefix}{}", base62(len))
}

/// Hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A deterministic 32-hex-character gist id derived from `seed`.
pub(crate) fn derived_gist_id(seed: &str) -> String {
    sha256_hex(seed.as_bytes())[..32].to_owned()
}

/// A 40-hex-character revision id for some content.
pub(crate) fn revision(data: &[u8]) -> String {
    sha256_hex(data)[..40].to_owned()
}

/// GitHub's legacy global node id: base64 of `0{len}:{Type}{id}`.
pub(crate) fn node_id(kind: &str, id: &str) -> String {
    let raw = format!("0{}:{kind}{id}", kind.len());
    base64::engine::general_purpose::STANDARD.encode(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_github_shapes() {
        let t = token("gho_");
        assert!(t.starts_with("gho_") && t.len() == 40);
        assert!(t[4..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(token("ghr_").len(), 80);
    }

    #[test]
    fn node_ids_match_the_legacy_format() {
        assert_eq!(node_id("User", "583231"), "MDQ6VXNlcjU4MzIzMQ==");
    }

    #[test]
    fn random_unit_is_in_range() {
        for _ in 0..100 {
            let x = random_unit();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
