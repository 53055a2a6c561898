//! Signing KMS API calls: ACS3-HMAC-SHA256 for RPC-style requests (Alibaba Cloud KMS API
//! 2016-01-20), the way the official SDKs sign them. Transport-free: [`crate::js`] sends the
//! signed request with `fetch`.
//!
//! The parameters travel in the query string and the body is empty, as the current SDKs send
//! them. Only headers that are actually sent are signed; `host` is the host the HTTP client will
//! send for the endpoint URL (a browser cannot set it).

use core::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The API version.
pub const API_VERSION: &str = "2016-01-20";

/// The signature algorithm's name.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// An access key. The secret is wiped on drop and never printed.
pub struct AccessKey {
    id: String,
    secret: Zeroizing<String>,
}

impl AccessKey {
    /// An access key from its id and secret.
    pub fn new(id: &str, secret: &str) -> Self {
        Self {
            id: id.to_owned(),
            secret: Zeroizing::new(secret.to_owned()),
        }
    }

    /// The `AccessKeyId`.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessKey({}, [REDACTED])", self.id)
    }
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
/// send it) is `host`. `date` is the UTC time as `YYYY-MM-DDTHH:MM:SSZ`; `nonce` must be fresh for
/// every request.
pub fn sign(
    host: &str,
    key: &AccessKey,
    action: &str,
    params: &[(&str, &str)],
    date: &str,
    nonce: &str,
) -> SignedRequest {
    let mut query: Vec<(&str, &str)> = params.to_vec();
    sort_small(&mut query);
    let body_hash = hex(&Sha256::digest(b""));
    let mut headers: Vec<(String, String)> = vec![
        ("x-acs-action".into(), action.into()),
        ("x-acs-content-sha256".into(), body_hash.clone()),
        ("x-acs-date".into(), date.into()),
        ("x-acs-signature-nonce".into(), nonce.into()),
        ("x-acs-version".into(), API_VERSION.into()),
    ];
    let mut signed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    signed.push(("host", host));
    let (signed_headers, signature) =
        acs3_signature("POST", "/", &query, &signed, &body_hash, &key.secret);
    headers.push((
        "authorization".into(),
        format!(
            "{ALGORITHM} Credential={},SignedHeaders={signed_headers},Signature={signature}",
            key.id
        ),
    ));
    SignedRequest {
        query: encode_query(&query),
        headers,
    }
}

/// The ACS3-HMAC-SHA256 signature of a request: returns the `SignedHeaders` list and the hex
/// signature. `headers` are the headers to sign, with lower-case names; several values of one
/// header are joined with `,` after sorting, as the SDKs do.
pub fn acs3_signature(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    body_sha256_hex: &str,
    secret: &str,
) -> (String, String) {
    let mut names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
    sort_small(&mut names);
    names.dedup();
    let mut canonical_headers = String::new();
    for name in &names {
        let mut values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .collect();
        sort_small(&mut values);
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let signed_headers = names.join(";");
    let mut sorted = query.to_vec();
    sort_small(&mut sorted);
    let canonical_request = format!(
        "{method}\n{path}\n{}\n{canonical_headers}\n{signed_headers}\n{body_sha256_hex}",
        encode_query(&sorted)
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    (
        signed_headers,
        hex(&hmac_sha256(secret.as_bytes(), string_to_sign.as_bytes())),
    )
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = Zeroizing::new([0u8; 64]);
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| -> Zeroizing<[u8; 64]> {
        let mut padded = Zeroizing::new(*block);
        padded.iter_mut().for_each(|b| *b ^= byte);
        padded
    };
    let inner = Sha256::new()
        .chain_update(pad(0x36).as_slice())
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5C).as_slice())
        .chain_update(inner)
        .finalize()
        .into()
}

/// Insertion sort: requests have a handful of parameters and headers, and the general sort
/// would add kilobytes to the wasm module for nothing.
fn sort_small<T: Ord>(items: &mut [T]) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && items[j - 1] > items[j] {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// RFC 3986 percent-encoding: `A-Z a-z 0-9 - _ . ~` stay, everything else is `%XX`.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(b & 0x0F)]));
        }
    }
    out
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn encode_query(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(n, v)| format!("{}={}", percent_encode(n), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    fn small_sort_sorts() {
        let mut v = vec![5, 1, 4, 1, 3];
        sort_small(&mut v);
        assert_eq!(v, [1, 1, 3, 4, 5]);
    }

    #[test]
    fn percent_encoding_is_rfc_3986() {
        assert_eq!(percent_encode("a b*c~d/é+"), "a%20b%2Ac~d%2F%C3%A9%2B");
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test cases 1 and 6 (a key longer than the block).
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn dates_drop_the_milliseconds() {
        assert_eq!(acs_date("2026-11-29T10:11:16.123Z"), "2026-11-29T10:11:16Z");
    }

    #[test]
    fn signing_is_deterministic_and_covers_every_part() {
        let key = AccessKey::new("id", "secret");
        let a = sign(
            "h:1",
            &key,
            "DescribeKey",
            &[("KeyId", "k")],
            "2026-11-29T00:00:00Z",
            "n",
        );
        let b = sign(
            "h:1",
            &key,
            "DescribeKey",
            &[("KeyId", "k")],
            "2026-11-29T00:00:00Z",
            "n",
        );
        assert_eq!(a, b);
        for other in [
            sign(
                "h:2",
                &key,
                "DescribeKey",
                &[("KeyId", "k")],
                "2026-11-29T00:00:00Z",
                "n",
            ),
            sign(
                "h:1",
                &key,
                "DisableKey",
                &[("KeyId", "k")],
                "2026-11-29T00:00:00Z",
                "n",
            ),
            sign(
                "h:1",
                &key,
                "DescribeKey",
                &[("KeyId", "j")],
                "2026-11-29T00:00:00Z",
                "n",
            ),
            sign(
                "h:1",
                &key,
                "DescribeKey",
                &[("KeyId", "k")],
                "2026-11-29T00:00:01Z",
                "n",
            ),
            sign(
                "h:1",
                &key,
                "DescribeKey",
                &[("KeyId", "k")],
                "2026-11-29T00:00:00Z",
                "m",
            ),
            sign(
                "h:1",
                &AccessKey::new("id", "other"),
                "DescribeKey",
                &[("KeyId", "k")],
                "2026-11-29T00:00:00Z",
                "n",
            ),
        ] {
            assert_ne!(a.headers.last(), other.headers.last());
        }
        assert!(!format!("{key:?}").contains("secret"));
    }
}
