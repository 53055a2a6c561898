//! A signing client of our own, for HTTP tests through the router: ACS3-HMAC-SHA256 with
//! parameters in the query (as the current SDK sends them) and RPC HMAC-SHA1 with parameters in
//! the query or a form body (as older SDKs do).
//!
//! It is written from the reference (`reference/alibaba-kms-api.md`), not from the server's code;
//! the server's verifier is in turn checked against requests captured from the official SDK.

use aws_lc_rs::{digest, hmac};
use axum::Router;
use axum::body::Body;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http_body_util::BodyExt as _;
use serde_json::Value;
use tower::ServiceExt as _;

/// Who signs, and which host the requests go to.
#[derive(Clone)]
pub struct Signer {
    /// AccessKeyId.
    pub access_key_id: String,
    /// AccessKeySecret.
    pub secret: String,
    /// The `host` header.
    pub host: String,
}

/// A signed request, ready to be sent (and, in tests, altered).
#[derive(Debug, Clone)]
pub struct Signed {
    /// The HTTP method.
    pub method: String,
    /// The query string, encoded.
    pub query: String,
    /// The headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (aws-lc, independent of the server's signature code).
pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

/// HMAC-SHA256.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message)
        .as_ref()
        .to_vec()
}

/// HMAC-SHA1.
pub fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key),
        message,
    )
    .as_ref()
    .to_vec()
}

