#![cfg(not(target_arch = "wasm32"))]

//! byok-wrap's request signer against requests the official SDK signed: given the same parts, it
//! must produce the same ACS3-HMAC-SHA256 signature. (The server verifies byok-wrap's own requests
//! in `server/tests/http.rs`.)

use byok_wrap::sign::acs3::{RequestParts, canonicalize, signature, string_to_sign};
use byok_wrap::sign::rpc_v1;
use serde_json::Value;

#[test]
fn reproduces_the_official_sdks_acs3_signatures() {
    let vectors: Value = serde_json::from_str(include_str!("data/signature-vectors.json")).unwrap();
    let secret = vectors["access_key_secret"].as_str().unwrap();
    let mut checked = 0;
    for vector in vectors["requests"].as_array().unwrap() {
        let headers = vector["headers"].as_object().unwrap();
        let Some(authorization) = headers.get("Authorization").and_then(Value::as_str) else {
            continue; // a legacy RPC request
        };
        let field = |name: &str| {
            authorization
                .split([' ', ','])
                .find_map(|f| f.strip_prefix(name))
                .unwrap()
                .to_owned()
        };
        let signed_names = field("SignedHeaders=");
        let signed: Vec<(String, String)> = signed_names
            .split(';')
            .map(|name| {
                let value = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .unwrap()
                    .1;
                (name.to_owned(), value.as_str().unwrap().to_owned())
            })
            .collect();
        let (_, query) = vector["path"].as_str().unwrap().split_once('?').unwrap();
        let decoded: Vec<(String, String)> = form_urlencoded(query);
        let query: Vec<(&str, &str)> = decoded
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let headers: Vec<(&str, &str)> = signed
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body_hash = vector["headers"]["x-acs-content-sha256"].as_str().unwrap();
        let canonical = canonicalize(&RequestParts {
            method: "POST",
            path: "/",
            query: &query,
            headers: &headers,
            body_sha256_hex: body_hash,
        });
        let (names, signature) = (
            canonical.signed_headers,
            signature(secret, &string_to_sign(&canonical.request)),
        );
        assert_eq!(names, signed_names);
        assert_eq!(signature, field("Signature="), "{}", vector["path"]);
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn reproduces_the_official_sdks_rpc_v1_signatures() {
    let vectors: Value = serde_json::from_str(include_str!("data/signature-vectors.json")).unwrap();
    let secret = vectors["access_key_secret"].as_str().unwrap();
    let mut checked = 0;
    for vector in vectors["requests"].as_array().unwrap() {
        if vector["headers"].get("Authorization").is_some() {
            continue; // an ACS3 request
        }
        let (_, query) = vector["path"].as_str().unwrap().split_once('?').unwrap();
        let decoded = form_urlencoded(query);
        let expected = &decoded.iter().find(|(k, _)| k == "Signature").unwrap().1;
        let params: Vec<(&str, &str)> = decoded
            .iter()
            .filter(|(k, _)| k != "Signature")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let to_sign = rpc_v1::string_to_sign("POST", "/", &params);
        assert_eq!(&rpc_v1::signature(secret, &to_sign), expected, "{query}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}

/// Decodes a query string as the server does: `+` is a space.
fn form_urlencoded(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    };
    query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}
