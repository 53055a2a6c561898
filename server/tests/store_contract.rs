//! What the store alone guarantees, checked once per backend (as rustls runs every test once per
//! crypto provider): SQLite always, PostgreSQL when `BYOK_TEST_POSTGRES_URL` is set (under
//! `scripts/with-postgres.sh`, as make test runs it). Rollback on error, pool pairs claimed once,
//! nonces' first use, replay and expiry, stable dumps, the unique alias conflict, corrupt rows,
//! and migrations that run once and agree on one schema.

mod common;

use byok_kms::kms::account::{AccessKey, AccessKeyKind};
use byok_kms::kms::alias::Alias;
use byok_kms::kms::import::PoolKey;
use byok_kms::kms::key::{Key, KeyUsage, Origin, ProtectionLevel};
use byok_kms::kms::material::{Material, MaterialState, Materials};
use byok_kms::kms::state::KeyState;
use byok_kms::store::{self, AnyStore, Store};
use byok_wrap::KeySpec;
use common::pg;

/// A database of one backend that can be opened again, and written behind the store's back.
enum Place {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Place {
    /// A new, empty database of each backend under test.
    fn every() -> Vec<Place> {
        let mut places = vec![Place::Sqlite(tempfile::tempdir().unwrap())];
        if std::env::var("BYOK_TEST_POSTGRES_URL").is_ok() {
            places.push(Place::Postgres(pg::fresh_database()));
        } else {
            eprintln!("store contract: PostgreSQL not tested (run under scripts/with-postgres.sh)");
        }
        places
    }

    fn name(&self) -> &'static str {
        match self {
            Place::Sqlite(_) => "sqlite",
            Place::Postgres(_) => "postgres",
        }
    }

    fn url(&self) -> String {
        match self {
            Place::Sqlite(dir) => format!("sqlite:{}", dir.path().join("kms.sqlite3").display()),
            Place::Postgres(url) => url.clone(),
        }
    }

    fn open(&self) -> store::Result<AnyStore> {
        AnyStore::open(&self.url())
    }

    /// Runs `sql` on a connection of its own, outside the store.
    fn raw(&self, sql: &str) {
        match self {
            Place::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join("kms.sqlite3")).unwrap();
                conn.busy_timeout(std::time::Duration::from_secs(5))
                    .unwrap();
                conn.execute_batch(sql).unwrap();
            }
            Place::Postgres(url) => {
                let (url, sql) = (url.clone(), sql.to_owned());
                // The sync client runs a runtime of its own: keep it on a thread of its own.
                std::thread::spawn(move || {
                    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                    client.batch_execute(&sql).unwrap();
                })
                .join()
                .unwrap();
            }
        }
    }
}

/// Runs `check` on a fresh database of every backend.
fn on_every_backend(check: impl Fn(&Place)) {
    for place in Place::every() {
        eprintln!("-- {}", place.name());
        check(&place);
    }
}

/// The caller's own error type, as the core has one.
#[derive(Debug)]
enum CallerError {
    Refused,
    Store(store::Error),
}

impl From<store::Error> for CallerError {
    fn from(e: store::Error) -> Self {
        Self::Store(e)
    }
}

const ACCOUNT: &str = "1000000000000001";

fn key(id: &str) -> Key {
    Key {
        id: id.to_owned(),
        account_id: ACCOUNT.to_owned(),
        description: "contract".to_owned(),
        key_spec: KeySpec::AliyunAes256.into(),
        usage: KeyUsage::EncryptDecrypt,
        origin: Origin::External,
        protection_level: ProtectionLevel::Software,
        state: KeyState::PendingImport,
        created_at: 1,
        delete_date: None,
        version_id: format!("{id}-v"),
        sealed_material: None,
        fingerprint: None,
        material_expire_at: None,
        // Tags round-trip through their JSON column, escapes and all.
        tags: vec![
            byok_kms::kms::Tag {
                key: "env".into(),
                value: "prod \"eu\" \\ 项目".into(),
            },
            byok_kms::kms::Tag {
                key: "team".into(),
                value: String::new(),
            },
        ],
        // So do a rotated key's other materials (a JSON column, bytes in base64).
        materials: Materials {
            current_description: "second: rotated in".into(),
            current_rotated_at: Some(5),
            others: vec![Material {
                version_id: format!("{id}-v0"),
                sealed: Some(vec![1, 2, 3]),
                fingerprint: vec![4; 32],
                expire_at: None,
                state: MaterialState::NonCurrent,
                description: "first".into(),
                rotated_at: None,
            }],
        },
        mac: Some(vec![7; 32]),
    }
}

