//! Shared fixtures for the native tests: keys, certificates and non-keys made by the `openssl`
//! command line tool (an implementation we did not write), generated once per test binary.

#![allow(dead_code)] // each test binary uses a different part of this

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use tempfile::TempDir;

/// The RSA sizes a wrapping key may have.
pub const RSA_SIZES: [usize; 3] = [2048, 3072, 4096];

/// A directory of files made by openssl; see [`fixtures`] for the names.
pub struct Fixtures {
    dir: TempDir,
}

impl Fixtures {
    /// The path of a fixture file.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The contents of a fixture file.
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
    }

    /// The PKCS#8 DER of `rsa{bits}.pem`.
    pub fn private_key_der(&self, bits: usize) -> Vec<u8> {
        self.read(&format!("rsa{bits}.pk8.der"))
    }
}

/// Runs openssl with `args` in `dir`, feeding `stdin`, and returns its standard output. Panics with
/// openssl's error output if it fails.
pub fn openssl(dir: &Path, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the openssl command line tool must be installed (make test installs it)");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The fixtures, made on first use:
/// - `rsa{1024,2048,3072,4096}.pem`: private keys (PKCS#8 PEM), and for each:
///   `.pub.pem` (SPKI PEM), `.pub.der` (SPKI DER), `.rsapub.pem` / `.rsapub.der` (PKCS#1),
///   `.pk8.der` (PKCS#8 DER);
/// - `rsa2048.pkcs1.pem` (traditional `RSA PRIVATE KEY`), `rsa2048.enc.pem` / `.enc.der`
///   (encrypted PKCS#8);
/// - `ec.pub.pem`, `ec.pub.der` (P-256), `ec.sec1.der`, `sm2.pub.pem`, `ed25519.pub.pem`,
///   `rsapss.pub.pem`;
/// - `cert.pem`, `cert.der` (a self-signed certificate for the 2048-bit key);
/// - private keys to import: `rsa2048.pkcs1.der`, `ec384.pem`, `ec256k1.pem`, `ec521.pem`, their
///   `.pk8.der` (`openssl pkcs8 -topk8`), SEC 1 forms (`ec.sec1.pem`, `ec384.sec1.der`,
///   `ec256k1.sec1.pem`, `ec.explicit.der`, `ec.nopub.sec1.der`), `rsa2048.legacyenc.pem`
///   (legacy encrypted PEM), `ed25519.pk8.der`, `sm2.pk8.der`.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let run = |command: &str| {
            let args: Vec<&str> = command.split_whitespace().collect();
            openssl(dir.path(), &args, b"");
        };
        for bits in [1024, 2048, 3072, 4096] {
            for command in PER_RSA_SIZE {
                run(&command.replace("{bits}", &bits.to_string()));
            }
        }
        for command in OTHERS {
            run(command);
        }
        Fixtures { dir }
    })
}

/// openssl commands run for each RSA size (`{bits}`).
const PER_RSA_SIZE: &[&str] = &[
    "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:{bits} -out rsa{bits}.pem",
    "pkey -in rsa{bits}.pem -pubout -out rsa{bits}.pub.pem",
    "pkey -in rsa{bits}.pem -pubout -outform DER -out rsa{bits}.pub.der",
    "rsa -in rsa{bits}.pem -RSAPublicKey_out -out rsa{bits}.rsapub.pem",
    "rsa -in rsa{bits}.pem -RSAPublicKey_out -outform DER -out rsa{bits}.rsapub.der",
    "pkcs8 -topk8 -nocrypt -in rsa{bits}.pem -outform DER -out rsa{bits}.pk8.der",
];

