//! The operator's settings and the defences against oracles and amplifiers (issue "security
//! round", item 4 and part of 7): `--disable-pkcs1v15`, `--disable-legacy-signatures`,
//! `--expected-host`, the per-account quotas, implicit rejection of bad padding, key generation
//! one per core, and purges off the request path. Every refusal leaves the database unchanged.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use byok_kms::kms::{CreateKey, Settings};
use byok_kms::store::{Store, Transaction};
use byok_wrap::{WrappingAlgorithm, WrappingKeySpec};
use common::client::Signer;
use common::server::{nonce, server_with};
use common::{Fixture, StorePlace, T0, material, wrap};

#[test]
fn disabling_pkcs1v15_refuses_new_parameters_and_tokens_already_issued() {
    let place = StorePlace::new();
    let clock = Arc::new(byok_kms::clock::ManualClock::new(T0));
    let root = || byok_kms::crypto::RootKey::from_bytes(&[3; 32]).unwrap();
    let open = |settings: Settings| {
        byok_kms::kms::Kms::new(place.open(), &root(), clock.clone(), "cn-hangzhou")
            .unwrap()
            .with_settings(settings)
    };
    let before = Fixture::wrapping(open(Settings::default()), clock.clone());
    let key = before.external_key();
    let params = before.params(&key, WrappingAlgorithm::RsaesPkcs1V15);
    let wrapped = wrap(&params, &material(), WrappingAlgorithm::RsaesPkcs1V15);
    drop(before);

    let after = Fixture::wrapping(
        open(Settings {
            pkcs1v15: false,
            ..Settings::default()
        }),
        clock.clone(),
    );
    let e = after.refused("InvalidParameter", || {
        after.kms.get_parameters_for_import(
            &after.account,
            &key,
            WrappingAlgorithm::RsaesPkcs1V15,
            WrappingKeySpec::Rsa2048,
        )
    });
    assert!(e.to_string().contains("--disable-pkcs1v15"), "{e}");
    after.refused("InvalidParameter", || {
        after
            .kms
            .import_key_material(&after.account, &key, &wrapped, &params.import_token, None)
    });
    // OAEP is unaffected.
    after.import(&key, &material()).unwrap();
}

#[test]
fn quotas_refuse_the_key_and_the_wrapping_key_over_the_limit() {
    let f = Fixture::with_settings(Settings {
        max_keys_per_account: 2,
        max_wrapping_keys_per_account: 3,
        ..Settings::default()
    });
    let key = f.external_key();
    f.external_key();
    f.refused("Rejected.LimitExceeded", || {
        f.kms.create_key(&f.account, &CreateKey::default())
    });
    for _ in 0..3 {
        f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
    }
    let e = f.refused("Rejected.LimitExceeded", || {
        f.kms.get_parameters_for_import(
            &f.account,
            &key,
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
        )
    });
    assert!(
        e.to_string().contains("--max-wrapping-keys-per-account"),
        "{e}"
    );
    // Once they expire (and the sweep has removed them), the account gets new ones.
    f.clock.advance(24 * 60 * 60 + 1);
    f.kms.sweep().unwrap();
    f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
    // Another account has quotas of its own.
    let other = f.kms.create_account().unwrap();
    f.kms
        .create_key(&other.account_id, &CreateKey::default())
        .unwrap();
}

/// Counts the transactions of the store it wraps.
struct Counting {
    inner: byok_kms::store::AnyStore,
    transactions: AtomicUsize,
}

