//! Every cloud's import format, natively, against two implementations we did not write: the
//! `openssl` command line tool, used the way the clouds' guides use it (`pkeyutl -decrypt`, then
//! `enc -d -id-aes256-wrap-pad -iv A65959A6` or `enc -d -aes-256-ecb`), and aws-lc-rs. For every
//! algorithm, every wrapping key size it allows, and every kind of material it takes: symmetric
//! keys and RSA and EC private keys (compared with `openssl pkcs8 -topk8 -nocrypt -outform DER`).
//! Then the private key forms, and every wrong combination with its code and message.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use byok_wrap::spec::{ALGORITHMS, WrapScheme};
use byok_wrap::{
    Error, ImportOptions, KeyMaterial, Material, MaterialSpec, PrivateKeyMaterial, PrivateKeyType,
    WrappingAlgorithm, WrappingKeySpec, WrappingPublicKey, wrap_for_import,
};
use common::{RSA_SIZES, aws_lc_unwrap, fixtures, openssl, openssl_unwrap};

/// The private keys to import, by fixture name, with their type.
const PRIVATE_KEYS: &[(&str, PrivateKeyType)] = &[
    ("rsa2048", PrivateKeyType::Rsa2048),
    ("rsa3072", PrivateKeyType::Rsa3072),
    ("rsa4096", PrivateKeyType::Rsa4096),
    ("ec", PrivateKeyType::EcP256),
    ("ec384", PrivateKeyType::EcP384),
    ("ec256k1", PrivateKeyType::EcSecp256k1),
];

fn public_key(bits: usize) -> WrappingPublicKey {
    WrappingPublicKey::parse(&fixtures().read(&format!("rsa{bits}.pub.pem"))).unwrap()
}

fn private_key(name: &str) -> PrivateKeyMaterial {
    PrivateKeyMaterial::parse(&fixtures().read(&format!("{name}.pem"))).unwrap()
}

fn options(algorithm: WrappingAlgorithm) -> ImportOptions {
    ImportOptions {
        algorithm,
        key_spec: None,
        allow_legacy_pkcs1: true,
    }
}

/// Unwraps with openssl and with aws-lc-rs; both must give `expected`.
fn assert_unwraps(
    bits: usize,
    algorithm: WrappingAlgorithm,
    wrapped: &[u8],
    expected: &[u8],
    what: &str,
) {
    let f = fixtures();
    let by_openssl = openssl_unwrap(&format!("rsa{bits}.pem"), bits / 8, algorithm, wrapped);
    assert_eq!(
        by_openssl, expected,
        "openssl: {algorithm} RSA-{bits} {what}"
    );
    let by_aws_lc = aws_lc_unwrap(&f.private_key_der(bits), algorithm, wrapped);
    assert_eq!(
        by_aws_lc, expected,
        "aws-lc-rs: {algorithm} RSA-{bits} {what}"
    );
}