/// openssl commands for everything that is not an RSA wrapping key.
const OTHERS: &[&str] = &[
    "rsa -in rsa2048.pem -traditional -out rsa2048.pkcs1.pem",
    "pkcs8 -topk8 -in rsa2048.pem -passout pass:byok -out rsa2048.enc.pem",
    "pkcs8 -topk8 -in rsa2048.pem -passout pass:byok -outform DER -out rsa2048.enc.der",
    "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem",
    "pkey -in ec.pem -pubout -out ec.pub.pem",
    "pkey -in ec.pem -pubout -outform DER -out ec.pub.der",
    "ec -in ec.pem -outform DER -out ec.sec1.der",
    "genpkey -algorithm SM2 -out sm2.pem",
    "pkey -in sm2.pem -pubout -out sm2.pub.pem",
    "genpkey -algorithm ED25519 -out ed25519.pem",
    "pkey -in ed25519.pem -pubout -out ed25519.pub.pem",
    "genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out rsapss.pem",
    "pkey -in rsapss.pem -pubout -out rsapss.pub.pem",
    "req -x509 -new -key rsa2048.pem -subj /CN=byok-test -days 1 -out cert.pem",
    "x509 -in cert.pem -outform DER -out cert.der",
    // Private keys to import, in every form tools write them (for each: `.pk8.der`, what the
    // clouds want, made by `openssl pkcs8 -topk8`).
    "rsa -in rsa2048.pem -traditional -outform DER -out rsa2048.pkcs1.der",
    "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec384.pem",
    "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out ec256k1.pem",
    "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out ec521.pem",
    "pkcs8 -topk8 -nocrypt -in ec.pem -outform DER -out ec.pk8.der",
    "pkcs8 -topk8 -nocrypt -in ec384.pem -outform DER -out ec384.pk8.der",
    "pkcs8 -topk8 -nocrypt -in ec256k1.pem -outform DER -out ec256k1.pk8.der",
    "ec -in ec.pem -out ec.sec1.pem",
    "ec -in ec384.pem -outform DER -out ec384.sec1.der",
    "ec -in ec256k1.pem -out ec256k1.sec1.pem",
    "ec -in ec.pem -param_enc explicit -outform DER -out ec.explicit.der",
    "ec -in ec.pem -no_public -outform DER -out ec.nopub.sec1.der",
    "rsa -in rsa2048.pem -aes256 -passout pass:byok -traditional -out rsa2048.legacyenc.pem",
    "pkcs8 -topk8 -nocrypt -in ed25519.pem -outform DER -out ed25519.pk8.der",
    "pkcs8 -topk8 -nocrypt -in sm2.pem -outform DER -out sm2.pk8.der",
];

/// Unwraps `wrapped` with aws-lc-rs (RSA, AES key wrap with padding and AES-ECB implementations
/// independent of the ones we wrap with), in the format of `algorithm`.
pub fn aws_lc_unwrap(
    private_pkcs8_der: &[u8],
    algorithm: byok_wrap::WrappingAlgorithm,
    wrapped: &[u8],
) -> Vec<u8> {
    use aws_lc_rs::cipher::{AES_256, PaddedBlockDecryptingKey, UnboundCipherKey};
    use aws_lc_rs::key_wrap::{AES_256 as KEK_AES_256, AesKek, KeyWrapPadded};
    use aws_lc_rs::rsa::{
        OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey,
        Pkcs1PrivateDecryptingKey, PrivateDecryptingKey,
    };
    use byok_wrap::spec::{OaepHash, WrapScheme};
    let key = PrivateDecryptingKey::from_pkcs8(private_pkcs8_der).unwrap();
    let k = key.key_size_bytes();
    let mut out = vec![0u8; k];
    let oaep = |hash: OaepHash, key: PrivateDecryptingKey, input: &[u8], out: &mut Vec<u8>| {
        let params = match hash {
            OaepHash::Sha256 => &OAEP_SHA256_MGF1SHA256,
            OaepHash::Sha1 => &OAEP_SHA1_MGF1SHA1,
        };
        OaepPrivateDecryptingKey::new(key)
            .unwrap()
            .decrypt(params, input, out, None)
            .unwrap()
            .to_vec()
    };
    match algorithm.scheme() {
        WrapScheme::Oaep(hash) => oaep(hash, key, wrapped, &mut out),
        WrapScheme::Pkcs1V15 => Pkcs1PrivateDecryptingKey::new(key)
            .unwrap()
            .decrypt(wrapped, &mut out)
            .unwrap()
            .to_vec(),
        WrapScheme::OaepKwp(hash) => {
            let (rsa_part, kwp_part) = wrapped.split_at(k);
            let aes_key = oaep(hash, key, rsa_part, &mut out);
            assert_eq!(aes_key.len(), 32, "the wrapped AES key is AES-256");
            let kek = AesKek::new(&KEK_AES_256, &aes_key).unwrap();
            let mut material = vec![0u8; kwp_part.len()];
            kek.unwrap_with_padding(kwp_part, &mut material)
                .unwrap()
                .to_vec()
        }
        WrapScheme::OaepEcbPkcs7(hash) => {
            let (rsa_part, ecb_part) = wrapped.split_at(k);
            let aes_key = oaep(hash, key, rsa_part, &mut out);
            let key = UnboundCipherKey::new(&AES_256, &aes_key).unwrap();
            let mut in_out = ecb_part.to_vec();
            PaddedBlockDecryptingKey::ecb_pkcs7(key)
                .unwrap()
                .decrypt(&mut in_out, aws_lc_rs::cipher::DecryptionContext::None)
                .unwrap()
                .to_vec()
        }
    }
}

