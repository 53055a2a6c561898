//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`), as AWS's "Create a signed AWS API request"
//! documents it:
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//! StringToSign     = "AWS4-HMAC-SHA256" \n X-Amz-Date \n <date>/<region>/<service>/aws4_request \n hex(SHA-256(CanonicalRequest))
//! SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
//! Signature        = hex(HMAC-SHA256(SigningKey, StringToSign))
//! ```
//!
//! [`canonicalize`], [`string_to_sign`], [`signing_key`] and [`signature`] are the one
//! implementation: [`sign`] uses them to sign, and byok-kms's AWS door uses them to verify what
//! arrives.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::{AccessKey, canonical_headers, canonical_query, hex};

/// The signature algorithm's name, the first word of the `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// The parts of a request a SigV4 signature covers.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The HTTP method, upper case.
    pub method: &'a str,
    /// The path as sent (already URI-encoded), `/` for the JSON APIs.
    pub path: &'a str,
    /// The query parameters, decoded (any order).
    pub query: &'a [(&'a str, &'a str)],
    /// The signed headers: lower-case names with their values as sent (any order; a name given
    /// several times has its values joined with `,` in the order given).
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body.
    pub payload_sha256_hex: &'a str,
}

/// A canonicalised request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// `SignedHeaders`: the signed header names, sorted, joined with `;`.
    pub signed_headers: String,
    /// The canonical request text.
    pub request: String,
}

/// Where a signature is valid: `<yyyymmdd>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The date, `yyyymmdd` (the first 8 characters of `X-Amz-Date`).
    pub date: &'a str,
    /// The region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The service, e.g. `kms`.
    pub service: &'a str,
}

impl Scope<'_> {
    /// The scope as written in the credential and the string to sign.
    pub fn to_text(self) -> String {
        format!(
            "{}/{}/{}/{TERMINATOR}",
            self.date, self.region, self.service
        )
    }
}

/// The canonical request of `parts`. Header values are trimmed and their runs of spaces collapsed
/// to one, as SigV4 requires.
pub fn canonicalize(parts: &RequestParts<'_>) -> Canonical {
    let (canonical_headers, signed_headers) = canonical_headers(parts.headers, |values| {
        values
            .iter()
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join(",")
    });
    let path = if parts.path.is_empty() {
        "/"
    } else {
        parts.path
    };
    let request = format!(
        "{}\n{path}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        parts.method,
        canonical_query(parts.query),
        parts.payload_sha256_hex
    );
    Canonical {
        signed_headers,
        request,
    }
}

/// The string to sign for a canonical request made at `amz_date` (`yyyymmddTHHMMSSZ`) in `scope`.
pub fn string_to_sign(amz_date: &str, scope: Scope<'_>, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{}\n{}",
        scope.to_text(),
        hex(&Sha256::digest(canonical_request.as_bytes()))
    )
}

/// The signing key of `secret` for `scope`, wiped on drop.
pub fn signing_key(secret: &str, scope: Scope<'_>) -> Zeroizing<[u8; 32]> {
    let first = Zeroizing::new(format!("AWS4{secret}"));
    let date = hmac(first.as_bytes(), scope.date.as_bytes());
    let region = hmac(&*date, scope.region.as_bytes());
    let service = hmac(&*region, scope.service.as_bytes());
    hmac(&*service, TERMINATOR.as_bytes())
}

/// The hex signature of `string_to_sign` under the signing key of `secret` for `scope`.
pub fn signature(secret: &str, scope: Scope<'_>, string_to_sign: &str) -> String {
    hex(&*hmac(
        &*signing_key(secret, scope),
        string_to_sign.as_bytes(),
    ))
}

/// The `Authorization` header value of a signature.
pub fn authorization(
    access_key_id: &str,
    scope: Scope<'_>,
    signed_headers: &str,
    signature: &str,
) -> String {
    format!(
        "{ALGORITHM} Credential={access_key_id}/{}, SignedHeaders={signed_headers}, \
         Signature={signature}",
        scope.to_text()
    )
}

