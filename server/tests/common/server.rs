//! The HTTP router without a socket, with the test account's signer: for tests that send signed
//! requests and check that refusals change nothing.

use std::sync::Arc;

use byok_kms::http::{AppState, router};
use serde_json::Value;

use super::Fixture;
use super::client::{Signed, Signer};

/// The router around a fresh [`Fixture`], and a signer for its default account.
pub struct Server {
    /// The KMS and its clock.
    pub f: Fixture,
    /// The HTTP router.
    pub router: axum::Router,
    /// Signs as `testid`/`testsecret`.
    pub signer: Signer,
}

/// A fresh server; pages of `http://app.example` may call it (CORS).
pub fn server() -> Server {
    server_around(Fixture::new())
}

/// A fresh server with the operator's `settings`.
pub fn server_with(settings: byok_kms::kms::Settings) -> Server {
    server_around(Fixture::with_settings(settings))
}

fn server_around(f: Fixture) -> Server {
    let router = router(Arc::new(AppState {
        kms: f.kms.clone(),
        www_dir: None,
        pkg_dir: None,
        cors_origins: vec!["http://app.example".into()],
        request_timeout: std::time::Duration::from_secs(10),
    }));
    Server {
        f,
        router,
        signer: Signer::test(),
    }
}

impl Server {
    /// The KMS clock's time.
    pub fn now(&self) -> i64 {
        self.f.kms.now()
    }

    /// An ACS3 request with a fresh nonce.
    pub fn acs3(&self, action: &str, params: &[(&str, &str)]) -> Signed {
        self.signer.acs3(action, params, self.now(), &nonce())
    }

    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Value {
        let (status, body) = self.acs3(action, params).send(&self.router).await;
        assert_eq!(status, 200, "{action}: {body}");
        assert!(
            body["RequestId"].as_str().is_some_and(|id| id.len() == 36),
            "{body}"
        );
        body
    }

    /// Sends `request`, expects `status` and `code`, and checks the database did not change.
    pub async fn refused(&self, request: Signed, status: u16, code: &str) -> Value {
        let before = self.f.dump();
        let (got_status, body) = request.send(&self.router).await;
        assert_eq!(
            (got_status, body["Code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert_eq!(body["HttpStatus"], status);
        assert!(body["Message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(body["RequestId"].is_string());
        assert_eq!(
            self.f.dump(),
            before,
            "a refused request ({code}) changed the database"
        );
        body
    }
}

/// A fresh signature nonce.
pub fn nonce() -> String {
    byok_kms::crypto::random_uuid().unwrap()
}
