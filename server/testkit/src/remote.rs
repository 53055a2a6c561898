//! A client for a running byok-kms (or any KMS speaking the same API): signs each call like the
//! official SDKs (ACS3-HMAC-SHA256 for the Alibaba API, SigV4 and JSON 1.1 for the AWS one, with
//! byok-wrap's signers) and sends it over HTTP/1.1 with keep-alive.
//! The load generator and the process-level tests (crashes, races, limits) use it.

use std::sync::Arc;

use byok_wrap::sign::{AccessKey, nonce, sign};
use byok_wrap::{KeyMaterial, WrappingAlgorithm, WrappingPublicKey};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde_json::Value;

/// How long an idle connection is kept for reuse: less than the smallest `--request-timeout` a
/// byok-kms accepts (1 s), after which the server closes idle keep-alive connections. A client
/// that keeps connections longer than the server races the server's close: its next request can
/// go out on a socket the server is shutting, and fail with no reply (a POST must not be resent).
pub const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(800);

/// What a client needs for ImportKeyMaterial: the material wrapped for one
/// GetParametersForImport's public key, and that call's token.
pub struct WrappedForImport {
    /// `EncryptedKeyMaterial`: the wrapped material, base64.
    pub wrapped: String,
    /// `ImportToken`.
    pub token: String,
    /// The wrapping public key it was wrapped for, base64 DER, as the KMS sent it.
    pub public_key: String,
}

/// Which API a client speaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Api {
    /// Alibaba Cloud KMS 2016-01-20 (RPC, ACS3).
    Alibaba,
    /// AWS KMS 2014-11-01 (JSON 1.1, SigV4) in this region.
    Aws {
        /// The SigV4 region.
        region: String,
    },
}

/// A signing client for one endpoint and access key. Cloning shares its connections.
#[derive(Clone)]
pub struct RemoteKms {
    http: Client<HttpConnector, Full<Bytes>>,
    origin: String,
    host: String,
    key: Arc<AccessKey>,
    api: Api,
}

impl RemoteKms {
    /// A client for `endpoint` (e.g. `http://127.0.0.1:8080`) keeping up to `connections` idle
    /// connections open, each for at most [`IDLE_TIMEOUT`].
    pub fn new(endpoint: &str, access_key_id: &str, secret: &str, connections: usize) -> Self {
        let origin = endpoint.trim_end_matches('/').to_owned();
        let host = origin
            .split_once("://")
            .map_or(origin.as_str(), |(_, rest)| rest)
            .to_owned();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            http: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(connections.max(1))
                .pool_idle_timeout(IDLE_TIMEOUT)
                .pool_timer(TokioTimer::new())
                .build(connector),
            origin,
            host,
            key: Arc::new(AccessKey::new(access_key_id, secret)),
            api: Api::Alibaba,
        }
    }

    /// The same client speaking `api` (its access key must be of that API).
    pub fn speaking(mut self, api: Api) -> Self {
        self.api = api;
        self
    }

    /// Which API it speaks.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// Sends one signed call; returns the HTTP status and the JSON reply (`Null` if the reply was
    /// not JSON), or why no reply came.
    pub async fn call(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<(u16, Value), String> {
        self.call_with_nonce(action, params, &nonce().map_err(|e| e.to_string())?)
            .await
    }

    /// Like [`RemoteKms::call`] with a signature nonce of the caller's choosing: sending the
    /// same nonce twice is how a replay looks.
    pub async fn call_with_nonce(
        &self,
        action: &str,
        params: &[(&str, &str)],
        nonce: &str,
    ) -> Result<(u16, Value), String> {
        if let Api::Aws { region } = &self.api {
            return self.call_aws(region, action, params).await;
        }
        let date = time::OffsetDateTime::now_utc()
            .format(&time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .map_err(|e| e.to_string())?;
        let signed = sign(&self.host, &self.key, action, params, &date, nonce);
        let mut request = hyper::Request::post(format!("{}/?{}", self.origin, signed.query));
        for (name, value) in &signed.headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())?;
        self.send(request).await
    }

    /// An AWS JSON 1.1 call: the parameters as string members of the body, SigV4-signed.
    async fn call_aws(
        &self,
        region: &str,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<(u16, Value), String> {
        let body: serde_json::Map<String, Value> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect();
        let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
        let amz_date = time::OffsetDateTime::now_utc()
            .format(&time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .map_err(|e| e.to_string())?;
        let signed = byok_wrap::sign::sigv4::sign(
            &self.host,
            &self.key,
            region,
            "kms",
            &format!("TrentService.{action}"),
            &body,
            &amz_date,
        );
        let mut request = hyper::Request::post(format!("{}/", self.origin));
        for (name, value) in &signed.headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        self.send(request).await
    }

    async fn send(&self, request: hyper::Request<Full<Bytes>>) -> Result<(u16, Value), String> {
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    /// GetParametersForImport for `key_id` (RSA-2048, OAEP-SHA-256), then wraps `material` for
    /// the public key it returns, as a client would before ImportKeyMaterial.
    pub async fn wrap_for_import(
        &self,
        key_id: &str,
        material: &KeyMaterial,
    ) -> Result<WrappedForImport, String> {
        self.wrap_for_import_with(key_id, material, WrappingAlgorithm::RsaesOaepSha256)
            .await
    }

    /// Like [`RemoteKms::wrap_for_import`], with `algorithm` (RSA_2048 still).
    pub async fn wrap_for_import_with(
        &self,
        key_id: &str,
        material: &KeyMaterial,
        algorithm: WrappingAlgorithm,
    ) -> Result<WrappedForImport, String> {
        let params = self
            .ok(
                "GetParametersForImport",
                &[
                    ("KeyId", key_id),
                    ("WrappingAlgorithm", algorithm.as_str()),
                    ("WrappingKeySpec", "RSA_2048"),
                ],
            )
            .await?;
        let field = |name: &str| {
            params[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("GetParametersForImport: no {name} in {params}"))
        };
        let (public_key, token) = (field("PublicKey")?, field("ImportToken")?);
        let public = WrappingPublicKey::parse(public_key.as_bytes()).map_err(|e| e.to_string())?;
        let wrapped = byok_wrap::wrap(&public, algorithm, material).map_err(|e| e.to_string())?;
        Ok(WrappedForImport {
            wrapped: wrapped.to_base64(),
            token,
            public_key,
        })
    }

    /// Like [`RemoteKms::call`], but anything other than a 200 reply is an error that says what
    /// came back.
    pub async fn ok(&self, action: &str, params: &[(&str, &str)]) -> Result<Value, String> {
        match self.call(action, params).await? {
            (200, reply) => Ok(reply),
            (status, reply) => Err(format!("{action}: HTTP {status}: {reply}")),
        }
    }
}