/// An account with one key `k1`.
fn with_a_key(store: &AnyStore) {
    store
        .transaction(|tx| {
            tx.insert_account(ACCOUNT, 0)?;
            tx.insert_key(&key("k1"))
        })
        .unwrap();
}

fn alias(name: &str, key_id: &str) -> Alias {
    Alias {
        account_id: ACCOUNT.to_owned(),
        name: name.to_owned(),
        key_id: key_id.to_owned(),
        mac: Some(vec![8; 32]),
    }
}

#[test]
fn a_transaction_that_fails_changes_nothing_and_returns_the_callers_error() {
    on_every_backend(|place| {
        let store = place.open().unwrap();
        with_a_key(&store);
        let before = store.dump().unwrap();
        let outcome: Result<(), CallerError> = store.transaction(|tx| {
            tx.set_meta("x", "1")?;
            tx.insert_key(&key("k2"))?;
            tx.insert_alias(&alias("alias/a", "k2"))?;
            tx.put_access_key(&AccessKey {
                id: "ak".to_owned(),
                account_id: ACCOUNT.to_owned(),
                sealed_secret: vec![1, 2, 3],
                mac: None,
                kind: AccessKeyKind::Aws,
            })?;
            Err(CallerError::Refused)
        });
        assert!(matches!(outcome, Err(CallerError::Refused)), "{outcome:?}");
        assert_eq!(store.dump().unwrap(), before);
        // A store failure inside reaches the caller as its own type, and rolls back too.
        let outcome: Result<(), CallerError> = store.transaction(|tx| {
            tx.set_meta("y", "1")?;
            tx.insert_key(&key("k1"))?; // its id is taken: a Conflict
            Ok(())
        });
        assert!(
            matches!(
                outcome,
                Err(CallerError::Store(store::Error::Conflict {
                    table: "keys",
                    ..
                }))
            ),
            "{outcome:?}"
        );
        assert_eq!(store.dump().unwrap(), before);
    });
}

