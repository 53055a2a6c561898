//! Signing KMS API calls, on both sides of the wire: the client signs with these functions, and
//! byok-kms verifies with the same canonicalisers, so the two can never disagree on what a
//! signature covers.
//!
//! - [`acs3`]: ACS3-HMAC-SHA256, the current Alibaba Cloud SDKs' signature (RPC style, parameters
//!   in the query string, empty body);
//! - [`rpc_v1`]: the legacy RPC HMAC-SHA1 signature (older SDKs, and the current ones with
//!   `signature_algorithm = 'v2'`);
//! - [`sigv4`]: AWS Signature Version 4 (`AWS4-HMAC-SHA256`), for the AWS KMS API.
//!
//! Transport-free: [`crate::js`] sends what [`acs3::sign`] signs with `fetch`; byok-kms's front
//! door feeds the verifier what arrived.

pub mod acs3;
pub mod rpc_v1;
pub mod sigv4;

use core::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use zeroize::Zeroizing;

pub use acs3::{SignedRequest, sign};

/// The API version the signers name (Alibaba Cloud KMS).
pub const API_VERSION: &str = "2016-01-20";

/// An access key, optionally with the security token of temporary (STS) credentials. The secret
/// is wiped on drop and never printed.
pub struct AccessKey {
    id: String,
    secret: Zeroizing<String>,
    security_token: Option<String>,
}

impl AccessKey {
    /// An access key from its id and secret (the secret is copied into a zeroizing buffer; prefer
    /// [`AccessKey::from_secret`] to avoid leaving the caller's copy behind).
    pub fn new(id: &str, secret: &str) -> Self {
        Self::from_secret(id.to_owned(), Zeroizing::new(secret.to_owned()))
    }

    /// An access key that takes ownership of the secret's buffer, without copying it.
    pub fn from_secret(id: String, secret: Zeroizing<String>) -> Self {
        Self {
            id,
            secret,
            security_token: None,
        }
    }

    /// Adds the security token of temporary credentials (Alibaba Cloud STS): requests then carry
    /// it, signed, in `x-acs-security-token`.
    pub fn with_security_token(mut self, token: String) -> Self {
        self.security_token = Some(token);
        self
    }

    /// The security token, for temporary credentials.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// The `AccessKeyId`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The `AccessKeySecret`, for computing a signature.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessKey({}, [REDACTED])", self.id)
    }
}

/// What RFC 3986 leaves unencoded: letters, digits and `- _ . ~`.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// RFC 3986 percent-encoding as both signatures use it: `A-Z a-z 0-9 - _ . ~` stay, every other
/// byte becomes `%XX` (upper-case hex); a space is `%20`, `*` is `%2A`.
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, RFC3986).to_string()
}

/// The canonical headers block (`name:values` and a newline per name, names sorted) and
/// `SignedHeaders` (the names joined with `;`), as ACS3 and SigV4 both build them. `values`
/// turns one name's values, in the order given, into the text after the colon: each scheme
/// trims, sorts and joins them its own way.
pub(crate) fn canonical_headers(
    headers: &[(&str, &str)],
    values: impl Fn(Vec<&str>) -> String,
) -> (String, String) {
    let mut names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.dedup();
    let mut block = String::new();
    for name in &names {
        let given = headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .collect();
        block.push_str(name);
        block.push(':');
        block.push_str(&values(given));
        block.push('\n');
    }
    (block, names.join(";"))
}

/// `name=value` pairs, sorted by name (then value), percent-encoded, joined with `&`: the
/// canonical query of both signatures.
pub fn canonical_query(params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort_unstable();
    encode_pairs(&sorted)
}

/// `name=value` pairs in the order given, percent-encoded, joined with `&`.
pub fn encode_pairs(params: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&percent_encode(name));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}

/// Lower-case hex, as signatures and body hashes are written.
pub fn hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

/// A fresh signature nonce: 16 bytes from the platform CSPRNG, in hex.
pub fn nonce() -> crate::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| crate::Error::RandomUnavailable(e.to_string()))?;
    Ok(hex(&bytes))
}

/// `YYYY-MM-DDTHH:MM:SSZ` from an ISO 8601 UTC time such as `2026-11-29T10:11:16.123Z`.
pub fn acs_date(iso: &str) -> String {
    match iso.get(..19) {
        Some(seconds) => format!("{seconds}Z"),
        None => iso.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_is_rfc_3986() {
        assert_eq!(percent_encode("a b*c~d/é+"), "a%20b%2Ac~d%2F%C3%A9%2B");
    }

    #[test]
    fn canonical_queries_are_sorted_and_encoded() {
        assert_eq!(
            canonical_query(&[("b", "2 3"), ("a", "x/y"), ("a", "w")]),
            "a=w&a=x%2Fy&b=2%203"
        );
    }

    #[test]
    fn dates_drop_the_milliseconds() {
        assert_eq!(acs_date("2026-11-29T10:11:16.123Z"), "2026-11-29T10:11:16Z");
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let key = AccessKey::new("id", "secret");
        assert!(!format!("{key:?}").contains("secret"));
    }
}
