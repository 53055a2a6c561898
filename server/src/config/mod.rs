//! The command line and environment, in one place, and opening the KMS they describe: the
//! flags here, the secrets taken out of the environment ([`environment`]), the root key
//! ([`root_key`]), private files ([`files`]) and the HSM flags ([`HsmArgs`]).

mod environment;
mod ephemeral;
mod files;
mod hsm;
mod root_key;
mod seed;

pub use environment::{
    ACCESS_KEY_ID_ENV, ACCESS_KEY_SECRET_ENV, AWS_ACCESS_KEY_ID_ENV, AWS_SECRET_ACCESS_KEY_ENV,
    HSM_PIN_ENV, ROOT_KEY_ENV, Secrets, take_secrets,
};
pub use ephemeral::EphemeralDir;
pub use files::write_private_file;
pub use hsm::HsmArgs;
pub use seed::{load_seed, parse_seed};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::clock::SystemClock;
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
    Serve(Box<ServeArgs>),
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

    /// The region of the AWS KMS API: named in its ARNs, and the one its SigV4 signatures must
    /// be scoped to.
    #[arg(long, env = "BYOK_KMS_AWS_REGION", default_value = crate::kms::DEFAULT_AWS_REGION)]
    pub aws_region: String,

    /// The file of the root key (base64 of 32 bytes; readable by its owner only). The production
    /// setting: keep it outside the data directory (and its backups), e.g. on a tmpfs filled from
    /// your secret store. Default: BYOK_KMS_ROOT_KEY, else <data-dir>/root.key (created on first
    /// start).
    #[arg(long, env = "BYOK_KMS_ROOT_KEY_FILE")]
    pub root_key_file: Option<PathBuf>,
}

/// `byok-kms serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "BYOK_KMS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// The server's certificate chain (PEM, its own certificate first): serve HTTPS instead of
    /// HTTP. Needs --tls-key. Both files are read again on SIGHUP (e.g. after a renewal).
    #[arg(
        long,
        env = "BYOK_KMS_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// The certificate's private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC); a file other users
    /// may read is refused.
    #[arg(
        long,
        env = "BYOK_KMS_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// Allow plain HTTP on an address that is not loopback (only behind a proxy that terminates
    /// TLS on the same host or a trusted network). Without it, such an address needs --tls-cert.
    #[arg(long, conflicts_with = "tls_cert")]
    pub insecure_http: bool,

    /// Storage.
    #[command(flatten)]
    pub storage: StorageArgs,

    /// The hardware security module.
    #[command(flatten)]
    pub hsm: HsmArgs,

    /// A throwaway KMS: all state in a new temporary directory with a fresh root key, removed
    /// when the server exits (also on SIGINT and SIGTERM). For test suites; with
    /// `--listen 127.0.0.1:0` and `--ready-json`, a harness needs neither a directory nor a port.
    #[arg(long, conflicts_with_all = ["data_dir", "database_url", "root_key_file"])]
    pub ephemeral: bool,

    /// A known world to start with: a JSON file of accounts (with their access keys) and keys
    /// (with their material, aliases and tags), applied before the port is bound, in one
    /// transaction, by the API's rules; a seed applied before changes nothing. With it, no
    /// default account is made. A seed that breaks a rule stops the start, naming the entry.
    /// The format is in the README ("In your own tests").
    #[arg(long, env = "BYOK_KMS_SEED", value_name = "FILE")]
    pub seed: Option<PathBuf>,

    /// Once serving, print exactly one line to stdout, a JSON object, instead of the banner:
    /// `{"listening":"http://127.0.0.1:PORT","accounts":[{"accessKeyId":"…","awsAccessKeyId":"…"}]}`
    /// (no secrets): the default account, or with --seed the seed's accounts.
    #[arg(long)]
    pub ready_json: bool,

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

    /// A host name (with its port, as clients sign it: `kms.example.com` or `127.0.0.1:8080`)
    /// requests must be signed for; repeat for several. A request signed for another host is
    /// refused (IncompleteSignature). Default: any host.
    #[arg(
        long = "expected-host",
        env = "BYOK_KMS_EXPECTED_HOSTS",
        value_delimiter = ','
    )]
    pub expected_hosts: Vec<String>,

    /// Refuse the legacy RSAES_PKCS1_V1_5 wrapping algorithm (GetParametersForImport and tokens
    /// already issued for it).
    #[arg(long)]
    pub disable_pkcs1v15: bool,

    /// Refuse the legacy RPC HMAC-SHA1 signature (it covers neither the host nor the headers);
    /// only ACS3-HMAC-SHA256 is accepted.
    #[arg(long)]
    pub disable_legacy_signatures: bool,

    /// The most keys one account may have; more CreateKey calls get Rejected.LimitExceeded.
    #[arg(long, env = "BYOK_KMS_MAX_KEYS_PER_ACCOUNT", default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_keys_per_account: u64,

    /// The most wrapping keys one account may hold at once (each GetParametersForImport hands
    /// one out, kept 24 hours); more get Rejected.LimitExceeded until older ones expire.
    #[arg(long, env = "BYOK_KMS_MAX_WRAPPING_KEYS_PER_ACCOUNT", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_wrapping_keys_per_account: u64,
}

