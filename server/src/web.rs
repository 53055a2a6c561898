//! The HTTP router: `POST /` is the KMS API, `GET /healthz` a liveness probe, `GET /pkg/…` the npm
//! package's files, and other `GET`s the console's static files.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::api::{self, WireRequest};
use crate::crypto;
use crate::kms::Kms;
use crate::store::Store;

/// The largest request body accepted, in bytes. The largest legitimate one (Encrypt with 6 KiB of
/// plaintext, base64 in a form body) is well under it.
pub const MAX_BODY: usize = 64 * 1024;

/// The security headers of every page the server serves (DESIGN.md, "The console").
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
         style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
];

/// What the handlers share.
pub struct AppState<S: Store> {
    /// The KMS.
    pub kms: Arc<Kms<S>>,
    /// Where the console's static files are served from (at `/`); `None` serves none.
    pub www_dir: Option<PathBuf>,
    /// Where the npm package's files are served from (at `/pkg/`); `None` serves none.
    pub pkg_dir: Option<PathBuf>,
    /// Origins whose pages may call the API (CORS); `*` for any. Empty: none but our own.
    pub cors_origins: Vec<String>,
    /// Time allowed for a request's body to arrive once its headers have.
    pub request_timeout: std::time::Duration,
}

impl<S: Store> AppState<S> {
    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if it is allowed.
    fn allowed_origin(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        let origin_text = origin.to_str().ok()?;
        if self.cors_origins.iter().any(|o| o == "*") {
            Some(HeaderValue::from_static("*"))
        } else if self.cors_origins.iter().any(|o| o == origin_text) {
            Some(origin.clone())
        } else {
            None
        }
    }
}

/// The request headers a browser must be allowed to send for a signed API call.
const CORS_ALLOWED_HEADERS: &str = "authorization, content-type, x-acs-action, x-acs-version, \
     x-acs-date, x-acs-signature-nonce, x-acs-content-sha256";

/// Builds the router.
pub fn router<S: Store>(state: Arc<AppState<S>>) -> Router {
    Router::new()
        .route("/healthz", get(healthz::<S>))
        .fallback(dispatch::<S>)
        .with_state(state)
}

/// Liveness, and the size of the wrapping key pool: `{"status":"ok","wrappingKeyPool":N}`.
async fn healthz<S: Store>(State(state): State<Arc<AppState<S>>>) -> Response {
    let kms = state.kms.clone();
    match tokio::task::spawn_blocking(move || kms.pool_size()).await {
        Ok(Ok(pool)) => json_response(
            200,
            serde_json::json!({ "status": "ok", "wrappingKeyPool": pool }).to_string(),
            "",
        ),
        _ => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is not available\n",
        ),
    }
}

async fn dispatch<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match (method.clone(), uri.path()) {
        (Method::POST, "/") => {
            let allowed = state.allowed_origin(&headers);
            let mut response = api_call(state, method, uri, headers, body).await;
            if let Some(origin) = allowed {
                let h = response.headers_mut();
                h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                h.insert(
                    header::ACCESS_CONTROL_EXPOSE_HEADERS,
                    HeaderValue::from_static("x-acs-request-id"),
                );
                h.insert(header::VARY, HeaderValue::from_static("origin"));
            }
            response
        }
        (Method::OPTIONS, "/") => match state.allowed_origin(&headers) {
            Some(origin) => {
                let mut response = StatusCode::NO_CONTENT.into_response();
                let h = response.headers_mut();
                h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("POST"),
                );
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static(CORS_ALLOWED_HEADERS),
                );
                h.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static("600"),
                );
                h.insert(header::VARY, HeaderValue::from_static("origin"));
                response
            }
            None => plain(
                StatusCode::FORBIDDEN,
                "this origin may not call the KMS API; start byok-kms with --cors-origin\n",
            ),
        },
        (Method::GET | Method::HEAD, path) => {
            let (dir, rest) = match path.strip_prefix("/pkg/") {
                Some(rest) => (&state.pkg_dir, rest),
                None => (&state.www_dir, path),
            };
            match dir {
                Some(dir) => static_file(dir, rest).await,
                None => plain(StatusCode::NOT_FOUND, "not found\n"),
            }
        }
        _ => plain(StatusCode::METHOD_NOT_ALLOWED, "the KMS API is POST /\n"),
    }
}

