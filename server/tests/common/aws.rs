//! The AWS door through the router without a socket: a SigV4 signer written from AWS's
//! documentation (independent of `byok_wrap::sign::sigv4`), a fixture with an AWS access key, and
//! calls that check the reply, or the refusal and that the database did not change.

use std::sync::Arc;

use axum::body::Body;
use byok_kms::http::{AppState, router};
use byok_kms::kms::account::AccessKeyKind;
use byok_wrap::{ImportOptions, KeyMaterial, Material, WrappingAlgorithm, WrappingPublicKey};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use super::Fixture;
use super::client::{hex, hmac_sha256, sha256};

pub const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const HOST: &str = "127.0.0.1:8080";
/// 2026-11-29T00:00:00Z, when botocore signed the vectors.
pub const VECTOR_TIME: i64 = 1_795_910_400;

/// A fixture whose default account also has the AWS key of the vectors.
pub fn fixture() -> Fixture {
    let f = Fixture::new();
    f.kms
        .default_credentials_of(AccessKeyKind::Aws, Some((AKID, SECRET)))
        .unwrap();
    f
}

/// A SigV4 signer written from AWS's documentation, independent of `byok_wrap::sign::sigv4`.
pub struct AwsSigner {
    pub access_key_id: String,
    pub secret: String,
    pub region: String,
}

/// A request to send, signed or not (and, in tests, altered).
#[derive(Clone)]
pub struct AwsRequest {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl AwsSigner {
    pub fn new() -> Self {
        Self {
            access_key_id: AKID.into(),
            secret: SECRET.into(),
            region: "us-east-1".into(),
        }
    }

    pub fn sign(&self, operation: &str, body: &[u8], now: i64) -> AwsRequest {
        self.sign_headers(
            operation,
            body,
            now,
            &["content-type", "host", "x-amz-date", "x-amz-target"],
        )
    }

    pub fn sign_headers(
        &self,
        operation: &str,
        body: &[u8],
        now: i64,
        signed: &[&str],
    ) -> AwsRequest {
        let t = time::OffsetDateTime::from_unix_timestamp(now).unwrap();
        let date = format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day());
        let amz_date = format!("{date}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
        let headers = vec![
            (
                "content-type".to_owned(),
                "application/x-amz-json-1.1".to_owned(),
            ),
            ("host".to_owned(), HOST.to_owned()),
            ("x-amz-date".to_owned(), amz_date.clone()),
            (
                "x-amz-target".to_owned(),
                format!("TrentService.{operation}"),
            ),
        ];
        let canonical_headers: String = signed
            .iter()
            .map(|n| {
                let v = &headers.iter().find(|(h, _)| h == n).unwrap().1;
                format!("{n}:{v}\n")
            })
            .collect();
        let signed_headers = signed.join(";");
        let canonical = format!(
            "POST\n/\n\n{canonical_headers}\n{signed_headers}\n{}",
            hex(&sha256(body))
        );
        let scope = format!("{date}/{}/kms/aws4_request", self.region);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&sha256(canonical.as_bytes()))
        );
        let mut key = format!("AWS4{}", self.secret).into_bytes();
        for part in [date.as_str(), self.region.as_str(), "kms", "aws4_request"] {
            key = hmac_sha256(&key, part.as_bytes());
        }
        let signature = hex(&hmac_sha256(&key, string_to_sign.as_bytes()));
        let mut headers = headers;
        headers.push((
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, \
                 Signature={signature}",
                self.access_key_id
            ),
        ));
        AwsRequest {
            headers,
            body: body.to_vec(),
        }
    }
}

impl AwsRequest {
    pub async fn send(self, router: &axum::Router) -> (u16, Option<String>, Value) {
        let mut builder = axum::http::Request::builder().method("POST").uri("/");
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let response = router
            .clone()
            .oneshot(builder.body(Body::from(self.body)).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get("x-amzn-requestid")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, request_id, body)
    }
}

pub struct Door {
    pub f: Fixture,
    pub router: axum::Router,
    pub signer: AwsSigner,
}

impl Door {
    pub fn new() -> Self {
        let f = fixture();
        let router = router(Arc::new(AppState {
            kms: f.kms.clone(),
            www_dir: None,
            pkg_dir: None,
            cors_origins: Vec::new(),
            request_timeout: std::time::Duration::from_secs(10),
        }));
        Self {
            f,
            router,
            signer: AwsSigner::new(),
        }
    }

    pub fn signed(&self, operation: &str, input: &Value) -> AwsRequest {
        self.signer
            .sign(operation, input.to_string().as_bytes(), self.f.kms.now())
    }

    pub async fn call(&self, operation: &str, input: Value) -> Value {
        let (status, request_id, body) = self.signed(operation, &input).send(&self.router).await;
        assert_eq!(status, 200, "{operation}: {body}");
        assert!(request_id.is_some_and(|id| id.len() == 36));
        body
    }

    /// Sends `request`, expects `__type` and `status`, and checks the database did not change.
    pub async fn refused(&self, request: AwsRequest, status: u16, name: &str) -> Value {
        let before = self.f.dump();
        let (got, request_id, body) = request.send(&self.router).await;
        assert_eq!(
            (got, body["__type"].as_str()),
            (status, Some(name)),
            "{body}"
        );
        assert!(
            body["message"].as_str().is_some_and(|m| m.len() > 10),
            "{body}"
        );
        assert!(request_id.is_some(), "x-amzn-RequestId on every reply");
        assert_eq!(
            self.f.dump(),
            before,
            "a refused request ({name}) changed the database"
        );
        body
    }

    pub async fn refused_call(&self, operation: &str, input: Value, name: &str) -> Value {
        self.refused(self.signed(operation, &input), 400, name)
            .await
    }

    pub async fn external_key(&self) -> String {
        let created = self
            .call("CreateKey", json!({ "Origin": "EXTERNAL" }))
            .await;
        created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
    }

    pub async fn import(&self, key_id: &str, material: &KeyMaterial, extra: Value) -> Value {
        let params = self
            .call(
                "GetParametersForImport",
                json!({ "KeyId": key_id, "WrappingAlgorithm": "RSA_AES_KEY_WRAP_SHA_256",
                        "WrappingKeySpec": "RSA_2048" }),
            )
            .await;
        let mut input = json!({
            "KeyId": key_id,
            "ImportToken": params["ImportToken"],
            "EncryptedKeyMaterial": wrapped(&params, material),
        });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        input
    }
}

pub fn b64(bytes: &[u8]) -> String {
    super::b64(bytes)
}

pub fn wrapped(params: &Value, material: &KeyMaterial) -> String {
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(params["PublicKey"].as_str().unwrap())
        .unwrap();
    let key = WrappingPublicKey::from_der(&der).unwrap();
    let options = ImportOptions {
        algorithm: WrappingAlgorithm::RsaAesKeyWrapSha256,
        allow_legacy_pkcs1: false,
        key_spec: None,
    };
    let out = byok_wrap::wrap_for_import(&key, Material::Symmetric(material), &options).unwrap();
    b64(out.as_bytes())
}
