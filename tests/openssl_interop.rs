//! Interop with the `openssl` command line tool, the way customers do BYOK today: keys openssl made
//! parse in every form, what we wrap `openssl pkeyutl -decrypt` recovers for all three algorithms
//! and all three RSA sizes, our base64 is byte for byte `openssl enc -e -base64 -A`, and our key
//! check values are openssl's.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use byok_wrap::{
    KeyMaterial, KeySpec, WrapOptions, WrappingAlgorithm, WrappingKeySpec, WrappingPublicKey,
    wrap_with,
};
use common::{RSA_SIZES, fixtures, openssl};

#[test]
fn parses_openssl_public_keys_in_every_form() {
    let f = fixtures();
    for bits in RSA_SIZES {
        let expected = WrappingKeySpec::from_bits(bits).unwrap();
        let der = f.read(&format!("rsa{bits}.pub.der"));
        let base64 = openssl(f.path("").as_path(), &["base64", "-A"], &der);
        let base64_lines = openssl(f.path("").as_path(), &["base64"], &der);
        let inputs = [
            ("SPKI PEM", f.read(&format!("rsa{bits}.pub.pem"))),
            ("SPKI DER", der.clone()),
            ("SPKI base64", base64),
            ("SPKI base64 in 64-column lines", base64_lines),
            ("PKCS#1 PEM", f.read(&format!("rsa{bits}.rsapub.pem"))),
            ("PKCS#1 DER", f.read(&format!("rsa{bits}.rsapub.der"))),
        ];
        let reference = WrappingPublicKey::from_der(&der).unwrap();
        for (form, input) in inputs {
            let key = WrappingPublicKey::parse(&input)
                .unwrap_or_else(|e| panic!("RSA-{bits} {form}: {e}"));
            assert_eq!(key.spec(), expected, "RSA-{bits} {form}");
            assert_eq!(format!("{key:?}"), format!("{reference:?}"));
            assert_eq!(key.modulus_len(), bits / 8);
        }
        // The dedicated constructors agree with `parse`.
        let pem = String::from_utf8(f.read(&format!("rsa{bits}.pub.pem"))).unwrap();
        assert_eq!(WrappingPublicKey::from_pem(&pem).unwrap().spec(), expected);
    }
}

#[test]
fn openssl_pkeyutl_decrypts_what_we_wrap() {
    let f = fixtures();
    let dir = f.path("");
    for bits in RSA_SIZES {
        let key = WrappingPublicKey::parse(&f.read(&format!("rsa{bits}.pub.pem"))).unwrap();
        // The direct RSA formats here; tests/formats.rs checks every format.
        for algorithm in [
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingAlgorithm::RsaesOaepSha1,
            WrappingAlgorithm::RsaesPkcs1V15,
        ] {
            let padding: &[&str] = match algorithm {
                WrappingAlgorithm::RsaesOaepSha256 => &[
                    "-pkeyopt",
                    "rsa_padding_mode:oaep",
                    "-pkeyopt",
                    "rsa_oaep_md:sha256",
                    "-pkeyopt",
                    "rsa_mgf1_md:sha256",
                ],
                WrappingAlgorithm::RsaesOaepSha1 => &[
                    "-pkeyopt",
                    "rsa_padding_mode:oaep",
                    "-pkeyopt",
                    "rsa_oaep_md:sha1",
                    "-pkeyopt",
                    "rsa_mgf1_md:sha1",
                ],
                _ => &["-pkeyopt", "rsa_padding_mode:pkcs1"],
            };
            // Every key spec's length, and the longest message the algorithm carries.
            let lengths = [16, 24, 32, key.max_material_len(algorithm)];
            for len in lengths {
                let material = random_material(len);
                let options = WrapOptions {
                    algorithm,
                    allow_legacy_pkcs1: true,
                    key_spec: None,
                };
                let wrapped = wrap_with(&key, &material, &options).unwrap();
                assert_eq!(wrapped.as_bytes().len(), bits / 8);
                let wrapped_file = format!("wrapped-{bits}-{algorithm}-{len}.bin");
                std::fs::write(dir.join(&wrapped_file), wrapped.as_bytes()).unwrap();
                let private_key = format!("rsa{bits}.pem");
                let mut args = vec![
                    "pkeyutl",
                    "-decrypt",
                    "-inkey",
                    &private_key,
                    "-in",
                    &wrapped_file,
                ];
                args.extend_from_slice(padding);
                let decrypted = openssl(&dir, &args, b"");
                assert_eq!(
                    decrypted,
                    material.expose_secret(),
                    "RSA-{bits} {algorithm} {len} bytes"
                );
            }
        }
    }
}

