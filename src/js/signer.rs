//! `RequestSigner` for JavaScript: holds an access key inside wasm memory and signs KMS API calls
//! with ACS3-HMAC-SHA256 ([`crate::sign::acs3`]). The package's `KmsClient` (`client.js`) sends what
//! it signs with `fetch`; the secret never comes back out.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::{invalid_argument, to_js};
use crate::sign::{self, AccessKey};

/// Signs KMS API calls (ACS3-HMAC-SHA256) with an access key kept in wasm memory; `free()` wipes
/// it. Used by {@link KmsClient}; use it directly only to send requests some other way.
#[wasm_bindgen]
pub struct RequestSigner {
    key: AccessKey,
}

#[wasm_bindgen]
impl RequestSigner {
    /// A signer for this access key.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = accessKeyId)] access_key_id: String,
        #[wasm_bindgen(js_name = accessKeySecret)] access_key_secret: String,
    ) -> Result<RequestSigner, JsValue> {
        if access_key_id.is_empty() || access_key_secret.is_empty() {
            return Err(invalid_argument(
                "accessKeyId and accessKeySecret are required",
            ));
        }
        Ok(Self {
            key: AccessKey::new(&access_key_id, &access_key_secret),
        })
    }

    /// The AccessKeyId.
    #[wasm_bindgen(getter, js_name = accessKeyId)]
    pub fn access_key_id(&self) -> String {
        self.key.id().to_owned()
    }

    /// Signs a call of `action` with string `params` for an endpoint whose `host` header (as the
    /// HTTP client sends it, e.g. `new URL(endpoint).host`) is `host`, at the current time with a
    /// fresh nonce. Returns `{ query, headers }`: POST `endpoint + '/?' + query` with `headers` and
    /// an empty body.
    #[wasm_bindgen(unchecked_return_type = "{ query: string; headers: Record<string, string> }")]
    pub fn sign(
        &self,
        host: &str,
        action: &str,
        #[wasm_bindgen(unchecked_param_type = "Record<string, string>")] params: &Object,
    ) -> Result<Object, JsValue> {
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
        let headers = Object::new();
        for (name, value) in &signed.headers {
            Reflect::set(&headers, &name.into(), &value.into())?;
        }
        let out = Object::new();
        Reflect::set(&out, &"query".into(), &signed.query.into())?;
        Reflect::set(&out, &"headers".into(), &headers)?;
        Ok(out)
    }
}
