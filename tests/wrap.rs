//! The wrapping rules, natively: every error path with its stable code, and the round-trip property
//! (wrap, then decrypt with aws-lc-rs, gives the input back) for random material.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use byok_wrap::{
    Error, ExpectedLength, KeyMaterial, KeySpec, WrapOptions, WrappingAlgorithm, WrappingKeySpec,
    WrappingPublicKey, wrap, wrap_with,
};
use common::{aws_lc_unwrap, fixtures};
use proptest::prelude::*;

fn key(bits: usize) -> WrappingPublicKey {
    WrappingPublicKey::parse(&fixtures().read(&format!("rsa{bits}.pub.der"))).unwrap()
}

fn material(len: usize) -> KeyMaterial {
    KeyMaterial::from_bytes(&vec![0x5A; len], None).unwrap()
}

#[test]
fn every_error_has_its_stable_code_and_a_message_that_says_what_to_do() {
    let k = key(2048);
    let legacy = WrapOptions {
        algorithm: WrappingAlgorithm::RsaesPkcs1V15,
        ..WrapOptions::default()
    };
    let aes256 = WrapOptions {
        key_spec: Some(KeySpec::AliyunAes256),
        ..WrapOptions::default()
    };
    let cases: Vec<(Error, &str, &str)> = vec![
        (
            "RSA_OAEP".parse::<WrappingAlgorithm>().unwrap_err(),
            "UnknownAlgorithm",
            "use RSAES_OAEP_SHA_256",
        ),
        (
            "AES_512".parse::<KeySpec>().unwrap_err(),
            "UnknownKeySpec",
            "Aliyun_AES_256",
        ),
        (
            "RSA_1024".parse::<WrappingKeySpec>().unwrap_err(),
            "UnknownWrappingKeySpec",
            "RSA_2048",
        ),
        (
            wrap_with(&k, &material(32), &legacy).unwrap_err(),
            "LegacyAlgorithmRefused",
            "allowLegacyPkcs1",
        ),
        (
            wrap_with(&k, &material(16), &aes256).unwrap_err(),
            "MaterialLength",
            "Aliyun_AES_256 key material must be 32 bytes, got 16",
        ),
        (
            wrap(&k, WrappingAlgorithm::RsaesOaepSha256, &material(0)).unwrap_err(),
            "MaterialLength",
            "must be 1 to 190 bytes for RSAES_OAEP_SHA_256 with a 2048-bit wrapping key, got 0",
        ),
        (
            WrappingPublicKey::parse(b"hello, world").unwrap_err(),
            "InvalidPublicKey",
            "neither PEM, base64 nor DER",
        ),
        (
            WrappingPublicKey::parse(b"MIIBIjAN").unwrap_err(),
            "InvalidPublicKey",
            "found base64 text whose content is not DER",
        ),
        (
            WrappingPublicKey::parse(b"MIIBIjA").unwrap_err(),
            "InvalidPublicKey",
            "not valid base64",
        ),
        (
            KeyMaterial::from_bytes(&[1; 20], Some(KeySpec::AliyunSm4)).unwrap_err(),
            "MaterialLength",
            "Aliyun_SM4 key material must be 16 bytes, got 20",
        ),
    ];
    for (error, code, needle) in cases {
        assert_eq!(error.code(), code, "{error}");
        assert!(
            error.to_string().contains(needle),
            "{error:?} should say {needle:?}"
        );
    }
}

#[test]
fn the_limit_is_exactly_what_each_algorithm_carries_for_each_key_size() {
    // RFC 8017: k - 2·hLen - 2 for OAEP, k - 11 for PKCS#1 v1.5.
    let limits = [
        (2048, WrappingAlgorithm::RsaesOaepSha256, 190),
        (2048, WrappingAlgorithm::RsaesOaepSha1, 214),
        (2048, WrappingAlgorithm::RsaesPkcs1V15, 245),
        (3072, WrappingAlgorithm::RsaesOaepSha256, 318),
        (4096, WrappingAlgorithm::RsaesOaepSha256, 446),
        (4096, WrappingAlgorithm::RsaesPkcs1V15, 501),
    ];
    for (bits, algorithm, max) in limits {
        let k = key(bits);
        let options = WrapOptions {
            algorithm,
            allow_legacy_pkcs1: true,
            key_spec: None,
        };
        assert!(
            wrap_with(&k, &material(max), &options).is_ok(),
            "{bits} {algorithm} {max}"
        );
        let err = wrap_with(&k, &material(max + 1), &options).unwrap_err();
        assert_eq!(
            err,
            Error::MaterialLength {
                expected: ExpectedLength::UpTo {
                    max,
                    algorithm,
                    modulus_bits: bits
                },
                got: max + 1
            }
        );
    }
}