#[test]
fn our_base64_is_openssl_enc_base64_a() {
    let f = fixtures();
    let key = WrappingPublicKey::parse(&f.read("rsa2048.pub.der")).unwrap();
    for _ in 0..8 {
        let material = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
        let wrapped = byok_wrap::wrap(&key, WrappingAlgorithm::RsaesOaepSha256, &material).unwrap();
        let theirs = openssl(
            &f.path(""),
            &["enc", "-e", "-base64", "-A"],
            wrapped.as_bytes(),
        );
        assert_eq!(wrapped.to_base64().as_bytes(), theirs.trim_ascii_end());
        assert!(!wrapped.to_base64().contains('\n'));
    }
}

#[test]
fn key_check_values_match_openssl() {
    let f = fixtures();
    let cases = [
        (KeySpec::AliyunAes128, "aes-128-ecb"),
        (KeySpec::AliyunAes192, "aes-192-ecb"),
        (KeySpec::AliyunAes256, "aes-256-ecb"),
        (KeySpec::AliyunSm4, "sm4-ecb"),
    ];
    for (spec, cipher) in cases {
        for _ in 0..4 {
            let material = KeyMaterial::generate(spec).unwrap();
            let hex: String = material
                .expose_secret()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let block = openssl(
                &f.path(""),
                &["enc", &format!("-{cipher}"), "-nopad", "-K", &hex],
                &[0u8; 16],
            );
            let expected: String = block[..3].iter().map(|b| format!("{b:02X}")).collect();
            assert_eq!(
                material.key_check_value(Some(spec)).unwrap(),
                expected,
                "{spec}"
            );
        }
    }
}

#[test]
fn refuses_what_is_not_an_rsa_wrapping_key_and_says_what_it_is() {
    let f = fixtures();
    let cases = [
        ("ec.pub.pem", "an EC public key on P-256"),
        ("ec.pub.der", "an EC public key on P-256"),
        ("sm2.pub.pem", "on SM2"),
        ("ed25519.pub.pem", "an Ed25519 public key"),
        ("rsapss.pub.pem", "RSASSA-PSS"),
        ("cert.pem", "X.509 certificate"),
        ("cert.der", "X.509 certificate"),
        ("rsa2048.pem", "private key"),
        ("rsa2048.pk8.der", "a PKCS#8 private key"),
        ("rsa2048.pkcs1.pem", "private key"),
        ("rsa2048.enc.pem", "private key"),
        ("rsa2048.enc.der", "an encrypted PKCS#8 private key"),
        ("ec.pem", "private key"),
        ("ec.sec1.der", "an EC private key"),
        ("rsa1024.pub.pem", "an RSA-1024 public key"),
        ("rsa1024.pub.der", "an RSA-1024 public key"),
        ("rsa1024.rsapub.der", "an RSA-1024 public key"),
    ];
    for (file, needle) in cases {
        let err = WrappingPublicKey::parse(&f.read(file)).expect_err(file);
        assert_eq!(err.code(), "InvalidPublicKey", "{file}");
        let message = err.to_string();
        assert!(
            message.contains(needle),
            "{file}: {message:?} should say {needle:?}"
        );
    }
}

fn random_material(len: usize) -> KeyMaterial {
    let mut bytes = vec![0u8; len];
    getrandom_fill(&mut bytes);
    KeyMaterial::from_bytes(&bytes, None).unwrap()
}

fn getrandom_fill(bytes: &mut [u8]) {
    // Material of arbitrary length: concatenate generated AES-256 keys.
    for chunk in bytes.chunks_mut(32) {
        let key = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
        chunk.copy_from_slice(&key.expose_secret()[..chunk.len()]);
    }
}