/// The fields of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// The access key id of the credential.
    pub access_key_id: &'a str,
    /// The credential's scope: date, region, service (the terminator was checked).
    pub scope: Scope<'a>,
    /// `SignedHeaders`, as given.
    pub signed_headers: &'a str,
    /// `Signature`, as given.
    pub signature: &'a str,
}

/// Why an `Authorization` header could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationError {
    /// It does not start with `AWS4-HMAC-SHA256 `.
    NotSigV4,
    /// This field is absent or empty.
    Missing(&'static str),
    /// The credential is not `<id>/<date>/<region>/<service>/aws4_request`.
    MalformedCredential,
}

/// Reads an `Authorization` header value.
pub fn parse_authorization(value: &str) -> Result<Authorization<'_>, AuthorizationError> {
    let fields = value
        .strip_prefix(ALGORITHM)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or(AuthorizationError::NotSigV4)?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for field in fields.split(',') {
        match field.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let credential = credential
        .filter(|v| !v.is_empty())
        .ok_or(AuthorizationError::Missing("Credential"))?;
    let signed_headers = signed_headers
        .filter(|v| !v.is_empty())
        .ok_or(AuthorizationError::Missing("SignedHeaders"))?;
    let signature = signature
        .filter(|v| !v.is_empty())
        .ok_or(AuthorizationError::Missing("Signature"))?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, TERMINATOR] = parts[..] else {
        return Err(AuthorizationError::MalformedCredential);
    };
    if [access_key_id, date, region, service]
        .iter()
        .any(|p| p.is_empty())
    {
        return Err(AuthorizationError::MalformedCredential);
    }
    Ok(Authorization {
        access_key_id,
        scope: Scope {
            date,
            region,
            service,
        },
        signed_headers,
        signature,
    })
}

/// A request signed for a JSON 1.1 API: send `headers` (the HTTP client adds `host`) with the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The headers to send, `authorization` included.
    pub headers: Vec<(String, String)>,
}

/// Signs a `POST /` of `body` to an AWS JSON 1.1 API (`X-Amz-Target: <target>`) on `host`, as
/// botocore does: `content-type`, `host`, `x-amz-date` and `x-amz-target` signed. `amz_date` is
/// `yyyymmddTHHMMSSZ`.
pub fn sign(
    host: &str,
    key: &AccessKey,
    region: &str,
    service: &str,
    target: &str,
    body: &[u8],
    amz_date: &str,
) -> SignedRequest {
    let mut headers: Vec<(String, String)> = vec![
        ("content-type".into(), "application/x-amz-json-1.1".into()),
        ("x-amz-date".into(), amz_date.into()),
        ("x-amz-target".into(), target.into()),
    ];
    if let Some(token) = key.security_token() {
        headers.push(("x-amz-security-token".into(), token.into()));
    }
    let mut signed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    signed.push(("host", host));
    let payload = hex(&Sha256::digest(body));
    let canonical = canonicalize(&RequestParts {
        method: "POST",
        path: "/",
        query: &[],
        headers: &signed,
        payload_sha256_hex: &payload,
    });
    let scope = Scope {
        date: amz_date.get(..8).unwrap_or(amz_date),
        region,
        service,
    };
    let signature = signature(
        key.secret(),
        scope,
        &string_to_sign(amz_date, scope, &canonical.request),
    );
    headers.push((
        "authorization".into(),
        authorization(key.id(), scope, &canonical.signed_headers, &signature),
    ));
    SignedRequest { headers }
}

/// `X-Amz-Date` (`yyyymmddTHHMMSSZ`) from an ISO 8601 UTC time such as
/// `2026-11-29T10:11:16.123Z` (JavaScript's `Date.prototype.toISOString`).
pub fn amz_date(iso: &str) -> String {
    let mut date: String = iso
        .get(..19)
        .unwrap_or(iso)
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    date.push('Z');
    date
}

