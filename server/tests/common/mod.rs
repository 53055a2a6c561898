//! Shared test fixtures: a KMS on an in-memory SQLite database with a manual clock, and helpers
//! that wrap material the way a client does (with byok-wrap).

#![allow(dead_code)] // each test binary uses a different part of this

pub mod asymmetric;
pub mod aws;
pub mod client;
pub mod pg;
pub mod process;
pub mod server;
pub mod softhsm;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use byok_kms::clock::ManualClock;
use byok_kms::crypto::RootKey;
use byok_kms::kms::key::Origin;
use byok_kms::kms::{CreateKey, ImportParameters, KeyMetadata, Kms};
use byok_kms::store::{AnyStore, PostgresStore, SqliteStore};
use byok_wrap::WrappingKeySpec;
use byok_wrap::{KeyMaterial, KeySpec, WrapOptions, WrappingAlgorithm, WrappingPublicKey};

/// Whether the tests run against PostgreSQL (`BYOK_TEST_STORE=postgres`) rather than SQLite.
pub fn on_postgres() -> bool {
    std::env::var("BYOK_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// A new, empty store of the kind the tests run against.
pub fn fresh_store() -> AnyStore {
    if on_postgres() {
        AnyStore::Postgres(PostgresStore::open(&pg::fresh_database()).unwrap())
    } else {
        AnyStore::Sqlite(SqliteStore::in_memory().unwrap())
    }
}

/// A database that can be opened again, as by a restart or a second instance: a SQLite file in
/// a temporary directory, or with `BYOK_TEST_STORE=postgres` a PostgreSQL database of its own.
pub struct StorePlace {
    _dir: Option<tempfile::TempDir>,
    url: String,
}

impl StorePlace {
    /// A new, empty place.
    pub fn new() -> Self {
        if on_postgres() {
            Self {
                _dir: None,
                url: pg::fresh_database(),
            }
        } else {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:{}", dir.path().join("kms.sqlite3").display());
            Self {
                _dir: Some(dir),
                url,
            }
        }
    }

    /// Opens the store there (a new connection each time).
    pub fn open(&self) -> AnyStore {
        AnyStore::open(&self.url).unwrap()
    }
}

/// 2026-11-29T00:00:00Z.
pub const T0: i64 = 1_795_910_400;

/// A KMS with a manual clock and one account.
pub struct Fixture {
    /// The KMS.
    pub kms: Arc<Kms<AnyStore>>,
    /// Its clock.
    pub clock: Arc<ManualClock>,
    /// The default account.
    pub account: String,
}

impl Fixture {
    /// A fresh KMS at [`T0`] on a new database of the store the tests run against: an in-memory
    /// SQLite database, or with `BYOK_TEST_STORE=postgres` a PostgreSQL database of its own.
    pub fn new() -> Self {
        Self::new_with_root([42; 32])
    }

    /// A fresh KMS with this root key.
    pub fn new_with_root(root: [u8; 32]) -> Self {
        let clock = Arc::new(ManualClock::new(T0));
        let root = RootKey::from_bytes(&root).unwrap();
        let kms = Kms::new(fresh_store(), &root, clock.clone(), "cn-hangzhou").unwrap();
        Self::wrapping(kms, clock)
    }

    /// A fresh KMS with the operator's `settings`.
    pub fn with_settings(settings: byok_kms::kms::Settings) -> Self {
        let clock = Arc::new(ManualClock::new(T0));
        let root = RootKey::from_bytes(&[42; 32]).unwrap();
        let kms = Kms::new(fresh_store(), &root, clock.clone(), "cn-hangzhou")
            .unwrap()
            .with_settings(settings);
        Self::wrapping(kms, clock)
    }

    /// A fixture around an existing KMS; its default account has access key `testid`/`testsecret`.
    pub fn wrapping(kms: Kms<AnyStore>, clock: Arc<ManualClock>) -> Self {
        let (credentials, _) = kms
            .default_credentials(Some(("testid", "testsecret")))
            .unwrap();
        Self {
            account: credentials.account_id.clone(),
            kms: Arc::new(kms),
            clock,
        }
    }

    /// Creates a key in the default account.
    pub fn create(&self, origin: Origin, key_spec: KeySpec) -> KeyMetadata {
        self.kms
            .create_key(
                &self.account,
                &CreateKey {
                    origin,
                    key_spec: key_spec.into(),
                    ..CreateKey::default()
                },
            )
            .unwrap()
    }

    /// Creates an EXTERNAL Aliyun_AES_256 key (PendingImport).
    pub fn external_key(&self) -> String {
        self.create(Origin::External, KeySpec::AliyunAes256).key_id
    }

    /// GetParametersForImport with `algorithm`.
    pub fn params(&self, key_id: &str, algorithm: WrappingAlgorithm) -> ImportParameters {
        self.kms
            .get_parameters_for_import(&self.account, key_id, algorithm, WrappingKeySpec::Rsa2048)
            .unwrap()
    }

    /// Imports `material` into `key_id` with a fresh token (OAEP-SHA-256).
    pub fn import(&self, key_id: &str, material: &KeyMaterial) -> byok_kms::kms::Result<()> {
        self.import_call(key_id, material)()
    }

    /// Gets a fresh token and wraps `material`, then returns the import call itself, so that a
    /// test can check what the import alone changes.
    pub fn import_call<'a>(
        &'a self,
        key_id: &'a str,
        material: &KeyMaterial,
    ) -> impl FnOnce() -> byok_kms::kms::Result<()> + 'a {
        let params = self.params(key_id, WrappingAlgorithm::RsaesOaepSha256);
        let wrapped = wrap(&params, material, WrappingAlgorithm::RsaesOaepSha256);
        move || {
            self.kms.import_key_material(
                &self.account,
                key_id,
                &wrapped,
                &params.import_token,
                None,
            )
        }
    }

    /// The state of every table (nonces aside).
    pub fn dump(&self) -> String {
        blocking(|| self.kms.store().dump().unwrap())
    }

    /// Runs `call`, which must fail with `code`, and checks that it changed nothing.
    pub fn refused<T>(
        &self,
        code: &str,
        call: impl FnOnce() -> byok_kms::kms::Result<T>,
    ) -> byok_kms::kms::Error {
        let before = self.dump();
        let error = match call() {
            Ok(_) => panic!("expected {code}, but the call succeeded"),
            Err(e) => e,
        };
        assert_eq!(code_of(&error), code, "{error}");
        let after = self.dump();
        if after != before {
            let changed: Vec<_> = after
                .lines()
                .filter(|l| !before.lines().any(|b| b == *l))
                .collect();
            panic!("a refused call ({code}) changed the database; new rows: {changed:#?}");
        }
        error
    }
}

