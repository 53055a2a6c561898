//! The command line and environment, in one place, and opening the KMS they describe.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, Parser, Subcommand};

use crate::clock::SystemClock;
use crate::crypto::RootKey;
use crate::kms::Kms;
use crate::store::{AnyStore, SqliteStore};

/// byok-kms: a KMS server with the whole bring-your-own-key import lifecycle, speaking the Alibaba
/// Cloud KMS API (2016-01-20), so the official SDKs work against it unchanged.
#[derive(Debug, Parser)]
#[command(name = "byok-kms", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the KMS server (API at POST /, console at GET /).
    #[command(after_help = SERVE_ENVIRONMENT)]
    Serve(ServeArgs),
    /// Create another account and print its access key (for multi-account tests).
    CreateAccount(StorageArgs),
}

/// Where the KMS keeps its state.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// The data directory: the SQLite database and, unless BYOK_KMS_ROOT_KEY is set, root.key.
    /// Created (mode 0700) if missing.
    #[arg(long, env = "BYOK_KMS_DATA_DIR", default_value = "byok-kms-data")]
    pub data_dir: PathBuf,

    /// The database, as a URL. Default: the SQLite file <data-dir>/kms.sqlite3.
    /// `sqlite:PATH` selects another SQLite file; `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` a
    /// PostgreSQL database that several instances (with the same root key) can share.
    #[arg(long, env = "BYOK_KMS_DATABASE_URL")]
    pub database_url: Option<String>,

    /// The region named in ARNs.
    #[arg(long, env = "BYOK_KMS_REGION", default_value = "cn-hangzhou")]
    pub region: String,
}

/// `byok-kms serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "BYOK_KMS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Storage.
    #[command(flatten)]
    pub storage: StorageArgs,

    /// The directory of static files served at GET / (the console).
    #[arg(long, env = "BYOK_KMS_WWW_DIR", default_value = "www")]
    pub www_dir: PathBuf,

    /// The directory of the npm package (`make pkg`), served at GET /pkg/ for the console.
    #[arg(long, env = "BYOK_KMS_PKG_DIR", default_value = "pkg")]
    pub pkg_dir: PathBuf,

    /// An origin (e.g. `http://localhost:5173`) whose pages may call the API from a browser
    /// (CORS). Repeat for several; `*` allows any origin. Off by default: only the console,
    /// served by byok-kms itself, can call it.
    #[arg(
        long = "cors-origin",
        env = "BYOK_KMS_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// How many RSA-2048 wrapping key pairs to keep generated ahead in the database, so that
    /// GetParametersForImport does not wait tens of milliseconds for one. 0 turns the pool off.
    #[arg(long, env = "BYOK_KMS_WRAPPING_KEY_POOL", default_value_t = 32)]
    pub wrapping_key_pool: u64,

    /// Threads that refill the wrapping key pool (each generates about a dozen pairs a second).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub pool_threads: u64,

    /// Seconds between sweeps that erase expired material and delete keys whose pending window
    /// ended. (Expired material is never used, even between sweeps.)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub sweep_interval: u64,

    /// Connections served at once; one more is answered 503 ServiceUnavailableTemporary at once.
    #[arg(long, env = "BYOK_KMS_MAX_CONNECTIONS", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,

    /// Seconds a client has to send a request's headers (also: how long an idle keep-alive
    /// connection stays open), and again its body.
    #[arg(long, env = "BYOK_KMS_REQUEST_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
}

const SERVE_ENVIRONMENT: &str = "Environment:
  BYOK_KMS_ACCESS_KEY_ID, BYOK_KMS_ACCESS_KEY_SECRET
      The default account's access key. Without them one is generated on first start, kept
      (sealed) in the database and printed; every start prints the console URL with it.
  BYOK_KMS_ROOT_KEY
      Base64 of the 32-byte root key that seals every secret at rest. Without it the key is
      <data-dir>/root.key, created (mode 0600) on first start.
  RUST_LOG
      Log filter (default info). Logs go to stderr and never contain secrets.";

