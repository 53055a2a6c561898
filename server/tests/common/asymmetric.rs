//! Asymmetric fixtures: `openssl genpkey` private keys, the guide's openssl wrap recipe,
//! byok-wrap's hybrid wrap, and keys created and imported through the core.

use std::path::Path;
use std::process::Command;

use super::Fixture;
use byok_kms::kms::CreateKey;
use byok_kms::kms::key::{KeyUsage, Origin};
use byok_kms::kms::key_spec::KeySpec;
use byok_wrap::{
    ImportOptions, Material, PrivateKeyMaterial, WrappingAlgorithm, WrappingPublicKey,
};
pub const HYBRID: WrappingAlgorithm = WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad;

/// The `openssl genpkey` arguments of a private key of each spec.
pub fn genpkey_args(spec: &str) -> &'static [&'static str] {
    match spec {
        "RSA_2048" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "RSA_3072" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        "RSA_4096" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
        "EC_P256" => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "EC_P384" => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "EC_P256K" => &[
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:secp256k1",
        ],
        other => panic!("no openssl recipe for {other}"),
    }
}

pub fn openssl(args: &[&str], dir: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A PKCS#8 DER private key made by `openssl genpkey`, converted as the guide does (`openssl
/// pkcs8 -topk8 -nocrypt`: OpenSSL 3.0's `genpkey -outform DER` writes PKCS#1 for RSA).
pub fn genpkey(spec: &str, dir: &Path) -> Vec<u8> {
    let mut args = vec!["genpkey"];
    args.extend_from_slice(genpkey_args(spec));
    args.extend_from_slice(&["-out", "key.pem"]);
    openssl(&args, dir);
    openssl(
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER",
        ],
        dir,
    )
}

/// The guide's recipe: `openssl rand 32`, `openssl pkeyutl -encrypt` (OAEP, SHA-256) of it with
/// the wrapping public key, `openssl enc -aes-256-ecb` of `plaintext` under it, concatenated.
pub fn openssl_wrap(public_der: &[u8], plaintext: &[u8], dir: &Path) -> Vec<u8> {
    std::fs::write(dir.join("PublicKey.bin"), public_der).unwrap();
    std::fs::write(dir.join("Key.der"), plaintext).unwrap();
    openssl(&["rand", "-out", "aes.bin", "32"], dir);
    let mut wrapped = openssl(
        &[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-keyform",
            "DER",
            "-inkey",
            "PublicKey.bin",
            "-in",
            "aes.bin",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ],
        dir,
    );
    let hex = byok_wrap::sign::hex(&std::fs::read(dir.join("aes.bin")).unwrap());
    wrapped.extend(openssl(
        &[
            "enc",
            "-aes-256-ecb",
            "-K",
            &hex,
            "-nosalt",
            "-in",
            "Key.der",
        ],
        dir,
    ));
    wrapped
}

pub fn create(f: &Fixture, spec: &str, usage: Option<KeyUsage>) -> byok_kms::kms::Result<String> {
    f.kms
        .create_key(
            &f.account,
            &CreateKey {
                key_spec: KeySpec::from_name(spec).unwrap(),
                key_usage: usage,
                origin: Origin::External,
                ..CreateKey::default()
            },
        )
        .map(|m| m.key_id)
}

/// GetParametersForImport (hybrid), then the import call of what `wrap` makes of the public key.
pub fn import_with(
    f: &Fixture,
    key_id: &str,
    wrap: impl FnOnce(&[u8]) -> Vec<u8>,
) -> impl FnOnce() -> byok_kms::kms::Result<()> {
    let params = f.params(key_id, HYBRID);
    let wrapped = wrap(&params.public_key_der);
    move || {
        f.kms
            .import_key_material(&f.account, key_id, &wrapped, &params.import_token, None)
    }
}

pub fn byok_wrap_hybrid(public_der: &[u8], pkcs8: &[u8]) -> Vec<u8> {
    let public = WrappingPublicKey::from_der(public_der).unwrap();
    let private = PrivateKeyMaterial::from_der(pkcs8).unwrap();
    let options = ImportOptions {
        algorithm: HYBRID,
        key_spec: None,
        allow_legacy_pkcs1: false,
    };
    byok_wrap::wrap_for_import(&public, Material::PrivateKey(&private), &options)
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// An imported key of `spec` and `usage`, and its private key as PEM in `dir/key.pem`.
pub fn imported(f: &Fixture, spec: &str, usage: KeyUsage, dir: &Path) -> (String, String) {
    let pkcs8 = genpkey(spec, dir);
    let id = create(f, spec, Some(usage)).unwrap();
    import_with(f, &id, |public| byok_wrap_hybrid(public, &pkcs8))().unwrap();
    let version = f
        .kms
        .describe_key(&f.account, &id)
        .unwrap()
        .primary_key_version;
    (id, version)
}

pub fn signing(name: &str) -> byok_kms::crypto::asymmetric::SigningAlgorithm {
    byok_kms::kms::asymmetric::SIGNING_ALGORITHMS
        .iter()
        .find(|(_, n)| *n == name)
        .unwrap()
        .0
}

pub fn encryption(name: &str) -> byok_kms::crypto::asymmetric::EncryptionAlgorithm {
    byok_kms::kms::asymmetric::ENCRYPTION_ALGORITHMS
        .iter()
        .find(|(_, n)| *n == name)
        .unwrap()
        .0
}

pub fn spec_bytes(spec: &str) -> usize {
    match spec {
        "RSA_2048" => 256,
        "RSA_3072" => 384,
        _ => 512,
    }
}