#[test]
fn every_format_unwraps_with_openssl_and_aws_lc_for_every_key_size_and_material() {
    let f = fixtures();
    let mut checked = 0;
    for rule in ALGORITHMS {
        let algorithm = rule.algorithm;
        for spec in rule.wrapping_key_specs {
            let bits = spec.bits();
            let key = public_key(bits);
            if rule.symmetric {
                // An AES-256 key, and (for the hybrid formats) a 64-byte HMAC key and a length
                // that is not a multiple of the KWP semiblock.
                let mut lengths = vec![32];
                if rule.scheme.is_hybrid() {
                    lengths.extend([64, 28]);
                }
                for len in lengths {
                    let material = random_material(len);
                    let wrapped =
                        wrap_for_import(&key, Material::from(&material), &options(algorithm))
                            .unwrap();
                    check_length(algorithm, bits, len, wrapped.as_bytes().len());
                    assert_unwraps(
                        bits,
                        algorithm,
                        wrapped.as_bytes(),
                        material.expose_secret(),
                        &format!("{len} bytes"),
                    );
                    checked += 1;
                }
            }
            if rule.private_keys {
                for (name, key_type) in PRIVATE_KEYS {
                    let private = private_key(name);
                    assert_eq!(private.key_type(), *key_type);
                    let result =
                        wrap_for_import(&key, Material::from(&private), &options(algorithm));
                    if !rule.scheme.is_hybrid()
                        && private.len() > algorithm.max_message_len(bits / 8)
                    {
                        // Too long for RSA alone: refused with the hybrid algorithms named.
                        let err = result.unwrap_err();
                        assert_eq!(err.code(), "MaterialLength", "{algorithm} {name}");
                        assert!(
                            err.to_string().contains("RSA_AES_KEY_WRAP_SHA_256"),
                            "{err}"
                        );
                        continue;
                    }
                    let wrapped = result.unwrap();
                    check_length(algorithm, bits, private.len(), wrapped.as_bytes().len());
                    // What the clouds expect: `openssl pkcs8 -topk8 -nocrypt -outform DER`.
                    let expected = f.read(&format!("{name}.pk8.der"));
                    assert_eq!(private.expose_secret(), &expected[..], "{name} as PKCS#8");
                    assert_unwraps(bits, algorithm, wrapped.as_bytes(), &expected, name);
                    checked += 1;
                }
            }
        }
    }
    // 27 algorithm and key size pairs. Symmetric: 11 direct pairs × 1 length + 10 KWP pairs × 3
    // lengths; private keys: 13 hybrid pairs × 6 keys + 8 direct OAEP pairs × the 3 EC keys (RSA
    // keys are too long for RSA alone).
    assert_eq!(checked, 11 + 10 * 3 + 13 * 6 + 8 * 3, "wraps checked");
}

/// The wrapped size: the modulus, plus the AES part for the hybrid formats.
fn check_length(
    algorithm: WrappingAlgorithm,
    bits: usize,
    material_len: usize,
    wrapped_len: usize,
) {
    let aes = match algorithm.scheme() {
        WrapScheme::OaepKwp(_) => material_len.div_ceil(8) * 8 + 8,
        WrapScheme::OaepEcbPkcs7(_) => (material_len / 16 + 1) * 16,
        _ => 0,
    };
    assert_eq!(
        wrapped_len,
        bits / 8 + aes,
        "{algorithm} RSA-{bits} {material_len} bytes"
    );
}

#[test]
fn private_keys_in_every_form_become_openssl_s_pkcs8() {
    let f = fixtures();
    let cases: &[(&str, &str, PrivateKeyType)] = &[
        ("rsa2048.pem", "rsa2048", PrivateKeyType::Rsa2048),
        ("rsa2048.pk8.der", "rsa2048", PrivateKeyType::Rsa2048),
        ("rsa2048.pkcs1.pem", "rsa2048", PrivateKeyType::Rsa2048),
        ("rsa2048.pkcs1.der", "rsa2048", PrivateKeyType::Rsa2048),
        ("rsa4096.pem", "rsa4096", PrivateKeyType::Rsa4096),
        ("ec.pem", "ec", PrivateKeyType::EcP256),
        ("ec.sec1.pem", "ec", PrivateKeyType::EcP256),
        ("ec.sec1.der", "ec", PrivateKeyType::EcP256),
        ("ec.pk8.der", "ec", PrivateKeyType::EcP256),
        ("ec384.sec1.der", "ec384", PrivateKeyType::EcP384),
        ("ec256k1.sec1.pem", "ec256k1", PrivateKeyType::EcSecp256k1),
    ];
    for (file, pkcs8, key_type) in cases {
        let key =
            PrivateKeyMaterial::parse(&f.read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(key.key_type(), *key_type, "{file}");
        assert_eq!(
            key.expose_secret(),
            &f.read(&format!("{pkcs8}.pk8.der"))[..],
            "{file}"
        );
    }
    // `openssl ecparam -genkey` writes an EC PARAMETERS block first.
    let params = openssl(
        &f.path(""),
        &["ecparam", "-name", "prime256v1", "-genkey"],
        b"",
    );
    let key = PrivateKeyMaterial::parse(&params).unwrap();
    assert_eq!(key.key_type(), PrivateKeyType::EcP256);
    let theirs = openssl(
        &f.path(""),
        &["pkcs8", "-topk8", "-nocrypt", "-outform", "DER"],
        &params,
    );
    assert_eq!(key.expose_secret(), &theirs[..]);
    // A SEC 1 key without its public point still converts as openssl converts it.
    let nopub = PrivateKeyMaterial::parse(&f.read("ec.nopub.sec1.der")).unwrap();
    let theirs = openssl(
        &f.path(""),
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-inform",
            "DER",
            "-in",
            "ec.nopub.sec1.der",
            "-outform",
            "DER",
        ],
        b"",
    );
    assert_eq!(nopub.expose_secret(), &theirs[..]);
    assert_eq!(
        format!("{nopub:?}"),
        format!(
            "PrivateKeyMaterial(EC P-256, [REDACTED; {} bytes])",
            nopub.len()
        )
    );
}

