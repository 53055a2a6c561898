//! The legacy RPC signature (HMAC-SHA1, `SignatureVersion=1.0`), as specified in
//! `reference/alibaba-kms-api.md`:
//!
//! ```text
//! StringToSign = METHOD & pe(path) & pe(CanonicalQuery of every parameter but Signature)
//! Signature    = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))
//! ```
//!
//! byok-kms verifies older SDKs' requests with it; the signers of this crate use ACS3.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha1::Sha1;
use zeroize::Zeroizing;

use super::{canonical_query, percent_encode};

/// The string to sign for a request with `method`, `path` and `params` (every parameter of the
/// query and the form body, decoded, except `Signature`).
pub fn string_to_sign(method: &str, path: &str, params: &[(&str, &str)]) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode(path),
        percent_encode(&canonical_query(params))
    )
}

/// The base64 signature of `string_to_sign` under `secret`.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    // Sized once, so the secret is never left behind in a buffer that grew.
    let mut key = Zeroizing::new(String::with_capacity(secret.len() + 1));
    key.push_str(secret);
    key.push('&');
    // HMAC takes keys of any length (RFC 2104 §2), so this cannot fail.
    let mut mac =
        Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC accepts keys of every length");
    mac.update(string_to_sign.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented example request, signed with `testsecret` (the reference's check value;
    /// the documentation's displayed StringToSign is wrong, its signed URL right).
    #[test]
    fn signs_the_documented_example() {
        let params = [
            ("AccessKeyId", "testid"),
            ("Action", "CreateKey"),
            ("Format", "json"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-03-28T03:13:08Z"),
            ("Version", "2016-01-20"),
        ];
        let to_sign = string_to_sign("GET", "/", &params);
        assert_eq!(
            to_sign,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DCreateKey%26Format%3Djson%26SignatureMethod\
             %3DHMAC-SHA1%26SignatureVersion%3D1.0%26Timestamp%3D2016-03-28T03%253A13%253A08Z\
             %26Version%3D2016-01-20"
        );
        assert_eq!(
            signature("testsecret", &to_sign),
            "41wk2SSX1GJh7fwnc5eqOfiJPFg="
        );
    }
}
