//! The JavaScript API of the npm package `byok-wrap` (wasm32 only).
//!
//! Thin by design: it validates and converts JavaScript values, calls the Rust core, and turns
//! [`Error`] into a thrown `Error` whose `name` is `"ByokError"` and whose `code` is
//! [`Error::code`]. It decides nothing itself.
//!
//! Secret bytes that the caller passes in arrive as a `Uint8Array` handle, not as a slice that
//! wasm-bindgen would copy into (and later free, but not wipe from) wasm memory: we copy them once
//! into a zeroizing buffer of our own, which is wiped when the call returns.

mod signer;
mod webcrypto;

pub use signer::RequestSigner;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::error::{Error, ExpectedLength};
use crate::material::KeyMaterial;
use crate::public_key::WrappingPublicKey;
use crate::spec::KeySpec;
use crate::wrap::{WrapOptions, check_before_wrapping, wrap_with};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/**
 * The spec of the symmetric key whose material is imported; it fixes the material's length:
 * 32 bytes for `Aliyun_AES_256`, 24 for `Aliyun_AES_192`, 16 for `Aliyun_AES_128` and `Aliyun_SM4`.
 * The short forms `AES_256`, `AES_192`, `AES_128` and `SM4` are accepted too.
 */
export type KeySpec =
  | "Aliyun_AES_256" | "Aliyun_AES_192" | "Aliyun_AES_128" | "Aliyun_SM4"
  | "AES_256" | "AES_192" | "AES_128" | "SM4";

/**
 * How key material is encrypted under the wrapping public key; it must be the algorithm passed to
 * `GetParametersForImport`. `RSAES_OAEP_SHA_256` is the default and the recommendation;
 * `RSAES_PKCS1_V1_5` is legacy and needs `allowLegacyPkcs1: true`.
 */
export type WrappingAlgorithm = "RSAES_OAEP_SHA_256" | "RSAES_OAEP_SHA_1" | "RSAES_PKCS1_V1_5";

/**
 * The stable `code` of a {@link ByokError}: one of these for errors found locally, or the KMS's
 * own error code (e.g. `"InvalidKeyMaterial"`, `"ExpiredImportToken"`) for a refusal by the KMS.
 */
export type ByokErrorCode =
  | "InvalidPublicKey" | "UnknownAlgorithm" | "UnknownKeySpec" | "UnknownWrappingKeySpec"
  | "LegacyAlgorithmRefused" | "MaterialLength" | "RandomUnavailable" | "InvalidArgument"
  | "NetworkError" | "InvalidResponse" | (string & {});

/**
 * What every function of this package throws (or rejects with): an `Error` whose `name` is
 * `"ByokError"`, with a stable `code` and a message a person can act on. Messages never contain
 * key material. A refusal by the KMS also carries its `requestId` and `httpStatus`.
 */
export interface ByokError extends Error {
  name: "ByokError";
  code: ByokErrorCode;
  /** The KMS's request id, for a refusal by the KMS. */
  requestId?: string;
  /** The HTTP status of the KMS's reply. */
  httpStatus?: number;
}

/** Options of {@link wrapKeyMaterial}. Unknown option names are refused, to catch typos. */
export interface WrapKeyMaterialOptions {
  /** The plaintext key material. It is copied into wasm memory, used, and wiped there. */
  material: Uint8Array;
  /**
   * The wrapping public key: the `PublicKey` string from `GetParametersForImport` (base64 DER),
   * PEM text (`PUBLIC KEY` or `RSA PUBLIC KEY`), or DER bytes. RSA 2048, 3072 or 4096 bits.
   */
  publicKey: string | Uint8Array;
  /** The wrapping algorithm; default `RSAES_OAEP_SHA_256`. */
  algorithm?: WrappingAlgorithm;
  /** Permit the legacy `RSAES_PKCS1_V1_5` (NIST disallows it for key transport since 2024). */
  allowLegacyPkcs1?: boolean;
  /** If given, the material must be exactly this spec's length. */
  keySpec?: KeySpec;
}
"#;

/// Generates fresh key material from the platform's secure random number generator
/// (`crypto.getRandomValues`).
///
/// The default key spec is `Aliyun_AES_256` (32 bytes). The returned array is the only copy: the
/// buffer it was generated in inside wasm memory is wiped before this returns. Keep a backup of it
/// somewhere safe: a KMS never exports imported material.
#[wasm_bindgen(js_name = generateKeyMaterial, unchecked_return_type = "Uint8Array")]
#[allow(non_snake_case)] // the parameter name shows in the TypeScript declarations
pub fn generate_key_material(
    #[wasm_bindgen(unchecked_optional_param_type = "KeySpec")] keySpec: Option<js_sys::JsString>,
) -> Result<Uint8Array, JsValue> {
    let spec = optional_key_spec(keySpec.as_ref().map(AsRef::as_ref))?.unwrap_or_default();
    let material = KeyMaterial::generate(spec).map_err(to_js)?;
    Ok(Uint8Array::from(material.expose_secret()))
}

