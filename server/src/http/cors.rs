//! CORS for the API: pages of the origins `--cors-origin` names (or any, with `*`) may call it;
//! no other page can (the default: only the console, served by byok-kms itself).
//!
//! Not tower-http's `CorsLayer`: that answers every preflight `200` and leaves a refused origin
//! to find out from a browser error. A refused preflight here is `403` with a message naming the
//! flag, so an operator sees at once what to change.

use std::sync::{Arc, LazyLock};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::api::{alibaba, aws};
use crate::store::Store;

/// The request headers a signed call may carry, for both doors: a preflight does not say which
/// door the call is for.
static ALLOW_HEADERS: LazyLock<HeaderValue> =
    LazyLock::new(|| both(alibaba::CORS_HEADERS, aws::CORS_HEADERS));

/// The reply headers a page's client reads: each door's request id (the AWS SDK puts
/// `x-amzn-RequestId` in every error's `$metadata`).
static EXPOSE_HEADERS: LazyLock<HeaderValue> =
    LazyLock::new(|| both(alibaba::REQUEST_ID_HEADER, aws::REQUEST_ID_HEADER));

/// One header list of two.
fn both(first: &'static str, second: &'static str) -> HeaderValue {
    // Both are this crate's constants, lower-case ASCII names and commas: always a valid value.
    HeaderValue::try_from(format!("{first}, {second}")).expect("CORS header lists are ASCII")
}

/// The `Access-Control-Allow-Origin` value for a request from `origin`, if it is allowed.
fn allowed_origin<S: Store>(state: &AppState<S>, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let origin_text = origin.to_str().ok()?;
    if state.cors_origins.iter().any(|o| o == "*") {
        Some(HeaderValue::from_static("*"))
    } else if state.cors_origins.iter().any(|o| o == origin_text) {
        Some(origin.clone())
    } else {
        None
    }
}

/// Adds the CORS headers to API replies for allowed origins.
pub async fn allow_origin<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = allowed_origin(&state, request.headers());
    let mut response = next.run(request).await;
    if let Some(origin) = allowed {
        let h = response.headers_mut();
        h.entry(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .or_insert(origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            EXPOSE_HEADERS.clone(),
        );
        h.insert(header::VARY, HeaderValue::from_static("origin"));
    }
    response
}

/// Answers a preflight: `204` with what a signed call needs for an allowed origin, `403`
/// otherwise.
pub async fn preflight<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
) -> Response {
    match allowed_origin(&state, &headers) {
        Some(origin) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let h = response.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("POST"),
            );
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS.clone());
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            response
        }
        None => super::files::plain(
            StatusCode::FORBIDDEN,
            "this origin may not call the KMS API; start byok-kms with --cors-origin\n",
        ),
    }
}
