//! byok-wrap in headless Chromium (wasm-bindgen-test), against the browser's own WebCrypto: it
//! makes the RSA key pairs and private keys, decrypts what our wasm wrapped (for the hybrid
//! formats it unwraps the AES key, and the AES part is recomputed with WebCrypto's AES and the
//! RFCs' algorithms, in tests/browser/helpers.js); bad input gives `ByokError`s; and after every
//! call, no trace of a secret is left in wasm memory: not the material, nor the values computed
//! from it (OAEP seed and masks, the encoded message and its Montgomery form, AES key schedules
//! and round states, the access key secret and its HMAC key blocks).
//!
//! Run with `make test-browser` (needs `wasm-bindgen-test-runner` and `chromedriver`).

#![cfg(target_arch = "wasm32")]

use byok_wrap::js::{
    RawRequestSigner, generate_key_material, key_check_value, raw_import_rules, wrap, wrap_async,
};
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/browser/helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = rsaOaepPair)]
    fn rsa_oaep_pair(hash: &str, modulus_length: u32) -> Promise;
    #[wasm_bindgen(js_name = ecSpkiBase64)]
    fn ec_spki_base64() -> Promise;
    #[wasm_bindgen(js_name = privateKeyPkcs8)]
    fn private_key_pkcs8(kind: &str) -> Promise;
    #[wasm_bindgen(js_name = oaepDecrypt)]
    fn oaep_decrypt(private_key: &JsValue, bytes: &Uint8Array) -> Promise;
    #[wasm_bindgen(js_name = aesCheckValue)]
    fn aes_check_value(material: &Uint8Array) -> Promise;
    #[wasm_bindgen(js_name = kwpWrap)]
    fn kwp_wrap(key: &Uint8Array, material: &Uint8Array) -> Promise;
    #[wasm_bindgen(js_name = ecbPkcs7)]
    fn ecb_pkcs7(key: &Uint8Array, material: &Uint8Array) -> Promise;
    #[wasm_bindgen(js_name = rsaNeedles)]
    fn rsa_needles(jwk: &JsValue, hash: &str, ciphertext: &Uint8Array) -> Promise;
    #[wasm_bindgen(js_name = aesNeedles)]
    fn aes_needles(key: &Uint8Array) -> Object;
    #[wasm_bindgen(js_name = sm4Needles)]
    fn sm4_needles(key: &Uint8Array) -> Object;
    #[wasm_bindgen(js_name = hmacNeedles)]
    fn hmac_needles(secret: &JsValue) -> Object;
    fn leaks(memory: &JsValue, needles: &Object) -> Array;
    fn occurrences(memory: &JsValue, needle: &Uint8Array) -> u32;
    #[wasm_bindgen(js_name = randomBytes)]
    fn random_bytes(n: u32) -> Uint8Array;
    #[wasm_bindgen(js_name = randomSecret)]
    fn random_secret() -> JsValue;
    #[wasm_bindgen(js_name = sameBytes)]
    fn same_bytes(a: &Uint8Array, b: &Uint8Array) -> bool;
    #[wasm_bindgen(js_name = fromBase64)]
    fn from_base64(text: &str) -> Uint8Array;
    fn utf8(text: &str) -> Uint8Array;
    fn options(entries: Array) -> JsValue;
}

/// A WebCrypto RSA-OAEP key pair and its public key in the three forms users hold.
struct Pair {
    private_key: JsValue,
    jwk: JsValue,
    spki: JsValue,
    base64: String,
    pem: String,
}

async fn pair(hash: &str, bits: u32) -> Pair {
    let value = JsFuture::from(rsa_oaep_pair(hash, bits)).await.unwrap();
    let field = |name: &str| Reflect::get(&value, &name.into()).unwrap();
    Pair {
        private_key: field("privateKey"),
        jwk: field("jwk"),
        spki: field("spki"),
        base64: field("base64").as_string().unwrap(),
        pem: field("pem").as_string().unwrap(),
    }
}

async fn bytes_of(promise: Promise) -> Uint8Array {
    JsFuture::from(promise).await.unwrap().unchecked_into()
}