/// Wraps key material with the KMS's wrapping public key and returns it as standard base64 without
/// line breaks (what `openssl enc -e -base64 -A` prints): the value for `EncryptedKeyMaterial` in
/// `ImportKeyMaterial`.
///
/// Throws a `ByokError` with code `InvalidPublicKey`, `MaterialLength`, `LegacyAlgorithmRefused`,
/// `UnknownAlgorithm`, `UnknownKeySpec` or `InvalidArgument` for bad input.
#[wasm_bindgen(js_name = wrapKeyMaterial)]
pub fn wrap_key_material(
    #[wasm_bindgen(unchecked_param_type = "WrapKeyMaterialOptions")] opts: JsValue,
) -> Result<String, JsValue> {
    let opts = WrapArguments::from_js(&opts, false)?;
    let key = parse_public_key(&opts.public_key)?;
    wrap_in_wasm(&key, &opts)
}

/// Like `wrapKeyMaterial`, but resolves asynchronously and lets the platform's WebCrypto
/// (`crypto.subtle`, in secure contexts and Node) do the RSA-OAEP operation, which is several
/// times faster than WebAssembly; the material then goes from your array straight to WebCrypto,
/// never into wasm memory. Where WebCrypto is missing, and always for `RSAES_PKCS1_V1_5` (which
/// WebCrypto lacks), the wasm implementation is used, as by `wrapKeyMaterial`.
/// `webCrypto: false` forces the wasm implementation. All checks happen before anything is
/// encrypted; a failure inside WebCrypto itself rejects with the platform's error.
///
/// The result is the same: base64 for `EncryptedKeyMaterial`.
#[wasm_bindgen(js_name = wrapKeyMaterialAsync, unchecked_return_type = "Promise<string>")]
pub fn wrap_key_material_async(
    #[wasm_bindgen(unchecked_param_type = "WrapKeyMaterialOptions & { webCrypto?: boolean }")]
    opts: JsValue,
) -> Result<js_sys::Promise, JsValue> {
    let opts = WrapArguments::from_js(&opts, true)?;
    let key = parse_public_key(&opts.public_key)?;
    check_before_wrapping(&key, &opts.options, opts.material.length() as usize).map_err(to_js)?;
    if opts.web_crypto {
        if let Some(promise) = webcrypto::wrap(&key, opts.options.algorithm, &opts.material) {
            return Ok(promise);
        }
    }
    let wrapped = JsValue::from(wrap_in_wasm(&key, &opts)?);
    Ok(js_sys::Promise::resolve(&wrapped))
}

/// The wasm wrap: checks, one zeroizing copy of the material, RSA, base64.
fn wrap_in_wasm(key: &WrappingPublicKey, opts: &WrapArguments) -> Result<String, JsValue> {
    // Refuse bad input before the secret is copied anywhere.
    check_before_wrapping(key, &opts.options, opts.material.length() as usize).map_err(to_js)?;
    let material = copy_material(&opts.material)?;
    let wrapped = wrap_with(key, &material, &opts.options).map_err(to_js)?;
    Ok(wrapped.to_base64())
}

/// The key check value of key material: the first three bytes of the encryption of a zero block
/// under it, in upper-case hex (e.g. `"8A2F0C"`). Compare it with the value recorded next to a
/// backup to see that the backup is the imported key. Computed locally; never send it anywhere
/// secret material is not allowed to go either.
///
/// AES is used for 16, 24 and 32-byte material; pass `keySpec: "Aliyun_SM4"` for SM4 material.
#[wasm_bindgen(js_name = keyCheckValue)]
#[allow(non_snake_case)] // the parameter name shows in the TypeScript declarations
pub fn key_check_value(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] material: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "KeySpec")] keySpec: Option<js_sys::JsString>,
) -> Result<String, JsValue> {
    let spec = optional_key_spec(keySpec.as_ref().map(AsRef::as_ref))?;
    let array = uint8_array(&material, "material")?;
    if array.length() > 64 {
        return Err(to_js(Error::MaterialLength {
            expected: spec.map_or(ExpectedLength::AesKey, ExpectedLength::Spec),
            got: array.length() as usize,
        }));
    }
    let material = copy_material(array)?;
    material.key_check_value(spec).map_err(to_js)
}

/// The options of `wrapKeyMaterial`, checked and converted.
struct WrapArguments {
    material: Uint8Array,
    public_key: JsValue,
    options: WrapOptions,
    /// Whether the platform's WebCrypto may do the RSA operation (`wrapKeyMaterialAsync` only).
    web_crypto: bool,
}

impl WrapArguments {
    const NAMES: [&'static str; 6] = [
        "material",
        "publicKey",
        "algorithm",
        "allowLegacyPkcs1",
        "keySpec",
        "webCrypto",
    ];