/// RFC 3986 encoding (unreserved characters kept).
pub fn pe(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time.
pub fn iso8601(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl Signer {
    /// The test account's signer: `testid` / `testsecret`.
    pub fn test() -> Self {
        Self {
            access_key_id: "testid".into(),
            secret: "testsecret".into(),
            host: "127.0.0.1:8080".into(),
        }
    }

    /// An ACS3-HMAC-SHA256 request for `action` with `params` in the query.
    pub fn acs3(&self, action: &str, params: &[(&str, &str)], now: i64, nonce: &str) -> Signed {
        self.acs3_with("POST", action, params, now, nonce)
    }

    /// An ACS3-HMAC-SHA256 request sent with `method` (`POST` or `GET`).
    pub fn acs3_with(
        &self,
        method: &str,
        action: &str,
        params: &[(&str, &str)],
        now: i64,
        nonce: &str,
    ) -> Signed {
        let mut sorted: Vec<(&str, &str)> = params.to_vec();
        sorted.sort();
        let query = sorted
            .iter()
            .map(|(k, v)| format!("{}={}", pe(k), pe(v)))
            .collect::<Vec<_>>()
            .join("&");
        let body_hash = hex(&sha256(b""));
        let mut headers = vec![
            ("host".to_owned(), self.host.clone()),
            ("x-acs-action".to_owned(), action.to_owned()),
            ("x-acs-version".to_owned(), "2016-01-20".to_owned()),
            ("x-acs-date".to_owned(), iso8601(now)),
            ("x-acs-signature-nonce".to_owned(), nonce.to_owned()),
            ("x-acs-content-sha256".to_owned(), body_hash.clone()),
        ];
        headers.sort();
        let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed_headers = headers
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(";");
        let canonical =
            format!("{method}\n/\n{query}\n{canonical_headers}\n{signed_headers}\n{body_hash}");
        let to_sign = format!("ACS3-HMAC-SHA256\n{}", hex(&sha256(canonical.as_bytes())));
        let signature = hex(&hmac_sha256(self.secret.as_bytes(), to_sign.as_bytes()));
        headers.push((
            "authorization".to_owned(),
            format!(
                "ACS3-HMAC-SHA256 Credential={},SignedHeaders={signed_headers},Signature={signature}",
                self.access_key_id
            ),
        ));
        Signed {
            method: method.into(),
            query,
            headers,
            body: Vec::new(),
        }
    }

    /// A legacy RPC HMAC-SHA1 request sent with GET, every parameter in the query, as
    /// `@alicloud/pop-core` and the legacy Python SDK send it.
    pub fn rpc_v1_get(
        &self,
        action: &str,
        params: &[(&str, &str)],
        now: i64,
        nonce: &str,
    ) -> Signed {
        let mut signed = self.rpc_v1_with("GET", action, params, now, nonce, false);
        signed.method = "GET".into();
        signed
    }

    /// A legacy RPC HMAC-SHA1 request; with `in_body`, the API parameters travel in a form body.
    pub fn rpc_v1(
        &self,
        action: &str,
        params: &[(&str, &str)],
        now: i64,
        nonce: &str,
        in_body: bool,
    ) -> Signed {
        self.rpc_v1_with("POST", action, params, now, nonce, in_body)
    }

    fn rpc_v1_with(
        &self,
        method: &str,
        action: &str,
        params: &[(&str, &str)],
        now: i64,
        nonce: &str,
        in_body: bool,
    ) -> Signed {
        let timestamp = iso8601(now);
        let mut all: Vec<(String, String)> = vec![
            ("AccessKeyId".into(), self.access_key_id.clone()),
            ("Action".into(), action.into()),
            ("Format".into(), "JSON".into()),
            ("SignatureMethod".into(), "HMAC-SHA1".into()),
            ("SignatureNonce".into(), nonce.into()),
            ("SignatureVersion".into(), "1.0".into()),
            ("Timestamp".into(), timestamp),
            ("Version".into(), "2016-01-20".into()),
        ];
        all.extend(
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        all.sort();
        let canonical = all
            .iter()
            .map(|(k, v)| format!("{}={}", pe(k), pe(v)))
            .collect::<Vec<_>>()
            .join("&");
        let to_sign = format!("{method}&%2F&{}", pe(&canonical));
        let signature = STANDARD.encode(hmac_sha1(
            format!("{}&", self.secret).as_bytes(),
            to_sign.as_bytes(),
        ));
        let encode = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .map(|(k, v)| format!("{}={}", pe(k), pe(v)))
                .collect::<Vec<_>>()
                .join("&")
        };
        let (query_pairs, body_pairs): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|(k, _)| !in_body || !params.iter().any(|(p, _)| p == k));
        let mut query = encode(&query_pairs);
        query.push_str(&format!("&Signature={}", pe(&signature)));
        let mut headers = vec![("host".to_owned(), self.host.clone())];
        let body = if in_body {
            headers.push((
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ));
            encode(&body_pairs).into_bytes()
        } else {
            Vec::new()
        };
        Signed {
            method: "POST".into(),
            query,
            headers,
            body,
        }
    }
}

impl Signed {
    /// Replaces (or adds) a header.
    pub fn set_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Removes a header.
    pub fn without_header(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| n != name);
        self
    }

    /// Sends the request through the router; returns the status and the JSON reply.
    pub async fn send(self, router: &Router) -> (u16, Value) {
        let mut builder = axum::http::Request::builder()
            .method(self.method.as_str())
            .uri(format!("/?{}", self.query));
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let response = router
            .clone()
            .oneshot(builder.body(Body::from(self.body)).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, json)
    }
}

impl Signed {
    /// Sends the request to a real server at `address` (`host:port`) over a new connection;
    /// returns the status and the JSON reply.
    pub fn send_to(&self, address: &str) -> (u16, Value) {
        let stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        self.send_on(stream).unwrap()
    }

    /// Sends the request on `stream` (a new connection, plain or TLS) and reads the reply to the
    /// end; returns the status and the JSON reply, or the I/O error (e.g. a TLS handshake
    /// refused).
    pub fn send_on(
        &self,
        mut stream: impl std::io::Read + std::io::Write,
    ) -> std::io::Result<(u16, Value)> {
        let mut head = format!("{} /?{} HTTP/1.1\r\n", self.method, self.query);
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            self.body.len()
        ));
        stream.write_all(head.as_bytes())?;
        stream.write_all(&self.body)?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply)?;
        let reply = String::from_utf8_lossy(&reply);
        let status = reply
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
    }
}