/// Builds an options object from `(name, value)` pairs.
fn opts(entries: &[(&str, JsValue)]) -> JsValue {
    let array = Array::new();
    for (name, value) in entries {
        array.push(&Array::of2(&(*name).into(), value));
    }
    options(array)
}

fn wrap_for_import(entries: &[(&str, JsValue)]) -> Result<String, JsValue> {
    wrap(opts(entries), "wrapForImport", false)
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

/// Unwraps `wrapped` (base64) independently: WebCrypto RSA-OAEP, then for the hybrid formats the
/// AES part recomputed with WebCrypto's AES under the unwrapped key and compared.
async fn assert_unwraps(
    pair: &Pair,
    bits: u32,
    scheme: &str,
    wrapped: &str,
    expected: &Uint8Array,
    what: &str,
) {
    let bytes = from_base64(wrapped);
    let k = bits / 8;
    if scheme == "oaep" {
        assert_eq!(bytes.length(), k, "{what}");
        let decrypted = bytes_of(oaep_decrypt(&pair.private_key, &bytes)).await;
        assert!(same_bytes(&decrypted, expected), "{what}");
        return;
    }
    let aes_key = bytes_of(oaep_decrypt(&pair.private_key, &bytes.subarray(0, k))).await;
    assert_eq!(aes_key.length(), 32, "{what}: the AES key is AES-256");
    let aes_part = bytes.subarray(k, bytes.length());
    let recomputed = if scheme == "oaep+kwp" {
        bytes_of(kwp_wrap(&aes_key, expected)).await
    } else {
        bytes_of(ecb_pkcs7(&aes_key, expected)).await
    };
    assert!(same_bytes(&recomputed, &aes_part), "{what}: the AES part");
}

/// The rows of `importRules().algorithms`: (name, scheme, hash, wrapping key sizes, symmetric,
/// private keys).
fn algorithms() -> Vec<(String, String, String, Vec<u32>, bool, bool)> {
    let rules = raw_import_rules().unwrap();
    let list: Array = Reflect::get(&rules, &"algorithms".into())
        .unwrap()
        .unchecked_into();
    list.iter()
        .map(|row| {
            let text = |f: &str| {
                Reflect::get(&row, &f.into())
                    .unwrap()
                    .as_string()
                    .unwrap_or_default()
            };
            let flag = |f: &str| Reflect::get(&row, &f.into()).unwrap().as_bool().unwrap();
            let sizes: Array = Reflect::get(&row, &"wrappingKeySpecs".into())
                .unwrap()
                .unchecked_into();
            let sizes = sizes
                .iter()
                .map(|s| s.as_string().unwrap()[4..].parse().unwrap())
                .collect();
            (
                text("name"),
                text("scheme"),
                text("hash"),
                sizes,
                flag("symmetric"),
                flag("privateKeys"),
            )
        })
        .collect()
}

#[wasm_bindgen_test]
async fn webcrypto_unwraps_every_format_for_every_key_size() {
    let mut pairs: Vec<(String, u32, Pair)> = Vec::new();
    let mut checked = 0;
    for (algorithm, scheme, hash, sizes, symmetric, private_keys) in algorithms() {
        if scheme == "pkcs1v15" {
            continue; // WebCrypto has no PKCS#1 v1.5 encryption; openssl checks it natively.
        }
        for bits in sizes {
            if !pairs.iter().any(|(h, b, _)| *h == hash && *b == bits) {
                pairs.push((hash.clone(), bits, pair(&hash, bits).await));
            }
            let pair = &pairs
                .iter()
                .find(|(h, b, _)| *h == hash && *b == bits)
                .unwrap()
                .2;
            let forms: [JsValue; 3] = [
                pair.base64.clone().into(),
                pair.pem.clone().into(),
                pair.spki.clone(),
            ];
            if symmetric {
                for (i, public_key) in forms.into_iter().enumerate() {
                    let material = random_bytes([32, 16, 64][i]);
                    let wrapped = wrap_for_import(&[
                        ("material", material.clone().into()),
                        ("publicKey", public_key),
                        ("algorithm", algorithm.as_str().into()),
                    ])
                    .unwrap();
                    assert_unwraps(
                        pair,
                        bits,
                        &scheme,
                        &wrapped,
                        &material,
                        &format!("{algorithm} RSA-{bits}"),
                    )
                    .await;
                    checked += 1;
                }
            }
            if private_keys && scheme != "oaep" {
                for kind in ["RSA-2048", "EC-P-256", "EC-P-384"] {
                    let pkcs8 = bytes_of(private_key_pkcs8(kind)).await;
                    let wrapped = wrap_for_import(&[
                        ("privateKey", pkcs8.clone().into()),
                        ("publicKey", pair.base64.clone().into()),
                        ("algorithm", algorithm.as_str().into()),
                    ])
                    .unwrap();
                    // WebCrypto's PKCS#8 export is what every cloud takes; it is wrapped as is.
                    assert_unwraps(
                        pair,
                        bits,
                        &scheme,
                        &wrapped,
                        &pkcs8,
                        &format!("{algorithm} RSA-{bits} {kind}"),
                    )
                    .await;
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 60, "{checked} wraps checked");
}

#[wasm_bindgen_test]
async fn wrap_key_material_defaults_to_oaep_sha_256() {
    let pair = pair("SHA-256", 2048).await;
    let material = generate_key_material(None).unwrap();
    let wrapped = wrap(
        opts(&[
            ("material", material.clone().into()),
            ("publicKey", pair.base64.clone().into()),
        ]),
        "wrapKeyMaterial",
        true,
    )
    .unwrap();
    assert_unwraps(&pair, 2048, "oaep", &wrapped, &material, "default").await;
    // wrapForImport names the algorithm: there is no default that fits every cloud.
    let err = wrap_for_import(&[
        ("material", material.into()),
        ("publicKey", pair.base64.clone().into()),
    ])
    .unwrap_err();
    assert_eq!(error_code(&err).1, "InvalidArgument");
    assert!(error_code(&err).2.contains("algorithm is required"));
}

#[wasm_bindgen_test]
fn generated_material_has_each_spec_s_length_and_differs() {
    for (spec, len) in [
        (None, 32),
        (Some("Aliyun_AES_256"), 32),
        (Some("Aliyun_AES_192"), 24),
        (Some("AES_128"), 16),
        (Some("Aliyun_SM4"), 16),
        (Some("SYMMETRIC_DEFAULT"), 32),
        (Some("HMAC_224"), 28),
        (Some("HMAC_512"), 64),
        (Some("GOOGLE_SYMMETRIC_ENCRYPTION"), 32),
    ] {
        let a = generate_key_material(spec.map(String::from)).unwrap();
        let b = generate_key_material(spec.map(String::from)).unwrap();
        assert_eq!(a.length(), len, "{spec:?}");
        assert!(!same_bytes(&a, &b));
    }
    let err = generate_key_material(Some("RSA_2048".into())).unwrap_err();
    assert_eq!(error_code(&err).1, "InvalidArgument");
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
    let refused = wrap_for_import(&base()).unwrap_err();
    let (name, code, message) = error_code(&refused);
    assert_eq!(
        (name.as_str(), code.as_str()),
        ("ByokError", "LegacyAlgorithmRefused")
    );
    assert!(message.contains("allowLegacyPkcs1"), "{message}");
    let mut allowed = base();
    allowed.push(("allowLegacyPkcs1", true.into()));
    // WebCrypto cannot decrypt PKCS#1 v1.5; the native tests check this path with openssl.
    assert_eq!(wrap_for_import(&allowed).unwrap().len(), 344);
}

#[wasm_bindgen_test]
async fn bad_input_gives_byok_error_with_a_stable_code() {
    let pair = pair("SHA-256", 2048).await;
    let small = pair_base64("SHA-256", 1024).await;
    let ec = JsFuture::from(ec_spki_base64()).await.unwrap();
    let ec_private = bytes_of(private_key_pkcs8("EC-P-256")).await;
    let key: JsValue = pair.base64.clone().into();
    let m32 = || JsValue::from(random_bytes(32));
    let oaep = || ("algorithm", JsValue::from("RSAES_OAEP_SHA_256"));
    let cases: Vec<(&str, JsValue, &str)> = vec![
        ("no options", JsValue::UNDEFINED, "InvalidArgument"),
        ("a string instead of options", "x".into(), "InvalidArgument"),
        (
            "no material",
            opts(&[("publicKey", key.clone()), oaep()]),
            "InvalidArgument",
        ),
        (
            "material as an array of numbers",
            opts(&[
                ("material", Array::of1(&1.into()).into()),
                ("publicKey", key.clone()),
                oaep(),
            ]),
            "InvalidArgument",
        ),
        (
            "material and a private key",
            opts(&[
                ("material", m32()),
                ("privateKey", ec_private.clone().into()),
                ("publicKey", key.clone()),
                oaep(),
            ]),
            "InvalidArgument",
        ),
        (
            "no public key",
            opts(&[("material", m32()), oaep()]),
            "InvalidArgument",
        ),
        (
            "public key as a number",
            opts(&[("material", m32()), ("publicKey", 7.into()), oaep()]),
            "InvalidArgument",
        ),
        (
            "garbage public key",
            opts(&[
                ("material", m32()),
                ("publicKey", "hello, world".into()),
                oaep(),
            ]),
            "InvalidPublicKey",
        ),
        (
            "EC public key",
            opts(&[("material", m32()), ("publicKey", ec.clone()), oaep()]),
            "InvalidPublicKey",
        ),
        (
            "RSA-1024 public key",
            opts(&[
                ("material", m32()),
                ("publicKey", small.clone().into()),
                oaep(),
            ]),
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
                oaep(),
                ("keySpec", "AES_512".into()),
            ]),
            "UnknownKeySpec",
        ),
        (
            "material shorter than its key spec",
            opts(&[
                ("material", random_bytes(16).into()),
                ("publicKey", key.clone()),
                oaep(),
                ("keySpec", "Aliyun_AES_256".into()),
            ]),
            "MaterialLength",
        ),
        (
            "empty material",
            opts(&[
                ("material", random_bytes(0).into()),
                ("publicKey", key.clone()),
                oaep(),
            ]),
            "MaterialLength",
        ),
        (
            "material longer than OAEP-SHA-256 can carry",
            opts(&[
                ("material", random_bytes(191).into()),
                ("publicKey", key.clone()),
                oaep(),
            ]),
            "MaterialLength",
        ),
        (
            "a Google Cloud algorithm with an RSA-2048 key",
            opts(&[
                ("material", m32()),
                ("publicKey", key.clone()),
                ("algorithm", "RSA_OAEP_3072_SHA256_AES_256".into()),
            ]),
            "WrappingKeyMismatch",
        ),
        (
            "symmetric material for Alibaba Cloud's private-key format",
            opts(&[
                ("material", m32()),
                ("publicKey", key.clone()),
                (
                    "algorithm",
                    "RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD".into(),
                ),
            ]),
            "UnsupportedMaterial",
        ),
        (
            "an EC key for an RSA key spec",
            opts(&[
                ("privateKey", ec_private.clone().into()),
                ("publicKey", key.clone()),
                ("algorithm", "RSA_AES_KEY_WRAP_SHA_256".into()),
                ("keySpec", "RSA_2048".into()),
            ]),
            "KeySpecMismatch",
        ),
        (
            "a private key that is garbage",
            opts(&[
                ("privateKey", "-----BEGIN PRIVATE KEY-----\nAAAA\n".into()),
                ("publicKey", key.clone()),
                ("algorithm", "RSA_AES_KEY_WRAP_SHA_256".into()),
            ]),
            "InvalidPrivateKey",
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
                oaep(),
                ("allowLegacyPKCS1", true.into()),
            ]),
            "InvalidArgument",
        ),
        (
            "webCrypto for the sync function",
            opts(&[
                ("material", m32()),
                ("publicKey", key.clone()),
                oaep(),
                ("webCrypto", true.into()),
            ]),
            "InvalidArgument",
        ),
    ];
    for (what, input, expected) in cases {
        let error = wrap(input.clone(), "wrapForImport", false).expect_err(what);
        assert!(
            error.is_instance_of::<js_sys::Error>(),
            "{what}: not an Error"
        );
        let (name, code, message) = error_code(&error);
        assert_eq!(name, "ByokError", "{what}");
        assert_eq!(code, expected, "{what}: {message}");
        assert!(!message.is_empty());
        // The async twin rejects with the same error instead of throwing (bar the sync-only case).
        if what != "webCrypto for the sync function" {
            let rejected = JsFuture::from(wrap_async(input, "wrapForImportAsync", false))
                .await
                .expect_err(what);
            assert_eq!(error_code(&rejected).1, expected, "{what} (async)");
        }
    }
    let misspelt = wrap_for_import(&[
        ("material", m32()),
        ("publicKey", key.clone()),
        oaep(),
        ("algoritm", "x".into()),
    ])
    .unwrap_err();
    assert!(
        error_code(&misspelt)
            .2
            .contains("unknown option `algoritm`"),
        "{}",
        error_code(&misspelt).2
    );
    // 190 bytes is the most OAEP-SHA-256 carries under RSA-2048.
    assert!(
        wrap_for_import(&[
            ("material", random_bytes(190).into()),
            ("publicKey", key.clone()),
            oaep()
        ])
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
async fn the_async_wrap_uses_webcrypto_or_wasm_and_both_unwrap() {
    for (hash, algorithm, scheme) in [
        ("SHA-256", "RSAES_OAEP_SHA_256", "oaep"),
        ("SHA-1", "RSAES_OAEP_SHA_1", "oaep"),
        ("SHA-256", "RSA_AES_KEY_WRAP_SHA_256", "oaep+kwp"),
        ("SHA-1", "RSA_AES_KEY_WRAP_SHA_1", "oaep+kwp"),
    ] {
        let pair = pair(hash, 2048).await;
        for web_crypto in [true, false] {
            // Twice each: the first call imports the key, the second reuses it.
            for _ in 0..2 {
                let material = random_bytes(32);
                let promise = wrap_async(
                    opts(&[
                        ("material", material.clone().into()),
                        ("publicKey", pair.base64.clone().into()),
                        ("algorithm", algorithm.into()),
                        ("webCrypto", web_crypto.into()),
                    ]),
                    "wrapForImportAsync",
                    false,
                );
                let wrapped = JsFuture::from(promise).await.unwrap().as_string().unwrap();
                assert_unwraps(
                    &pair,
                    2048,
                    scheme,
                    &wrapped,
                    &material,
                    &format!("{algorithm} webCrypto={web_crypto}"),
                )
                .await;
            }
        }
    }
    // An EC private key through the async hybrid path.
    let pair = pair("SHA-256", 3072).await;
    let pkcs8 = bytes_of(private_key_pkcs8("EC-P-384")).await;
    let wrapped = JsFuture::from(wrap_async(
        opts(&[
            ("privateKey", pkcs8.clone().into()),
            ("publicKey", pair.pem.clone().into()),
            ("algorithm", "RSA_OAEP_3072_SHA256_AES_256".into()),
            ("keySpec", "ECC_NIST_P384".into()),
        ]),
        "wrapForImportAsync",
        false,
    ))
    .await
    .unwrap()
    .as_string()
    .unwrap();
    assert_unwraps(&pair, 3072, "oaep+kwp", &wrapped, &pkcs8, "async EC P-384").await;
}

// ---- the wasm memory after every call ----------------------------------------------------------

fn assert_no_leak(needles: &Object, after: &str) {
    let found = leaks(&wasm_bindgen::memory(), needles);
    assert_eq!(
        found.length(),
        0,
        "after {after}, wasm memory holds: {:?}",
        found.to_vec()
    );
}

fn needles_with(needles: Object, entries: &[(&str, &Uint8Array)]) -> Object {
    for (name, bytes) in entries {
        Reflect::set(&needles, &(*name).into(), bytes).unwrap();
    }
    needles
}

#[wasm_bindgen_test]
async fn no_trace_of_the_material_or_the_oaep_encoding_remains_in_wasm_memory() {
    for (hash, algorithm, legacy) in [
        ("SHA-256", "RSAES_OAEP_SHA_256", false),
        ("SHA-1", "RSAES_OAEP_SHA_1", false),
        ("SHA-256", "RSAES_PKCS1_V1_5", true),
        ("SHA-256", "RSA_AES_KEY_WRAP_SHA_256", false),
    ] {
        let pair = pair(hash, 2048).await;
        for len in [16u32, 32] {
            let material = random_bytes(len);
            let wrapped = wrap_for_import(&[
                ("material", material.clone().into()),
                ("publicKey", pair.base64.clone().into()),
                ("algorithm", algorithm.into()),
                ("allowLegacyPkcs1", legacy.into()),
            ])
            .unwrap();
            let ciphertext = from_base64(&wrapped);
            let needles: Object = JsFuture::from(rsa_needles(&pair.jwk, hash, &ciphertext))
                .await
                .unwrap()
                .unchecked_into();
            let aes_key;
            let mut entries = vec![("material", &material)];
            if algorithm.contains("KEY_WRAP") {
                aes_key = bytes_of(oaep_decrypt(
                    &pair.private_key,
                    &ciphertext.subarray(0, 256),
                ))
                .await;
                entries.push(("ephemeral AES key", &aes_key));
            }
            let needles = needles_with(needles, &entries);
            assert_no_leak(&needles, &format!("{algorithm} of {len} bytes"));
        }
    }
    // Private keys: the PKCS#8 and the PEM text, after parsing and wrapping.
    let pair = pair("SHA-256", 2048).await;
    let pkcs8 = bytes_of(private_key_pkcs8("RSA-2048")).await;
    wrap_for_import(&[
        ("privateKey", pkcs8.clone().into()),
        ("publicKey", pair.base64.clone().into()),
        ("algorithm", "RSA_AES_KEY_WRAP_SHA_256".into()),
    ])
    .unwrap();
    assert_no_leak(
        &needles_with(
            Object::new(),
            &[("PKCS#8 private key", &pkcs8.subarray(40, pkcs8.length()))],
        ),
        "wrapping a private key",
    );
    // The search itself works: a buffer we leave in memory on purpose is found.
    let canary = random_bytes(32).to_vec();
    let found = leaks(
        &wasm_bindgen::memory(),
        &needles_with(Object::new(), &[("canary", &Uint8Array::from(&canary[..]))]),
    );
    assert_eq!(found.length(), 1, "the search finds what is there");
}

#[wasm_bindgen_test]
fn no_trace_of_a_key_check_value_s_key_schedule_or_rounds_remains() {
    for (len, spec) in [(16, None), (24, None), (32, None), (16, Some("Aliyun_SM4"))] {
        let material = random_bytes(len);
        key_check_value(material.clone().into(), spec.map(String::from)).unwrap();
        let needles = match spec {
            Some(_) => sm4_needles(&material),
            None => aes_needles(&material),
        };
        let needles = needles_with(needles, &[("material", &material)]);
        assert_no_leak(&needles, &format!("keyCheckValue of {len} bytes {spec:?}"));
    }
    for spec in ["Aliyun_AES_256", "HMAC_256", "SYMMETRIC_DEFAULT"] {
        let generated = generate_key_material(Some(spec.into())).unwrap();
        assert_no_leak(
            &needles_with(Object::new(), &[("generated", &generated)]),
            &format!("generating {spec}"),
        );
    }
}

#[wasm_bindgen_test]
fn the_access_key_secret_is_held_once_and_wiped_by_free() {
    // The secret and its id come from JavaScript as the bindings give them to Rust: one string
    // buffer each, which the signer takes over.
    let secret_js = random_secret();
    let secret_text = secret_js.as_string().unwrap();
    let needle = utf8(&secret_text);
    let pads = hmac_needles(&secret_js);
    let memory = wasm_bindgen::memory();
    let signer = RawRequestSigner::new("LTAI5tTestAccessKey".into(), secret_text, None).unwrap();
    assert_eq!(
        occurrences(&memory, &needle),
        1,
        "the signer's own copy, and no other"
    );
    let params = Object::new();
    Reflect::set(&params, &"KeyId".into(), &"key-1".into()).unwrap();
    for _ in 0..3 {
        signer
            .sign("kms.cn-hangzhou.aliyuncs.com", "DescribeKey", &params)
            .unwrap();
        assert_eq!(
            occurrences(&memory, &needle),
            1,
            "after signing: still only the signer's copy"
        );
        assert_no_leak(&pads, "signing");
    }
    drop(signer);
    assert_eq!(
        occurrences(&memory, &needle),
        0,
        "the secret is wiped when the signer is freed"
    );
}
