//! The AWS KMS 2014-11-01 front door (AWS JSON 1.1): `POST /` with
//! `X-Amz-Target: TrentService.<Operation>` and a JSON body. [`handle`] takes one request,
//! authenticates it ([`auth`]: SigV4), parses its members ([`input`]), runs its operation
//! ([`operations`]: one core call each, under [`crate::kms::Policy::AWS`]) and renders the JSON
//! reply ([`reply`]); [`error`] maps every error to its `__type` and status, in one place.
//!
//! It decides nothing a rule would decide: the rules live in [`crate::kms`].

mod asymmetric;
pub mod auth;
mod data;
pub mod error;
mod import;
pub mod input;
mod mac;
pub mod operations;
pub mod reply;
mod tags;

use super::{ApiRequest, ApiResponse};
use crate::kms::rules::echo;
use crate::kms::{Kms, Operation};
use crate::store::Store;
use error::Error;
use input::Input;

/// The prefix of every `X-Amz-Target`.
pub const TARGET_PREFIX: &str = "TrentService.";

/// The content type of requests and replies.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The header that carries the request id in replies.
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// The request headers a browser must be allowed to send for a signed call (CORS): what the AWS
/// SDK for JavaScript v3 asks for in its preflight (it signs all of them), and the session token
/// of temporary credentials.
pub const CORS_HEADERS: &str = "amz-sdk-invocation-id, amz-sdk-request, authorization, content-type, \
     x-amz-content-sha256, x-amz-date, x-amz-security-token, x-amz-target, x-amz-user-agent";

/// Whether a request is for this door rather than the Alibaba one: it names an `X-Amz-Target`
/// or is signed with SigV4.
pub fn claims(request: &ApiRequest) -> bool {
    request.header("x-amz-target").is_some()
        || request
            .header("authorization")
            .is_some_and(|a| a.starts_with(byok_wrap::sign::sigv4::ALGORITHM))
}

/// What kind of work the request's operation does, read from `X-Amz-Target` before the request
/// is parsed, so that the HTTP layer can choose a thread for it; `Write` when unknown.
pub fn operation<S: Store>(request: &ApiRequest) -> Operation {
    request
        .header("x-amz-target")
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .and_then(|name| {
            operations::operations::<S>()
                .into_iter()
                .find(|e| e.name == name)
        })
        .map_or(Operation::Write, |e| e.operation)
}

/// Handles one API request end to end. Never panics on client input; every failure is a JSON
/// error with its `__type`. `request_id` is sent back in `x-amzn-RequestId`.
pub fn handle<S: Store>(kms: &Kms<S>, request: &ApiRequest, request_id: &str) -> ApiResponse {
    let mut action = None;
    let result = (|| {
        if request.method != "POST" {
            return Err(Error::validation(
                "the AWS KMS API is called with POST / and a JSON body",
            ));
        }
        let target = request.header("x-amz-target").unwrap_or_default();
        let name = target
            .strip_prefix(TARGET_PREFIX)
            .ok_or_else(|| Error::UnknownOperation(echo(target)))?;
        action = Some(name.to_owned());
        let entry = operations::operations::<S>()
            .into_iter()
            .find(|e| e.name == name)
            .ok_or_else(|| Error::UnknownOperation(echo(name)))?;
        let caller = auth::authenticate(kms, request)?;
        let input = Input::parse(&request.body)?;
        input.refuse_unknown(entry.members)?;
        (entry.handler)(kms, &caller.account_id, &input)
    })();
    match result {
        Ok(body) => reply(200, body.to_string(), request_id, action),
        Err(error) => error_response(&error, request_id, action),
    }
}

/// The reply for an error, logging internal failures once, with their cause.
pub fn error_response(error: &Error, request_id: &str, action: Option<String>) -> ApiResponse {
    let (name, status) = error.type_and_status();
    if error.is_internal() {
        tracing::error!(
            request_id,
            action = action.as_deref().unwrap_or("-"),
            error = %crate::kms::error::Chain(error),
            "internal failure"
        );
    }
    let body = serde_json::json!({ "__type": name, "message": error.message() });
    let mut response = reply(status, body.to_string(), request_id, action);
    response.code = Some(name);
    response
}

fn reply(status: u16, body: String, request_id: &str, action: Option<String>) -> ApiResponse {
    let mut response = ApiResponse::json(status, body, REQUEST_ID_HEADER, request_id, action);
    response.content_type = CONTENT_TYPE;
    response
}
