//! The JavaScript API of the npm package `byok-wrap` (wasm32 only).
//!
//! Thin by design: it checks and converts JavaScript values (options through serde), calls the
//! Rust core, and turns [`Error`] into an `Error` whose `name` is `"ByokError"` and whose `code` is
//! [`Error::code`]. It decides nothing itself. The exports carry internal `raw…` names: the
//! package's own module (`npm/index.js`) wraps each of them under its public name, adding what only
//! JavaScript can do (the `ByokError` class, "not initialised" and "freed" checks, `fetch`).
//!
//! Secret bytes that the caller passes in arrive as a `Uint8Array` handle, not as a slice that
//! wasm-bindgen would copy into wasm memory: we copy them once into a zeroizing buffer of our own,
//! which is wiped when the call returns. Every call that handled a secret ends by scrubbing the
//! stack below it ([`crate::wipe`]), and the wasm build's allocator wipes every freed block.

mod aws;
mod client;
mod options;
mod rotate;
mod rules;
mod signer;
mod webcrypto;

pub use aws::RawAwsClient;
pub use client::{RawClient, raw_check_endpoint, raw_import_options};
pub use rules::raw_import_rules;
pub use signer::RawRequestSigner;

use std::rc::Rc;

use js_sys::{Promise, Reflect, Uint8Array};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::error::{Error, ExpectedLength};
use crate::material::{KeyMaterial, Material, MaterialShape};
use crate::private_key::PrivateKeyMaterial;
use crate::public_key::WrappingPublicKey;
use crate::spec::{MaterialSpec, WrapScheme, WrappingAlgorithm};
use crate::wipe::scrubbed;
use crate::wrap::{ImportOptions, check_for_import, wrap_for_import};
use options::{Value, from_options};

/// Fresh symmetric key material for `keySpec` (default `Aliyun_AES_256`) from the platform's
/// secure random number generator. The returned array is the only copy.
#[wasm_bindgen(js_name = rawGenerateKeyMaterial)]
pub fn generate_key_material(key_spec: Option<String>) -> Result<Uint8Array, JsValue> {
    scrubbed(|| {
        let spec = parse_spec(key_spec.as_deref())?.unwrap_or(MaterialSpec::AliyunAes256);
        let material = KeyMaterial::generate_for(spec).map_err(to_js)?;
        Ok(Uint8Array::from(material.expose_secret()))
    })
}

/// The key check value of `material` (AES, or SM4 for `Aliyun_SM4`).
#[wasm_bindgen(js_name = rawKeyCheckValue)]
pub fn key_check_value(material: JsValue, key_spec: Option<String>) -> Result<String, JsValue> {
    scrubbed(|| {
        let spec = parse_spec(key_spec.as_deref())?;
        let array = Value(material)
            .bytes("material")?
            .ok_or_else(|| invalid_argument("material must be a Uint8Array"))?;
        if array.length() > 64 {
            return Err(to_js(Error::MaterialLength {
                expected: spec.map_or(ExpectedLength::AesKey, ExpectedLength::Material),
                got: array.length() as usize,
            }));
        }
        let material = copy_material(&array)?;
        material.key_check_value_for(spec).map_err(to_js)
    })
}

/// Wraps material or a private key; `function` names the public function for messages, and
/// `default_algorithm` says whether `algorithm` may be left out (`wrapKeyMaterial`).
#[wasm_bindgen(js_name = rawWrap)]
pub fn wrap(options: JsValue, function: &str, default_algorithm: bool) -> Result<String, JsValue> {
    scrubbed(|| WrapRequest::from_js(options, function, default_algorithm, false)?.wrap_in_wasm())
}

/// The asynchronous wrap: never throws, the promise rejects. With `webCrypto` (the default) the
/// RSA-OAEP operation is the platform's; the material then goes from the caller's array straight
/// to WebCrypto for the direct formats, and only the AES part is computed in wasm for the
/// hybrid ones.
#[wasm_bindgen(js_name = rawWrapAsync)]
pub fn wrap_async(options: JsValue, function: &str, default_algorithm: bool) -> Promise {
    WrapRequest::from_js(options, function, default_algorithm, true)
        .and_then(|request| request.wrap_async())
        .unwrap_or_else(|error| Promise::reject(&error))
}

/// The options of the wrap functions.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WrapOptionsJs {
    #[serde(default)]
    material: Value,
    #[serde(default)]
    private_key: Value,
    #[serde(default)]
    public_key: Value,
    algorithm: Option<String>,
    key_spec: Option<String>,
    allow_legacy_pkcs1: Option<bool>,
    web_crypto: Option<bool>,
}

/// What to wrap, checked and converted.
struct WrapRequest {
    key: Rc<WrappingPublicKey>,
    options: ImportOptions,
    input: Input,
    web_crypto: bool,
}

/// The material as it came from JavaScript.
enum Input {
    /// Symmetric bytes, still in the caller's array.
    Symmetric(Uint8Array),
    /// A private key, already parsed into PKCS#8 (it has to be, to check it).
    PrivateKey(PrivateKeyMaterial),
}

