//! RSA-OAEP through the platform's WebCrypto (`crypto.subtle`, through `web-sys`), for the async
//! wraps. For the direct formats the material goes from the caller's array straight to
//! WebCrypto; for the hybrid ones WebCrypto encrypts the ephemeral AES key, whose JavaScript copy
//! is overwritten as soon as WebCrypto has it.
//!
//! Kept lean because it is the hot path: the `CryptoKey` of the last public key is imported once
//! and reused; a warm wrap is one `subtle.encrypt` and one `then`. Plain promise chains, no Rust
//! futures executor.

use std::cell::RefCell;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::public_key::WrappingPublicKey;
use crate::spec::OaepHash;
use crate::wrap::HybridParts;

/// The last imported key: its SPKI, its hash, and the `CryptoKey`.
struct ImportedKey {
    spki: Vec<u8>,
    hash: OaepHash,
    crypto_key: CryptoKey,
}

thread_local! {
    static LAST: RefCell<Option<ImportedKey>> = const { RefCell::new(None) };
    /// `{ name: 'RSA-OAEP' }`, the parameters of every `encrypt`.
    static OAEP: Object = {
        let params = Object::new();
        let _ = Reflect::set(&params, &"name".into(), &"RSA-OAEP".into());
        params
    };
    /// ArrayBuffer → base64 string, the last step of a direct wrap.
    static TO_BASE64: Closure<dyn FnMut(JsValue) -> JsValue> =
        Closure::new(|buffer: JsValue| JsValue::from(STANDARD.encode(Uint8Array::new(&buffer).to_vec())));
}

/// The platform's `crypto.subtle`, where there is one (secure contexts in browsers, Node 20).
pub(super) fn subtle() -> Option<SubtleCrypto> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let subtle = Reflect::get(&crypto, &"subtle".into()).ok()?;
    subtle.is_object().then(|| subtle.unchecked_into())
}

/// RSA-OAEP of `data` under `key`, resolving to the base64 of the ciphertext.
pub(super) fn oaep_base64(
    subtle: &SubtleCrypto,
    key: &WrappingPublicKey,
    hash: OaepHash,
    data: &Uint8Array,
) -> Promise {
    let encrypted = encrypt(subtle, key, hash, data);
    TO_BASE64.with(|f| then(&encrypted, f.as_ref()))
}

/// RSA-OAEP of the ephemeral AES key, then `rsa part ‖ aes part` as base64.
pub(super) fn hybrid_base64(
    subtle: &SubtleCrypto,
    key: &WrappingPublicKey,
    hash: OaepHash,
    parts: HybridParts,
) -> Promise {
    let aes_key = Uint8Array::from(&parts.aes_key[..]);
    drop(parts.aes_key);
    let aes_part = parts.aes_part;
    let encrypted = encrypt(subtle, key, hash, &aes_key);
    // WebCrypto copies its input when `encrypt` is called, so the JavaScript copy can go now.
    aes_key.fill(0, 0, aes_key.length());
    let join = Closure::once_into_js(move |buffer: JsValue| -> JsValue {
        let mut out = Uint8Array::new(&buffer).to_vec();
        out.extend_from_slice(&aes_part);
        JsValue::from(STANDARD.encode(out))
    });
    then(&encrypted, &join)
}

/// `subtle.encrypt({ name: 'RSA-OAEP' }, key, data)`, importing the key first unless it was the
/// last one used.
fn encrypt(
    subtle: &SubtleCrypto,
    key: &WrappingPublicKey,
    hash: OaepHash,
    data: &Uint8Array,
) -> Promise {
    let spki = key.spki_der();
    let cached = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|k| k.hash == hash && k.spki == spki)
            .map(|k| k.crypto_key.clone())
    });
    if let Some(crypto_key) = cached {
        return OAEP
            .with(|oaep| subtle.encrypt_with_object_and_js_u8_array(oaep, &crypto_key, data))
            .unwrap_or_else(|error| Promise::reject(&error));
    }
    // The first wrap under this key: import it, remember it, then encrypt.
    let params = Object::new();
    let _ = Reflect::set(&params, &"name".into(), &"RSA-OAEP".into());
    let _ = Reflect::set(&params, &"hash".into(), &hash.as_str().into());
    let usages = Array::of1(&"encrypt".into());
    let imported = match subtle.import_key_with_object(
        "spki",
        &Uint8Array::from(spki),
        &params,
        false,
        &usages,
    ) {
        Ok(promise) => promise,
        Err(error) => return Promise::reject(&error),
    };
    let spki = spki.to_vec();
    let subtle = subtle.clone();
    let data = data.slice(0, data.length());
    let encrypt = Closure::once_into_js(move |crypto_key: JsValue| -> Result<JsValue, JsValue> {
        let crypto_key: CryptoKey = crypto_key.unchecked_into();
        LAST.set(Some(ImportedKey {
            spki,
            hash,
            crypto_key: crypto_key.clone(),
        }));
        let result =
            OAEP.with(|oaep| subtle.encrypt_with_object_and_js_u8_array(oaep, &crypto_key, &data));
        // Our copy of the input (the caller's array may change meanwhile) is no longer needed.
        data.fill(0, 0, data.length());
        result.map(JsValue::from)
    });
    then(&imported, &encrypt)
}

#[wasm_bindgen]
extern "C" {
    /// A promise seen as a thenable whose `then` takes any callback, one that returns a value or
    /// a promise, which js-sys's typed `Promise::then` does not express.
    type Thenable;
    #[wasm_bindgen(method)]
    fn then(this: &Thenable, on_fulfilled: &JsValue) -> Promise;
}

fn then(promise: &Promise, on_fulfilled: &JsValue) -> Promise {
    promise.unchecked_ref::<Thenable>().then(on_fulfilled)
}
