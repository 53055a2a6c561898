//! Tamper-evident rows: someone who can write to the database but has not the root key changes
//! a key's state, fingerprint, expiry or account, an alias's key, or an access key's account.
//! Every such row is refused as tampered (InternalFailure, logged once as tampering), never
//! served; the same-material rule cannot be lifted by NULLing the fingerprint.

mod common;

use std::sync::Arc;

use byok_kms::clock::ManualClock;
use byok_kms::crypto::RootKey;
use byok_kms::kms::Kms;
use byok_kms::store::AnyStore;
use common::process::KmsProcess;
use common::{Fixture, T0, WireCode, material};

struct Place {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    clock: Arc<ManualClock>,
}

impl Place {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kms.sqlite3");
        Self {
            _dir: dir,
            path,
            clock: Arc::new(ManualClock::new(T0)),
        }
    }

    fn open(&self) -> Fixture {
        let store = AnyStore::open(&format!("sqlite:{}", self.path.display())).unwrap();
        let root = RootKey::from_bytes(&[6; 32]).unwrap();
        Fixture::wrapping(
            Kms::new(store, &root, self.clock.clone(), "cn-hangzhou").unwrap(),
            self.clock.clone(),
        )
    }

    /// Changes the database behind byok-kms's back.
    fn tamper(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) {
        let conn = rusqlite::Connection::open(&self.path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        let changed = conn.execute(sql, params).unwrap();
        assert_eq!(changed, 1, "{sql}");
    }
}

fn tampered<T>(result: byok_kms::kms::Result<T>) {
    match result {
        Ok(_) => panic!("a tampered row was served"),
        Err(e) => {
            assert_eq!(e.code(), "InternalFailure", "{e}");
            assert!(e.to_string().contains("tampering detected"), "{e}");
        }
    }
}

#[test]
fn every_security_relevant_column_is_protected() {
    let place = Place::new();
    let f = place.open();
    let bound = f.external_key();
    f.import(&bound, &material()).unwrap();
    let disabled = f.external_key();
    f.import(&disabled, &material()).unwrap();
    f.kms.disable_key(&f.account, &disabled).unwrap();
    let expiring = f.external_key();
    let params = f.params(&expiring, byok_wrap::WrappingAlgorithm::RsaesOaepSha256);
    let wrapped = common::wrap(
        &params,
        &material(),
        byok_wrap::WrappingAlgorithm::RsaesOaepSha256,
    );
    f.kms
        .import_key_material(
            &f.account,
            &expiring,
            &wrapped,
            &params.import_token,
            Some(T0 + 60),
        )
        .unwrap();
    let other = f.external_key();
    f.kms.create_alias(&f.account, "alias/app", &bound).unwrap();
    let account = f.account.clone();
    drop(f);

    // NULL the fingerprint, hoping to import other material into the key.
    place.tamper(
        "UPDATE keys SET fingerprint = NULL WHERE id = ?1",
        &[&bound],
    );
    place.tamper(
        "UPDATE keys SET state = 'Enabled' WHERE id = ?1",
        &[&disabled],
    );
    place.tamper(
        "UPDATE keys SET material_expire_at = ?2 WHERE id = ?1",
        &[&expiring, &(T0 + 86_400)],
    );
    place.tamper(
        "UPDATE aliases SET key_id = ?1 WHERE name = 'alias/app'",
        &[&other],
    );
    let f = place.open();
    tampered(f.kms.describe_key(&account, &bound));
    tampered(f.kms.get_parameters_for_import(
        &account,
        &bound,
        byok_wrap::WrappingAlgorithm::RsaesOaepSha256,
        byok_wrap::WrappingKeySpec::Rsa2048,
    ));
    tampered(
        f.kms
            .encrypt(&account, &disabled, b"x", &Default::default()),
    );
    tampered(f.kms.describe_key(&account, &expiring));
    tampered(f.kms.describe_key(&account, "alias/app"));
    tampered(f.kms.list_aliases(
        &account,
        None,
        byok_kms::kms::Paging {
            number: 1,
            size: 10,
        },
    ));
    // Untouched keys keep working.
    f.kms.describe_key(&account, &other).unwrap();
    drop(f);

    // An access key moved to another account (the default account's key to a new one).
    let f = place.open();
    let second = f.kms.create_account().unwrap();
    drop(f);
    place.tamper(
        "UPDATE access_keys SET account_id = ?1 WHERE id = 'testid'",
        &[&second.account_id],
    );
    let f = Place::open_raw(&place);
    tampered(f.credentials("testid"));
}

impl Place {
    fn open_raw(&self) -> Kms<AnyStore> {
        let store = AnyStore::open(&format!("sqlite:{}", self.path.display())).unwrap();
        let root = RootKey::from_bytes(&[6; 32]).unwrap();
        Kms::new(store, &root, self.clock.clone(), "cn-hangzhou").unwrap()
    }
}

/// A data directory written before rows carried MACs is signed once, when the MAC columns are
/// added; afterwards a row without a MAC is tampered (removing a MAC does not make a row trusted).
#[test]
fn rows_of_an_older_database_are_signed_once_and_a_removed_mac_is_tampering() {
    let place = Place::new();
    let f = place.open();
    let key = f.external_key();
    drop(f);
    place.tamper("UPDATE keys SET mac = NULL WHERE id = ?1", &[&key]);
    let f = place.open();
    tampered(f.kms.describe_key(&f.account, &key));
}

/// Over HTTP, a tampered row is a bare InternalFailure to the client and one log line, with the
/// cause, for the operator.
#[test]
fn a_tampered_row_is_logged_once_as_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = KmsProcess::start(&data, &["--wrapping-key-pool", "0"], "info");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = server.client(1);
    let key = runtime
        .block_on(client.ok("CreateKey", &[("Origin", "EXTERNAL")]))
        .unwrap()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let conn = rusqlite::Connection::open(data.join("kms.sqlite3")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn.execute("UPDATE keys SET state = 'Enabled' WHERE id = ?1", [&key])
        .unwrap();
    let (status, reply) = runtime
        .block_on(client.call("DescribeKey", &[("KeyId", &key)]))
        .unwrap();
    assert_eq!(
        (status, reply["Code"].as_str()),
        (500, Some("InternalFailure")),
        "{reply}"
    );
    assert!(
        !reply.to_string().contains("tamper"),
        "the client learns nothing: {reply}"
    );
    server.stop();
    let log = std::fs::read_to_string(server_log(&data)).unwrap();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("tampering detected"))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(
        lines[0].contains(&key[..8]) && lines[0].contains("internal failure"),
        "{}",
        lines[0]
    );
}

fn server_log(data: &std::path::Path) -> std::path::PathBuf {
    data.with_extension(format!("log.{}", std::process::id()))
}
