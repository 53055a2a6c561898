//! Request authentication: ACS3-HMAC-SHA256 (the current SDKs) and the legacy RPC HMAC-SHA1
//! signature (older SDKs, and the current ones with `signature_algorithm='v2'`), verified with
//! the canonicalisers the client signs with (`byok_wrap::sign`).
//!
//! Checked in this order: the signature is present and covers what it must; the access key
//! exists; the signature matches (constant-time); the timestamp is within 15 minutes; the nonce
//! is new. (The body's hash was checked before its parameters were parsed.) A request that fails
//! any of them is refused before its action runs.

use byok_wrap::sign::{acs3, rpc_v1};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::{Error, Result};
use super::params::Params;
use crate::api::ApiRequest;
use crate::crypto::{self, constant_time_eq};
use crate::kms::{Credentials, Error as KmsError, Kms, SignatureScheme};
use crate::store::Store;

/// How far a request's timestamp may be from the server's clock.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 15 * 60;

/// Headers an ACS3 signature must cover.
const MUST_SIGN_ALWAYS: [&str; 4] = [
    "host",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
];

/// Headers an ACS3 signature must cover when the request carries them.
const MUST_SIGN_IF_PRESENT: [&str; 3] = ["x-acs-action", "x-acs-version", "content-type"];

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
    request: &ApiRequest,
    params: &Params,
) -> Result<Caller> {
    if let Some(authorization) = request.header("authorization") {
        let Some(fields) = authorization.strip_prefix("ACS3-HMAC-SHA256 ") else {
            return Err(Error::IncompleteSignature(
                "the Authorization header must use ACS3-HMAC-SHA256".into(),
            ));
        };
        verify_acs3(kms, request, params, fields)
    } else if params.get("Signature").is_some() {
        verify_rpc_v1(kms, request, params)
    } else {
        Err(Error::IncompleteSignature(
            "the request is not signed: send an ACS3-HMAC-SHA256 Authorization header or the \
             RPC Signature parameters"
                .into(),
        ))
    }
}

/// Checks `x-acs-content-sha256`, when the request has one, against the body received.
pub fn check_body_hash(request: &ApiRequest) -> Result<()> {
    match request.header("x-acs-content-sha256") {
        Some(claimed)
            if !claimed
                .eq_ignore_ascii_case(&byok_wrap::sign::hex(&crypto::sha256(&request.body))) =>
        {
            Err(Error::BodyHashMismatch)
        }
        _ => Ok(()),
    }
}

fn verify_acs3<S: Store>(
    kms: &Kms<S>,
    request: &ApiRequest,
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
    let incomplete = |what: &str| {
        Error::IncompleteSignature(format!("the Authorization header has no {what}").into())
    };
    let access_key_id = credential
        .filter(|c| !c.is_empty())
        .ok_or_else(|| incomplete("Credential"))?;
    let signed_headers = signed_headers
        .filter(|s| !s.is_empty())
        .ok_or_else(|| incomplete("SignedHeaders"))?;
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or_else(|| incomplete("Signature"))?;

    let signed = request
        .signed_headers(signed_headers, &MUST_SIGN_ALWAYS, &MUST_SIGN_IF_PRESENT)
        .map_err(Error::IncompleteSignature)?;
    let headers: Vec<(&str, &str)> = signed.iter().map(|(n, v)| (n.as_str(), *v)).collect();

    kms.check_signed_host(request.header("host").unwrap_or_default())?;
    let credentials = known(kms, access_key_id)?;
    let query: Vec<(&str, &str)> = params
        .query
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let canonical = acs3::canonicalize(&acs3::RequestParts {
        method: &request.method,
        path: &request.path,
        query: &query,
        headers: &headers,
        body_sha256_hex: request.header("x-acs-content-sha256").unwrap_or_default(),
    });
    let string_to_sign = acs3::string_to_sign(&canonical.request);
    let expected = acs3::signature(secret_of(&credentials), &string_to_sign);
    let matches = constant_time_eq(
        expected.as_bytes(),
        signature.to_ascii_lowercase().as_bytes(),
    );
    let (Some(credentials), true) = (credentials, matches) else {
        return Err(Error::SignatureDoesNotMatch { string_to_sign });
    };

    let signed_at = check_timestamp(kms, request.header("x-acs-date"), "x-acs-date")?;
    let nonce = request.header("x-acs-signature-nonce").unwrap_or_default();
    check_nonce(kms, access_key_id, nonce, signed_at)?;
    Ok(Caller {
        access_key_id: credentials.access_key_id.clone(),
        account_id: credentials.account_id.clone(),
    })
}

