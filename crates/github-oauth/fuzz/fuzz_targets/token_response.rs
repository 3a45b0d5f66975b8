//! The token endpoint's answer is outside input: any status and body must give a token
//! set or an error, never a panic, and an error must never show the token it carried.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    let now = time::OffsetDateTime::UNIX_EPOCH;
    if let Err(e) = github_oauth::parse_token_response(status, body, now) {
        let shown = format!("{e} {e:?}");
        let token = serde_json_token(body);
        if let Some(t) = token.filter(|t| t.len() >= 8) {
            assert!(!shown.contains(&t), "an error shows the access token");
        }
    }
});

/// The `access_token` string value, if the body is a JSON object holding one.
fn serde_json_token(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("\"access_token\":\"")? + "\"access_token\":\"".len();
    let end = text[start..].find('"')? + start;
    Some(text[start..end].to_owned())
}
