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
        let d = dir.path();
        let run = |args: &[&str]| {
            openssl(d, args, b"");
        };
        for bits in [1024, 2048, 3072, 4096] {
            let key = format!("rsa{bits}.pem");
            run(&["genpkey", "-algorithm", "RSA", "-pkeyopt", &format!("rsa_keygen_bits:{bits}"), "-out", &key]);
            run(&["pkey", "-in", &key, "-pubout", "-out", &format!("rsa{bits}.pub.pem")]);
            run(&["pkey", "-in", &key, "-pubout", "-outform", "DER", "-out", &format!("rsa{bits}.pub.der")]);
            run(&["rsa", "-in", &key, "-RSAPublicKey_out", "-out", &format!("rsa{bits}.rsapub.pem")]);
            run(&["rsa", "-in", &key, "-RSAPublicKey_out", "-outform", "DER", "-out", &format!("rsa{bits}.rsapub.der")]);
            run(&["pkcs8", "-topk8", "-nocrypt", "-in", &key, "-outform", "DER", "-out", &format!("rsa{bits}.pk8.der")]);
        }
        run(&["rsa", "-in", "rsa2048.pem", "-traditional", "-out", "rsa2048.pkcs1.pem"]);
        run(&["pkcs8", "-topk8", "-in", "rsa2048.pem", "-passout", "pass:byok", "-out", "rsa2048.enc.pem"]);
        run(&["pkcs8", "-topk8", "-in", "rsa2048.pem", "-passout", "pass:byok", "-outform", "DER", "-out", "rsa2048.enc.der"]);
        run(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem"]);
        run(&["pkey", "-in", "ec.pem", "-pubout", "-out", "ec.pub.pem"]);
        run(&["pkey", "-in", "ec.pem", "-pubout", "-outform", "DER", "-out", "ec.pub.der"]);
        run(&["ec", "-in", "ec.pem", "-outform", "DER", "-out", "ec.sec1.der"]);
        run(&["genpkey", "-algorithm", "SM2", "-out", "sm2.pem"]);
        run(&["pkey", "-in", "sm2.pem", "-pubout", "-out", "sm2.pub.pem"]);
        run(&["genpkey", "-algorithm", "ED25519", "-out", "ed25519.pem"]);
        run(&["pkey", "-in", "ed25519.pem", "-pubout", "-out", "ed25519.pub.pem"]);
        run(&["genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsapss.pem"]);
        run(&["pkey", "-in", "rsapss.pem", "-pubout", "-out", "rsapss.pub.pem"]);
        run(&["req", "-x509", "-new", "-key", "rsa2048.pem", "-subj", "/CN=byok test", "-days", "1", "-out", "cert.pem"]);
        run(&["x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der"]);
        Fixtures { dir }
    })
}

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
    let plain = match algorithm {
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
    };
    plain
}
