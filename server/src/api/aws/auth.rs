//! Request authentication: AWS Signature Version 4, verified with the canonicaliser the client
//! signs with (`byok_wrap::sign::sigv4`).
//!
//! Checked in this order: the `Authorization` header is SigV4 and complete; its scope is this
//! server's AWS region and the `kms` service; the signed headers cover `host` and `x-amz-date`
//! (and `content-type` and `x-amz-target`, which every call carries); the access key is an AWS
//! key; the signature matches (constant-time, over the SHA-256 of the body received); the date is
//! within 5 minutes of the server's clock. A request that fails any of them is refused before
//! its operation runs.

use byok_wrap::sign::sigv4::{self, AuthorizationError, Scope};
use time::PrimitiveDateTime;
use time::macros::format_description;

use super::error::{Error, Result};
use crate::api::ApiRequest;
use crate::api::alibaba::params::decode_form;
use crate::crypto::{self, constant_time_eq};
use crate::kms::account::AccessKeyKind;
use crate::kms::{Credentials, Error as KmsError, Kms};
use crate::store::Store;

/// The service name in SigV4 scopes.
pub const SERVICE: &str = "kms";

/// How far a request's `X-Amz-Date` may be from the server's clock.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 5 * 60;

/// Headers a signature must cover.
const MUST_SIGN_ALWAYS: [&str; 2] = ["host", "x-amz-date"];

/// Headers a signature must cover when the request carries them.
const MUST_SIGN_IF_PRESENT: [&str; 3] = ["content-type", "x-amz-target", "x-amz-security-token"];

/// The secret a signature is checked with when the access key does not exist, so that the
/// check takes the same path (the reply then says the key is unknown).
const DECOY_SECRET: &str = "byok-kms: no such access key";

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The access key that signed it.
    pub access_key_id: String,
    /// The account it acts for.
    pub account_id: String,
}

/// Verifies the request's SigV4 signature and date, and returns the caller.
pub fn authenticate<S: Store>(kms: &Kms<S>, request: &ApiRequest) -> Result<Caller> {
    let value = request
        .header("authorization")
        .ok_or(Error::MissingAuthenticationToken)?;
    let authorization = sigv4::parse_authorization(value).map_err(|e| {
        Error::IncompleteSignature(
            match e {
                AuthorizationError::NotSigV4 => {
                    "the Authorization header must use AWS4-HMAC-SHA256".to_owned()
                }
                AuthorizationError::Missing(field) => {
                    format!("the Authorization header has no {field}")
                }
                AuthorizationError::MalformedCredential => {
                    "the Credential must be <access key id>/<yyyymmdd>/<region>/kms/aws4_request"
                        .to_owned()
                }
            }
            .into(),
        )
    })?;
    let scope = authorization.scope;
    if scope.service != SERVICE {
        return Err(Error::InvalidSignature(
            format!(
                "the credential is scoped to the service {:?}; it must be kms",
                crate::kms::rules::echo(scope.service)
            )
            .into(),
        ));
    }
    if scope.region != kms.aws_region() {
        return Err(Error::InvalidSignature(
            format!(
                "the credential is scoped to the region {:?}, but this server is {} \
                 (--aws-region)",
                crate::kms::rules::echo(scope.region),
                kms.aws_region()
            )
            .into(),
        ));
    }
    let signed = request
        .signed_headers(
            authorization.signed_headers,
            &MUST_SIGN_ALWAYS,
            &MUST_SIGN_IF_PRESENT,
        )
        .map_err(Error::IncompleteSignature)?;
    let headers: Vec<(&str, &str)> = signed.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let amz_date = request.header("x-amz-date").unwrap_or_default();
    if !amz_date.starts_with(scope.date) || scope.date.len() != 8 {
        return Err(Error::IncompleteSignature(
            "the credential's date must be the date of X-Amz-Date".into(),
        ));
    }

    kms.check_signed_host(request.header("host").unwrap_or_default())?;
    let credentials = known(kms, authorization.access_key_id)?;
    let query = decode_form(&request.query)
        .map_err(|_| Error::IncompleteSignature("the query string is malformed".into()))?;
    let query: Vec<(&str, &str)> = query
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let payload = byok_wrap::sign::hex(&crypto::sha256(&request.body));
    let canonical = sigv4::canonicalize(&sigv4::RequestParts {
        method: &request.method,
        path: &request.path,
        query: &query,
        headers: &headers,
        payload_sha256_hex: &payload,
    });
    let string_to_sign = sigv4::string_to_sign(amz_date, scope, &canonical.request);
    let secret = credentials
        .as_ref()
        .map_or(DECOY_SECRET, |c| c.secret.as_str());
    let expected = sigv4::signature(secret, Scope { ..scope }, &string_to_sign);
    let matches = constant_time_eq(
        expected.as_bytes(),
        authorization.signature.to_ascii_lowercase().as_bytes(),
    );
    let Some(credentials) = credentials else {
        return Err(KmsError::AccessKeyNotFound.into());
    };
    if !matches {
        return Err(Error::InvalidSignature(
            format!(
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method. The String-to-Sign should \
                 have been\n'{string_to_sign}'\n"
            )
            .into(),
        ));
    }
    check_date(kms, amz_date)?;
    Ok(Caller {
        access_key_id: credentials.access_key_id.clone(),
        account_id: credentials.account_id.clone(),
    })
}

/// The AWS access key's credentials, or `None` when there is no AWS key with this id.
fn known<S: Store>(kms: &Kms<S>, access_key_id: &str) -> Result<Option<Credentials>> {
    match kms.credentials_of(AccessKeyKind::Aws, access_key_id) {
        Ok(credentials) => Ok(Some(credentials)),
        Err(KmsError::AccessKeyNotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// Checks `X-Amz-Date` (`yyyymmddTHHMMSSZ`) against the server's clock.
fn check_date<S: Store>(kms: &Kms<S>, amz_date: &str) -> Result<()> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    let at = PrimitiveDateTime::parse(amz_date, format)
        .map_err(|_| {
            Error::IncompleteSignature("X-Amz-Date must be UTC time like 20261203T143000Z".into())
        })?
        .assume_utc()
        .unix_timestamp();
    let skew = (at - kms.now()).abs();
    if skew > MAX_CLOCK_SKEW_SECONDS {
        return Err(Error::InvalidSignature(
            format!(
                "Signature expired or not yet valid: X-Amz-Date {amz_date} is {skew} seconds from \
                 the server's clock; at most {MAX_CLOCK_SKEW_SECONDS} are allowed"
            )
            .into(),
        ));
    }
    Ok(())
}
