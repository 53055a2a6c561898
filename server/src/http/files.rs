//! The console's static files and the npm package, with tower-http's `ServeDir` (which refuses
//! paths outside its directory and serves `index.html` for `/`), under the console's security
//! headers (DESIGN.md, "The console").

use std::path::Path;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The security headers of every page the server serves.
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

/// The service for every path but the API's: `/pkg/…` from `pkg_dir`, the rest from `www_dir`;
/// 404 where a directory is not configured.
pub fn site(www_dir: Option<&Path>, pkg_dir: Option<&Path>) -> Router {
    let mut router = Router::new();
    router = match pkg_dir {
        Some(dir) => router.nest_service("/pkg", ServeDir::new(dir)),
        None => router.route("/pkg/{*rest}", any(not_found)),
    };
    router = match www_dir {
        Some(dir) => router.fallback_service(ServeDir::new(dir)),
        None => router.fallback(not_found),
    };
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    router
}

async fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "not found\n")
}

/// A plain-text reply under the security headers.
pub fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut response = (status, text).into_response();
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
