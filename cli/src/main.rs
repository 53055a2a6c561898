//! `byok-wrap`, the command-line twin of the npm package: wraps key material or a private key
//! under a KMS's wrapping public key in any cloud's import format, and writes the base64 that the
//! clouds' `openssl` recipes write. Same core, same checks and the same error codes and messages
//! as the library.
//!
//! ```text
//! byok-wrap wrap --public-key PublicKey.pem --material KeyMaterial.bin \
//!     --algorithm RSAES_OAEP_SHA_256 --key-spec Aliyun_AES_256 --out EncryptedKeyMaterial.txt
//! ```

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use byok_wrap::{
    Error, ImportOptions, KeyMaterial, Material, MaterialSpec, PrivateKeyMaterial,
    WrappingAlgorithm, WrappingPublicKey, wrap_for_import,
};
use clap::{Args, Parser, Subcommand};
use zeroize::Zeroizing;

/// Wrap key material for import into a cloud KMS (Alibaba Cloud, AWS, Google Cloud).
#[derive(Parser)]
#[command(name = "byok-wrap", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Wrap symmetric material or a private key and print base64 for EncryptedKeyMaterial (or the
    /// Google Cloud import's wrappedKey).
    Wrap(WrapArgs),
    /// List the wrapping algorithms and key specs, with the clouds that name them.
    Rules,
}

#[derive(Args)]
struct WrapArgs {
    /// The wrapping public key: PEM, DER, or the base64 DER of GetParametersForImport.
    #[arg(long, value_name = "FILE")]
    public_key: PathBuf,
    /// Symmetric key material: a file of the raw bytes (AES, SM4, HMAC keys).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "private_key",
        required_unless_present = "private_key"
    )]
    material: Option<PathBuf>,
    /// A private key to import: PEM or DER, PKCS#8, PKCS#1 (RSA) or SEC 1 (EC); it is wrapped as
    /// PKCS#8 DER.
    #[arg(long, value_name = "FILE")]
    private_key: Option<PathBuf>,
    /// The wrapping algorithm the KMS named with the public key, e.g. RSAES_OAEP_SHA_256,
    /// RSA_AES_KEY_WRAP_SHA_256, RSA_OAEP_3072_SHA256_AES_256.
    #[arg(long, value_name = "NAME")]
    algorithm: String,
    /// The key spec of the key you import into (e.g. Aliyun_AES_256, HMAC_256, RSA_2048): the
    /// material is checked against it.
    #[arg(long, value_name = "NAME")]
    key_spec: Option<String>,
    /// Permit RSAES_PKCS1_V1_5 (legacy; NIST disallows it for key transport since 2024).
    #[arg(long)]
    allow_legacy_pkcs1: bool,
    /// Write the base64 to this file, exactly as `openssl enc -e -base64 -A -out` would (no line
    /// break); without it, the base64 and a line break go to standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// The largest input files accepted: far above any key, far below anything that hurts.
