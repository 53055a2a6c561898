//! A data directory written by byok-kms 0.1 (`tests/data/kms-data-0.1/`, made once by
//! `make-kms-data-0.1.py` and never regenerated) opens with today's store and keeps working:
//! every key describes as it did, its ciphertexts decrypt, the same material imports again and
//! other material does not, the alias resolves, both accounts' access keys work, and a second open
//! (the migrations running again) changes nothing.

mod common;

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use byok_kms::clock::ManualClock;
use byok_kms::crypto::RootKey;
use byok_kms::kms::ciphertext::EncryptionContext;
use byok_kms::kms::state::KeyState;
use byok_kms::kms::{CreateKey, Kms};
use byok_kms::store::{AnyStore, SqliteStore};
use byok_wrap::{KeyMaterial, WrappingAlgorithm};
use common::WireCode;
use serde_json::Value;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/kms-data-0.1");

/// The fixture's data directory, copied (the test changes it).
struct DataDir {
    dir: tempfile::TempDir,
    fixture: Value,
}

impl DataDir {
    fn copy() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for file in ["root.key", "kms.sqlite3"] {
            std::fs::copy(Path::new(FIXTURE).join(file), dir.path().join(file)).unwrap();
        }
        let text = std::fs::read_to_string(Path::new(FIXTURE).join("fixture.json")).unwrap();
        Self {
            dir,
            fixture: serde_json::from_str(&text).unwrap(),
        }
    }

    /// Opens the KMS there, as `byok-kms serve --data-dir` does, a minute after the fixture was
    /// made.
    fn open(&self) -> Kms<AnyStore> {
        let text = std::fs::read_to_string(self.dir.path().join("root.key")).unwrap();
        let root = RootKey::from_bytes(&STANDARD.decode(text.trim()).unwrap()).unwrap();
        let store = SqliteStore::open(&self.dir.path().join("kms.sqlite3")).unwrap();
        let clock = Arc::new(ManualClock::new(self.made_at() + 60));
        Kms::new(AnyStore::Sqlite(store), &root, clock, self.str(&["region"])).unwrap()
    }

    fn made_at(&self) -> i64 {
        self.fixture["made_at"].as_i64().unwrap()
    }

    fn str(&self, path: &[&str]) -> &str {
        let mut value = &self.fixture;
        for step in path {
            value = &value[step];
        }
        value
            .as_str()
            .unwrap_or_else(|| panic!("fixture.json has no {path:?}"))
    }

    fn keys(&self) -> &[Value] {
        self.fixture["keys"].as_array().unwrap()
    }

    fn material(&self, key_id: &str) -> KeyMaterial {
        let hex = self.fixture["materials_hex"][key_id].as_str().unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        KeyMaterial::from_bytes(&bytes, None).unwrap()
    }
}

fn context(value: &Value) -> EncryptionContext {
    match value.as_object() {
        Some(pairs) if !pairs.is_empty() => {
            byok_kms::api::alibaba::params::json_context(&value.to_string()).unwrap()
        }
        _ => EncryptionContext::default(),
    }
}

/// Every key's metadata as DescribeKey reports it now, in the fixture's terms.
fn described(kms: &Kms<AnyStore>, account: &str, key_id: &str) -> Value {
    let m = kms.describe_key(account, key_id).unwrap();
    serde_json::json!({
        "key_id": m.key_id, "arn": m.arn, "creator": m.creator, "description": m.description,
        "key_spec": m.key_spec.as_str(), "state": m.state.as_str(), "origin": m.origin.as_str(),
        "protection_level": m.protection_level.as_str(), "created_at": m.created_at,
        "delete_date": m.delete_date, "material_expire_at": m.material_expire_at,
        "primary_key_version": m.primary_key_version,
    })
}

fn import(
    kms: &Kms<AnyStore>,
    account: &str,
    key_id: &str,
    material: &KeyMaterial,
) -> byok_kms::kms::Result<()> {
    let algorithm = WrappingAlgorithm::RsaesOaepSha256;
    let params = kms
        .get_parameters_for_import(
            account,
            key_id,
            algorithm,
            byok_wrap::WrappingKeySpec::Rsa2048,
        )
        .unwrap();
    let wrapped = common::wrap(&params, material, algorithm);
    kms.import_key_material(account, key_id, &wrapped, &params.import_token, None)
}