impl ServeArgs {
    /// Refuses plain HTTP on an address other than loopback, unless --insecure-http says so.
    pub fn check_listen(&self) -> Result<()> {
        if self.tls_cert.is_none() && !self.listen.ip().is_loopback() && !self.insecure_http {
            return Err(Error::Setting(format!(
                "refusing to serve plain HTTP on {}: on a network, whoever is on the path could \
                 swap the wrapping public key GetParametersForImport returns (and so read the key \
                 material wrapped under it) or the console's script. Give --tls-cert and \
                 --tls-key, listen on 127.0.0.1, or add --insecure-http if a TLS proxy on this \
                 host or a trusted network is in front",
                self.listen
            )));
        }
        Ok(())
    }

    /// The KMS's settings these flags give.
    pub fn settings(&self) -> crate::kms::Settings {
        crate::kms::Settings {
            pkcs1v15: !self.disable_pkcs1v15,
            legacy_signatures: !self.disable_legacy_signatures,
            expected_hosts: self.expected_hosts.clone(),
            max_keys_per_account: self.max_keys_per_account,
            max_wrapping_keys_per_account: self.max_wrapping_keys_per_account,
        }
    }
}

const SERVE_ENVIRONMENT: &str = "Environment:
  BYOK_KMS_ACCESS_KEY_ID, BYOK_KMS_ACCESS_KEY_SECRET
      The default account's access key. Without them one is generated on first start, kept
      (sealed) in the database and printed; every start prints the console URL with it.
  BYOK_KMS_AWS_ACCESS_KEY_ID, BYOK_KMS_AWS_SECRET_ACCESS_KEY
      The default account's AWS access key (for the AWS KMS API, SigV4). Without them one is
      generated on first start (AKIA…), kept sealed, and written with the other one.
  BYOK_KMS_ROOT_KEY
      Base64 of the 32-byte root key that seals every secret at rest. Without it the key is
      <data-dir>/root.key, created (mode 0600) on first start.
  BYOK_KMS_HSM_PIN
      The HSM token's user PIN, instead of --hsm-pin-file.
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

    /// The seed file (--seed) does not parse; the reason says where and what is wrong.
    #[error(
        "the seed file {} is not a seed: {reason}; fix the file (its format is in the README, \
         \"In your own tests\")", path.display()
    )]
    SeedFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        reason: String,
    },

    /// The seed breaks a rule or contradicts the data directory; none of it was applied.
    #[error("the seed was not applied (nothing of it was)")]
    Seed(#[from] crate::kms::seed::SeedError),

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

    /// The TLS certificate or key could not be used.
    #[error("the TLS certificate (--tls-cert, --tls-key)")]
    Tls(#[from] crate::http::tls::Error),

    /// The HSM's module could not be loaded, its token found, or the PIN was refused.
    #[error("connecting to the HSM (--hsm-module, --hsm-token)")]
    Hsm(#[source] crate::hsm::Error),
}

/// Result alias of starting up.
pub type Result<T> = core::result::Result<T, Error>;

impl StorageArgs {
    /// Opens the KMS: the data directory, the root key, the database. `secrets` are what was
    /// taken out of the environment at start.
    pub fn open(&self, secrets: &Secrets) -> Result<Kms<AnyStore>> {
        files::create_private_dir(&self.data_dir)?;
        let root_key = root_key::load(self, secrets)?;
        let store = match self.database_url.as_deref() {
            None => AnyStore::Sqlite(SqliteStore::open(&self.data_dir.join("kms.sqlite3"))?),
            Some(url) => AnyStore::open(url)?,
        };
        Ok(
            Kms::new(store, &root_key, Arc::new(SystemClock), &self.region)?
                .with_aws_region(&self.aws_region),
        )
    }
}
