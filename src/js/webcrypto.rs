//! RSA-OAEP through the platform's WebCrypto (`crypto.subtle`), for `wrapKeyMaterialAsync` and
//! `importKeyMaterial`. The material goes from the caller's array straight to WebCrypto; nothing
//! secret enters wasm memory.
//!
//! Kept lean because it is the hot path: the `CryptoKey` of the last public key, the algorithm
//! parameters and the function that turns the result into base64 are made once; a warm wrap is
//! one call of `subtle.encrypt` and one `then`. Plain promise chains, no Rust futures executor;
//! and no JavaScript snippet file, which would cost the page one more request before the first
//! wrap.

use std::cell::RefCell;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::public_key::WrappingPublicKey;
use crate::spec::WrappingAlgorithm;

#[wasm_bindgen]
extern "C" {
    type SubtleCrypto;
    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &SubtleCrypto,
        format: &str,
        key: &Uint8Array,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;
    /// A promise, for `then` with an untyped callback.
    type Thenable;
    #[wasm_bindgen(method)]
    fn then(this: &Thenable, on_fulfilled: &JsValue) -> Promise;
    #[wasm_bindgen(method, catch)]
    fn encrypt(
        this: &SubtleCrypto,
        algorithm: &JsValue,
        key: &JsValue,
        data: &Uint8Array,
    ) -> Result<Promise, JsValue>;
}

/// The last imported key: its SPKI, its hash, and the `CryptoKey`.
struct ImportedKey {
    spki: Vec<u8>,
    hash: &'static str,
    crypto_key: JsValue,
}

thread_local! {
    static LAST: RefCell<Option<ImportedKey>> = const { RefCell::new(None) };
    /// `{ name: 'RSA-OAEP' }`, the parameters of every `encrypt`.
    static OAEP: JsValue = {
        let params = Object::new();
        let _ = Reflect::set(&params, &"name".into(), &"RSA-OAEP".into());
        params.into()
    };
    /// ArrayBuffer → base64 string, the last step of every wrap.
    static TO_BASE64: Closure<dyn FnMut(JsValue) -> JsValue> =
        Closure::new(|buffer: JsValue| JsValue::from(crate::base64::encode(&Uint8Array::new(&buffer).to_vec())));
}

fn subtle() -> Option<SubtleCrypto> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let subtle = Reflect::get(&crypto, &"subtle".into()).ok()?;
    subtle.is_object().then(|| subtle.unchecked_into())
}

/// Starts RSA-OAEP encryption of `material` under `key` in WebCrypto; the promise resolves to
/// the base64 of the result. `None` where WebCrypto is missing, and for PKCS#1 v1.5, which
/// WebCrypto does not have.
pub(super) fn wrap(
    key: &WrappingPublicKey,
    algorithm: WrappingAlgorithm,
    material: &Uint8Array,
) -> Option<Promise> {
    let hash = match algorithm {
        WrappingAlgorithm::RsaesOaepSha256 => "SHA-256",
        WrappingAlgorithm::RsaesOaepSha1 => "SHA-1",
        WrappingAlgorithm::RsaesPkcs1V15 => return None,
    };
    let subtle = subtle()?;
    let spki = key.spki_der();
    let cached = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|k| k.hash == hash && k.spki == spki)
            .map(|k| k.crypto_key.clone())
    });
    if let Some(crypto_key) = cached {
        let encrypted = OAEP.with(|oaep| subtle.encrypt(oaep, &crypto_key, material));
        return Some(match encrypted {
            Ok(promise) => TO_BASE64.with(|f| promise.unchecked_ref::<Thenable>().then(f.as_ref())),
            Err(error) => Promise::reject(&error),
        });
    }
    // The first wrap under this key: import it, remember it, then encrypt.
    let params = Object::new();
    Reflect::set(&params, &"name".into(), &"RSA-OAEP".into()).ok()?;
    Reflect::set(&params, &"hash".into(), &hash.into()).ok()?;
    let usages = Array::of1(&"encrypt".into());
    let imported = match subtle.import_key("spki", &Uint8Array::from(spki), &params, false, &usages)
    {
        Ok(promise) => promise,
        Err(error) => return Some(Promise::reject(&error)),
    };
    let spki = spki.to_vec();
    let material = material.clone();
    let encrypt = Closure::once_into_js(move |crypto_key: JsValue| -> Result<JsValue, JsValue> {
        LAST.set(Some(ImportedKey {
            spki,
            hash,
            crypto_key: crypto_key.clone(),
        }));
        OAEP.with(|oaep| subtle.encrypt(oaep, &crypto_key, &material))
            .map(JsValue::from)
    });
    let encrypted = imported.unchecked_ref::<Thenable>().then(&encrypt);
    Some(TO_BASE64.with(|f| encrypted.unchecked_ref::<Thenable>().then(f.as_ref())))
}
