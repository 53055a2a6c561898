//! The wire, through the router without a socket: signatures (against requests captured from the
//! official SDK, and with a signing client of our own), every authentication failure, parameter
//! handling, error replies, and the import flow over HTTP.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use byok_kms::api::ApiRequest as WireRequest;
use byok_kms::api::alibaba::{
    auth,
    params::{Params, decode_form},
};
use byok_wrap::{KeyMaterial, KeySpec, WrappingAlgorithm, WrappingPublicKey};
use common::Fixture;
use common::client::{Signed, Signer};
use common::server::{nonce, server};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../../tests/data/signature-vectors.json")).unwrap()
}

fn wire_request(vector: &Value) -> WireRequest {
    let (path, query) = vector["path"].as_str().unwrap().split_once('?').unwrap();
    WireRequest {
        method: vector["method"].as_str().unwrap().to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers: vector["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().to_owned()))
            .collect(),
        body: vector["body"]
            .as_str()
            .unwrap_or_default()
            .as_bytes()
            .to_vec(),
    }
}

fn authenticate(f: &Fixture, request: &WireRequest) -> Result<(), String> {
    let params = Params::from_request(request).map_err(|e| e.code().to_owned())?;
    auth::authenticate(&f.kms, request, &params)
        .map(drop)
        .map_err(|e| e.code().to_owned())
}

#[test]
fn every_request_the_official_sdk_signed_verifies_and_no_altered_copy_does() {
    let vectors = vectors();
    for (i, vector) in vectors["requests"].as_array().unwrap().iter().enumerate() {
        let f = Fixture::new();
        f.clock.set(time_of(vector));
        let request = wire_request(vector);
        authenticate(&f, &request).unwrap_or_else(|e| panic!("vector {i}: {e}"));
        // The same nonce again is a replay.
        assert_eq!(
            authenticate(&f, &request),
            Err("SignatureNonceUsed".into()),
            "vector {i}"
        );

        // Every change to a signed part is caught.
        let mut altered: Vec<(String, WireRequest)> = Vec::new();
        let mut query = request.clone();
        query.query = query.query.replacen('=', "=x", 1);
        altered.push(("a query value".into(), query));
        let mut added = request.clone();
        added.query.push_str("&Extra=1");
        altered.push(("an added query parameter".into(), added));
        for (name, _) in &request.headers {
            if name == "authorization" || name == "content-length" {
                continue;
            }
            // Legacy RPC signatures cover parameters only; ACS3 covers its SignedHeaders.
            let signed = request
                .header("authorization")
                .is_some_and(|a| a.contains(name.as_str()));
            if !signed {
                continue;
            }
            let mut changed = request.clone();
            for (n, v) in &mut changed.headers {
                if n == name {
                    v.push('0');
                }
            }
            altered.push((format!("the {name} header"), changed));
        }
        let mut body = request.clone();
        body.body = b"x=1".to_vec();
        altered.push(("the body".into(), body));
        for (what, request) in altered {
            let f = Fixture::new();
            f.clock.set(time_of(vector));
            let result = authenticate(&f, &request);
            assert!(
                result.is_err(),
                "vector {i}: changing {what} was not noticed"
            );
        }
    }
}

/// The request time of a vector (from x-acs-date or the Timestamp parameter).
fn time_of(vector: &Value) -> i64 {
    let text = vector["headers"]["x-acs-date"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let query = vector["path"].as_str().unwrap().split_once('?').unwrap().1;
            decode_form(query)
                .unwrap()
                .into_iter()
                .find(|(k, _)| k == "Timestamp")
                .unwrap()
                .1
        });
    time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
}