#[test]
fn unusable_private_keys_are_refused_with_what_they_are() {
    let f = fixtures();
    let cases: &[(&[u8], &str)] = &[
        (&f.read("rsa2048.enc.pem"), "decrypt it first"),
        (&f.read("rsa2048.enc.der"), "decrypt it first"),
        (&f.read("rsa2048.legacyenc.pem"), "decrypt it first"),
        (&f.read("rsa1024.pem"), "RSA-1024"),
        (&f.read("ec521.pem"), "on P-521"),
        (&f.read("sm2.pem"), "on SM2"),
        (&f.read("ed25519.pem"), "an Ed25519 private key"),
        (&f.read("ed25519.pk8.der"), "an Ed25519 private key"),
        (&f.read("ec.explicit.der"), "explicit curve parameters"),
        (&f.read("rsa2048.pub.pem"), "the material to import is the private key"),
        (&f.read("rsa2048.pub.der"), "the material to import is the private key"),
        (&f.read("cert.pem"), "certificate"),
        (b"", "empty"),
        (b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n", "cut short"),
        (b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n", "cut short or damaged"),
        (b"hello, world", "neither PEM nor DER"),
    ];
    for (input, needle) in cases {
        let err = PrivateKeyMaterial::parse(input).expect_err(needle);
        assert_eq!(err.code(), "InvalidPrivateKey", "{needle}: {err}");
        assert!(
            err.to_string().contains(needle),
            "{err:?} should say {needle:?}"
        );
    }
    // A truncated DER key.
    let der = f.private_key_der(2048);
    let err = PrivateKeyMaterial::parse(&der[..der.len() - 10]).unwrap_err();
    assert_eq!(err.code(), "InvalidPrivateKey");
}

#[test]
fn every_wrong_combination_has_a_code_and_a_message_that_names_the_fix() {
    let k2048 = public_key(2048);
    let k3072 = public_key(3072);
    let aes = random_material(32);
    let rsa = private_key("rsa2048");
    let ec = private_key("ec");
    let wrap = |key: &WrappingPublicKey, material: Material<'_>, algorithm, key_spec, legacy| {
        wrap_for_import(
            key,
            material,
            &ImportOptions {
                algorithm,
                key_spec,
                allow_legacy_pkcs1: legacy,
            },
        )
        .unwrap_err()
    };
    use MaterialSpec as S;
    use WrappingAlgorithm as A;
    let cases: Vec<(Error, &str, &str)> = vec![
        (
            wrap(
                &k2048,
                Material::from(&aes),
                A::RsaOaep3072Sha256Aes256,
                None,
                false,
            ),
            "WrappingKeyMismatch",
            "needs a RSA_3072 wrapping key, but the public key is RSA_2048",
        ),
        (
            wrap(
                &k3072,
                Material::from(&aes),
                A::RsaOaep4096Sha256,
                None,
                false,
            ),
            "WrappingKeyMismatch",
            "RSA_4096",
        ),
        (
            wrap(&k2048, Material::from(&aes), A::RsaesPkcs1V15, None, false),
            "LegacyAlgorithmRefused",
            "allowLegacyPkcs1",
        ),
        (
            wrap(
                &k2048,
                Material::from(&ec),
                A::RsaAesKeyWrapSha256,
                Some(S::Rsa2048),
                false,
            ),
            "KeySpecMismatch",
            "takes an RSA-2048 private key, but the private key is EC P-256",
        ),
        (
            wrap(
                &k2048,
                Material::from(&rsa),
                A::RsaAesKeyWrapSha256,
                Some(S::EccNistP384),
                false,
            ),
            "KeySpecMismatch",
            "EC P-384",
        ),
        (
            wrap(
                &k2048,
                Material::from(&rsa),
                A::RsaAesKeyWrapSha256,
                Some(S::SymmetricDefault),
                false,
            ),
            "KeySpecMismatch",
            "takes symmetric key material",
        ),
        (
            wrap(
                &k2048,
                Material::from(&aes),
                A::RsaAesKeyWrapSha256,
                Some(S::Rsa2048),
                false,
            ),
            "KeySpecMismatch",
            "pass the private key",
        ),
        (
            wrap(
                &k2048,
                Material::from(&rsa),
                A::RsaesOaepSha256,
                None,
                false,
            ),
            "MaterialLength",
            "need a hybrid algorithm",
        ),
        (
            wrap(&k2048, Material::from(&rsa), A::RsaesPkcs1V15, None, true),
            "UnsupportedMaterial",
            "does not wrap private keys",
        ),
        (
            wrap(
                &k2048,
                Material::from(&aes),
                A::RsaesOaepSha256Aes256EcbPkcs7Pad,
                None,
                false,
            ),
            "UnsupportedMaterial",
            "symmetric key material takes RSAES_OAEP_SHA_256",
        ),
        (
            wrap(
                &k2048,
                Material::from(&aes),
                A::RsaAesKeyWrapSha256,
                Some(S::Hmac384),
                false,
            ),
            "MaterialLength",
            "HMAC_384 key material must be 48 to 128 bytes, got 32",
        ),
        (
            "RSA_AES_KEY_WRAP_SHA_512"
                .parse::<WrappingAlgorithm>()
                .unwrap_err(),
            "UnknownAlgorithm",
            "RSA_AES_KEY_WRAP_SHA_256",
        ),
        (
            "HMAC_128".parse::<MaterialSpec>().unwrap_err(),
            "UnknownKeySpec",
            "HMAC_256",
        ),
        (
            WrappingPublicKey::parse(&fixtures().read("ec.pub.pem")).unwrap_err(),
            "InvalidPublicKey",
            "the wrapping key must be an RSA public key",
        ),
        (
            WrappingPublicKey::parse(b"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC\n")
                .unwrap_err(),
            "InvalidPublicKey",
            "cut short",
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
fn refusals_never_show_the_material_or_the_key() {
    let k2048 = public_key(2048);
    let rsa = private_key("rsa2048");
    let err = wrap_for_import(
        &k2048,
        Material::from(&rsa),
        &options(WrappingAlgorithm::RsaesOaepSha256),
    )
    .unwrap_err();
    let pkcs8 = rsa.expose_secret();
    let shown = format!("{err} {err:?} {rsa:?}");
    // No run of 8 bytes of the key, in hex or as numbers, appears.
    for window in pkcs8.windows(8).step_by(97) {
        let hex: String = window.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!shown.to_lowercase().contains(&hex), "{shown}");
    }
    assert!(!shown.contains("MII"), "no base64 of the key: {shown}");
}

#[test]
fn google_cloud_s_names_fix_the_key_size_and_aws_s_do_not() {
    let material = random_material(32);
    for bits in RSA_SIZES {
        let key = public_key(bits);
        for algorithm in [
            WrappingAlgorithm::RsaAesKeyWrapSha1,
            WrappingAlgorithm::RsaAesKeyWrapSha256,
        ] {
            assert!(wrap_for_import(&key, Material::from(&material), &options(algorithm)).is_ok());
        }
        for algorithm in [
            WrappingAlgorithm::RsaOaep3072Sha256Aes256,
            WrappingAlgorithm::RsaOaep4096Sha1Aes256,
        ] {
            let allowed = algorithm.allows_wrapping_key(WrappingKeySpec::from_bits(bits).unwrap());
            let result = wrap_for_import(&key, Material::from(&material), &options(algorithm));
            assert_eq!(result.is_ok(), allowed, "{algorithm} RSA-{bits}");
        }
    }
}

fn random_material(len: usize) -> KeyMaterial {
    let mut bytes = vec![0u8; len];
    for chunk in bytes.chunks_mut(32) {
        let key = KeyMaterial::generate(byok_wrap::KeySpec::AliyunAes256).unwrap();
        chunk.copy_from_slice(&key.expose_secret()[..chunk.len()]);
    }
    KeyMaterial::from_bytes(&bytes, None).unwrap()
}
