//! The Alibaba Cloud KMS API 2016-01-20 front door (RPC style): [`handle`] takes one request,
//! decodes its parameters ([`params`]), authenticates it ([`auth`]), runs its action
//! ([`actions`]: one core call each) and renders the JSON reply ([`reply`]); [`error`] maps every
//! error to its wire code and status, in one place.
//!
//! It decides nothing a rule would decide: the rules live in [`crate::kms`].

pub mod actions;
pub mod asymmetric;
pub mod auth;
pub mod error;
pub mod params;
pub mod reply;

use serde_json::Value;

use super::{ApiRequest, ApiResponse};
use crate::kms::rules::echo;
use crate::kms::{Kms, Operation};
use crate::store::Store;
use error::{Error, Result};
use params::Params;

/// The API version this door speaks.
pub const API_VERSION: &str = "2016-01-20";

/// The header that carries the request id in replies.
pub const REQUEST_ID_HEADER: &str = "x-acs-request-id";

/// The request headers a browser must be allowed to send for a signed call (CORS).
pub const CORS_HEADERS: &str = "authorization, content-type, x-acs-action, x-acs-version, \
     x-acs-date, x-acs-signature-nonce, x-acs-content-sha256";

/// Whether a `GET` is an API call (it carries an action or a signature) rather than a request for
/// the console: `@alicloud/pop-core` and the legacy Python SDK call the API with GET.
pub fn claims_get(request: &ApiRequest) -> bool {
    request.header("x-acs-action").is_some()
        || request.header("authorization").is_some()
        || request.query.split('&').any(|pair| {
            let name = pair.split_once('=').map_or(pair, |(n, _)| n);
            matches!(name, "Action" | "Signature" | "AccessKeyId")
        })
}

/// What kind of work the request's action does, read before the request is decoded (the
/// `x-acs-action` header or an `Action=` in the query), so that the HTTP layer can choose a
/// thread for it; `Write` when unknown.
pub fn operation<S: Store>(request: &ApiRequest) -> Operation {
    let action = request.header("x-acs-action").or_else(|| {
        request
            .query
            .split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
    });
    action
        .and_then(|a| {
            actions::actions::<S>()
                .into_iter()
                .find(|(name, _, _)| *name == a)
        })
        .map_or(Operation::Write, |(_, operation, _)| operation)
}

/// Handles one API request end to end. Never panics on client input; every failure is a JSON
/// error with its code. `request_id` is echoed in the reply.
pub fn handle<S: Store>(kms: &Kms<S>, request: &ApiRequest, request_id: &str) -> ApiResponse {
    let mut action = None;
    let result = (|| {
        // A body that does not match its signed hash is refused before it is even parsed.
        auth::check_body_hash(request)?;
        let params = Params::from_request(request)?;
        let name = action_name(request, &params)?;
        action = Some(name.clone());
        let (_, _, handler) = actions::actions::<S>()
            .into_iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| Error::UnknownAction(echo(&name)))?;
        params.refuse_extensions(actions::PARAMETERS)?;
        let caller = auth::authenticate(kms, request, &params)?;
        handler(kms, &caller.account_id, &params)
    })();
    match result {
        Ok(mut body) => {
            if let Value::Object(map) = &mut body {
                map.insert("RequestId".into(), request_id.into());
            }
            ApiResponse::json(200, body.to_string(), REQUEST_ID_HEADER, request_id, action)
        }
        Err(error) => error_response(&error, request_id, action),
    }
}

/// The reply for an error, logging internal failures once, with their cause.
pub fn error_response(error: &Error, request_id: &str, action: Option<String>) -> ApiResponse {
    let (code, status) = error.code_and_status();
    if error.is_internal() {
        tracing::error!(
            request_id,
            action = action.as_deref().unwrap_or("-"),
            error = %crate::kms::error::Chain(error),
            "internal failure"
        );
    }
    let body = serde_json::json!({
        "HttpStatus": status,
        "Code": code,
        "Message": error.message(),
        "RequestId": request_id,
    });
    let mut response = ApiResponse::json(
        status,
        body.to_string(),
        REQUEST_ID_HEADER,
        request_id,
        action,
    );
    response.code = Some(code);
    response
}

/// The action, from `x-acs-action` or `Action` (both, if given, must agree); and the version check.
fn action_name(request: &ApiRequest, params: &Params) -> Result<String> {
    let header = request.header("x-acs-action");
    let param = params.get("Action");
    let action = match (header, param) {
        (Some(h), Some(p)) if h != p => {
            return Err(Error::invalid(
                "Action",
                "the x-acs-action header and the Action parameter differ",
            ));
        }
        (Some(a), _) | (None, Some(a)) if !a.is_empty() => a,
        _ => return Err(Error::MissingParameter("Action".into())),
    };
    let version = request.header("x-acs-version").or(params.get("Version"));
    match version {
        Some(API_VERSION) => Ok(action.to_owned()),
        Some(other) => Err(Error::InvalidVersion(echo(other))),
        None => Err(Error::MissingParameter("Version".into())),
    }
}