    /// `is_async` admits the `webCrypto` option, which only `wrapKeyMaterialAsync` has.
    fn from_js(opts: &JsValue, is_async: bool) -> Result<Self, JsValue> {
        if !opts.is_object() {
            return Err(invalid_argument(
                "wrapKeyMaterial takes one options object: { material, publicKey, algorithm?, \
                 allowLegacyPkcs1?, keySpec? }",
            ));
        }
        for name in Object::keys(opts.unchecked_ref::<Object>()).iter() {
            let name = name.as_string().unwrap_or_default();
            let known = Self::NAMES.contains(&name.as_str()) && (is_async || name != "webCrypto");
            if !known {
                return Err(invalid_argument(&format!(
                    "unknown option \"{}\"; the options are {}",
                    crate::error::echoed(&name),
                    Self::NAMES[..if is_async { 6 } else { 5 }].join(", ")
                )));
            }
        }
        let material = get(opts, "material")?;
        let material = uint8_array(&material, "material")?.clone();
        let public_key = get(opts, "publicKey")?;
        let algorithm = match optional_string(&get(opts, "algorithm")?, "algorithm")? {
            Some(name) => name.parse().map_err(to_js)?,
            None => Default::default(),
        };
        let allow_legacy_pkcs1 = match get(opts, "allowLegacyPkcs1")? {
            v if v.is_undefined() || v.is_null() => false,
            v => v.as_bool().ok_or_else(|| {
                invalid_argument("allowLegacyPkcs1 must be a boolean (true or false)")
            })?,
        };
        let key_spec = optional_string(&get(opts, "keySpec")?, "keySpec")?
            .map(|name| name.parse())
            .transpose()
            .map_err(to_js)?;
        let web_crypto = match get(opts, "webCrypto")? {
            v if v.is_undefined() || v.is_null() => true,
            v => v
                .as_bool()
                .ok_or_else(|| invalid_argument("webCrypto must be a boolean (true or false)"))?,
        };
        Ok(Self {
            material,
            public_key,
            options: WrapOptions {
                algorithm,
                allow_legacy_pkcs1,
                key_spec,
            },
            web_crypto,
        })
    }
}

/// Parses the `publicKey` option. The last key is remembered (compared in JavaScript, without
/// copying it into wasm), so wrapping many times under one key parses it, and precomputes its
/// constants, once.
fn parse_public_key(value: &JsValue) -> Result<WrappingPublicKey, JsValue> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(JsValue, WrappingPublicKey)>> =
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
    let key = WrappingPublicKey::parse(&input).map_err(to_js)?;
    if text {
        LAST.set(Some((value.clone(), key.clone())));
    }
    Ok(key)
}

/// Copies a secret from a JavaScript array into a zeroizing buffer: the only copy in wasm memory.
fn copy_material(array: &Uint8Array) -> Result<KeyMaterial, JsValue> {
    let mut bytes = Zeroizing::new(vec![0u8; array.length() as usize]);
    array.copy_to(&mut bytes);
    KeyMaterial::from_zeroizing(bytes, None).map_err(to_js)
}

fn get(object: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(object, &JsValue::from_str(name))
        .map_err(|_| invalid_argument(&format!("reading option {name} threw")))
}

fn uint8_array<'a>(value: &'a JsValue, name: &str) -> Result<&'a Uint8Array, JsValue> {
    value
        .dyn_ref::<Uint8Array>()
        .ok_or_else(|| invalid_argument(&format!("{name} must be a Uint8Array")))
}

fn optional_string(value: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        value
            .as_string()
            .map(Some)
            .ok_or_else(|| invalid_argument(&format!("{name} must be a string")))
    }
}

fn optional_key_spec(value: Option<&JsValue>) -> Result<Option<KeySpec>, JsValue> {
    match value {
        Some(value) => optional_string(value, "keySpec")?
            .map(|s| s.parse().map_err(to_js))
            .transpose(),
        None => Ok(None),
    }
}

fn invalid_argument(message: &str) -> JsValue {
    to_js(Error::InvalidArgument(message.to_owned()))
}

/// Turns an [`Error`] into the `ByokError` that JavaScript callers catch: `code`, and for a
/// refusal by the KMS also `requestId` and `httpStatus`.
pub(crate) fn to_js(error: Error) -> JsValue {
    let js_error = js_sys::Error::new(&error.to_string());
    js_error.set_name("ByokError");
    // Setting properties on a fresh, ordinary Error object cannot fail.
    let _ = Reflect::set(&js_error, &"code".into(), &error.code().into());
    match &error {
        Error::Kms {
            request_id,
            http_status,
            ..
        } => {
            let _ = Reflect::set(&js_error, &"requestId".into(), &request_id.into());
            let _ = Reflect::set(&js_error, &"httpStatus".into(), &(*http_status).into());
        }
        Error::InvalidResponse { http_status } => {
            let _ = Reflect::set(&js_error, &"httpStatus".into(), &(*http_status).into());
        }
        _ => {}
    }
    js_error.into()
}