#[test]
fn a_data_directory_of_byok_kms_0_1_opens_and_keeps_working() {
    let data = DataDir::copy();
    let account = data.str(&["default", "account_id"]).to_owned();
    let kms = data.open();
    // The wrapping key pool's pairs are there.
    assert_eq!(
        kms.pool_size().unwrap(),
        data.fixture["pool_rows"].as_u64().unwrap()
    );

    // Every key describes as it did when the fixture was made.
    for key in data.keys() {
        let id = key["key_id"].as_str().unwrap();
        assert_eq!(&described(&kms, &account, id), key, "DescribeKey {id}");
    }
    let [enabled, disabled, doomed, pending, generated] = <[&str; 5]>::try_from(
        data.keys()
            .iter()
            .map(|k| k["key_id"].as_str().unwrap())
            .collect::<Vec<_>>(),
    )
    .unwrap();

    // The alias resolves.
    for alias in data.fixture["aliases"].as_array().unwrap() {
        let name = alias["name"].as_str().unwrap();
        let target = kms.describe_key(&account, name).unwrap().key_id;
        assert_eq!(target, alias["key_id"].as_str().unwrap(), "{name}");
    }

    // Every ciphertext decrypts under its context (the Disabled key's once enabled).
    assert_eq!(
        kms.decrypt(
            &account,
            data.fixture["blobs"][2]["blob"].as_str().unwrap(),
            &context(&data.fixture["blobs"][2]["context"])
        )
        .err()
        .map(|e| e.code()),
        Some("Rejected.Disabled")
    );
    kms.enable_key(&account, disabled).unwrap();
    for blob in data.fixture["blobs"].as_array().unwrap() {
        let plain = kms
            .decrypt(
                &account,
                blob["blob"].as_str().unwrap(),
                &context(&blob["context"]),
            )
            .unwrap();
        let expected = STANDARD
            .decode(blob["plaintext_b64"].as_str().unwrap())
            .unwrap();
        assert_eq!(&plain.plaintext[..], &expected[..], "{}", blob["blob"]);
        assert_eq!(plain.key_id, blob["key"].as_str().unwrap());
    }
    let wrong = kms.decrypt(
        &account,
        data.fixture["blobs"][0]["blob"].as_str().unwrap(),
        &EncryptionContext::default(),
    );
    assert_eq!(wrong.err().map(|e| e.code()), Some("InvalidCiphertext"));

    // The PendingDeletion key keeps its date until cancelled.
    assert!(
        kms.describe_key(&account, doomed)
            .unwrap()
            .delete_date
            .is_some()
    );
    kms.cancel_key_deletion(&account, doomed).unwrap();
    assert_eq!(
        kms.describe_key(&account, doomed).unwrap().state,
        KeyState::Enabled
    );

    // The same material imports again; other material is refused, on every imported key.
    for key in [enabled, disabled, doomed] {
        let other = KeyMaterial::generate(byok_wrap::KeySpec::AliyunAes256).unwrap();
        let refused = import(&kms, &account, key, &other);
        assert_eq!(
            refused.err().map(|e| e.code()),
            Some("InvalidKeyMaterial"),
            "{key}"
        );
        import(&kms, &account, key, &data.material(key)).unwrap();
    }
    // The PendingImport key takes its first material; the generated key still encrypts.
    import(
        &kms,
        &account,
        pending,
        &KeyMaterial::generate(byok_wrap::KeySpec::AliyunAes256).unwrap(),
    )
    .unwrap();
    assert_eq!(
        kms.describe_key(&account, pending).unwrap().state,
        KeyState::Enabled
    );
    let blob = kms
        .encrypt(
            &account,
            generated,
            b"after the upgrade",
            &EncryptionContext::default(),
        )
        .unwrap();
    assert_eq!(
        &kms.decrypt(
            &account,
            &blob.ciphertext_blob,
            &EncryptionContext::default()
        )
        .unwrap()
        .plaintext[..],
        b"after the upgrade"
    );

    // Both accounts' access keys work: the default one is kept as it was, the second looks up.
    let (default, changed) = kms.default_credentials(None).unwrap();
    assert!(!changed);
    assert_eq!(
        default.access_key_id,
        data.str(&["default", "access_key_id"])
    );
    assert_eq!(
        default.secret.as_str(),
        data.str(&["default", "access_key_secret"])
    );
    let second = kms
        .credentials(data.str(&["second", "access_key_id"]))
        .unwrap();
    assert_eq!(second.account_id, data.str(&["second", "account_id"]));
    assert_eq!(
        second.secret.as_str(),
        data.str(&["second", "access_key_secret"])
    );
    let theirs = kms
        .create_key(&second.account_id, &CreateKey::default())
        .unwrap();
    assert_eq!(
        kms.list_keys(
            &second.account_id,
            byok_kms::kms::Paging {
                number: 1,
                size: 10
            }
        )
        .unwrap()
        .total,
        1
    );
    assert_eq!(
        kms.list_keys(
            &account,
            byok_kms::kms::Paging {
                number: 1,
                size: 10
            }
        )
        .unwrap()
        .total,
        5
    );
    assert_eq!(
        kms.describe_key(&account, &theirs.key_id)
            .err()
            .map(|e| e.code()),
        Some("Forbidden.KeyNotFound")
    );

    // Nonces work on the migrated table.
    kms.use_nonce(&default.access_key_id, "after-upgrade", kms.now())
        .unwrap();
    assert_eq!(
        kms.use_nonce(&default.access_key_id, "after-upgrade", kms.now())
            .err()
            .map(|e| e.code()),
        Some("SignatureNonceUsed")
    );
    kms.sweep().unwrap();
    let dump = kms.store().dump().unwrap();
    let schema_version = dump
        .lines()
        .find_map(|l| l.strip_prefix("schema_version | "))
        .map(str::to_owned);
    drop(kms);

    // A second open migrates nothing and finds everything as it was left, nonces included.
    let kms = data.open();
    assert_eq!(kms.store().dump().unwrap(), dump);
    // Every SQLite step ran (the fifth adds tags, the sixth key usages, the seventh the kind of
    // access keys, the eighth a key's other materials).
    assert_eq!(schema_version.as_deref(), Some("8"));
    assert_eq!(
        kms.use_nonce(&default.access_key_id, "after-upgrade", kms.now())
            .err()
            .map(|e| e.code()),
        Some("SignatureNonceUsed")
    );
    for key in [enabled, disabled, doomed, pending] {
        assert_eq!(
            kms.describe_key(&account, key).unwrap().state,
            KeyState::Enabled,
            "{key}"
        );
    }
}
