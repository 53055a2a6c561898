//! byok-wrap in headless Chromium (wasm-bindgen-test): the browser's own WebCrypto makes the RSA
//! key pairs and decrypts what our wasm wrapped; bad input throws `ByokError`; no copy of the
//! material is left in wasm memory.
//!
//! Run with `make test-browser` (needs `wasm-bindgen-test-runner` and `chromedriver`).

#![cfg(target_arch = "wasm32")]

use byok_wrap::js::{
    generate_key_material, key_check_value, wrap_key_material, wrap_key_material_async,
};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

// Everything that handles the material lives on the JavaScript side, so that the only copies in
// wasm memory can be those made by byok-wrap itself.
#[wasm_bindgen(inline_js = r#"
export async function rsaOaepPair(hash, modulusLength) {
  const pair = await crypto.subtle.generateKey(
    { name: 'RSA-OAEP', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash },
    true, ['encrypt', 'decrypt']);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  const base64 = btoa(String.fromCharCode(...spki));
  const pem = '-----BEGIN PUBLIC KEY-----\n' + base64.replace(/.{1,64}/g, '$&\n') +
    '-----END PUBLIC KEY-----\n';
  return { privateKey: pair.privateKey, spki, base64, pem };
}

export async function ecSpkiBase64() {
  const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  return btoa(String.fromCharCode(...spki));
}

export async function oaepDecrypt(privateKey, base64) {
  const wrapped = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, privateKey, wrapped));
}

