//! The `byok-wrap` command against the `openssl` command line tool, the way the clouds' guides use
//! it: for every algorithm, every wrapping key size it allows, and symmetric material and private
//! keys, `byok-wrap wrap` writes base64 that `openssl pkeyutl -decrypt` (then `openssl enc -d
//! -id-aes256-wrap-pad` or `-aes-256-ecb`) unwraps to the input. Refusals: the library's message
//! and code on stderr, exit status 1, nothing written.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Output};

use byok_wrap::spec::ALGORITHMS;
use common::{aws_lc_unwrap, fixtures, openssl_unwrap};

fn byok_wrap(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_byok-wrap"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the byok-wrap binary runs")
}

fn base64_decode(text: &[u8]) -> Vec<u8> {
    let dir = fixtures().path("");
    common::openssl(&dir, &["enc", "-d", "-base64", "-A"], text)
}

#[test]
fn every_format_unwraps_with_openssl() {
    let f = fixtures();
    let dir = f.path("");
    std::fs::write(dir.join("material.bin"), [0x3Cu8; 32]).unwrap();
    let mut checked = 0;
    for rule in ALGORITHMS {
        for spec in rule.wrapping_key_specs {
            let bits = spec.bits();
            let public_key = format!("rsa{bits}.pub.pem");
            let mut inputs: Vec<(&str, &str, Vec<u8>)> = Vec::new();
            if rule.symmetric {
                inputs.push(("--material", "material.bin", vec![0x3C; 32]));
            }
            if rule.private_keys {
                inputs.push(("--private-key", "ec.sec1.pem", f.read("ec.pk8.der")));
                if rule.scheme.is_hybrid() {
                    inputs.push((
                        "--private-key",
                        "rsa2048.pkcs1.pem",
                        f.private_key_der(2048),
                    ));
                }
            }
            for (flag, file, expected) in inputs {
                let out_file = format!("wrapped-{}-{bits}-{checked}.txt", rule.algorithm);
                let mut args = vec![
                    "wrap",
                    "--public-key",
                    &public_key,
                    flag,
                    file,
                    "--algorithm",
                    rule.algorithm.as_str(),
                    "--out",
                    &out_file,
                ];
                if rule.legacy {
                    args.push("--allow-legacy-pkcs1");
                }
                let out = byok_wrap(&dir, &args);
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert!(out.stdout.is_empty(), "with --out, nothing on stdout");
                // As `openssl enc -e -base64 -A -out` writes it: one line, no line break.
                let written = std::fs::read(dir.join(&out_file)).unwrap();
                assert!(!written.contains(&b'\n'), "{out_file}");
                let wrapped = base64_decode(&written);
                let what = format!("{} RSA-{bits} {file}", rule.algorithm);
                assert_eq!(
                    openssl_unwrap(
                        &format!("rsa{bits}.pem"),
                        bits / 8,
                        rule.algorithm,
                        &wrapped
                    ),
                    expected,
                    "openssl: {what}"
                );
                if !rule.legacy {
                    assert_eq!(
                        aws_lc_unwrap(&f.private_key_der(bits), rule.algorithm, &wrapped),
                        expected,
                        "aws-lc-rs: {what}"
                    );
                }
                checked += 1;
            }
        }
    }
    // 24 algorithm and key size pairs: 21 take symmetric material, 21 an EC key, the 13 hybrid
    // ones an RSA key as well.
    assert_eq!(checked, 21 + 21 + 13, "wraps checked");
}