impl WrapRequest {
    fn from_js(
        options: JsValue,
        function: &str,
        default_algorithm: bool,
        is_async: bool,
    ) -> Result<Self, JsValue> {
        let o: WrapOptionsJs = from_options(options, function)?;
        if o.web_crypto.is_some() && !is_async {
            return Err(invalid_argument(&format!(
                "{function}: webCrypto is an option of the async functions only"
            )));
        }
        let algorithm = match (o.algorithm.as_deref(), default_algorithm) {
            (Some(name), _) => name.parse::<WrappingAlgorithm>().map_err(to_js)?,
            (None, true) => WrappingAlgorithm::default(),
            (None, false) => {
                return Err(invalid_argument(&format!(
                    "{function}: algorithm is required: the wrapping algorithm the KMS named with \
                     the public key (see importRules())"
                )));
            }
        };
        let options = ImportOptions {
            algorithm,
            key_spec: parse_spec(o.key_spec.as_deref())?,
            allow_legacy_pkcs1: o.allow_legacy_pkcs1.unwrap_or(false),
        };
        if !o.public_key.is_given() {
            return Err(invalid_argument(&format!(
                "{function}: publicKey is required (the PublicKey from GetParametersForImport)"
            )));
        }
        let key = parse_public_key(&o.public_key.0)?;
        let input = match (o.material.bytes("material")?, o.private_key.is_given()) {
            (Some(material), false) => Input::Symmetric(material),
            (None, true) => Input::PrivateKey(parse_private_key(&o.private_key.0)?),
            (Some(_), true) => {
                return Err(invalid_argument(&format!(
                    "{function}: give material (symmetric bytes) or privateKey, not both"
                )));
            }
            (None, false) => {
                return Err(invalid_argument(&format!(
                    "{function}: material (a Uint8Array) or privateKey (PEM or DER) is required"
                )));
            }
        };
        let request = Self {
            key,
            options,
            input,
            web_crypto: o.web_crypto.unwrap_or(true),
        };
        // Refuse bad input before the secret is copied anywhere.
        check_for_import(&request.key, request.shape(), &request.options).map_err(to_js)?;
        Ok(request)
    }

    fn shape(&self) -> MaterialShape {
        match &self.input {
            Input::Symmetric(array) => MaterialShape::Symmetric {
                len: array.length() as usize,
            },
            Input::PrivateKey(key) => Material::from(key).shape(),
        }
    }

    /// Copies symmetric material into wasm memory (once, zeroizing) and wraps it there.
    fn wrap_in_wasm(&self) -> Result<String, JsValue> {
        let wrapped = match &self.input {
            Input::Symmetric(array) => {
                let material = copy_material(array)?;
                wrap_for_import(&self.key, Material::from(&material), &self.options)
            }
            Input::PrivateKey(key) => {
                wrap_for_import(&self.key, Material::from(key), &self.options)
            }
        }
        .map_err(to_js)?;
        Ok(wrapped.to_base64())
    }

    fn wrap_async(self) -> Result<Promise, JsValue> {
        let scheme = self.options.algorithm.scheme();
        let subtle = if self.web_crypto {
            webcrypto::subtle()
        } else {
            None
        };
        let (Some(subtle), Some(hash)) = (subtle, scheme.oaep_hash()) else {
            // PKCS#1 v1.5 (which WebCrypto lacks), no WebCrypto, or webCrypto: false.
            return Ok(Promise::resolve(&JsValue::from(self.wrap_in_wasm()?)));
        };
        match (&self.input, scheme) {
            // The material goes from the caller's array to WebCrypto, never into wasm memory.
            (Input::Symmetric(array), WrapScheme::Oaep(_)) => {
                Ok(webcrypto::oaep_base64(&subtle, &self.key, hash, array))
            }
            // A (short EC) private key is in wasm memory already, as PKCS#8.
            (Input::PrivateKey(_), WrapScheme::Oaep(_)) => {
                Ok(Promise::resolve(&JsValue::from(self.wrap_in_wasm()?)))
            }
            // Hybrid: the AES part here, the RSA-OAEP of the AES key by WebCrypto.
            _ => {
                let parts = match &self.input {
                    Input::Symmetric(array) => {
                        let material = copy_material(array)?;
                        crate::wrap::hybrid_parts(scheme, material.expose_secret())
                    }
                    Input::PrivateKey(key) => {
                        crate::wrap::hybrid_parts(scheme, key.expose_secret())
                    }
                }
                .map_err(to_js)?;
                Ok(webcrypto::hybrid_base64(&subtle, &self.key, hash, parts))
            }
        }
    }
}

