//! The HTTP layer: one axum [`Router`], cross-cutting concerns as layers, and the connection
//! loop ([`serve`]) with its limits, over TLS ([`tls`]) if asked.
//!
//! - `POST /` (and a `GET /` that carries API parameters) is the KMS API ([`api`]), answered by
//!   the front door the request is for;
//! - `GET /healthz` is a liveness probe with the size of the wrapping key pool;
//! - `GET /pkg/…` serves the npm package, every other `GET` the console ([`files`], tower-http's
//!   `ServeDir` under the console's security headers);
//! - CORS for the API, for the origins `--cors-origin` allows ([`cors`]).
//!
//! It knows HTTP and nothing of the rules; it never builds a wire reply itself (the doors do).

pub mod api;
pub mod cors;
pub mod files;
pub mod serve;
pub mod tls;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::kms::Kms;
use crate::store::Store;

/// The largest request body accepted, in bytes. The largest legitimate one (Encrypt with 6 KiB of
/// plaintext, base64 in a form body) is well under it.
pub const MAX_BODY: usize = 64 * 1024;

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
    pub request_timeout: Duration,
}

/// Builds the router.
pub fn router<S: Store>(state: Arc<AppState<S>>) -> Router {
    let site = files::site(state.www_dir.as_deref(), state.pkg_dir.as_deref());
    let console = site.clone();
    let get_root = move |state: State<Arc<AppState<S>>>, request: axum::extract::Request| {
        api::get(state, console.clone(), request)
    };
    let api = Router::new()
        .route(
            "/",
            get(get_root)
                .post(api::post::<S>)
                .options(cors::preflight::<S>),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::allow_origin::<S>,
        ));
    Router::new()
        .route("/healthz", get(healthz::<S>))
        .merge(api)
        .fallback_service(site)
        .with_state(state)
}

/// Liveness, and the size of the wrapping key pool: `{"status":"ok","wrappingKeyPool":N}`.
async fn healthz<S: Store>(State(state): State<Arc<AppState<S>>>) -> Response {
    let kms = state.kms.clone();
    match tokio::task::spawn_blocking(move || kms.pool_size()).await {
        Ok(Ok(pool)) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "status": "ok", "wrappingKeyPool": pool }).to_string(),
        )
            .into_response(),
        _ => files::plain(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "the database is not available\n",
        ),
    }
}