#[test]
fn without_out_the_base64_and_a_line_break_go_to_stdout() {
    let f = fixtures();
    let dir = f.path("");
    std::fs::write(dir.join("hmac.bin"), [7u8; 48]).unwrap();
    let out = byok_wrap(
        &dir,
        &[
            "wrap",
            "--public-key",
            "rsa2048.pub.der",
            "--material",
            "hmac.bin",
            "--algorithm",
            "RSA_AES_KEY_WRAP_SHA_1",
            "--key-spec",
            "HMAC_384",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = out
        .stdout
        .strip_suffix(b"\n")
        .expect("a line break at the end");
    let wrapped = base64_decode(text);
    assert_eq!(
        openssl_unwrap(
            "rsa2048.pem",
            256,
            byok_wrap::WrappingAlgorithm::RsaAesKeyWrapSha1,
            &wrapped
        ),
        vec![7u8; 48]
    );
}

#[test]
fn refusals_print_the_library_s_message_and_code_and_write_nothing() {
    let f = fixtures();
    let dir = f.path("");
    std::fs::write(dir.join("short.bin"), [1u8; 16]).unwrap();
    std::fs::write(
        dir.join("hex.txt"),
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
    )
    .unwrap();
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &[
                "--public-key",
                "rsa2048.pub.pem",
                "--material",
                "short.bin",
                "--algorithm",
                "RSAES_OAEP_SHA_256",
                "--key-spec",
                "Aliyun_AES_256",
            ],
            "MaterialLength",
            "Aliyun_AES_256 key material must be 32 bytes, got 16",
        ),
        (
            &[
                "--public-key",
                "rsa2048.pub.pem",
                "--material",
                "hex.txt",
                "--algorithm",
                "RSAES_OAEP_SHA_256",
                "--key-spec",
                "SYMMETRIC_DEFAULT",
            ],
            "MaterialLength",
            "looks like hex text",
        ),
        (
            &[
                "--public-key",
                "rsa2048.pub.pem",
                "--material",
                "short.bin",
                "--algorithm",
                "RSA_OAEP_3072_SHA256_AES_256",
            ],
            "WrappingKeyMismatch",
            "needs a RSA_3072 wrapping key",
        ),
        (
            &[
                "--public-key",
                "rsa2048.pub.pem",
                "--material",
                "short.bin",
                "--algorithm",
                "RSAES_PKCS1_V1_5",
            ],
            "LegacyAlgorithmRefused",
            "allowLegacyPkcs1",
        ),
        (
            &[
                "--public-key",
                "ec.pub.pem",
                "--material",
                "short.bin",
                "--algorithm",
                "RSAES_OAEP_SHA_256",
            ],
            "InvalidPublicKey",
            "an EC public key on P-256",
        ),
        (
            &[
                "--public-key",
                "rsa2048.pub.pem",
                "--private-key",
                "rsa2048.pem",
                "--algorithm",
                "RSA_AES_KEY_WRAP_SHA_256",
                "--key-spec",
                "ECC_NIST_P256",
            ],
            "KeySpecMismatch",
            "the private key is RSA-2048",
        ),
        (
            &[
                "--public-key",
                "rsa2048.pub.pem",
                "--private-key",
                "rsa2048.enc.pem",
                "--algorithm",
                "RSA_AES_KEY_WRAP_SHA_256",
            ],
            "InvalidPrivateKey",
            "decrypt it first",
        ),
        (
            &[
                "--public-key",
                "rsa2048.pub.pem",
                "--private-key",
                "rsa2048.pem",
                "--algorithm",
                "RSAES_OAEP_SHA_256",
            ],
            "MaterialLength",
            "need a hybrid algorithm",
        ),
        (
            &[
                "--public-key",
                "rsa2048.pub.pem",
                "--material",
                "short.bin",
                "--algorithm",
                "RSA_OAEP",
            ],
            "UnknownAlgorithm",
            "unknown wrapping algorithm \"RSA_OAEP\"",
        ),
    ];
    for (i, (args, code, needle)) in cases.iter().enumerate() {
        let out_file = format!("refused-{i}.txt");
        let mut all = vec!["wrap"];
        all.extend_from_slice(args);
        all.extend(["--out", &out_file]);
        let out = byok_wrap(&dir, &all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.starts_with("byok-wrap: "), "{stderr}");
        assert!(
            stderr.contains(&format!("[{code}]")),
            "{stderr} should have [{code}]"
        );
        assert!(stderr.contains(needle), "{stderr} should say {needle:?}");
        assert!(!dir.join(&out_file).exists(), "nothing written on refusal");
    }
    // The message is the library's, word for word.
    let out = byok_wrap(
        &dir,
        &[
            "wrap",
            "--public-key",
            "rsa2048.pub.pem",
            "--material",
            "short.bin",
            "--algorithm",
            "RSAES_PKCS1_V1_5",
        ],
    );
    let expected = format!(
        "byok-wrap: {} [LegacyAlgorithmRefused]\n",
        byok_wrap::Error::LegacyAlgorithmRefused
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), expected);
    // Usage errors are clap's (exit status 2): neither or both inputs.
    let out = byok_wrap(
        &dir,
        &[
            "wrap",
            "--public-key",
            "rsa2048.pub.pem",
            "--algorithm",
            "RSAES_OAEP_SHA_256",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn rules_lists_every_algorithm_and_key_spec() {
    let out = byok_wrap(&fixtures().path(""), &["rules"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for rule in ALGORITHMS {
        assert!(text.contains(rule.algorithm.as_str()), "{}", rule.algorithm);
    }
    for rule in byok_wrap::spec::KEY_SPECS {
        assert!(text.contains(rule.name), "{}", rule.name);
    }
}