/// Unwraps `wrapped` with the `openssl` command line tool, as the clouds' guides do: `openssl
/// pkeyutl -decrypt` for the RSA part, then `openssl enc -d -id-aes256-wrap-pad -iv A65959A6`
/// (KWP) or `openssl enc -d -aes-256-ecb` (ECB with PKCS#7 padding) for the rest. `private_key`
/// names a PEM file among the fixtures; `modulus_len` is its size in bytes.
pub fn openssl_unwrap(
    private_key: &str,
    modulus_len: usize,
    algorithm: byok_wrap::WrappingAlgorithm,
    wrapped: &[u8],
) -> Vec<u8> {
    use byok_wrap::spec::{OaepHash, WrapScheme};
    let f = fixtures();
    let dir = f.path("");
    let unique = format!(
        "{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let oaep_args = |hash: OaepHash| -> Vec<String> {
        let md = match hash {
            OaepHash::Sha256 => "sha256",
            OaepHash::Sha1 => "sha1",
        };
        vec![
            "-pkeyopt".into(),
            "rsa_padding_mode:oaep".into(),
            "-pkeyopt".into(),
            format!("rsa_oaep_md:{md}"),
            "-pkeyopt".into(),
            format!("rsa_mgf1_md:{md}"),
        ]
    };
    let rsa_decrypt = |input: &[u8], padding: Vec<String>| -> Vec<u8> {
        let file = format!("rsa-part-{unique}.bin");
        std::fs::write(dir.join(&file), input).unwrap();
        let mut args: Vec<String> = ["pkeyutl", "-decrypt", "-inkey", private_key, "-in", &file]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        args.extend(padding);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        openssl(&dir, &args, b"")
    };
    match algorithm.scheme() {
        WrapScheme::Oaep(hash) => rsa_decrypt(wrapped, oaep_args(hash)),
        WrapScheme::Pkcs1V15 => rsa_decrypt(
            wrapped,
            vec!["-pkeyopt".into(), "rsa_padding_mode:pkcs1".into()],
        ),
        scheme @ (WrapScheme::OaepKwp(hash) | WrapScheme::OaepEcbPkcs7(hash)) => {
            let (rsa_part, aes_part) = wrapped.split_at(modulus_len);
            let aes_key = rsa_decrypt(rsa_part, oaep_args(hash));
            assert_eq!(aes_key.len(), 32, "the wrapped AES key is AES-256");
            let hex: String = aes_key.iter().map(|b| format!("{b:02x}")).collect();
            let mut args = vec!["enc", "-d"];
            if matches!(scheme, WrapScheme::OaepKwp(_)) {
                // AWS's documented recipe: the RFC 5649 IV prefix given explicitly.
                args.extend(["-id-aes256-wrap-pad", "-iv", "A65959A6"]);
            } else {
                args.push("-aes-256-ecb");
            }
            args.extend(["-K", &hex]);
            openssl(&dir, &args, aes_part)
        }
    }
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The private key fixture (PEM) and its size for a wrapping key of `bits`.
pub fn private_key_file(bits: usize) -> String {
    format!("rsa{bits}.pem")
}