#[test]
fn the_legacy_refusal_comes_first_and_the_opt_in_lifts_it() {
    let k = key(2048);
    // Even with material of the wrong length, the missing opt-in is what gets reported.
    let refused = WrapOptions {
        algorithm: WrappingAlgorithm::RsaesPkcs1V15,
        allow_legacy_pkcs1: false,
        key_spec: Some(KeySpec::AliyunAes256),
    };
    assert_eq!(
        wrap_with(&k, &material(3), &refused).unwrap_err(),
        Error::LegacyAlgorithmRefused
    );
    let allowed = WrapOptions {
        allow_legacy_pkcs1: true,
        ..refused
    };
    let m = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    let wrapped = wrap_with(&k, &m, &allowed).unwrap();
    let der = fixtures().private_key_der(2048);
    assert_eq!(
        aws_lc_unwrap(&der, WrappingAlgorithm::RsaesPkcs1V15, wrapped.as_bytes()),
        m.expose_secret()
    );
    // The opt-in is not needed, and changes nothing, for OAEP.
    let oaep = WrapOptions {
        algorithm: WrappingAlgorithm::RsaesOaepSha256,
        ..allowed
    };
    assert!(wrap_with(&k, &m, &oaep).is_ok());
}

#[test]
fn wrapping_is_randomised() {
    let k = key(2048);
    let m = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    for algorithm in [
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaesOaepSha1,
    ] {
        let a = wrap(&k, algorithm, &m).unwrap();
        let b = wrap(&k, algorithm, &m).unwrap();
        assert_ne!(a, b, "{algorithm} must use a fresh seed per wrap");
    }
}

#[test]
fn errors_and_debug_output_never_show_material() {
    let k = key(2048);
    let m = KeyMaterial::from_bytes(&[0xC3; 191], None).unwrap();
    let err = wrap(&k, WrappingAlgorithm::RsaesOaepSha256, &m).unwrap_err();
    let shown = format!("{err} {err:?} {m:?} {k:?}");
    assert!(!shown.contains("c3c3") && !shown.contains("C3C3") && !shown.contains("195, 195"));
    assert!(!shown.contains("w8PD"), "base64 of the material: {shown}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn wrap_then_decrypt_gives_the_material_back(
        bytes in proptest::collection::vec(any::<u8>(), 1..=190),
        algorithm in prop::sample::select(
            WrappingAlgorithm::ALL
                .into_iter()
                .filter(|a| a.rule().symmetric && a.allows_wrapping_key(WrappingKeySpec::Rsa2048))
                .collect::<Vec<_>>(),
        ),
    ) {
        let k = key(2048);
        let m = KeyMaterial::from_bytes(&bytes, None).unwrap();
        let options = WrapOptions { algorithm, allow_legacy_pkcs1: true, key_spec: None };
        let wrapped = wrap_with(&k, &m, &options).unwrap();
        if !algorithm.scheme().is_hybrid() {
            prop_assert_eq!(wrapped.as_bytes().len(), 256);
        }
        let der = fixtures().private_key_der(2048);
        prop_assert_eq!(aws_lc_unwrap(&der, algorithm, wrapped.as_bytes()), bytes);
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = WrappingPublicKey::parse(&bytes);
    }

    #[test]
    fn parsing_mangled_keys_never_panics_and_only_accepts_rsa(
        position in 0usize..294,
        value in any::<u8>(),
    ) {
        let mut der = fixtures().read("rsa2048.pub.der");
        let at = position % der.len();
        der[at] = value;
        if let Ok(k) = WrappingPublicKey::parse(&der) {
            prop_assert_eq!(k.spec(), WrappingKeySpec::Rsa2048);
        }
    }
}