impl Store for Counting {
    fn transaction<T, E: From<byok_kms::store::Error>>(
        &self,
        work: impl FnOnce(&mut dyn Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transactions.fetch_add(1, Ordering::SeqCst);
        self.inner.transaction(work)
    }
    fn purge_erased(&self) -> byok_kms::store::Result<()> {
        self.inner.purge_erased()
    }
    fn use_nonce(
        &self,
        access_key_id: &str,
        nonce: &str,
        now: i64,
        expires_at: i64,
    ) -> byok_kms::store::Result<bool> {
        self.inner.use_nonce(access_key_id, nonce, now, expires_at)
    }
    fn maintain(&self, now: i64) -> byok_kms::store::Result<()> {
        self.inner.maintain(now)
    }
    fn dump(&self) -> byok_kms::store::Result<String> {
        self.inner.dump()
    }
}

/// Implicit rejection: an import whose unwrap fails (bad padding, the wrong length) goes the whole
/// way, as an import of different material does, and fails at the same point — the same number
/// of transactions, the same error — so that no padding oracle is left, in the reply or its cost.
#[test]
fn a_failed_unwrap_takes_the_same_path_as_different_material() {
    let kms = byok_kms::kms::Kms::new(
        Counting {
            inner: common::fresh_store(),
            transactions: AtomicUsize::new(0),
        },
        &byok_kms::crypto::RootKey::from_bytes(&[9; 32]).unwrap(),
        Arc::new(byok_kms::clock::ManualClock::new(T0)),
        "cn-hangzhou",
    )
    .unwrap();
    let (credentials, _) = kms.default_credentials(Some(("id", "secret"))).unwrap();
    let account = credentials.account_id.clone();
    let key = kms
        .create_key(
            &account,
            &CreateKey {
                origin: byok_kms::kms::key::Origin::External,
                ..CreateKey::default()
            },
        )
        .unwrap()
        .key_id;
    let bound = material();
    for algorithm in [
        WrappingAlgorithm::RsaesPkcs1V15,
        WrappingAlgorithm::RsaesOaepSha256,
    ] {
        let params = kms
            .get_parameters_for_import(&account, &key, algorithm, WrappingKeySpec::Rsa2048)
            .unwrap();
        let _ = kms.import_key_material(
            &account,
            &key,
            &wrap(&params, &bound, algorithm),
            &params.import_token,
            None,
        );
        let short = byok_wrap::KeyMaterial::generate(byok_wrap::KeySpec::AliyunAes128).unwrap();
        let cases = [
            ("different material", wrap(&params, &material(), algorithm)),
            ("the wrong length", wrap(&params, &short, algorithm)),
            ("bad padding", vec![0x5A; 256]),
        ];
        let mut counts = Vec::new();
        for (what, wrapped) in cases {
            let before = kms.store().transactions.load(Ordering::SeqCst);
            let e = kms
                .import_key_material(&account, &key, &wrapped, &params.import_token, None)
                .unwrap_err();
            assert_eq!(common::code_of(&e), "InvalidKeyMaterial", "{what}");
            counts.push((
                what,
                kms.store().transactions.load(Ordering::SeqCst) - before,
            ));
        }
        assert!(
            counts.iter().all(|(_, n)| *n == counts[0].1),
            "{algorithm:?}: {counts:?}"
        );
    }
}

/// With the pool empty, a burst of GetParametersForImport generates at most one RSA key per core
/// at a time (each waits for its turn), and every request is still served.
#[test]
fn key_generation_on_the_request_path_runs_one_per_core() {
    let f = Fixture::new();
    let key = f.external_key();
    let threads: Vec<_> = (0..12)
        .map(|_| {
            let (kms, account, key) = (f.kms.clone(), f.account.clone(), key.clone());
            std::thread::spawn(move || {
                kms.get_parameters_for_import(
                    &account,
                    &key,
                    WrappingAlgorithm::RsaesOaepSha256,
                    WrappingKeySpec::Rsa2048,
                )
                .unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let peak = f.kms.key_generation_peak();
    assert!(
        (1..=cores).contains(&peak),
        "{peak} at once on {cores} cores"
    );
}

/// DeleteKeyMaterial no longer checkpoints (or vacuums) on the request path: the sweep does.
#[test]
fn purging_erased_material_is_the_sweeps_work() {
    if common::on_postgres() {
        return; // the WAL file below is SQLite's
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kms.sqlite3");
    let clock = Arc::new(byok_kms::clock::ManualClock::new(T0));
    let kms = byok_kms::kms::Kms::new(
        byok_kms::store::AnyStore::open(&format!("sqlite:{}", path.display())).unwrap(),
        &byok_kms::crypto::RootKey::from_bytes(&[4; 32]).unwrap(),
        clock.clone(),
        "cn-hangzhou",
    )
    .unwrap();
    let f = Fixture::wrapping(kms, clock);
    let key = f.external_key();
    f.import(&key, &material()).unwrap();
    let wal = dir.path().join("kms.sqlite3-wal");
    f.kms.delete_key_material(&f.account, &key).unwrap();
    let after_request = std::fs::metadata(&wal).unwrap().len();
    assert!(after_request > 0, "the request checkpointed the WAL itself");
    f.kms.sweep().unwrap();
    assert_eq!(
        std::fs::metadata(&wal).unwrap().len(),
        0,
        "the sweep did not purge"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_signatures_and_other_hosts_can_be_refused() {
    let s = common::blocking(|| {
        server_with(Settings {
            legacy_signatures: false,
            expected_hosts: vec!["kms.example:443".into()],
            ..Settings::default()
        })
    });
    let now = s.now();
    let here = Signer {
        host: "kms.example:443".into(),
        ..Signer::test()
    };
    let (status, body) = here
        .acs3("ListKeys", &[], now, &nonce())
        .send(&s.router)
        .await;
    assert_eq!(status, 200, "{body}");
    let elsewhere = Signer {
        host: "other.example:443".into(),
        ..Signer::test()
    };
    let body = s
        .refused(
            elsewhere.acs3("ListKeys", &[], now, &nonce()),
            400,
            "IncompleteSignature",
        )
        .await;
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("--expected-host"),
        "{body}"
    );
    let body = s
        .refused(
            here.rpc_v1("ListKeys", &[], now, &nonce(), false),
            400,
            "IncompleteSignature",
        )
        .await;
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("--disable-legacy-signatures"),
        "{body}"
    );
}