#[test]
fn the_documented_rpc_example_signs_as_documented() {
    let example = &vectors()["rpc_v1_documented_example"];
    let params: Vec<(&str, &str)> = example["params"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
        .collect();
    let string_to_sign = byok_wrap::sign::rpc_v1::string_to_sign("GET", "/", &params);
    let signature = byok_wrap::sign::rpc_v1::signature("testsecret", &string_to_sign);
    assert_eq!(string_to_sign, example["string_to_sign"].as_str().unwrap());
    assert_eq!(signature, example["signature"].as_str().unwrap());
    assert_eq!(signature, "41wk2SSX1GJh7fwnc5eqOfiJPFg=");
}

#[tokio::test]
async fn the_import_flow_over_http_with_both_signatures() {
    let s = server();
    for legacy in [false, true] {
        let send = |action: &'static str, params: Vec<(&'static str, String)>| {
            let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let request = if legacy {
                s.signer.rpc_v1(action, &refs, s.now(), &nonce(), true)
            } else {
                s.acs3(action, &refs)
            };
            let router = s.router.clone();
            async move {
                let (status, body) = request.send(&router).await;
                assert_eq!(status, 200, "{action}: {body}");
                body
            }
        };
        let created = send(
            "CreateKey",
            vec![
                ("Origin", "EXTERNAL".into()),
                ("Description", "a b+c".into()),
            ],
        )
        .await;
        let metadata = &created["KeyMetadata"];
        assert_eq!(metadata["KeyState"], "PendingImport");
        assert_eq!(metadata["Origin"], "EXTERNAL");
        assert_eq!(metadata["Description"], "a b+c");
        assert_eq!(metadata["KeySpec"], "Aliyun_AES_256");
        assert_eq!(metadata["MaterialExpireTime"], "");
        let key_id = metadata["KeyId"].as_str().unwrap().to_owned();
        for field in [
            "Arn",
            "CreationDate",
            "Creator",
            "KeyUsage",
            "ProtectionLevel",
            "DeleteDate",
            "PrimaryKeyVersion",
            "AutomaticRotation",
            "LastRotationDate",
        ] {
            assert!(metadata.get(field).is_some(), "KeyMetadata.{field}");
        }

        let params = send(
            "GetParametersForImport",
            vec![
                ("KeyId", key_id.clone()),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_256".into()),
                ("WrappingKeySpec", "RSA_2048".into()),
            ],
        )
        .await;
        let public_key = params["PublicKey"].as_str().unwrap();
        assert!(public_key.starts_with("MIIBIjAN"), "{public_key}");
        assert!(params["TokenExpireTime"].as_str().unwrap().ends_with('Z'));
        let token = params["ImportToken"].as_str().unwrap().to_owned();

        let material = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
        let wrapped = byok_wrap::wrap(
            &WrappingPublicKey::parse(public_key.as_bytes()).unwrap(),
            WrappingAlgorithm::RsaesOaepSha256,
            &material,
        )
        .unwrap();
        send(
            "ImportKeyMaterial",
            vec![
                ("KeyId", key_id.clone()),
                ("EncryptedKeyMaterial", wrapped.to_base64()),
                ("ImportToken", token.clone()),
                ("KeyMaterialExpireUnix", "0".into()),
            ],
        )
        .await;
        let described = send("DescribeKey", vec![("KeyId", key_id.clone())]).await;
        assert_eq!(described["KeyMetadata"]["KeyState"], "Enabled");

        let encrypted = send(
            "Encrypt",
            vec![
                ("KeyId", key_id.clone()),
                ("Plaintext", STANDARD.encode("hello, world")),
                ("EncryptionContext", r#"{"a":"b"}"#.into()),
            ],
        )
        .await;
        assert_eq!(encrypted["KeyId"], key_id.as_str());
        let blob = encrypted["CiphertextBlob"].as_str().unwrap().to_owned();
        let decrypted = send(
            "Decrypt",
            vec![
                ("CiphertextBlob", blob),
                ("EncryptionContext", r#"{"a":"b"}"#.into()),
            ],
        )
        .await;
        assert_eq!(decrypted["Plaintext"], STANDARD.encode("hello, world"));
        assert_eq!(decrypted["KeyVersionId"], encrypted["KeyVersionId"]);

        let data_key = send(
            "GenerateDataKey",
            vec![("KeyId", key_id.clone()), ("NumberOfBytes", "24".into())],
        )
        .await;
        assert_eq!(
            STANDARD
                .decode(data_key["Plaintext"].as_str().unwrap())
                .unwrap()
                .len(),
            24
        );

        let listed = send("ListKeys", vec![("PageSize", "100".into())]).await;
        assert!(
            listed["Keys"]["Key"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["KeyId"] == key_id.as_str())
        );
        assert!(listed["TotalCount"].as_u64().unwrap() >= 1);
        assert_eq!(listed["PageNumber"], 1);

        let alias = if legacy {
            "alias/legacy"
        } else {
            "alias/current"
        };
        send(
            "CreateAlias",
            vec![("AliasName", alias.into()), ("KeyId", key_id.clone())],
        )
        .await;
        let aliases = send("ListAliases", vec![]).await;
        assert!(
            aliases["Aliases"]["Alias"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["AliasName"] == alias && a["KeyId"] == key_id.as_str())
        );
        send("DescribeKey", vec![("KeyId", alias.into())]).await;
        send("DeleteAlias", vec![("AliasName", alias.into())]).await;
        send("DisableKey", vec![("KeyId", key_id.clone())]).await;
        send("EnableKey", vec![("KeyId", key_id.clone())]).await;
        send("DeleteKeyMaterial", vec![("KeyId", key_id.clone())]).await;
        send(
            "ScheduleKeyDeletion",
            vec![
                ("KeyId", key_id.clone()),
                ("PendingWindowInDays", "7".into()),
            ],
        )
        .await;
        send("CancelKeyDeletion", vec![("KeyId", key_id.clone())]).await;
    }
}

#[tokio::test]
async fn every_authentication_failure_is_refused_with_its_code() {
    let s = server();
    let now = s.now();
    let key_id = s.f.external_key();
    let params = [("KeyId", key_id.as_str())];
    let other = s.f.kms.create_account().unwrap();
    let other_signer = Signer {
        access_key_id: other.access_key_id.clone(),
        secret: other.secret.to_string(),
        host: s.signer.host.clone(),
    };
    let wrong_secret = Signer {
        secret: "wrongsecret".into(),
        ..s.signer.clone()
    };
    let unknown = Signer {
        access_key_id: "LTAIunknown".into(),
        ..s.signer.clone()
    };
    let replayed = s.acs3("DescribeKey", &params);
    assert_eq!(replayed.clone().send(&s.router).await.0, 200);
    let replayed_v1 = s
        .signer
        .rpc_v1("DescribeKey", &params, now, "v1-nonce", false);
    assert_eq!(replayed_v1.clone().send(&s.router).await.0, 200);

    let mut body_altered = s.acs3("DescribeKey", &params);
    body_altered.body = b"KeyId=other".to_vec();
    let mut query_added = s.acs3("DescribeKey", &params);
    query_added.query.push_str("&Description=x");
    let mut v1_changed = s
        .signer
        .rpc_v1("DescribeKey", &params, now, &nonce(), false);
    v1_changed.query = v1_changed.query.replace(&key_id, "another-key");
    let mut v1_added = s
        .signer
        .rpc_v1("DescribeKey", &params, now, &nonce(), false);
    v1_added.query.push_str("&Extra=1");
    let v1_without_nonce = {
        let mut r = s
            .signer
            .rpc_v1("DescribeKey", &params, now, &nonce(), false);
        r.query = r
            .query
            .split('&')
            .filter(|p| !p.starts_with("SignatureNonce="))
            .collect::<Vec<_>>()
            .join("&");
        r
    };
    let unsigned = Signed {
        method: "POST".into(),
        query: format!("KeyId={key_id}"),
        headers: vec![
            ("x-acs-action".into(), "DescribeKey".into()),
            ("x-acs-version".into(), "2016-01-20".into()),
        ],
        body: vec![],
    };
    let sixteen_minutes = 16 * 60;
    let cases: Vec<(&str, Signed, u16, &str)> = vec![
        ("no signature at all", unsigned, 400, "IncompleteSignature"),
        (
            "another scheme",
            s.acs3("DescribeKey", &params)
                .set_header("authorization", "Bearer x"),
            400,
            "IncompleteSignature",
        ),
        (
            "a wrong secret",
            wrong_secret.acs3("DescribeKey", &params, now, &nonce()),
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "a wrong secret, legacy",
            wrong_secret.rpc_v1("DescribeKey", &params, now, &nonce(), false),
            400,
            "SignatureDoesNotMatch",
        ),
        // The same answer as a wrong secret: a reply must not tell which access key ids exist.
        (
            "an unknown access key",
            unknown.acs3("DescribeKey", &params, now, &nonce()),
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "an unknown access key, legacy",
            unknown.rpc_v1("DescribeKey", &params, now, &nonce(), false),
            400,
            "SignatureDoesNotMatch",
        ),
        ("a replayed nonce", replayed, 400, "SignatureNonceUsed"),
        (
            "a replayed nonce, legacy",
            replayed_v1,
            400,
            "SignatureNonceUsed",
        ),
        (
            "16 minutes early",
            s.signer
                .acs3("DescribeKey", &params, now - sixteen_minutes, &nonce()),
            400,
            "IllegalTimestamp",
        ),
        (
            "16 minutes late",
            s.signer
                .acs3("DescribeKey", &params, now + sixteen_minutes, &nonce()),
            400,
            "IllegalTimestamp",
        ),
        (
            "16 minutes off, legacy",
            s.signer.rpc_v1(
                "DescribeKey",
                &params,
                now - sixteen_minutes,
                &nonce(),
                false,
            ),
            400,
            "IllegalTimestamp",
        ),
        (
            "a garbled timestamp",
            s.acs3("DescribeKey", &params)
                .set_header("x-acs-date", "yesterday"),
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "a body altered after signing",
            body_altered,
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "a signed header removed",
            s.acs3("DescribeKey", &params)
                .without_header("x-acs-signature-nonce"),
            400,
            "IncompleteSignature",
        ),
        (
            "a signed header changed",
            s.acs3("DescribeKey", &params)
                .set_header("host", "evil.example"),
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "an unsigned content-type added",
            s.acs3("DescribeKey", &params)
                .set_header("content-type", "text/plain"),
            400,
            "IncompleteSignature",
        ),
        (
            "a header added and claimed as signed",
            {
                let r = s.acs3("DescribeKey", &params);
                let authorization = r
                    .headers
                    .iter()
                    .find(|(n, _)| n == "authorization")
                    .unwrap()
                    .1
                    .replace("SignedHeaders=", "SignedHeaders=x-acs-added;");
                r.set_header("x-acs-added", "1")
                    .set_header("authorization", &authorization)
            },
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "a signed header given twice",
            {
                let mut r = s.acs3("DescribeKey", &params);
                r.headers.push(("x-acs-signature-nonce".into(), nonce()));
                r
            },
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "x-acs-action left out of SignedHeaders",
            {
                let r = s.acs3("DescribeKey", &params);
                let authorization = r
                    .headers
                    .iter()
                    .find(|(n, _)| n == "authorization")
                    .unwrap()
                    .1
                    .replace("x-acs-action;", "");
                r.set_header("authorization", &authorization)
            },
            400,
            "IncompleteSignature",
        ),
        (
            "a query parameter added after signing",
            query_added,
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "a parameter changed, legacy",
            v1_changed,
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "a parameter added, legacy",
            v1_added,
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "no nonce, legacy",
            v1_without_nonce,
            400,
            "IncompleteSignature",
        ),
        (
            "another account's key",
            other_signer.acs3("DescribeKey", &params, now, &nonce()),
            404,
            "Forbidden.KeyNotFound",
        ),
    ];
    eprintln!("authentication attacks: {} cases", cases.len());
    for (what, request, status, code) in cases {
        eprintln!("case: {what}");
        s.refused(request, status, code).await;
    }
}

#[tokio::test]
async fn malformed_requests_get_specific_errors() {
    let s = server();
    let key_id = s.f.external_key();
    let mut repeated = s.acs3("DescribeKey", &[("KeyId", key_id.as_str())]);
    repeated.query.push_str(&format!("&KeyId={key_id}"));
    let mut bad_utf8 = s.acs3("DescribeKey", &[("KeyId", key_id.as_str())]);
    bad_utf8.query.push_str("&X=%FF");
    let mut huge = s.acs3("DescribeKey", &[("KeyId", key_id.as_str())]);
    huge.body = vec![b'a'; 65 * 1024];
    let cases: Vec<(&str, Signed, u16, &str)> = vec![
        (
            "unknown action",
            s.acs3("FrobnicateKey", &[]),
            404,
            "InvalidAction.NotFound",
        ),
        (
            "wrong version",
            s.acs3("DescribeKey", &[("KeyId", key_id.as_str())])
                .set_header("x-acs-version", "2099-01-01"),
            400,
            "InvalidVersion",
        ),
        (
            "missing parameter",
            s.acs3("DescribeKey", &[]),
            400,
            "MissingParameter",
        ),
        (
            "empty parameter",
            s.acs3("DescribeKey", &[("KeyId", "")]),
            400,
            "MissingParameter",
        ),
        ("repeated parameter", repeated, 400, "InvalidParameter"),
        ("non-UTF-8 parameter", bad_utf8, 400, "InvalidParameter"),
        ("body over the limit", huge, 400, "InvalidParameter"),
        (
            "not a number",
            s.acs3("ListKeys", &[("PageSize", "ten")]),
            400,
            "InvalidParameter",
        ),
        (
            "out of range",
            s.acs3("ListKeys", &[("PageSize", "101")]),
            400,
            "InvalidParameter",
        ),
        (
            "unknown key",
            s.acs3("DescribeKey", &[("KeyId", "no-such-key")]),
            404,
            "Forbidden.KeyNotFound",
        ),
        (
            "unknown alias",
            s.acs3("DescribeKey", &[("KeyId", "alias/none")]),
            404,
            "Forbidden.AliasNotFound",
        ),
        (
            "bad base64",
            s.acs3(
                "Encrypt",
                &[("KeyId", key_id.as_str()), ("Plaintext", "***")],
            ),
            400,
            "InvalidParameter",
        ),
        (
            "bad origin",
            s.acs3("CreateKey", &[("Origin", "external")]),
            400,
            "InvalidParameter",
        ),
        (
            "bad algorithm",
            s.acs3(
                "GetParametersForImport",
                &[
                    ("KeyId", key_id.as_str()),
                    ("WrappingAlgorithm", "RSA"),
                    ("WrappingKeySpec", "RSA_2048"),
                ],
            ),
            400,
            "InvalidParameter",
        ),
        (
            "bad wrapping key spec",
            s.acs3(
                "GetParametersForImport",
                &[
                    ("KeyId", key_id.as_str()),
                    ("WrappingAlgorithm", "RSAES_OAEP_SHA_256"),
                    ("WrappingKeySpec", "RSA_4096"),
                ],
            ),
            400,
            "InvalidParameter",
        ),
        (
            "state refusal",
            s.acs3(
                "Encrypt",
                &[("KeyId", key_id.as_str()), ("Plaintext", "aGk=")],
            ),
            409,
            "Rejected.PendingImport",
        ),
    ];
    for (what, request, status, code) in cases {
        eprintln!("case: {what}");
        s.refused(request, status, code).await;
    }
}

#[tokio::test]
async fn other_routes() {
    let s = server();
    let get = |path: &str, method: &str| {
        axum::http::Request::builder()
            .method(method)
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    use tower::ServiceExt as _;
    let health = s
        .router
        .clone()
        .oneshot(get("/healthz", "GET"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let put = s.router.clone().oneshot(get("/", "PUT")).await.unwrap();
    assert_eq!(put.status(), 405);
    let page = s.router.clone().oneshot(get("/", "GET")).await.unwrap();
    assert_eq!(page.status(), 404, "no www directory configured");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let _ = s.call("ListKeys", &[]).await;

    // CORS: only for the configured origin, and only on the API.
    let preflight = |origin: &str| {
        axum::http::Request::builder()
            .method("OPTIONS")
            .uri("/")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let allowed = s
        .router
        .clone()
        .oneshot(preflight("http://app.example"))
        .await
        .unwrap();
    assert_eq!(allowed.status(), 204);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://app.example"
    );
    // One preflight for both doors: what the Alibaba clients sign, and what the AWS SDK for
    // JavaScript v3 asks for (observed in Chromium).
    let allow_headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    for name in [
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
        "authorization",
        "content-type",
        "x-amz-content-sha256",
        "x-amz-date",
        "x-amz-target",
        "x-amz-user-agent",
        "x-amz-security-token",
    ] {
        assert!(
            allow_headers.split(", ").any(|h| h == name),
            "{name} in {allow_headers}"
        );
    }
    let refused = s
        .router
        .clone()
        .oneshot(preflight("http://evil.example"))
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let mut request = s.acs3("ListKeys", &[]);
    request
        .headers
        .push(("origin".into(), "http://app.example".into()));
    let call = |r: Signed| {
        let mut builder = axum::http::Request::builder()
            .method("POST")
            .uri(format!("/?{}", r.query));
        for (n, v) in &r.headers {
            builder = builder.header(n, v);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    };
    let reply = s.router.clone().oneshot(call(request)).await.unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.headers()["access-control-allow-origin"],
        "http://app.example"
    );
    assert_eq!(
        reply.headers()["access-control-expose-headers"],
        "x-acs-request-id, x-amzn-requestid"
    );
    let mut request = s.acs3("ListKeys", &[]);
    request
        .headers
        .push(("origin".into(), "http://evil.example".into()));
    let reply = s.router.clone().oneshot(call(request)).await.unwrap();
    assert!(reply.headers().get("access-control-allow-origin").is_none());
}

/// Some official clients call the API with GET (`@alicloud/pop-core`, the legacy Python SDK with
/// `set_method('GET')`, openapi-client's GET with ACS3): a signed GET is an API call; a GET
/// without API parameters is the console's (404 here: no www directory).
#[tokio::test]
async fn signed_gets_are_api_calls_and_a_plain_get_is_the_console() {
    let s = server();
    let now = s.now();
    let created = s
        .signer
        .acs3_with("GET", "CreateKey", &[("Origin", "EXTERNAL")], now, &nonce());
    let (status, body) = created.send(&s.router).await;
    assert_eq!(status, 200, "{body}");
    let key_id = body["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let described = s
        .signer
        .rpc_v1_get("DescribeKey", &[("KeyId", &key_id)], now, &nonce());
    let (status, body) = described.send(&s.router).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["KeyMetadata"]["KeyState"], "PendingImport");
    assert!(body["RequestId"].is_string());

    // A GET is signed as a GET: the same request signed as a POST does not verify.
    let mut as_post = s.acs3("DescribeKey", &[("KeyId", &key_id)]);
    as_post.method = "GET".into();
    s.refused(as_post, 400, "SignatureDoesNotMatch").await;

    use tower::ServiceExt as _;
    for uri in ["/", "/?utm_source=x"] {
        let page = s
            .router
            .clone()
            .oneshot(
                axum::http::Request::get(uri)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(page.status(), 404, "{uri}: no www directory configured");
        assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    }
}

/// `@alicloud/kms20160120` sends a map flattened (`EncryptionContext.purpose=backup`): that is the
/// same context as its JSON form, bound to the ciphertext, never dropped.
#[tokio::test]
async fn a_flattened_encryption_context_is_the_same_context_as_its_json_form() {
    let s = server();
    let key_id =
        s.f.create(byok_kms::kms::key::Origin::Kms, KeySpec::AliyunAes256)
            .key_id;
    let now = s.now();
    let encrypted = s.signer.rpc_v1(
        "Encrypt",
        &[
            ("KeyId", &key_id),
            ("Plaintext", "aGk="),
            ("EncryptionContext.purpose", "backup"),
        ],
        now,
        &nonce(),
        false,
    );
    let (status, body) = encrypted.send(&s.router).await;
    assert_eq!(status, 200, "{body}");
    let blob = body["CiphertextBlob"].as_str().unwrap().to_owned();
    let decrypted = s
        .call(
            "Decrypt",
            &[
                ("CiphertextBlob", &blob),
                ("EncryptionContext", r#"{"purpose":"backup"}"#),
            ],
        )
        .await;
    assert_eq!(decrypted["Plaintext"], "aGk=");
    for other in [
        vec![("CiphertextBlob", blob.as_str())],
        vec![
            ("CiphertextBlob", blob.as_str()),
            ("EncryptionContext.purpose", "other"),
        ],
    ] {
        s.refused(s.acs3("Decrypt", &other), 400, "InvalidCiphertext")
            .await;
    }
}

/// The legacy Python SDK tells a wrong secret from a changed request by comparing its string to
/// sign with the one at the end of the message, after the message's only colon.
#[tokio::test]
async fn signature_mismatches_report_the_string_the_server_signed() {
    let s = server();
    let wrong = Signer {
        secret: "wrong".into(),
        ..Signer::test()
    };
    let request = wrong.rpc_v1_get("ListKeys", &[], s.now(), "n-1");
    let body = s.refused(request, 400, "SignatureDoesNotMatch").await;
    let message = body["Message"].as_str().unwrap();
    let reported = message.split(':').nth(1).unwrap();
    assert!(
        reported.starts_with("GET&%2F&AccessKeyId%3Dtestid%26Action%3DListKeys"),
        "{message}"
    );
    assert_eq!(message.matches(':').count(), 1, "{message}");
}

/// A request stamped ten minutes ahead, replayed sixteen minutes later (its timestamp is still
/// within the window then), is refused as a replay.
#[tokio::test]
async fn a_request_stamped_ahead_cannot_be_replayed_after_the_servers_window() {
    let s = server();
    let ahead = s.now() + 10 * 60;
    let request = s.signer.acs3("ListKeys", &[], ahead, "stamped-ahead");
    let (status, body) = request.clone().send(&s.router).await;
    assert_eq!(status, 200, "{body}");
    s.f.clock.advance(16 * 60);
    s.f.kms.sweep().unwrap();
    s.refused(request, 400, "SignatureNonceUsed").await;
}

/// An unknown access key and a wrong secret get one answer (code, status, message shape), and
/// every API reply, refusals included, carries `nosniff` and `no-store`.
#[tokio::test]
async fn unknown_access_keys_look_like_wrong_secrets_and_replies_are_not_cached() {
    let s = server();
    let now = s.now();
    let wrong_secret = Signer {
        secret: "wrong".into(),
        ..Signer::test()
    };
    let unknown = Signer {
        access_key_id: "LTAInobodyhasthisone".into(),
        ..Signer::test()
    };
    let (a_status, a) = wrong_secret
        .acs3("ListKeys", &[], now, "n-a")
        .send(&s.router)
        .await;
    let (b_status, b) = unknown
        .acs3("ListKeys", &[], now, "n-b")
        .send(&s.router)
        .await;
    assert_eq!((a_status, &a["Code"]), (b_status, &b["Code"]), "{a} {b}");
    let prefix = |m: &Value| {
        m["Message"]
            .as_str()
            .unwrap()
            .split(':')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(prefix(&a), prefix(&b));

    use tower::ServiceExt as _;
    for request in [
        s.acs3("ListKeys", &[]),
        wrong_secret.acs3("ListKeys", &[], now, "n-c"),
    ] {
        let mut builder = axum::http::Request::builder()
            .method("POST")
            .uri(format!("/?{}", request.query));
        for (n, v) in &request.headers {
            builder = builder.header(n, v);
        }
        let reply = s
            .router
            .clone()
            .oneshot(builder.body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(reply.headers()["x-content-type-options"], "nosniff");
        assert_eq!(reply.headers()["cache-control"], "no-store");
    }
}
