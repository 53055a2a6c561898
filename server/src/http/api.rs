//! The API route: reads the body (within the request timeout and [`MAX_BODY`]), hands the
//! request to its front door, on an I/O thread when the core says the call is quick and on the
//! blocking pool otherwise, and logs one line per request.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;

use super::{AppState, MAX_BODY};
use crate::api::alibaba::{self, error::Error as AlibabaError};
use crate::api::aws::{self, error::Error as AwsError};
use crate::api::{ApiRequest, ApiResponse};
use crate::crypto;
use crate::store::Store;

/// `POST /`: an API call.
pub async fn post<S: Store>(State(state): State<Arc<AppState<S>>>, request: Request) -> Response {
    call(state, request).await
}

/// `GET /`: an API call if it carries API parameters (some official clients use GET), else the
/// console.
pub async fn get<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    console: Router,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let probe = ApiRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: header_pairs(&parts.headers),
        body: Vec::new(),
    };
    let request = Request::from_parts(parts, body);
    if alibaba::claims_get(&probe) || aws::claims(&probe) {
        call(state, request).await
    } else {
        match console.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// Which front door a request is for: the AWS one when it names an `X-Amz-Target` or is signed
/// with SigV4, the Alibaba one otherwise. Both listen on the same port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    Alibaba,
    Aws,
}

impl Door {
    fn of(request: &ApiRequest) -> Self {
        if aws::claims(request) {
            Self::Aws
        } else {
            Self::Alibaba
        }
    }

    fn operation<S: Store>(self, request: &ApiRequest) -> crate::kms::Operation {
        match self {
            Self::Alibaba => alibaba::operation::<S>(request),
            Self::Aws => aws::operation::<S>(request),
        }
    }

    fn handle<S: Store>(
        self,
        kms: &crate::kms::Kms<S>,
        request: &ApiRequest,
        id: &str,
    ) -> ApiResponse {
        match self {
            Self::Alibaba => alibaba::handle(kms, request, id),
            Self::Aws => aws::handle(kms, request, id),
        }
    }

    /// The reply when the body did not arrive in `seconds`, or was larger than `MAX_BODY`, or
    /// the handler failed.
    fn failure(self, failure: Failure, request_id: &str) -> ApiResponse {
        match self {
            Self::Alibaba => {
                let error = match failure {
                    Failure::Timeout(seconds) => AlibabaError::RequestTimeout(seconds),
                    Failure::TooLarge => AlibabaError::BodyTooLarge(MAX_BODY),
                    Failure::Panicked => AlibabaError::Kms(crate::kms::Error::Invariant(
                        "a request handler panicked",
                    )),
                };
                alibaba::error_response(&error, request_id, None)
            }
            Self::Aws => {
                let error = match failure {
                    Failure::Timeout(seconds) => AwsError::RequestTimeout(seconds),
                    Failure::TooLarge => AwsError::BodyTooLarge(MAX_BODY),
                    Failure::Panicked => {
                        AwsError::Kms(crate::kms::Error::Invariant("a request handler panicked"))
                    }
                };
                aws::error_response(&error, request_id, None)
            }
        }
    }
}

/// What can go wrong around a door's handler.
#[derive(Debug, Clone, Copy)]
enum Failure {
    Timeout(u64),
    TooLarge,
    Panicked,
}

async fn call<S: Store>(state: Arc<AppState<S>>, request: Request) -> Response {
    let started = Instant::now();
    let request_id = crypto::random_uuid()
        .map(|id| id.to_ascii_uppercase())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let mut request = ApiRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: header_pairs(&parts.headers),
        body: Vec::new(),
    };
    let door = Door::of(&request);
    request.body =
        match tokio::time::timeout(state.request_timeout, axum::body::to_bytes(body, MAX_BODY))
            .await
        {
            Ok(Ok(bytes)) => bytes.to_vec(),
            Err(_) => {
                let seconds = state.request_timeout.as_secs().max(1);
                return render(door.failure(Failure::Timeout(seconds), &request_id));
            }
            Ok(Err(_)) => return render(door.failure(Failure::TooLarge, &request_id)),
        };
    let kms = state.kms.clone();
    let id = request_id.clone();
    // Reads and data calls take microseconds: run them here. Calls that may generate an RSA key
    // or wait for a flush of the database go to the blocking pool, so that they never hold up
    // this I/O thread.
    let reply = if state.kms.is_quick(door.operation::<S>(&request)) {
        door.handle(&kms, &request, &id)
    } else {
        match tokio::task::spawn_blocking(move || door.handle(&kms, &request, &id)).await {
            Ok(reply) => reply,
            Err(e) => {
                tracing::error!(request_id, "request handler failed: {e}");
                door.failure(Failure::Panicked, &request_id)
            }
        }
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let action = reply.action.as_deref().unwrap_or("-");
    match reply.code {
        None => tracing::info!(request_id, action, status = reply.status, elapsed_ms, "ok"),
        Some(code) => tracing::info!(
            request_id,
            action,
            status = reply.status,
            code,
            elapsed_ms,
            "refused"
        ),
    }
    render(reply)
}

fn header_pairs(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The HTTP response for a door's reply.
pub fn render(reply: ApiResponse) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, reply.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    // A reply names keys and carries plaintexts: no cache keeps it, no browser sniffs it.
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}
