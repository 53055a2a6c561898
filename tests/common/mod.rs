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
/// - `cert.pem`, `cert.der` (a self-signed certificate for the 2048-bit key).
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
];

/// Decrypts `wrapped` with aws-lc-rs (an RSA implementation independent of the one we wrap with).
pub fn aws_lc_unwrap(
    private_pkcs8_der: &[u8],
    algorithm: byok_wrap::WrappingAlgorithm,
    wrapped: &[u8],
) -> Vec<u8> {
    use aws_lc_rs::rsa::{
        OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey,
        Pkcs1PrivateDecryptingKey, PrivateDecryptingKey,
    };
    use byok_wrap::WrappingAlgorithm as A;
    let key = PrivateDecryptingKey::from_pkcs8(private_pkcs8_der).unwrap();
    let mut out = vec![0u8; key.key_size_bytes()];
    match algorithm {
        A::RsaesOaepSha256 | A::RsaesOaepSha1 => {
            let oaep = if algorithm == A::RsaesOaepSha256 {
                &OAEP_SHA256_MGF1SHA256
            } else {
                &OAEP_SHA1_MGF1SHA1
            };
            OaepPrivateDecryptingKey::new(key)
                .unwrap()
                .decrypt(oaep, wrapped, &mut out, None)
                .unwrap()
                .to_vec()
        }
        A::RsaesPkcs1V15 => Pkcs1PrivateDecryptingKey::new(key)
            .unwrap()
            .decrypt(wrapped, &mut out)
            .unwrap()
            .to_vec(),
    }
}
