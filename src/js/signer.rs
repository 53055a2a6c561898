//! `RequestSigner` for JavaScript: holds an access key inside wasm memory and signs KMS API calls
//! with ACS3-HMAC-SHA256 ([`crate::sign::acs3`]). The package's `KmsClient` sends what it signs
//! with `fetch`; the secret never comes back out.

use js_sys::{Array, Object};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use super::{invalid_argument, to_js};
use crate::sign::{self, AccessKey};
use crate::wipe::scrubbed;

/// Signs KMS API calls (ACS3-HMAC-SHA256) with an access key kept in wasm memory.
#[wasm_bindgen(js_name = RawRequestSigner)]
pub struct RawRequestSigner {
    key: AccessKey,
}

#[wasm_bindgen(js_class = RawRequestSigner)]
impl RawRequestSigner {
    /// A signer for this access key. The secret's buffer (the one wasm-bindgen decoded the string
    /// into) is taken over, not copied, and wiped when the signer is freed.
    #[wasm_bindgen(constructor)]
    pub fn new(
        access_key_id: String,
        access_key_secret: String,
        security_token: Option<String>,
    ) -> Result<RawRequestSigner, JsValue> {
        let secret = Zeroizing::new(access_key_secret);
        scrubbed(|| Self::from_parts(access_key_id, secret, security_token))
    }

    /// The AccessKeyId.
    #[wasm_bindgen(getter, js_name = accessKeyId)]
    pub fn access_key_id(&self) -> String {
        self.key.id().to_owned()
    }

    /// Signs a call of `action` with string `params` for the endpoint whose `host` header is
    /// `host`, now, with a fresh nonce. Returns `{ query, headers }`: POST `endpoint + '/?' +
    /// query` with `headers` and an empty body.
    pub fn sign(&self, host: &str, action: &str, params: &Object) -> Result<JsValue, JsValue> {
        scrubbed(|| self.sign_now(host, action, params))
    }
}

impl RawRequestSigner {
    pub(super) fn from_parts(
        access_key_id: String,
        secret: Zeroizing<String>,
        security_token: Option<String>,
    ) -> Result<Self, JsValue> {
        if access_key_id.is_empty() || secret.is_empty() {
            return Err(invalid_argument(
                "accessKeyId and accessKeySecret are required",
            ));
        }
        let mut key = AccessKey::from_secret(access_key_id, secret);
        if let Some(token) = security_token.filter(|t| !t.is_empty()) {
            key = key.with_security_token(token);
        }
        Ok(Self { key })
    }

    fn sign_now(&self, host: &str, action: &str, params: &Object) -> Result<JsValue, JsValue> {
        let mut pairs = Vec::new();
        for entry in Object::entries(params).iter() {
            let pair: Array = entry.unchecked_into();
            let name = pair.get(0).as_string().unwrap_or_default();
            let value = pair
                .get(1)
                .as_string()
                .ok_or_else(|| invalid_argument(&format!("parameter {name} must be a string")))?;
            pairs.push((name, value));
        }
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let date = sign::acs_date(&String::from(js_sys::Date::new_0().to_iso_string()));
        let nonce = sign::nonce().map_err(to_js)?;
        let signed = sign::sign(host, &self.key, action, &pairs, &date, &nonce);
        reply(&Signed {
            query: signed.query,
            headers: Pairs(signed.headers),
        })
    }
}

/// What `sign` returns.
#[derive(Serialize)]
struct Signed {
    query: String,
    headers: Pairs<String>,
}

/// Name–value pairs serialised as one object (without a map type, which would cost the module a
/// sort and a B-tree).
pub(super) struct Pairs<K>(pub(super) Vec<(K, String)>);

impl<K: Serialize> Serialize for Pairs<K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// A reply object for JavaScript: plain objects for structs and maps.
pub(super) fn reply(value: &impl Serialize) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .map_err(JsValue::from)
}