#[test]
fn pool_pairs_are_claimed_once_oldest_first() {
    on_every_backend(|place| {
        let store = place.open().unwrap();
        store
            .transaction(|tx| {
                for i in 0..40 {
                    tx.insert_pool_key(&PoolKey {
                        id: format!("p{i:02}"),
                        public_der: vec![i],
                        sealed_private: vec![i, i],
                    })?;
                }
                Ok::<_, store::Error>(())
            })
            .unwrap();
        let first = store.transaction(|tx| tx.claim_pool_keys(3)).unwrap();
        let ids: Vec<&str> = first.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, ["p00", "p01", "p02"]);
        assert_eq!(first[1].sealed_private, [1, 1]);
        // A claim rolled back leaves its pairs in the pool.
        let undone: Result<(), CallerError> = store.transaction(|tx| {
            tx.claim_pool_keys(5)?;
            Err(CallerError::Refused)
        });
        assert!(undone.is_err());
        assert_eq!(store.transaction(|tx| tx.pool_size()).unwrap(), 37);
        // Two stores on one database, four threads each: every pair goes to one claimant.
        let (a, b) = (place.open().unwrap(), place.open().unwrap());
        let claimed: Vec<String> = std::thread::scope(|scope| {
            let workers: Vec<_> = [&a, &b, &a, &b, &a, &b, &a, &b]
                .into_iter()
                .map(|s| {
                    scope.spawn(move || {
                        let mut mine = Vec::new();
                        loop {
                            let batch = s.transaction(|tx| tx.claim_pool_keys(2)).unwrap();
                            if batch.is_empty() {
                                return mine;
                            }
                            mine.extend(batch.into_iter().map(|k| k.id));
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        let mut unique = claimed.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((claimed.len(), unique.len()), (37, 37));
        assert_eq!(store.transaction(|tx| tx.pool_size()).unwrap(), 0);
    });
}

#[test]
fn a_nonce_is_used_once_until_it_expires_and_survives_a_reopen() {
    on_every_backend(|place| {
        let store = place.open().unwrap();
        assert!(store.use_nonce("ak", "n1", 100, 200).unwrap());
        assert!(!store.use_nonce("ak", "n1", 150, 250).unwrap(), "a replay");
        assert!(
            !store.use_nonce("ak", "n1", 200, 300).unwrap(),
            "a replay at its last instant"
        );
        assert!(
            store.use_nonce("other", "n1", 150, 250).unwrap(),
            "another access key's"
        );
        assert!(
            store.use_nonce("ak", "n1\0x", 150, 250).unwrap(),
            "any bytes"
        );
        assert!(
            store.use_nonce("ak", &"n".repeat(5000), 150, 250).unwrap(),
            "any length"
        );
        assert!(
            store.use_nonce("ak", "n1", 201, 400).unwrap(),
            "expired: a first use again"
        );
        store.maintain(150).unwrap();
        drop(store);
        let store = place.open().unwrap();
        assert!(
            !store.use_nonce("ak", "n1", 300, 500).unwrap(),
            "forgotten at a reopen"
        );
        assert!(!store.use_nonce("other", "n1", 160, 260).unwrap());
        // Expired ones are forgotten by maintenance.
        store.maintain(1000).unwrap();
        assert!(store.use_nonce("other", "n1", 1000, 1100).unwrap());
    });
}

#[test]
fn dumps_are_equal_exactly_when_the_state_is() {
    on_every_backend(|place| {
        let store = place.open().unwrap();
        with_a_key(&store);
        let first = store.dump().unwrap();
        assert_eq!(store.dump().unwrap(), first);
        // Nonces are not state.
        store.use_nonce("ak", "n", 0, 10).unwrap();
        store.maintain(0).unwrap();
        assert_eq!(store.dump().unwrap(), first);
        for table in [
            "meta",
            "accounts",
            "access_keys",
            "keys",
            "aliases",
            "wrapping_keys",
        ] {
            assert!(first.contains(&format!("[{table}]\n")), "{table}: {first}");
        }
        assert!(first.contains("k1 | 1000000000000001 | contract | Aliyun_AES_256 | EXTERNAL"));
        store
            .transaction(|tx| tx.insert_alias(&alias("alias/x", "k1")))
            .unwrap();
        let second = store.dump().unwrap();
        assert_ne!(second, first);
        store
            .transaction(|tx| tx.delete_alias(ACCOUNT, "alias/x"))
            .unwrap();
        // The same rows again, but the alias table's sequence moved on: equal exactly when the
        // state is, and the next alias shows it.
        assert_eq!(store.dump().unwrap(), first);
        drop(store);
        assert_eq!(
            place.open().unwrap().dump().unwrap(),
            first,
            "after a reopen"
        );
    });
}

#[test]
fn a_second_alias_of_the_same_name_is_a_conflict() {
    on_every_backend(|place| {
        let store = place.open().unwrap();
        with_a_key(&store);
        store
            .transaction(|tx| tx.insert_alias(&alias("alias/app", "k1")))
            .unwrap();
        let before = store.dump().unwrap();
        let again = store.transaction(|tx| {
            tx.set_meta("z", "1")?;
            tx.insert_alias(&alias("alias/app", "k1"))
        });
        match again {
            Err(store::Error::Conflict { table, key, .. }) => {
                assert_eq!((table, key.as_str()), ("aliases", "alias/app"));
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(store.dump().unwrap(), before);
        // The same name in another account is another alias.
        store
            .transaction(|tx| {
                tx.insert_account("1000000000000002", 0)?;
                tx.insert_alias(&Alias {
                    account_id: "1000000000000002".to_owned(),
                    ..alias("alias/app", "k1")
                })
            })
            .unwrap();
    });
}

#[test]
fn an_unreadable_stored_value_is_corrupt_not_a_client_error() {
    on_every_backend(|place| {
        let store = place.open().unwrap();
        with_a_key(&store);
        let cases = [
            ("UPDATE keys SET origin = 'Bogus'", "origin"),
            (
                "UPDATE keys SET origin = 'EXTERNAL', state = 'enabled'",
                "state",
            ),
            (
                "UPDATE keys SET state = 'Enabled', key_spec = 'Aliyun_AES_512'",
                "key_spec",
            ),
            (
                "UPDATE keys SET key_spec = 'Aliyun_AES_256', protection_level = ''",
                "protection_level",
            ),
        ];
        for (sql, bad) in cases {
            place.raw(sql);
            match store.transaction(|tx| tx.key(ACCOUNT, "k1")) {
                Err(store::Error::Corrupt { table, column, .. }) => {
                    assert_eq!((table, column), ("keys", bad), "{sql}");
                }
                other => panic!("{sql}: expected Corrupt, got {other:?}"),
            }
        }
        place.raw("UPDATE keys SET protection_level = 'SOFTWARE'");
        assert!(
            store
                .transaction(|tx| tx.key(ACCOUNT, "k1"))
                .unwrap()
                .is_some()
        );
        // An update of a row that is not there says so.
        let missing = store.transaction(|tx| tx.update_key(&key("k9")));
        assert!(
            matches!(missing, Err(store::Error::Missing { table: "keys", .. })),
            "{missing:?}"
        );
    });
}

#[test]
fn migrations_run_once_and_a_newer_schema_is_refused() {
    on_every_backend(|place| {
        let store = place.open().unwrap();
        with_a_key(&store);
        let dump = store.dump().unwrap();
        drop(store);
        for _ in 0..2 {
            assert_eq!(place.open().unwrap().dump().unwrap(), dump);
        }
        let version: u64 = dump
            .lines()
            .find_map(|l| l.strip_prefix("schema_version | "))
            .unwrap()
            .parse()
            .unwrap();
        place.raw(&format!(
            "UPDATE meta SET value = '{}' WHERE name = 'schema_version'",
            version + 1
        ));
        match place.open() {
            Err(store::Error::SchemaTooNew { found, known }) => {
                assert_eq!((found, known), (version + 1, version));
            }
            Err(other) => panic!("expected SchemaTooNew, got {other:?}"),
            Ok(_) => panic!("a newer schema was opened"),
        }
    });
}

/// A table as both dialects can describe it: columns in order with whether they take NULL, the
/// primary key, the other unique column sets, the named indexes (columns, and whether partial)
/// and the foreign keys. Types are left out: they are per dialect by design.
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    columns: Vec<(String, bool)>,
    primary_key: Vec<String>,
    unique: std::collections::BTreeSet<Vec<String>>,
    indexes: std::collections::BTreeMap<String, (Vec<String>, bool)>,
    foreign_keys: std::collections::BTreeSet<(String, String, String)>,
}

type Schema = std::collections::BTreeMap<String, Shape>;

fn sqlite_schema(place: &Place) -> Schema {
    let Place::Sqlite(dir) = place else {
        unreachable!()
    };
    let conn = rusqlite::Connection::open(dir.path().join("kms.sqlite3")).unwrap();
    let strings = |sql: &str| -> Vec<Vec<rusqlite::types::Value>> {
        let mut statement = conn.prepare(sql).unwrap();
        let n = statement.column_count();
        statement
            .query_map([], |r| (0..n).map(|i| r.get(i)).collect())
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let text = |v: &rusqlite::types::Value| match v {
        rusqlite::types::Value::Text(s) => s.clone(),
        rusqlite::types::Value::Integer(n) => n.to_string(),
        other => format!("{other:?}"),
    };
    let mut schema = Schema::new();
    let tables =
        strings("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    for table in tables.iter().map(|r| text(&r[0])) {
        let mut shape = Shape::default();
        let mut pk = Vec::new();
        for c in strings(&format!("PRAGMA table_info({table})")) {
            let (name, not_null, pk_position) = (text(&c[1]), text(&c[3]) == "1", text(&c[5]));
            // A primary key column never holds NULL (SQLite only says so for some).
            shape
                .columns
                .push((name.clone(), not_null || pk_position != "0"));
            if pk_position != "0" {
                pk.push((pk_position, name));
            }
        }
        pk.sort();
        shape.primary_key = pk.into_iter().map(|(_, n)| n).collect();
        for index in strings(&format!("PRAGMA index_list({table})")) {
            let (name, unique, origin, partial) = (
                text(&index[1]),
                text(&index[2]) == "1",
                text(&index[3]),
                text(&index[4]) == "1",
            );
            let columns: Vec<String> = strings(&format!("PRAGMA index_info({name})"))
                .iter()
                .map(|c| text(&c[2]))
                .collect();
            match origin.as_str() {
                "pk" => {}
                "u" => {
                    shape.unique.insert(columns);
                }
                _ => {
                    assert!(!unique, "{name}: a unique index outside a constraint");
                    shape.indexes.insert(name, (columns, partial));
                }
            }
        }
        for fk in strings(&format!("PRAGMA foreign_key_list({table})")) {
            shape
                .foreign_keys
                .insert((text(&fk[3]), text(&fk[2]), text(&fk[4])));
        }
        schema.insert(table, shape);
    }
    schema
}

fn postgres_schema(place: &Place) -> Schema {
    let Place::Postgres(url) = place else {
        unreachable!()
    };
    let url = url.clone();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let mut schema = Schema::new();
        for row in client
            .query(
                "SELECT table_name::text, column_name::text, is_nullable = 'NO'
                 FROM information_schema.columns WHERE table_schema = 'public'
                 ORDER BY table_name, ordinal_position",
                &[],
            )
            .unwrap()
        {
            let shape: &mut Shape = schema.entry(row.get(0)).or_default();
            shape.columns.push((row.get(1), row.get(2)));
        }
        let indexes = client
            .query(
                "SELECT t.relname::text, i.relname::text, ix.indisprimary, ix.indisunique,
                        ix.indpred IS NOT NULL,
                        EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid),
                        ARRAY(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY k(n, o)
                              JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n
                              ORDER BY k.o)
                 FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid
                 JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace
                 WHERE s.nspname = 'public'",
                &[],
            )
            .unwrap();
        for row in indexes {
            let shape = schema.get_mut(&row.get::<_, String>(0)).unwrap();
            let (name, primary, unique, partial, constraint, columns): (String, bool, bool, bool, bool, Vec<String>) =
                (row.get(1), row.get(2), row.get(3), row.get(4), row.get(5), row.get(6));
            if primary {
                shape.primary_key = columns;
            } else if constraint {
                assert!(unique, "{name}");
                shape.unique.insert(columns);
            } else {
                assert!(!unique, "{name}: a unique index outside a constraint");
                shape.indexes.insert(name, (columns, partial));
            }
        }
        for row in client
            .query(
                "SELECT c.conrelid::regclass::text, a.attname::text, c.confrelid::regclass::text,
                        af.attname::text
                 FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                 JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
                 WHERE c.contype = 'f'",
                &[],
            )
            .unwrap()
        {
            let shape = schema.get_mut(&row.get::<_, String>(0)).unwrap();
            shape.foreign_keys.insert((row.get(1), row.get(2), row.get(3)));
        }
        schema
    })
    .join()
    .unwrap()
}

#[test]
fn both_dialects_migrate_to_one_schema() {
    let places = Place::every();
    let schemas: Vec<Schema> = places
        .iter()
        .map(|place| {
            drop(place.open().unwrap());
            match place {
                Place::Sqlite(_) => sqlite_schema(place),
                Place::Postgres(_) => postgres_schema(place),
            }
        })
        .collect();
    // What every dialect must have, whatever the others do.
    let keys = &schemas[0]["keys"];
    assert_eq!(keys.primary_key, ["seq"]);
    assert!(keys.unique.contains(&vec!["id".to_owned()]));
    assert_eq!(keys.columns.len(), 20); // tags, key_usage, then materials and next_expiry
    assert_eq!(schemas[0]["access_keys"].columns.len(), 5); // mac, then kind
    assert_eq!(
        keys.indexes["keys_by_expiry"],
        (vec!["material_expire_at".to_owned()], true)
    );
    assert_eq!(
        keys.indexes["keys_by_next_expiry"],
        (vec!["next_expiry".to_owned()], true)
    );
    assert!(
        keys.foreign_keys
            .contains(&("account_id".into(), "accounts".into(), "id".into()))
    );
    assert_eq!(schemas[0]["nonces"].primary_key, ["digest"]);
    assert_eq!(schemas.len(), places.len());
    for schema in &schemas[1..] {
        assert_eq!(schema, &schemas[0]);
    }
}