const MAX_PUBLIC_KEY_FILE: u64 = 64 * 1024;
const MAX_SECRET_FILE: u64 = 64 * 1024;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Wrap(args) => wrap(&args),
        Command::Rules => {
            print_rules();
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("byok-wrap: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// Why a command failed: a library error (with its code) or a file that could not be used.
enum Failure {
    Wrap(Error, Option<&'static str>),
    File(PathBuf, String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Wrap(error, hint) => {
                write!(f, "{error} [{}]", error.code())?;
                if let Some(hint) = hint {
                    write!(f, "\n  hint: {hint}")?;
                }
                Ok(())
            }
            Self::File(path, reason) => write!(f, "{}: {reason}", path.display()),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self::Wrap(error, None)
    }
}

fn wrap(args: &WrapArgs) -> Result<(), Failure> {
    let algorithm: WrappingAlgorithm = args.algorithm.parse()?;
    let key_spec = args
        .key_spec
        .as_deref()
        .map(str::parse::<MaterialSpec>)
        .transpose()?;
    let public_key = read(&args.public_key, MAX_PUBLIC_KEY_FILE)?;
    let public_key = WrappingPublicKey::parse(&public_key)?;
    let options = ImportOptions {
        algorithm,
        key_spec,
        allow_legacy_pkcs1: args.allow_legacy_pkcs1,
    };
    let wrapped = match (&args.material, &args.private_key) {
        (Some(path), _) => {
            let bytes = read(path, MAX_SECRET_FILE)?;
            let material = KeyMaterial::from_zeroizing(bytes, None)?;
            wrap_for_import(&public_key, Material::from(&material), &options)
                .map_err(|e| with_text_hint(e, material.expose_secret()))?
        }
        (None, Some(path)) => {
            let bytes = read(path, MAX_SECRET_FILE)?;
            let key = PrivateKeyMaterial::parse(&bytes)?;
            wrap_for_import(&public_key, Material::from(&key), &options)?
        }
        // clap requires exactly one of the two.
        (None, None) => {
            return Err(Failure::Wrap(
                Error::InvalidArgument("give --material FILE or --private-key FILE".into()),
                None,
            ));
        }
    };
    let base64 = wrapped.to_base64();
    match &args.out {
        Some(path) => std::fs::write(path, base64.as_bytes())
            .map_err(|e| Failure::File(path.clone(), e.to_string()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{base64}")
                .and_then(|()| stdout.flush())
                .map_err(|e| Failure::File("standard output".into(), e.to_string()))?;
        }
    }
    Ok(())
}

/// Reads a whole file into a zeroizing buffer sized from the file's length, so that the secret is
/// read into it once and never reallocated.
fn read(path: &Path, max: u64) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let fail = |reason: String| Failure::File(path.to_owned(), reason);
    let file = File::open(path).map_err(|e| fail(e.to_string()))?;
    let len = file.metadata().map_err(|e| fail(e.to_string()))?.len();
    if len > max {
        return Err(fail(format!(
            "{len} bytes is larger than any key (at most {max} bytes are read)"
        )));
    }
    // `len` is at most `max`, which fits in usize.
    let mut bytes = Zeroizing::new(Vec::with_capacity(len as usize + 1));
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    Ok(bytes)
}

/// For a material file of the wrong length that is really text, says how to turn it into bytes.
fn with_text_hint(error: Error, material: &[u8]) -> Failure {
    let text = material.trim_ascii();
    let hint = if error.code() != "MaterialLength" || text.is_empty() {
        None
    } else if text.iter().all(u8::is_ascii_hexdigit) && text.len().is_multiple_of(2) {
        Some("the file looks like hex text: convert it to bytes first (xxd -r -p)")
    } else if text
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        Some("the file looks like base64 text: decode it first (openssl enc -d -base64 -A)")
    } else {
        None
    };
    Failure::Wrap(error, hint)
}

fn print_rules() {
    let mut out = String::new();
    out.push_str("wrapping algorithms (clouds; wrapping keys; material):\n");
    for rule in byok_wrap::spec::ALGORITHMS {
        let clouds: Vec<&str> = rule.clouds.iter().map(|c| c.display_name()).collect();
        let keys: Vec<&str> = rule.wrapping_key_specs.iter().map(|k| k.as_str()).collect();
        let takes = match (rule.symmetric, rule.private_keys) {
            (true, true) => "symmetric, private keys",
            (true, false) => "symmetric",
            _ => "private keys",
        };
        let legacy = if rule.legacy {
            " (legacy: --allow-legacy-pkcs1)"
        } else {
            ""
        };
        out.push_str(&format!(
            "  {:<42} {}; {}; {takes}{legacy}\n",
            rule.algorithm.as_str(),
            clouds.join(", "),
            keys.join(", ")
        ));
    }
    out.push_str("key specs (clouds; material):\n");
    for rule in byok_wrap::spec::KEY_SPECS {
        let clouds: Vec<&str> = rule.clouds.iter().map(|c| c.display_name()).collect();
        let material = match rule.private_key {
            Some(key_type) => format!("{key_type} private key"),
            None if rule.len.0 == rule.len.1 => format!("{} bytes", rule.len.0),
            None => format!("{} to {} bytes", rule.len.0, rule.len.1),
        };
        out.push_str(&format!(
            "  {:<42} {}; {material}\n",
            rule.name,
            clouds.join(", ")
        ));
    }
    print!("{out}");
}