fn hmac(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    // HMAC takes keys of any length (RFC 2104 §2), so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of every length");
    mac.update(data);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's documented example: `GET /?Action=ListUsers&Version=2010-05-08` to IAM, signed on
    /// 2015-08-30 with the documentation's example secret.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const SCOPE: Scope<'static> = Scope {
        date: "20150830",
        region: "us-east-1",
        service: "iam",
    };

    #[test]
    fn amz_dates_from_iso_times() {
        assert_eq!(amz_date("2026-11-29T10:11:16.123Z"), "20261129T101116Z");
    }

    #[test]
    fn aws_documented_example() {
        let canonical = canonicalize(&RequestParts {
            method: "GET",
            path: "/",
            query: &[("Version", "2010-05-08"), ("Action", "ListUsers")],
            headers: &[
                ("x-amz-date", "20150830T123600Z"),
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("host", "iam.amazonaws.com"),
            ],
            payload_sha256_hex: &hex(&Sha256::digest(b"")),
        });
        assert_eq!(
            canonical.request,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\n\
             content-type:application/x-www-form-urlencoded; charset=utf-8\n\
             host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
             content-type;host;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let string_to_sign = string_to_sign("20150830T123600Z", SCOPE, &canonical.request);
        assert_eq!(
            string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n\
             f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        assert_eq!(
            hex(&*signing_key(SECRET, SCOPE)),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        assert_eq!(
            signature(SECRET, SCOPE, &string_to_sign),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn header_values_are_trimmed_and_spaces_collapsed() {
        let canonical = canonicalize(&RequestParts {
            method: "POST",
            path: "",
            query: &[],
            headers: &[("x-b", "  a   b "), ("host", "h"), ("x-b", "c")],
            payload_sha256_hex: "e3",
        });
        assert_eq!(
            canonical.request,
            "POST\n/\n\nhost:h\nx-b:a b,c\n\nhost;x-b\ne3"
        );
    }

    #[test]
    fn authorization_headers_round_trip() {
        let key = AccessKey::new("AKIDEXAMPLE", SECRET);
        let signed = sign(
            "kms.us-east-1.amazonaws.com",
            &key,
            "us-east-1",
            "kms",
            "TrentService.ListKeys",
            b"{}",
            "20150830T123600Z",
        );
        let (_, value) = signed.headers.last().unwrap();
        let parsed = parse_authorization(value).unwrap();
        assert_eq!(parsed.access_key_id, "AKIDEXAMPLE");
        assert_eq!(
            parsed.scope,
            Scope {
                date: "20150830",
                region: "us-east-1",
                service: "kms"
            }
        );
        assert_eq!(
            parsed.signed_headers,
            "content-type;host;x-amz-date;x-amz-target"
        );
        assert_eq!(parsed.signature.len(), 64);
        assert_eq!(
            parse_authorization("ACS3-HMAC-SHA256 x"),
            Err(AuthorizationError::NotSigV4)
        );
        assert_eq!(
            parse_authorization(
                "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=h, Signature=s"
            ),
            Err(AuthorizationError::MalformedCredential)
        );
        assert_eq!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request, Signature=s"),
            Err(AuthorizationError::Missing("SignedHeaders"))
        );
    }

    #[test]
    fn signing_covers_every_part() {
        let key = AccessKey::new("id", "secret");
        let at = "20261203T000000Z";
        let base = sign("h", &key, "us-east-1", "kms", "T.A", b"{}", at);
        let other_key = AccessKey::new("id", "other");
        for other in [
            sign("h2", &key, "us-east-1", "kms", "T.A", b"{}", at),
            sign("h", &key, "eu-west-1", "kms", "T.A", b"{}", at),
            sign("h", &key, "us-east-1", "iam", "T.A", b"{}", at),
            sign("h", &key, "us-east-1", "kms", "T.B", b"{}", at),
            sign("h", &key, "us-east-1", "kms", "T.A", b"{ }", at),
            sign(
                "h",
                &key,
                "us-east-1",
                "kms",
                "T.A",
                b"{}",
                "20261203T000001Z",
            ),
            sign("h", &other_key, "us-east-1", "kms", "T.A", b"{}", at),
        ] {
            assert_ne!(base.headers.last(), other.headers.last());
        }
    }
}