/// What can stop byok-kms from starting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory of the data directory could not be made, read or written.
    #[error("{what} {}", path.display())]
    File {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A setting is wrong; the message says which and how.
    #[error("{0}")]
    Setting(String),

    /// The listening address could not be bound.
    #[error("listening on {address}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The database could not be opened.
    #[error("opening the database")]
    Store(#[from] crate::store::Error),

    /// The KMS refused to start (another root key) or failed.
    #[error(transparent)]
    Kms(#[from] crate::kms::Error),

    /// The root key could not be used.
    #[error(transparent)]
    Crypto(#[from] crate::crypto::Error),
}

/// Result alias of starting up.
pub type Result<T> = core::result::Result<T, Error>;

/// The environment variables that hold the default account's access key.
pub const ACCESS_KEY_ID_ENV: &str = "BYOK_KMS_ACCESS_KEY_ID";
/// See [`ACCESS_KEY_ID_ENV`].
pub const ACCESS_KEY_SECRET_ENV: &str = "BYOK_KMS_ACCESS_KEY_SECRET";
/// The environment variable that holds the root key (base64 of 32 bytes).
pub const ROOT_KEY_ENV: &str = "BYOK_KMS_ROOT_KEY";

impl StorageArgs {
    /// Opens the KMS: the data directory, the root key, the database.
    pub fn open(&self) -> Result<Kms<AnyStore>> {
        create_private_dir(&self.data_dir)?;
        let root_key = load_root_key(&self.data_dir)?;
        let store = match self.database_url.as_deref() {
            None => AnyStore::Sqlite(SqliteStore::open(&self.data_dir.join("kms.sqlite3"))?),
            Some(url) => AnyStore::open(url)?,
        };
        Ok(Kms::new(
            store,
            &root_key,
            Arc::new(SystemClock),
            &self.region,
        )?)
    }
}

/// The root key: `BYOK_KMS_ROOT_KEY` (base64), else `<data-dir>/root.key`, created on first start.
fn load_root_key(data_dir: &Path) -> Result<RootKey> {
    if let Ok(text) = std::env::var(ROOT_KEY_ENV) {
        let text = zeroize::Zeroizing::new(text);
        let bytes = zeroize::Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| Error::Setting(format!("{ROOT_KEY_ENV} is not base64")))?,
        );
        return RootKey::from_bytes(&bytes)
            .map_err(|_| Error::Setting(format!("{ROOT_KEY_ENV} must be the base64 of 32 bytes")));
    }
    let path = data_dir.join("root.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let text = zeroize::Zeroizing::new(text);
            let bytes = zeroize::Zeroizing::new(
                STANDARD
                    .decode(text.trim())
                    .map_err(|_| Error::Setting(format!("{} is not base64", path.display())))?,
            );
            Ok(RootKey::from_bytes(&bytes)?)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = RootKey::generate()?;
            let text =
                zeroize::Zeroizing::new(format!("{}\n", STANDARD.encode(key.expose_secret())));
            write_private_file(&path, text.as_bytes())?;
            Ok(key)
        }
        Err(source) => Err(Error::File {
            what: "reading",
            path,
            source,
        }),
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| Error::File {
        what: "creating",
        path: dir.to_owned(),
        source,
    })
}

/// Writes a new file readable only by its owner (mode 0600).
fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file_error = |what| {
        move |source| Error::File {
            what,
            path: path.to_owned(),
            source,
        }
    };
    let mut file = options.open(path).map_err(file_error("creating"))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(file_error("writing"))
}

/// The default account's access key from the environment, if both variables are set.
pub fn preset_access_key() -> Result<Option<(String, zeroize::Zeroizing<String>)>> {
    match (
        std::env::var(ACCESS_KEY_ID_ENV),
        std::env::var(ACCESS_KEY_SECRET_ENV),
    ) {
        (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => {
            Ok(Some((id, zeroize::Zeroizing::new(secret))))
        }
        (Err(_), Err(_)) => Ok(None),
        _ => Err(Error::Setting(format!(
            "set both {ACCESS_KEY_ID_ENV} and {ACCESS_KEY_SECRET_ENV}, or neither"
        ))),
    }
}