fn verify_rpc_v1<S: Store>(kms: &Kms<S>, request: &ApiRequest, params: &Params) -> Result<Caller> {
    let need = |name: &str| {
        params.optional(name).ok_or_else(|| {
            Error::IncompleteSignature(format!("the {name} parameter is missing").into())
        })
    };
    kms.check_signature_scheme(SignatureScheme::LegacyRpc)?;
    // Not covered by this signature, but a request for another server is refused all the same.
    kms.check_signed_host(request.header("host").unwrap_or_default())?;
    let access_key_id = need("AccessKeyId")?;
    let signature = need("Signature")?;
    if need("SignatureMethod")? != "HMAC-SHA1" {
        return Err(Error::IncompleteSignature(
            "SignatureMethod must be HMAC-SHA1".into(),
        ));
    }
    if need("SignatureVersion")? != "1.0" {
        return Err(Error::IncompleteSignature(
            "SignatureVersion must be 1.0".into(),
        ));
    }
    let timestamp = need("Timestamp")?;
    let nonce = need("SignatureNonce")?;

    let credentials = known(kms, access_key_id)?;
    let signed: Vec<(&str, &str)> = params.all().filter(|(n, _)| *n != "Signature").collect();
    let string_to_sign = rpc_v1::string_to_sign(&request.method, &request.path, &signed);
    let expected = rpc_v1::signature(secret_of(&credentials), &string_to_sign);
    let matches = constant_time_eq(expected.as_bytes(), signature.as_bytes());
    let (Some(credentials), true) = (credentials, matches) else {
        return Err(Error::SignatureDoesNotMatch { string_to_sign });
    };

    let signed_at = check_timestamp(kms, Some(timestamp), "Timestamp")?;
    check_nonce(kms, access_key_id, nonce, signed_at)?;
    Ok(Caller {
        access_key_id: credentials.access_key_id.clone(),
        account_id: credentials.account_id.clone(),
    })
}

/// The secret a signature is checked with when the access key does not exist: the check runs
/// all the same and fails the same way, so that a reply never tells an unknown access key from
/// a wrong secret.
const DECOY_SECRET: &str = "byok-kms: no such access key";

/// The access key's credentials, or `None` when it does not exist.
fn known<S: Store>(kms: &Kms<S>, access_key_id: &str) -> Result<Option<Credentials>> {
    match kms.credentials(access_key_id) {
        Ok(credentials) => Ok(Some(credentials)),
        Err(KmsError::AccessKeyNotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

fn secret_of(credentials: &Option<Credentials>) -> &str {
    credentials
        .as_ref()
        .map_or(DECOY_SECRET, |c| c.secret.as_str())
}

/// Checks the request's time against the server's clock; returns it (Unix seconds).
fn check_timestamp<S: Store>(kms: &Kms<S>, value: Option<&str>, name: &str) -> Result<i64> {
    let value = value.unwrap_or_default();
    let at = OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
        Error::IllegalTimestamp(format!("{name} must be UTC time like 2026-11-29T09:36:38Z"))
    })?;
    let skew = (at.unix_timestamp() - kms.now()).abs();
    if skew > MAX_CLOCK_SKEW_SECONDS {
        return Err(Error::IllegalTimestamp(format!(
            "{name} is {skew} seconds from the server's clock; at most \
             {MAX_CLOCK_SKEW_SECONDS} are allowed"
        )));
    }
    Ok(at.unix_timestamp())
}

fn check_nonce<S: Store>(
    kms: &Kms<S>,
    access_key_id: &str,
    nonce: &str,
    signed_at: i64,
) -> Result<()> {
    if nonce.is_empty() || nonce.len() > 128 {
        return Err(Error::IncompleteSignature(
            "the signature nonce must be 1 to 128 characters".into(),
        ));
    }
    Ok(kms.use_nonce(access_key_id, nonce, signed_at)?)
}