async fn api_call<S: Store>(
    state: Arc<AppState<S>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let request_id = crypto::random_uuid()
        .map(|id| id.to_ascii_uppercase())
        .unwrap_or_default();
    let body =
        match tokio::time::timeout(state.request_timeout, axum::body::to_bytes(body, MAX_BODY))
            .await
        {
            Ok(Ok(bytes)) => bytes.to_vec(),
            Err(_) => {
                let error =
                    crate::error::Error::RequestTimeout(state.request_timeout.as_secs().max(1));
                return json_error(&error, &request_id);
            }
            Ok(Err(_)) => {
                let error = crate::error::Error::invalid(
                    "body",
                    format!("the request body must be at most {MAX_BODY} bytes"),
                );
                return json_error(&error, &request_id);
            }
        };
    let request = WireRequest {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers: headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    let kms = state.kms.clone();
    let id = request_id.clone();
    // Reads and data calls take microseconds: run them here. Calls that may generate an RSA key
    // or wait for a flush of the database go to the blocking pool, so that they never hold up
    // this worker thread.
    let action = request_action(&request).map(str::to_owned);
    let reply = if is_quick(action.as_deref(), &state.kms) {
        Ok(api::handle(&kms, &request, &id))
    } else {
        tokio::task::spawn_blocking(move || api::handle(&kms, &request, &id)).await
    };
    if action.as_deref() == Some("GetParametersForImport") && state.kms.lease_is_low() {
        // Claim the next pool pairs now, off the request path.
        let kms = state.kms.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = kms.top_up_lease() {
                tracing::warn!("claiming wrapping key pairs from the pool failed: {e}");
            }
        });
    }
    let reply = match reply {
        Ok(reply) => reply,
        Err(e) => {
            tracing::error!(request_id, "request handler failed: {e}");
            return json_error(&crate::error::Error::internal("handler"), &request_id);
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
    json_response(reply.status, reply.body, &request_id)
}

/// The action a request names (`x-acs-action` or `Action=` in the query), before decoding.
fn request_action(request: &WireRequest) -> Option<&str> {
    request.header("x-acs-action").or_else(|| {
        request
            .query
            .split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
    })
}

/// Whether a request can be answered in microseconds: an action that reads or uses keys without
/// changing them, or GetParametersForImport while this instance holds pool pairs.
fn is_quick<S: Store>(action: Option<&str>, kms: &Kms<S>) -> bool {
    const QUICK: [&str; 6] = [
        "Encrypt",
        "Decrypt",
        "GenerateDataKey",
        "DescribeKey",
        "ListKeys",
        "ListAliases",
    ];
    kms.store().reads_are_quick()
        && action.is_some_and(|a| {
            QUICK.contains(&a) || (a == "GetParametersForImport" && kms.has_leased_pool_key())
        })
}

fn json_error(error: &crate::error::Error, request_id: &str) -> Response {
    if let crate::error::Error::Internal(cause) = error {
        tracing::error!(request_id, "internal failure: {cause}");
    }
    let body = serde_json::json!({
        "HttpStatus": error.http_status(),
        "Code": error.code(),
        "Message": error.public_message(),
        "RequestId": request_id,
    });
    json_response(error.http_status(), body.to_string(), request_id)
}

fn json_response(status: u16, body: String, request_id: &str) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-acs-request-id", value);
    }
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    with_security_headers((status, text).into_response())
}

fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn static_file(dir: &Path, path: &str) -> Response {
    let relative = path.trim_start_matches('/');
    let relative = if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.to_owned()
    };
    let relative = Path::new(&relative);
    // Only plain names: no `..`, no absolute paths, no drive prefixes.
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    let file = dir.join(relative);
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&file)),
            );
            with_security_headers(response)
        }
        Err(_) => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