/// Parses the `publicKey` option. The last key is remembered (compared in JavaScript, without
/// copying it into wasm), so wrapping many times under one key parses it, and precomputes its
/// constants, once.
fn parse_public_key(value: &JsValue) -> Result<Rc<WrappingPublicKey>, JsValue> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(JsValue, Rc<WrappingPublicKey>)>> =
            const { std::cell::RefCell::new(None) };
    }
    let text = value.is_string();
    if text {
        // Strings compare by value with `===`; byte arrays are parsed each time (they may change).
        if let Some(key) = LAST.with_borrow(|last| {
            last.as_ref()
                .filter(|(seen, _)| seen == value)
                .map(|(_, key)| key.clone())
        }) {
            return Ok(key);
        }
    }
    let input = if let Some(text) = value.as_string() {
        text.into_bytes()
    } else if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        bytes.to_vec()
    } else {
        return Err(invalid_argument(
            "publicKey must be a string (base64 DER or PEM) or a Uint8Array (DER or PEM)",
        ));
    };
    let key = Rc::new(WrappingPublicKey::parse(&input).map_err(to_js)?);
    if text {
        LAST.set(Some((value.clone(), Rc::clone(&key))));
    }
    Ok(key)
}

/// Parses the `privateKey` option (PEM text, or PEM or DER bytes) into zeroizing memory.
fn parse_private_key(value: &JsValue) -> Result<PrivateKeyMaterial, JsValue> {
    let input = if let Some(text) = value.as_string() {
        // The buffer wasm-bindgen decoded the string into becomes ours, without a copy.
        Zeroizing::new(text.into_bytes())
    } else if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        let mut copy = Zeroizing::new(vec![0u8; bytes.length() as usize]);
        bytes.copy_to(&mut copy);
        copy
    } else {
        return Err(invalid_argument(
            "privateKey must be a string (PEM) or a Uint8Array (PEM or DER)",
        ));
    };
    PrivateKeyMaterial::parse(&input).map_err(to_js)
}

/// Copies a secret from a JavaScript array into a zeroizing buffer: the only copy in wasm memory.
fn copy_material(array: &Uint8Array) -> Result<KeyMaterial, JsValue> {
    let mut bytes = Zeroizing::new(vec![0u8; array.length() as usize]);
    array.copy_to(&mut bytes);
    KeyMaterial::from_zeroizing(bytes, None).map_err(to_js)
}

fn parse_spec(name: Option<&str>) -> Result<Option<MaterialSpec>, JsValue> {
    name.map(|n| n.parse::<MaterialSpec>().map_err(to_js))
        .transpose()
}

fn invalid_argument(message: &str) -> JsValue {
    to_js(Error::InvalidArgument(message.to_owned()))
}

thread_local! {
    /// The package's `ByokError` class, registered when the module loads.
    static ERROR_CLASS: std::cell::RefCell<Option<js_sys::Function>> =
        const { std::cell::RefCell::new(None) };
}

/// Registers the `ByokError` class that errors are made of (called once, by `init`).
#[wasm_bindgen(js_name = rawSetErrorClass)]
pub fn set_error_class(class: js_sys::Function) {
    ERROR_CLASS.set(Some(class));
}

/// Checks material (a `Uint8Array`) or a private key against the key spec named `key_spec`, for
/// `importKeyMaterial` to refuse it before asking the KMS for anything. A key spec this package
/// does not know is left to the KMS.
#[wasm_bindgen(js_name = rawCheckMaterial)]
pub fn check_material(
    key_spec: &str,
    material: JsValue,
    private_key: JsValue,
) -> Result<(), JsValue> {
    let Ok(spec) = key_spec.parse::<MaterialSpec>() else {
        return Ok(());
    };
    scrubbed(|| {
        let shape = match Value(material).bytes("material")? {
            Some(array) => MaterialShape::Symmetric {
                len: array.length() as usize,
            },
            None => Material::from(&parse_private_key(&private_key)?).shape(),
        };
        crate::material::check_spec(spec, shape).map_err(to_js)
    })
}

/// Turns an [`Error`] into the `ByokError` that JavaScript callers catch: `code`, and for a
/// refusal by the KMS also `requestId` and `httpStatus`.
pub(crate) fn to_js(error: Error) -> JsValue {
    let message = JsValue::from(error.to_string());
    let details = js_sys::Object::new();
    // Setting properties on a fresh, ordinary object cannot fail.
    let _ = Reflect::set(&details, &"code".into(), &error.code().into());
    match &error {
        Error::Kms {
            request_id,
            http_status,
            ..
        } => {
            let _ = Reflect::set(&details, &"requestId".into(), &request_id.into());
            let _ = Reflect::set(&details, &"httpStatus".into(), &(*http_status).into());
        }
        Error::InvalidResponse { http_status } => {
            let _ = Reflect::set(&details, &"httpStatus".into(), &(*http_status).into());
        }
        _ => {}
    }
    let class = ERROR_CLASS.with_borrow(Clone::clone);
    if let Some(made) = class
        .and_then(|class| Reflect::construct(&class, &js_sys::Array::of2(&message, &details)).ok())
    {
        return made;
    }
    // Before `init` registered the class (the wasm-bindgen tests): a plain Error, same shape.
    let js_error = js_sys::Error::new(&error.to_string());
    js_error.set_name("ByokError");
    let _ = Reflect::set(&js_error, &"code".into(), &error.code().into());
    for name in ["requestId", "httpStatus"] {
        if let Ok(value) = Reflect::get(&details, &name.into())
            && !value.is_undefined()
        {
            let _ = Reflect::set(&js_error, &name.into(), &value);
        }
    }
    js_error.into()
}
