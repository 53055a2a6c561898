//! Request authentication: ACS3-HMAC-SHA256 (the current SDKs) and the legacy RPC HMAC-SHA1
//! signature (older SDKs, and the current one with `signature_algorithm='v2'`).
//!
//! Checked in this order: the signature is present and covers what it must; the access key
//! exists; the body matches its signed hash; the signature matches (constant-time); the
//! timestamp is within 15 minutes; the nonce is new. A request that fails any of them is refused
//! before its action runs.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Params, WireRequest, percent_encode};
use crate::crypto::{self, constant_time_eq, hex};
use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::store::Store;

/// How far a request's timestamp may be from the server's clock.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 15 * 60;

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The access key that signed it.
    pub access_key_id: String,
    /// The account it acts for.
    pub account_id: String,
}

/// Verifies the request's signature, timestamp and nonce, and returns the caller.
pub fn authenticate<S: Store>(
    kms: &Kms<S>,
    request: &WireRequest,
    params: &Params,
) -> Result<Caller> {
    if let Some(authorization) = request.header("authorization") {
        let Some(fields) = authorization.strip_prefix("ACS3-HMAC-SHA256 ") else {
            return Err(Error::IncompleteSignature(
                "the Authorization header must use ACS3-HMAC-SHA256".to_owned(),
            ));
        };
        acs3(kms, request, params, fields)
    } else if params.get("Signature").is_some() {
        rpc_v1(kms, request, params)
    } else {
        Err(Error::IncompleteSignature(
            "the request is not signed: send an ACS3-HMAC-SHA256 Authorization header or the \
             RPC Signature parameters"
                .to_owned(),
        ))
    }
}

/// Headers an ACS3 signature must cover (when the request carries them).
const MUST_SIGN_ALWAYS: [&str; 4] = [
    "host",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
];
const MUST_SIGN_IF_PRESENT: [&str; 3] = ["x-acs-action", "x-acs-version", "content-type"];