/// Runs `f`, which calls the synchronous store, from a test that may be async. On a multi-thread
/// runtime's worker it runs as a blocking section (the PostgreSQL client runs a runtime of its own,
/// which must not start on an async worker thread); anywhere else, directly.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Wraps `material` under the public key of `params` with `algorithm`, as a client does.
pub fn wrap(
    params: &ImportParameters,
    material: &KeyMaterial,
    algorithm: WrappingAlgorithm,
) -> Vec<u8> {
    let key = WrappingPublicKey::from_der(&params.public_key_der).unwrap();
    let options = WrapOptions {
        algorithm,
        allow_legacy_pkcs1: true,
        key_spec: None,
    };
    byok_wrap::wrap_with(&key, material, &options)
        .unwrap()
        .into_bytes()
}

/// Fresh AES-256 material.
pub fn material() -> KeyMaterial {
    KeyMaterial::generate(KeySpec::AliyunAes256).unwrap()
}

/// Base64, standard.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// The wire code the Alibaba door gives a core error.
pub fn code_of(error: &byok_kms::kms::Error) -> &'static str {
    byok_kms::api::alibaba::error::kms_code_and_status(error).0
}

/// `error.code()`: the wire code the Alibaba door gives a core error, for assertions.
pub trait WireCode {
    /// The code.
    fn code(&self) -> &'static str;
}

impl WireCode for byok_kms::kms::Error {
    fn code(&self) -> &'static str {
        code_of(self)
    }
}