export async function aesCheckValue(material) {
  // AES-CBC with a zero IV over one zero block is AES-ECB of the zero block.
  const key = await crypto.subtle.importKey('raw', material, 'AES-CBC', false, ['encrypt']);
  const out = new Uint8Array(await crypto.subtle.encrypt(
    { name: 'AES-CBC', iv: new Uint8Array(16) }, key, new Uint8Array(16)));
  return Array.from(out.slice(0, 3), (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

export function randomBytes(n) { return crypto.getRandomValues(new Uint8Array(n)); }

export function sameBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// True if `needle`, or either half of it, occurs in wasm memory: a freed buffer whose first bytes
// the allocator reused for its bookkeeping still counts as a copy.
export function memoryContains(memory, needle) {
  const hay = new Uint8Array(memory.buffer);
  const half = needle.length >> 1;
  return [needle, needle.subarray(0, half), needle.subarray(half)]
    .some((part) => part.length >= 8 && indexOf(hay, part) !== -1);
}

function indexOf(hay, needle) {
  for (let i = hay.indexOf(needle[0]); i !== -1 && i + needle.length <= hay.length; i = hay.indexOf(needle[0], i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

export function options(entries) { return Object.fromEntries(entries); }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = rsaOaepPair)]
    fn rsa_oaep_pair(hash: &str, modulus_length: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = ecSpkiBase64)]
    fn ec_spki_base64() -> js_sys::Promise;
    #[wasm_bindgen(js_name = oaepDecrypt)]
    fn oaep_decrypt(private_key: &JsValue, base64: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = aesCheckValue)]
    fn aes_check_value(material: &Uint8Array) -> js_sys::Promise;
    #[wasm_bindgen(js_name = randomBytes)]
    fn random_bytes(n: u32) -> Uint8Array;
    #[wasm_bindgen(js_name = sameBytes)]
    fn same_bytes(a: &Uint8Array, b: &Uint8Array) -> bool;
    #[wasm_bindgen(js_name = memoryContains)]
    fn memory_contains(memory: &JsValue, needle: &Uint8Array) -> bool;
    fn options(entries: js_sys::Array) -> JsValue;
}

/// A WebCrypto RSA-OAEP key pair and its public key in the three forms users hold.
struct Pair {
    private_key: JsValue,
    spki: JsValue,
    base64: String,
    pem: String,
}

async fn pair(hash: &str, bits: u32) -> Pair {
    let value = JsFuture::from(rsa_oaep_pair(hash, bits)).await.unwrap();
    let field = |name: &str| Reflect::get(&value, &name.into()).unwrap();
    Pair {
        private_key: field("privateKey"),
        spki: field("spki"),
        base64: field("base64").as_string().unwrap(),
        pem: field("pem").as_string().unwrap(),
    }
}

/// Builds an options object from `(name, value)` pairs.
fn opts(entries: &[(&str, JsValue)]) -> JsValue {
    let array = js_sys::Array::new();
    for (name, value) in entries {
        array.push(&js_sys::Array::of2(&(*name).into(), value));
    }
    options(array)
}

fn error_code(error: &JsValue) -> (String, String, String) {
    let get = |name: &str| {
        Reflect::get(error, &name.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    (get("name"), get("code"), get("message"))
}

#[wasm_bindgen_test]
async fn webcrypto_decrypts_what_we_wrap_in_every_key_form() {
    for (hash, algorithm, bits) in [
        ("SHA-256", "RSAES_OAEP_SHA_256", 2048),
        ("SHA-1", "RSAES_OAEP_SHA_1", 2048),
        ("SHA-256", "RSAES_OAEP_SHA_256", 3072),
        ("SHA-256", "RSAES_OAEP_SHA_256", 4096),
    ] {
        let pair = pair(hash, bits).await;
        let forms: [JsValue; 3] = [
            pair.base64.clone().into(),
            pair.pem.clone().into(),
            pair.spki.clone(),
        ];
        for public_key in forms {
            let material = random_bytes(32);
            let wrapped = wrap_key_material(opts(&[
                ("material", material.clone().into()),
                ("publicKey", public_key),
                ("algorithm", algorithm.into()),
                ("keySpec", "Aliyun_AES_256".into()),
            ]))
            .unwrap();
            assert_eq!(wrapped.len(), (bits as usize / 8).div_ceil(3) * 4);
            let decrypted: Uint8Array = JsFuture::from(oaep_decrypt(&pair.private_key, &wrapped))
                .await
                .unwrap()
                .unchecked_into();
            assert!(same_bytes(&decrypted, &material), "{hash} RSA-{bits}");
        }
    }
}

#[wasm_bindgen_test]
async fn default_algorithm_is_oaep_sha_256() {
    let pair = pair("SHA-256", 2048).await;
    let material = generate_key_material(None).unwrap();
    let wrapped = wrap_key_material(opts(&[
        ("material", material.clone().into()),
        ("publicKey", pair.base64.clone().into()),
    ]))
    .unwrap();
    let decrypted: Uint8Array = JsFuture::from(oaep_decrypt(&pair.private_key, &wrapped))
        .await
        .unwrap()
        .unchecked_into();
    assert!(same_bytes(&decrypted, &material));
}

#[wasm_bindgen_test]
fn generated_material_has_the_right_length_and_differs() {
    for (spec, len) in [
        (None, 32),
        (Some("Aliyun_AES_256"), 32),
        (Some("Aliyun_AES_192"), 24),
        (Some("AES_128"), 16),
        (Some("Aliyun_SM4"), 16),
        (Some("SM4"), 16),
    ] {
        let spec = spec.map(js_sys::JsString::from);
        let a = generate_key_material(spec.clone()).unwrap();
        let b = generate_key_material(spec).unwrap();
        assert_eq!(a.length(), len);
        assert!(!same_bytes(&a, &b));
    }
}

#[wasm_bindgen_test]
async fn key_check_value_matches_webcrypto_aes() {
    for len in [16, 32] {
        // (Chromium's WebCrypto has no AES-192.)
        let material = random_bytes(len);
        let expected = JsFuture::from(aes_check_value(&material)).await.unwrap();
        let ours = key_check_value(material.into(), None).unwrap();
        assert_eq!(Some(ours), expected.as_string());
    }
}

#[wasm_bindgen_test]
async fn legacy_pkcs1_only_with_opt_in() {
    let pair = pair("SHA-256", 2048).await;
    let base = || {
        vec![
            ("material", JsValue::from(random_bytes(32))),
            ("publicKey", pair.base64.clone().into()),
            ("algorithm", "RSAES_PKCS1_V1_5".into()),
        ]
    };
    let refused = wrap_key_material(opts(&base())).unwrap_err();
    let (name, code, message) = error_code(&refused);
    assert_eq!(
        (name.as_str(), code.as_str()),
        ("ByokError", "LegacyAlgorithmRefused")
    );
    assert!(message.contains("allowLegacyPkcs1"), "{message}");
    let mut allowed = base();
    allowed.push(("allowLegacyPkcs1", true.into()));
    // WebCrypto cannot decrypt PKCS#1 v1.5; the native tests check this path with openssl.
    assert_eq!(wrap_key_material(opts(&allowed)).unwrap().len(), 344);
}

#[wasm_bindgen_test]
async fn bad_input_throws_byok_error_with_a_stable_code() {
    let pair = pair("SHA-256", 2048).await;
    let small = pair_base64("SHA-256", 1024).await;
    let ec = JsFuture::from(ec_spki_base64()).await.unwrap();
    let key: JsValue = pair.base64.clone().into();
    let m32 = || JsValue::from(random_bytes(32));
    let cases: Vec<(&str, JsValue, &str)> = vec![
        ("no options", JsValue::UNDEFINED, "InvalidArgument"),
        ("a string instead of options", "x".into(), "InvalidArgument"),
        (
            "no material",
            opts(&[("publicKey", key.clone())]),
            "InvalidArgument",
        ),
        (
            "material as an array of numbers",
            opts(&[
                ("material", js_sys::Array::of1(&1.into()).into()),
                ("publicKey", key.clone()),
            ]),
            "InvalidArgument",
        ),
        (
            "no public key",
            opts(&[("material", m32())]),
            "InvalidArgument",
        ),
        (
            "public key as a number",
            opts(&[("material", m32()), ("publicKey", 7.into())]),
            "InvalidArgument",
        ),
        (
            "garbage public key",
            opts(&[("material", m32()), ("publicKey", "hello, world".into())]),
            "InvalidPublicKey",
        ),
        (
            "EC public key",
            opts(&[("material", m32()), ("publicKey", ec.clone())]),
            "InvalidPublicKey",
        ),
        (
            "RSA-1024 public key",
            opts(&[("material", m32()), ("publicKey", small.clone().into())]),
            "InvalidPublicKey",
        ),
        (
            "unknown algorithm",
            opts(&[
                ("material", m32()),
                ("publicKey", key.clone()),
                ("algorithm", "RSA_OAEP".into()),
            ]),
            "UnknownAlgorithm",
        ),
        (
            "unknown key spec",
            opts(&[
                ("material", m32()),
                ("publicKey", key.clone()),
                ("keySpec", "AES_512".into()),
            ]),
            "UnknownKeySpec",
        ),
        (
            "material shorter than its key spec",
            opts(&[
                ("material", random_bytes(16).into()),
                ("publicKey", key.clone()),
                ("keySpec", "Aliyun_AES_256".into()),
            ]),
            "MaterialLength",
        ),
        (
            "empty material",
            opts(&[
                ("material", random_bytes(0).into()),
                ("publicKey", key.clone()),
            ]),
            "MaterialLength",
        ),
        (
            "material longer than OAEP-SHA-256 can carry",
            opts(&[
                ("material", random_bytes(191).into()),
                ("publicKey", key.clone()),
            ]),
            "MaterialLength",
        ),
        (
            "a string where a boolean belongs",
            opts(&[
                ("material", m32()),
                ("publicKey", key.clone()),
                ("algorithm", "RSAES_PKCS1_V1_5".into()),
                ("allowLegacyPkcs1", "true".into()),
            ]),
            "InvalidArgument",
        ),
        (
            "a misspelt option",
            opts(&[
                ("material", m32()),
                ("publicKey", key.clone()),
                ("allowLegacyPKCS1", true.into()),
            ]),
            "InvalidArgument",
        ),
    ];
    for (what, input, expected) in cases {
        let error = wrap_key_material(input).expect_err(what);
        assert!(
            error.is_instance_of::<js_sys::Error>(),
            "{what}: not an Error"
        );
        let (name, code, message) = error_code(&error);
        assert_eq!(name, "ByokError", "{what}");
        assert_eq!(code, expected, "{what}: {message}");
        assert!(!message.is_empty());
    }
    // 190 bytes is the most OAEP-SHA-256 carries under RSA-2048.
    assert!(
        wrap_key_material(opts(&[
            ("material", random_bytes(190).into()),
            ("publicKey", key.clone())
        ]))
        .is_ok()
    );

    let error = generate_key_material(Some("AES_512".into())).unwrap_err();
    assert_eq!(error_code(&error).1, "UnknownKeySpec");
    let error = key_check_value(random_bytes(20).into(), None).unwrap_err();
    assert_eq!(error_code(&error).1, "MaterialLength");
    let error = key_check_value("00".into(), None).unwrap_err();
    assert_eq!(error_code(&error).1, "InvalidArgument");
}

async fn pair_base64(hash: &str, bits: u32) -> String {
    pair(hash, bits).await.base64
}

#[wasm_bindgen_test]
async fn no_copy_of_the_material_remains_in_wasm_memory() {
    let memory = wasm_bindgen::memory();
    let pair = pair("SHA-256", 2048).await;
    for (algorithm, legacy) in [
        ("RSAES_OAEP_SHA_256", false),
        ("RSAES_OAEP_SHA_1", false),
        ("RSAES_PKCS1_V1_5", true),
    ] {
        for len in [16u32, 24, 32] {
            let material = random_bytes(len);
            assert!(!memory_contains(&memory, &material));
            wrap_key_material(opts(&[
                ("material", material.clone().into()),
                ("publicKey", pair.base64.clone().into()),
                ("algorithm", algorithm.into()),
                ("allowLegacyPkcs1", legacy.into()),
            ]))
            .unwrap();
            assert!(
                !memory_contains(&memory, &material),
                "{algorithm}: {len}-byte material left in wasm memory after wrapping"
            );
            key_check_value(material.clone().into(), None).unwrap();
            assert!(
                !memory_contains(&memory, &material),
                "{len}-byte material left in wasm memory after keyCheckValue"
            );
        }
    }
    for spec in ["Aliyun_AES_256", "Aliyun_AES_128"] {
        let generated = generate_key_material(Some(spec.into())).unwrap();
        assert!(
            !memory_contains(&memory, &generated),
            "generated {spec} material left in wasm memory"
        );
    }
    // The search itself works: a buffer we leave in memory on purpose is found.
    let canary = random_bytes(32).to_vec();
    assert!(memory_contains(&memory, &Uint8Array::from(&canary[..])));
}

#[wasm_bindgen_test]
async fn the_async_wrap_uses_webcrypto_or_wasm_and_webcrypto_decrypts_both() {
    let memory = wasm_bindgen::memory();
    for (hash, algorithm) in [
        ("SHA-256", "RSAES_OAEP_SHA_256"),
        ("SHA-1", "RSAES_OAEP_SHA_1"),
    ] {
        let pair = pair(hash, 2048).await;
        for web_crypto in [true, false] {
            // Twice each: the first call imports the key, the second reuses it.
            for _ in 0..2 {
                let material = random_bytes(32);
                let promise = wrap_key_material_async(opts(&[
                    ("material", material.clone().into()),
                    ("publicKey", pair.base64.clone().into()),
                    ("algorithm", algorithm.into()),
                    ("webCrypto", web_crypto.into()),
                ]))
                .unwrap();
                let wrapped = JsFuture::from(promise).await.unwrap().as_string().unwrap();
                let decrypted: Uint8Array =
                    JsFuture::from(oaep_decrypt(&pair.private_key, &wrapped))
                        .await
                        .unwrap()
                        .unchecked_into();
                assert!(
                    same_bytes(&decrypted, &material),
                    "{algorithm} webCrypto={web_crypto}"
                );
                assert!(
                    !memory_contains(&memory, &material),
                    "material left in wasm memory"
                );
            }
        }
    }
    // PKCS#1 v1.5 has no WebCrypto path: the wasm one answers, with the opt-in only.
    let pair = pair("SHA-256", 2048).await;
    let legacy = |allow: bool| {
        wrap_key_material_async(opts(&[
            ("material", random_bytes(32).into()),
            ("publicKey", pair.base64.clone().into()),
            ("algorithm", "RSAES_PKCS1_V1_5".into()),
            ("allowLegacyPkcs1", allow.into()),
        ]))
    };
    let wrapped = JsFuture::from(legacy(true).unwrap()).await.unwrap();
    assert_eq!(wrapped.as_string().unwrap().len(), 344);
    assert_eq!(
        error_code(&legacy(false).unwrap_err()).1,
        "LegacyAlgorithmRefused"
    );
    // Checks run before anything is encrypted, and throw synchronously.
    let error = wrap_key_material_async(opts(&[
        ("material", random_bytes(16).into()),
        ("publicKey", pair.base64.clone().into()),
        ("keySpec", "Aliyun_AES_256".into()),
    ]))
    .unwrap_err();
    assert_eq!(error_code(&error).1, "MaterialLength");
    // `webCrypto` is an option of the async function only.
    let error = wrap_key_material(opts(&[
        ("material", random_bytes(32).into()),
        ("publicKey", pair.base64.clone().into()),
        ("webCrypto", true.into()),
    ]))
    .unwrap_err();
    assert_eq!(error_code(&error).1, "InvalidArgument");
}