fn acs3<S: Store>(
    kms: &Kms<S>,
    request: &WireRequest,
    params: &Params,
    fields: &str,
) -> Result<Caller> {
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for field in fields.split(',') {
        match field.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let incomplete =
        |what: &str| Error::IncompleteSignature(format!("the Authorization header has no {what}"));
    let access_key_id = credential
        .filter(|c| !c.is_empty())
        .ok_or_else(|| incomplete("Credential"))?;
    let signed_headers = signed_headers
        .filter(|s| !s.is_empty())
        .ok_or_else(|| incomplete("SignedHeaders"))?;
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or_else(|| incomplete("Signature"))?;

    let mut names: Vec<String> = signed_headers
        .split(';')
        .map(str::to_ascii_lowercase)
        .collect();
    names.sort();
    names.dedup();
    for required in MUST_SIGN_ALWAYS {
        if !names.iter().any(|n| n == required) {
            return Err(Error::IncompleteSignature(format!(
                "SignedHeaders must include {required}"
            )));
        }
    }
    for name in MUST_SIGN_IF_PRESENT {
        if request.header(name).is_some() && !names.iter().any(|n| n == name) {
            return Err(Error::IncompleteSignature(format!(
                "the request has a {name} header, so SignedHeaders must include it"
            )));
        }
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let mut values: Vec<&str> = request
            .header_values(name)
            .into_iter()
            .map(str::trim)
            .collect();
        if values.is_empty() {
            return Err(Error::IncompleteSignature(format!(
                "the signed header {name} is not in the request"
            )));
        }
        values.sort_unstable();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }

    let credentials = kms.credentials(access_key_id)?;

    check_body_hash(request)?;
    let content_sha256 = request.header("x-acs-content-sha256").unwrap_or_default();

    let mut query: Vec<(&str, &str)> = params
        .query
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    query.sort_unstable();
    let canonical_query = query
        .iter()
        .map(|(n, v)| format!("{}={}", percent_encode(n), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_request = format!(
        "{}\n{}\n{canonical_query}\n{canonical_headers}\n{}\n{content_sha256}",
        request.method,
        request.path,
        names.join(";")
    );
    let string_to_sign = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex(&crypto::sha256(canonical_request.as_bytes()))
    );
    let expected = hex(&crypto::hmac_sha256(
        credentials.secret.as_bytes(),
        string_to_sign.as_bytes(),
    ));
    if !constant_time_eq(
        expected.as_bytes(),
        signature.to_ascii_lowercase().as_bytes(),
    ) {
        return Err(Error::SignatureDoesNotMatch(
            "check the AccessKeySecret, and that the request was not changed after signing"
                .to_owned(),
        ));
    }

    check_timestamp(kms, request.header("x-acs-date"), "x-acs-date")?;
    let nonce = request.header("x-acs-signature-nonce").unwrap_or_default();
    check_nonce(kms, access_key_id, nonce)?;
    Ok(Caller {
        access_key_id: credentials.access_key_id.clone(),
        account_id: credentials.account_id.clone(),
    })
}

fn rpc_v1<S: Store>(kms: &Kms<S>, request: &WireRequest, params: &Params) -> Result<Caller> {
    let need = |name: &str| {
        params
            .optional(name)
            .ok_or_else(|| Error::IncompleteSignature(format!("the {name} parameter is missing")))
    };
    let access_key_id = need("AccessKeyId")?;
    let signature = need("Signature")?;
    if need("SignatureMethod")? != "HMAC-SHA1" {
        return Err(Error::IncompleteSignature(
            "SignatureMethod must be HMAC-SHA1".to_owned(),
        ));
    }
    if need("SignatureVersion")? != "1.0" {
        return Err(Error::IncompleteSignature(
            "SignatureVersion must be 1.0".to_owned(),
        ));
    }
    let timestamp = need("Timestamp")?;
    let nonce = need("SignatureNonce")?;

    let credentials = kms.credentials(access_key_id)?;

    let signed: Vec<(&str, &str)> = params.all().filter(|(n, _)| *n != "Signature").collect();
    let (_, expected) =
        rpc_v1_signature(&request.method, &request.path, &signed, &credentials.secret);
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Err(Error::SignatureDoesNotMatch(
            "check the AccessKeySecret, and that no parameter was changed after signing".to_owned(),
        ));
    }

    check_timestamp(kms, Some(timestamp), "Timestamp")?;
    check_nonce(kms, access_key_id, nonce)?;
    Ok(Caller {
        access_key_id: credentials.access_key_id.clone(),
        account_id: credentials.account_id.clone(),
    })
}

/// Checks `x-acs-content-sha256`, when the request has one, against the body received.
pub fn check_body_hash(request: &WireRequest) -> Result<()> {
    match request.header("x-acs-content-sha256") {
        Some(claimed) if !claimed.eq_ignore_ascii_case(&hex(&crypto::sha256(&request.body))) => {
            Err(Error::SignatureDoesNotMatch(
                "x-acs-content-sha256 is not the SHA-256 of the body received".to_owned(),
            ))
        }
        _ => Ok(()),
    }
}

/// The legacy RPC signature: `StringToSign = METHOD&pe(path)&pe(sorted pe(k)=pe(v) joined by &)`,
/// signed with HMAC-SHA1 under `secret + "&"`, base64. Returns the string to sign and the signature.
pub fn rpc_v1_signature(
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    secret: &str,
) -> (String, String) {
    let mut sorted = params.to_vec();
    sorted.sort_unstable();
    let canonical = sorted
        .iter()
        .map(|(n, v)| format!("{}={}", percent_encode(n), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let string_to_sign = format!(
        "{method}&{}&{}",
        percent_encode(path),
        percent_encode(&canonical)
    );
    let key = zeroize::Zeroizing::new(format!("{secret}&"));
    let signature = STANDARD.encode(crypto::hmac_sha1(key.as_bytes(), string_to_sign.as_bytes()));
    (string_to_sign, signature)
}

fn check_timestamp<S: Store>(kms: &Kms<S>, value: Option<&str>, name: &str) -> Result<()> {
    let value = value.unwrap_or_default();
    let at = OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
        Error::IllegalTimestamp(format!("{name} must be UTC time like 2026-11-29T09:36:38Z"))
    })?;
    let skew = (at.unix_timestamp() - kms.now()).abs();
    if skew > MAX_CLOCK_SKEW_SECONDS {
        return Err(Error::IllegalTimestamp(format!(
            "{name} is {skew} seconds from the server's clock; at most {MAX_CLOCK_SKEW_SECONDS} are allowed"
        )));
    }
    Ok(())
}

fn check_nonce<S: Store>(kms: &Kms<S>, access_key_id: &str, nonce: &str) -> Result<()> {
    if nonce.is_empty() || nonce.len() > 128 {
        return Err(Error::IncompleteSignature(
            "the signature nonce must be 1 to 128 characters".to_owned(),
        ));
    }
    kms.use_nonce(access_key_id, nonce)
}
