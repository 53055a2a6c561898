//! ACS3-HMAC-SHA256 (Alibaba Cloud's current signature for RPC-style calls), as specified in
//! `reference/alibaba-kms-api.md`:
//!
//! ```text
//! CanonicalRequest = METHOD \n path \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n hex(SHA-256(body))
//! StringToSign     = "ACS3-HMAC-SHA256" \n hex(SHA-256(CanonicalRequest))
//! Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
//! ```
//!
//! [`canonicalize`], [`string_to_sign`] and [`signature`] are the one implementation: [`sign`]
//! uses them to sign, and byok-kms uses them to verify what arrives.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};

use super::{API_VERSION, AccessKey, canonical_headers, canonical_query, encode_pairs, hex};

/// The signature algorithm's name, the first word of the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// The parts of a request an ACS3 signature covers.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The HTTP method, upper case.
    pub method: &'a str,
    /// The path, `/` for RPC-style calls.
    pub path: &'a str,
    /// The query parameters, decoded (any order).
    pub query: &'a [(&'a str, &'a str)],
    /// The signed headers: lower-case names with their values as sent (any order; a name given
    /// several times has all its values joined with `,` after sorting, as the SDKs do).
    pub headers: &'a [(&'a str, &'a str)],
    /// `x-acs-content-sha256`: hex SHA-256 of the body.
    pub body_sha256_hex: &'a str,
}

/// A canonicalised request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// `SignedHeaders`: the signed header names, sorted, joined with `;`.
    pub signed_headers: String,
    /// The canonical request text.
    pub request: String,
}

/// The canonical request of `parts`.
pub fn canonicalize(parts: &RequestParts<'_>) -> Canonical {
    let (canonical_headers, signed_headers) = canonical_headers(parts.headers, |values| {
        let mut values: Vec<&str> = values.into_iter().map(str::trim).collect();
        values.sort_unstable();
        values.join(",")
    });
    let request = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        parts.method,
        parts.path,
        canonical_query(parts.query),
        parts.body_sha256_hex
    );
    Canonical {
        signed_headers,
        request,
    }
}

/// The string to sign for a canonical request.
pub fn string_to_sign(canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    )
}

/// The hex signature of `string_to_sign` under `secret`.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    // HMAC takes keys of any length (RFC 2104 §2), so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of every length");
    mac.update(string_to_sign.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// A signed request: append `query` to the endpoint's `/?`, send `headers` (the HTTP client adds
/// `host`), POST with an empty body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The encoded query string, parameters sorted by name.
    pub query: String,
    /// The headers to send, `authorization` included.
    pub headers: Vec<(String, String)>,
}

/// Signs a call of `action` with `params` for the endpoint whose host (as the HTTP client will
/// send it) is `host`. With temporary credentials the security token is sent and signed too. `date` is the UTC time as `YYYY-MM-DDTHH:MM:SSZ`; `nonce` must be fresh for
/// every request. Only headers that are actually sent are signed; a browser cannot set `host`, so
/// it must be the one the HTTP client derives from the endpoint URL.
pub fn sign(
    host: &str,
    key: &AccessKey,
    action: &str,
    params: &[(&str, &str)],
    date: &str,
    nonce: &str,
) -> SignedRequest {
    let mut query = params.to_vec();
    query.sort_unstable();
    let body_hash = hex(&Sha256::digest(b""));
    let mut headers: Vec<(String, String)> = vec![
        ("x-acs-action".into(), action.into()),
        ("x-acs-content-sha256".into(), body_hash.clone()),
        ("x-acs-date".into(), date.into()),
        ("x-acs-signature-nonce".into(), nonce.into()),
        ("x-acs-version".into(), API_VERSION.into()),
    ];
    if let Some(token) = key.security_token() {
        headers.push(("x-acs-security-token".into(), token.into()));
    }
    let mut signed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    signed.push(("host", host));
    let canonical = canonicalize(&RequestParts {
        method: "POST",
        path: "/",
        query: &query,
        headers: &signed,
        body_sha256_hex: &body_hash,
    });
    let signature = signature(key.secret(), &string_to_sign(&canonical.request));
    headers.push((
        "authorization".into(),
        format!(
            "{ALGORITHM} Credential={},SignedHeaders={},Signature={signature}",
            key.id(),
            canonical.signed_headers
        ),
    ));
    SignedRequest {
        query: encode_pairs(&query),
        headers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test case 2 (a printable key).
        let mac = |key: &str, data: &str| {
            let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
            mac.update(data.as_bytes());
            hex(&mac.finalize().into_bytes())
        };
        assert_eq!(
            mac("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            signature("Jefe", "what do ya want for nothing?"),
            mac("Jefe", "what do ya want for nothing?")
        );
    }

    #[test]
    fn repeated_headers_are_sorted_and_joined() {
        let canonical = canonicalize(&RequestParts {
            method: "POST",
            path: "/",
            query: &[("b", "1"), ("a", "2")],
            headers: &[("x-b", " 2"), ("host", "h"), ("x-b", "1 ")],
            body_sha256_hex: "e3",
        });
        assert_eq!(canonical.signed_headers, "host;x-b");
        assert_eq!(
            canonical.request,
            "POST\n/\na=2&b=1\nhost:h\nx-b:1,2\n\nhost;x-b\ne3"
        );
    }

    #[test]
    fn a_security_token_is_sent_and_signed() {
        let at = "2026-11-29T00:00:00Z";
        let plain = sign("h", &AccessKey::new("id", "s"), "ListKeys", &[], at, "n");
        let sts = AccessKey::new("id", "s").with_security_token("token-1".into());
        let signed = sign("h", &sts, "ListKeys", &[], at, "n");
        assert!(
            signed
                .headers
                .contains(&("x-acs-security-token".into(), "token-1".into()))
        );
        let authorization = &signed.headers.last().unwrap().1;
        assert!(authorization.contains("SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;"), "{authorization}");
        assert_ne!(plain.headers.last(), signed.headers.last());
        let other = AccessKey::new("id", "s").with_security_token("token-2".into());
        assert_ne!(
            sign("h", &other, "ListKeys", &[], at, "n").headers.last(),
            signed.headers.last()
        );
    }

    #[test]
    fn signing_is_deterministic_and_covers_every_part() {
        let key = AccessKey::new("id", "secret");
        let at = "2026-11-29T00:00:00Z";
        let base = sign("h:1", &key, "DescribeKey", &[("KeyId", "k")], at, "n");
        assert_eq!(
            base,
            sign("h:1", &key, "DescribeKey", &[("KeyId", "k")], at, "n")
        );
        let other_key = AccessKey::new("id", "other");
        for other in [
            sign("h:2", &key, "DescribeKey", &[("KeyId", "k")], at, "n"),
            sign("h:1", &key, "DisableKey", &[("KeyId", "k")], at, "n"),
            sign("h:1", &key, "DescribeKey", &[("KeyId", "j")], at, "n"),
            sign(
                "h:1",
                &key,
                "DescribeKey",
                &[("KeyId", "k")],
                "2026-11-29T00:00:01Z",
                "n",
            ),
            sign("h:1", &key, "DescribeKey", &[("KeyId", "k")], at, "m"),
            sign("h:1", &other_key, "DescribeKey", &[("KeyId", "k")], at, "n"),
        ] {
            assert_ne!(base.headers.last(), other.headers.last());
        }
    }
}
