//! The `Kms` core with an injected clock: every cell of the state table, import tokens, the
//! same-material rule, expiry, deletion, accounts and addressing. Every refusal is checked to leave
//! the database exactly as it was. It runs on SQLite, and with `BYOK_TEST_STORE=postgres` (under
//! `scripts/with-postgres.sh`, as make test runs it) on PostgreSQL.

mod common;

use byok_kms::crypto::RootKey;
use byok_kms::kms::ciphertext::EncryptionContext;
use byok_kms::kms::key::Origin;
use byok_kms::kms::state::KeyState;
use byok_kms::kms::{CreateKey, Kms};
use byok_wrap::{KeyMaterial, KeySpec, WrappingAlgorithm};
use common::{Fixture, StorePlace, T0, WireCode, fresh_store, material, wrap};

const DAY: i64 = 86_400;

fn no_context() -> EncryptionContext {
    EncryptionContext::default()
}

/// A key brought into `state` the way a user would, with a ciphertext made while it was Enabled.
struct Prepared {
    key_id: String,
    material: KeyMaterial,
    blob: String,
    /// The material wrapped again, with its token, for a re-import.
    rewrapped: Vec<u8>,
    token: String,
}

fn prepare(f: &Fixture, state: KeyState) -> Prepared {
    let key_id = f.external_key();
    let material = material();
    f.import(&key_id, &material).unwrap();
    let blob = f
        .kms
        .encrypt(&f.account, &key_id, b"secret data", &no_context())
        .unwrap()
        .ciphertext_blob;
    let params = f.params(&key_id, WrappingAlgorithm::RsaesOaepSha256);
    let rewrapped = wrap(&params, &material, WrappingAlgorithm::RsaesOaepSha256);
    match state {
        KeyState::Enabled => {}
        KeyState::Disabled => f.kms.disable_key(&f.account, &key_id).unwrap(),
        KeyState::PendingDeletion => f.kms.schedule_key_deletion(&f.account, &key_id, 7).unwrap(),
        KeyState::PendingImport => f.kms.delete_key_material(&f.account, &key_id).unwrap(),
    }
    assert_eq!(state_of(f, &key_id), state);
    Prepared {
        key_id,
        material,
        blob,
        rewrapped,
        token: params.import_token,
    }
}

fn state_of(f: &Fixture, key_id: &str) -> KeyState {
    f.kms.describe_key(&f.account, key_id).unwrap().state
}

type Call = fn(&Fixture, &Prepared) -> byok_kms::kms::Result<()>;

/// Each action of the state table, performed on a prepared key.
fn actions() -> Vec<(&'static str, Call)> {
    vec![
        ("Encrypt", |f, p| {
            f.kms
                .encrypt(&f.account, &p.key_id, b"x", &no_context())
                .map(drop)
        }),
        ("Decrypt", |f, p| {
            f.kms.decrypt(&f.account, &p.blob, &no_context()).map(drop)
        }),
        ("GenerateDataKey", |f, p| {
            f.kms
                .generate_data_key(
                    &f.account,
                    &p.key_id,
                    byok_kms::kms::DataKeySize {
                        number_of_bytes: Some(32),
                        ..Default::default()
                    },
                    &no_context(),
                )
                .map(drop)
        }),
        ("EnableKey", |f, p| f.kms.enable_key(&f.account, &p.key_id)),
        ("DisableKey", |f, p| {
            f.kms.disable_key(&f.account, &p.key_id)
        }),
        ("ScheduleKeyDeletion", |f, p| {
            f.kms.schedule_key_deletion(&f.account, &p.key_id, 30)
        }),
        ("CancelKeyDeletion", |f, p| {
            f.kms.cancel_key_deletion(&f.account, &p.key_id)
        }),
        ("CreateAlias", |f, p| {
            f.kms.create_alias(&f.account, "alias/table", &p.key_id)
        }),
        ("GetParametersForImport", |f, p| {
            f.kms
                .get_parameters_for_import(
                    &f.account,
                    &p.key_id,
                    WrappingAlgorithm::RsaesOaepSha256,
                    byok_wrap::WrappingKeySpec::Rsa2048,
                )
                .map(drop)
        }),
        ("ImportKeyMaterial", |f, p| {
            f.kms
                .import_key_material(&f.account, &p.key_id, &p.rewrapped, &p.token, None)
        }),
        ("DeleteKeyMaterial", |f, p| {
            f.kms.delete_key_material(&f.account, &p.key_id)
        }),
    ]
}

/// The reference's table: for each action, the result in Enabled, Disabled, PendingDeletion,
/// PendingImport — `Ok(state after)` or `Err(code)`.
#[rustfmt::skip]
fn expected(action: &str) -> [Result<KeyState, &'static str>; 4] {
    use KeyState::*;
    const R: &str = "Rejected.StateModifiedFailed";
    match action {
        "Encrypt" | "Decrypt" | "GenerateDataKey" => [Ok(Enabled), Err("Rejected.Disabled"), Err("Rejected.PendingDeletion"), Err("Rejected.PendingImport")],
        "EnableKey" => [Ok(Enabled), Ok(Enabled), Err(R), Err(R)],
        "DisableKey" => [Ok(Disabled), Ok(Disabled), Err(R), Err(R)],
        "ScheduleKeyDeletion" => [Ok(PendingDeletion), Ok(PendingDeletion), Err(R), Ok(PendingDeletion)],
        // Back to Enabled; PendingImport when the key has no material.
        "CancelKeyDeletion" => [Err(R), Err(R), Ok(Enabled), Err(R)],
        "CreateAlias" => [Ok(Enabled), Ok(Disabled), Err(R), Ok(PendingImport)],
        "GetParametersForImport" => [Ok(Enabled), Ok(Disabled), Ok(PendingDeletion), Ok(PendingImport)],
        // A re-import into a Disabled key keeps it Disabled; into PendingImport enables it.
        "ImportKeyMaterial" => [Ok(Enabled), Ok(Disabled), Err(R), Ok(Enabled)],
        // A PendingDeletion key keeps its state.
        "DeleteKeyMaterial" => [Ok(PendingImport), Ok(PendingImport), Ok(PendingDeletion), Ok(PendingImport)],
        _ => unreachable!("{action}"),
    }
}

#[test]
fn every_cell_of_the_state_table() {
    let f = Fixture::new();
    for (action, call) in actions() {
        for (state, expected) in KeyState::ALL.into_iter().zip(expected(action)) {
            let prepared = prepare(&f, state);
            match expected {
                Ok(after) => {
                    call(&f, &prepared).unwrap_or_else(|e| panic!("{action} in {state}: {e}"));
                    assert_eq!(state_of(&f, &prepared.key_id), after, "{action} in {state}");
                }
                Err(code) => {
                    let error = f.refused(code, || call(&f, &prepared));
                    assert!(
                        error.to_string().contains(state.as_str()),
                        "{action} in {state}: {error}"
                    );
                }
            }
            // Leave the alias name free for the next cell.
            let _ = f.kms.delete_alias(&f.account, "alias/table");
        }
    }
}

#[test]
fn cancel_key_deletion_without_material_returns_to_pending_import() {
    let f = Fixture::new();
    let key = f.external_key();
    f.kms.schedule_key_deletion(&f.account, &key, 7).unwrap();
    f.kms.cancel_key_deletion(&f.account, &key).unwrap();
    assert_eq!(state_of(&f, &key), KeyState::PendingImport);
    assert_eq!(
        f.kms.describe_key(&f.account, &key).unwrap().delete_date,
        None
    );
}

#[test]
fn delete_key_material_keeps_a_pending_deletion_key_and_its_date() {
    let f = Fixture::new();
    let p = prepare(&f, KeyState::PendingDeletion);
    let date = f
        .kms
        .describe_key(&f.account, &p.key_id)
        .unwrap()
        .delete_date;
    assert_eq!(date, Some(T0 + 7 * DAY));
    f.kms.delete_key_material(&f.account, &p.key_id).unwrap();
    let after = f.kms.describe_key(&f.account, &p.key_id).unwrap();
    assert_eq!(
        (after.state, after.delete_date),
        (KeyState::PendingDeletion, date)
    );
    // Cancelling now finds no material.
    f.kms.cancel_key_deletion(&f.account, &p.key_id).unwrap();
    assert_eq!(state_of(&f, &p.key_id), KeyState::PendingImport);
}

#[test]
fn a_token_is_valid_for_24_hours_and_reusable_within_them() {
    let f = Fixture::new();
    let key = f.external_key();
    let m = material();
    let params = f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
    assert_eq!(params.token_expires_at, T0 + DAY);
    let wrapped = wrap(&params, &m, WrappingAlgorithm::RsaesOaepSha256);
    // A later GetParametersForImport does not invalidate this token.
    f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
    f.kms
        .import_key_material(&f.account, &key, &wrapped, &params.import_token, None)
        .unwrap();
    f.clock.set(T0 + DAY - 1);
    // Reused: same material again, with a new expiry.
    f.kms
        .import_key_material(
            &f.account,
            &key,
            &wrapped,
            &params.import_token,
            Some(T0 + 2 * DAY),
        )
        .unwrap();
    f.clock.set(T0 + DAY);
    f.refused("ExpiredImportToken", || {
        f.kms
            .import_key_material(&f.account, &key, &wrapped, &params.import_token, None)
    });
}

#[test]
fn tokens_are_bound_to_their_key() {
    let f = Fixture::new();
    let (a, b) = (f.external_key(), f.external_key());
    let params = f.params(&a, WrappingAlgorithm::RsaesOaepSha256);
    let wrapped = wrap(&params, &material(), WrappingAlgorithm::RsaesOaepSha256);
    let error = f.refused("InvalidImportToken", || {
        f.kms
            .import_key_material(&f.account, &b, &wrapped, &params.import_token, None)
    });
    assert!(error.to_string().contains("another key"), "{error}");
    assert_eq!(state_of(&f, &b), KeyState::PendingImport);
}

#[test]
fn tampered_and_foreign_tokens_are_refused() {
    let f = Fixture::new();
    let key = f.external_key();
    let params = f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
    let wrapped = wrap(&params, &material(), WrappingAlgorithm::RsaesOaepSha256);
    let mut tampered = params.import_token.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let truncated = &params.import_token[..params.import_token.len() - 4];
    for token in [tampered.as_str(), truncated, "", "bm90IGEgdG9rZW4=", "%%%"] {
        f.refused("InvalidImportToken", || {
            f.kms
                .import_key_material(&f.account, &key, &wrapped, token, None)
        });
    }
    // A token sealed under another root key (another KMS) means nothing here.
    let other = Fixture::new_with_root([7; 32]);
    let other_key = other.external_key();
    let other_params = other.params(&other_key, WrappingAlgorithm::RsaesOaepSha256);
    f.refused("InvalidImportToken", || {
        f.kms
            .import_key_material(&f.account, &key, &wrapped, &other_params.import_token, None)
    });
}

#[test]
fn material_wrapped_for_another_public_key_is_refused() {
    let f = Fixture::new();
    let key = f.external_key();
    let first = f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
    let second = f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
    let wrapped_for_second = wrap(&second, &material(), WrappingAlgorithm::RsaesOaepSha256);
    f.refused("InvalidKeyMaterial", || {
        f.kms.import_key_material(
            &f.account,
            &key,
            &wrapped_for_second,
            &first.import_token,
            None,
        )
    });
}

#[test]
fn every_bad_material_gets_the_same_refusal() {
    let f = Fixture::new();
    let key = f.external_key();
    let m = material();
    let params = f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
    let short = KeyMaterial::generate(KeySpec::AliyunAes128).unwrap();
    let sha1 = f.params(&key, WrappingAlgorithm::RsaesOaepSha1);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "wrong length",
            wrap(&params, &short, WrappingAlgorithm::RsaesOaepSha256),
            &params.import_token,
        ),
        ("random bytes", vec![0x5A; 256], &params.import_token),
        ("too short", vec![1; 100], &params.import_token),
        ("empty", vec![], &params.import_token),
        // Wrapped with OAEP-SHA-256, but the token says SHA-1.
        (
            "other algorithm",
            wrap(&sha1, &m, WrappingAlgorithm::RsaesOaepSha256),
            &sha1.import_token,
        ),
    ];
    let mut messages = Vec::new();
    for (what, wrapped, token) in cases {
        let e = f.refused("InvalidKeyMaterial", || {
            f.kms
                .import_key_material(&f.account, &key, &wrapped, token, None)
        });
        messages.push((what, e.to_string()));
    }
    // Different material, once the first is bound.
    f.import(&key, &m).unwrap();
    let call = f.import_call(&key, &material());
    let e = f.refused("InvalidKeyMaterial", call);
    messages.push(("different material", e.to_string()));
    for (what, message) in &messages {
        assert_eq!(
            message, &messages[0].1,
            "{what}: no padding oracle, one message"
        );
    }
}

#[test]
fn pkcs1_and_sha1_wrapping_import_too() {
    let f = Fixture::new();
    for algorithm in [
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingAlgorithm::RsaesPkcs1V15,
    ] {
        let key = f.external_key();
        let params = f.params(&key, algorithm);
        let wrapped = wrap(&params, &material(), algorithm);
        f.kms
            .import_key_material(&f.account, &key, &wrapped, &params.import_token, None)
            .unwrap();
        assert_eq!(state_of(&f, &key), KeyState::Enabled);
    }
}

#[test]
fn re_import_after_delete_brings_old_ciphertexts_back_and_only_the_same_material() {
    let f = Fixture::new();
    let p = prepare(&f, KeyState::Enabled);
    f.kms.delete_key_material(&f.account, &p.key_id).unwrap();
    assert_eq!(state_of(&f, &p.key_id), KeyState::PendingImport);
    f.refused("Rejected.PendingImport", || {
        f.kms.decrypt(&f.account, &p.blob, &no_context()).map(drop)
    });
    let call = f.import_call(&p.key_id, &material());
    f.refused("InvalidKeyMaterial", call);
    f.import(&p.key_id, &p.material).unwrap();
    assert_eq!(state_of(&f, &p.key_id), KeyState::Enabled);
    let plain = f.kms.decrypt(&f.account, &p.blob, &no_context()).unwrap();
    assert_eq!(&plain.plaintext[..], b"secret data");
}

#[test]
fn material_expires_at_the_instant_and_is_erased_from_storage() {
    let f = Fixture::new();
    let key = f.external_key();
    let m = material();
    let params = f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
    let wrapped = wrap(&params, &m, WrappingAlgorithm::RsaesOaepSha256);
    f.refused("InvalidParameter", || {
        f.kms
            .import_key_material(&f.account, &key, &wrapped, &params.import_token, Some(T0))
    });
    f.kms
        .import_key_material(
            &f.account,
            &key,
            &wrapped,
            &params.import_token,
            Some(T0 + 100),
        )
        .unwrap();
    assert_eq!(
        f.kms
            .describe_key(&f.account, &key)
            .unwrap()
            .material_expire_at,
        Some(T0 + 100)
    );
    f.clock.set(T0 + 99);
    f.kms
        .encrypt(&f.account, &key, b"x", &no_context())
        .unwrap();
    f.clock.set(T0 + 100);
    // Used after expiry but before any sweep: already gone.
    f.refused("Rejected.PendingImport", || {
        f.kms
            .encrypt(&f.account, &key, b"x", &no_context())
            .map(drop)
    });
    let sealed_before_sweep = f.dump();
    let report = f.kms.sweep().unwrap();
    assert_eq!(report.materials_erased, 1);
    let after = f.dump();
    assert_ne!(sealed_before_sweep, after);
    let metadata = f.kms.describe_key(&f.account, &key).unwrap();
    assert_eq!(
        (metadata.state, metadata.material_expire_at),
        (KeyState::PendingImport, None)
    );
    let row = after.lines().find(|l| l.contains(&key)).unwrap();
    assert_eq!(
        row.split(" | ").nth(11),
        Some("NULL"),
        "sealed_material column: {row}"
    );
    // The same material comes back with a new token; other material does not.
    let call = f.import_call(&key, &material());
    f.refused("InvalidKeyMaterial", call);
    f.import(&key, &m).unwrap();
    assert_eq!(state_of(&f, &key), KeyState::Enabled);
}

#[test]
fn scheduled_deletion_deletes_the_key_at_the_end_of_the_window() {
    let f = Fixture::new();
    let p = prepare(&f, KeyState::Enabled);
    f.kms
        .create_alias(&f.account, "alias/doomed", &p.key_id)
        .unwrap();
    f.refused("InvalidParameter", || {
        f.kms.schedule_key_deletion(&f.account, &p.key_id, 6)
    });
    f.refused("InvalidParameter", || {
        f.kms.schedule_key_deletion(&f.account, &p.key_id, 367)
    });
    f.kms
        .schedule_key_deletion(&f.account, &p.key_id, 7)
        .unwrap();
    f.clock.set(T0 + 7 * DAY - 1);
    assert_eq!(f.kms.sweep().unwrap().keys_deleted, 0);
    f.clock.set(T0 + 7 * DAY);
    assert_eq!(f.kms.sweep().unwrap().keys_deleted, 1);
    f.refused("Forbidden.KeyNotFound", || {
        f.kms.describe_key(&f.account, &p.key_id)
    });
    f.refused("Forbidden.AliasNotFound", || {
        f.kms.describe_key(&f.account, "alias/doomed")
    });
}

#[test]
fn kms_origin_keys_have_generated_material_and_refuse_import_calls() {
    let f = Fixture::new();
    let key = f.create(Origin::Kms, KeySpec::AliyunAes128);
    assert_eq!(key.state, KeyState::Enabled);
    let blob = f
        .kms
        .encrypt(&f.account, &key.key_id, b"hi", &no_context())
        .unwrap();
    let plain = f
        .kms
        .decrypt(&f.account, &blob.ciphertext_blob, &no_context())
        .unwrap();
    assert_eq!(&plain.plaintext[..], b"hi");
    f.refused("Unsupported.Origin", || {
        f.kms
            .get_parameters_for_import(
                &f.account,
                &key.key_id,
                WrappingAlgorithm::RsaesOaepSha256,
                byok_wrap::WrappingKeySpec::Rsa2048,
            )
            .map(drop)
    });
    f.refused("Unsupported.Origin", || {
        f.kms.delete_key_material(&f.account, &key.key_id)
    });
    let external = f.external_key();
    let params = f.params(&external, WrappingAlgorithm::RsaesOaepSha256);
    let wrapped = wrap(&params, &material(), WrappingAlgorithm::RsaesOaepSha256);
    f.refused("Unsupported.Origin", || {
        f.kms.import_key_material(
            &f.account,
            &key.key_id,
            &wrapped,
            &params.import_token,
            None,
        )
    });
}

#[test]
fn every_aes_key_spec_imports_its_own_length() {
    let f = Fixture::new();
    for spec in [
        KeySpec::AliyunAes128,
        KeySpec::AliyunAes192,
        KeySpec::AliyunAes256,
    ] {
        let key = f.create(Origin::External, spec).key_id;
        let wrong = KeyMaterial::generate(if spec == KeySpec::AliyunAes256 {
            KeySpec::AliyunAes192
        } else {
            KeySpec::AliyunAes256
        })
        .unwrap();
        let call = f.import_call(&key, &wrong);
        f.refused("InvalidKeyMaterial", call);
        let m = KeyMaterial::generate(spec).unwrap();
        f.import(&key, &m).unwrap();
        let blob = f
            .kms
            .encrypt(&f.account, &key, b"data", &no_context())
            .unwrap();
        assert_eq!(
            &f.kms
                .decrypt(&f.account, &blob.ciphertext_blob, &no_context())
                .unwrap()
                .plaintext[..],
            b"data"
        );
    }
}

#[test]
fn sm4_keys_are_refused_at_create_key_with_a_clear_message() {
    let f = Fixture::new();
    let error = f.refused("InvalidParameter", || {
        f.kms.create_key(
            &f.account,
            &CreateKey {
                key_spec: KeySpec::AliyunSm4.into(),
                origin: Origin::External,
                ..CreateKey::default()
            },
        )
    });
    assert!(
        error
            .to_string()
            .contains("Aliyun_SM4 keys are not supported"),
        "{error}"
    );
}

/// Nothing but software protects a key here, so a key must not claim more.
#[test]
fn hsm_protection_is_refused_without_an_hsm() {
    let f = Fixture::new();
    for origin in [Origin::External, Origin::Kms] {
        let error = f.refused("Unsupported.ProtectionLevel", || {
            f.kms.create_key(
                &f.account,
                &CreateKey {
                    origin,
                    protection_level: byok_kms::kms::key::ProtectionLevel::Hsm,
                    ..CreateKey::default()
                },
            )
        });
        assert!(error.to_string().contains("SOFTWARE"), "{error}");
    }
}

#[test]
fn another_accounts_keys_do_not_exist() {
    let f = Fixture::new();
    let p = prepare(&f, KeyState::Enabled);
    f.kms
        .create_alias(&f.account, "alias/mine", &p.key_id)
        .unwrap();
    let other = f.kms.create_account().unwrap().account_id;
    let arn = f.kms.describe_key(&f.account, &p.key_id).unwrap().arn;
    for key_ref in [p.key_id.as_str(), arn.as_str()] {
        f.refused("Forbidden.KeyNotFound", || {
            f.kms.describe_key(&other, key_ref)
        });
        f.refused("Forbidden.KeyNotFound", || {
            f.kms
                .encrypt(&other, key_ref, b"x", &no_context())
                .map(drop)
        });
        f.refused("Forbidden.KeyNotFound", || {
            f.kms.delete_key_material(&other, key_ref)
        });
        f.refused("Forbidden.KeyNotFound", || {
            f.kms.disable_key(&other, key_ref)
        });
    }
    f.refused("Forbidden.AliasNotFound", || {
        f.kms.describe_key(&other, "alias/mine")
    });
    f.refused("InvalidCiphertext", || {
        f.kms.decrypt(&other, &p.blob, &no_context()).map(drop)
    });
    // Its own alias namespace: the same name is free there.
    let theirs = f
        .kms
        .create_key(&other, &CreateKey::default())
        .unwrap()
        .key_id;
    f.kms.create_alias(&other, "alias/mine", &theirs).unwrap();
    assert_eq!(
        f.kms
            .list_keys(
                &other,
                byok_kms::kms::Paging {
                    number: 1,
                    size: 10
                }
            )
            .unwrap()
            .total,
        1
    );
}

#[test]
fn keys_are_addressable_by_id_alias_and_arn() {
    let f = Fixture::new();
    let p = prepare(&f, KeyState::Enabled);
    f.kms
        .create_alias(&f.account, "alias/app/prod", &p.key_id)
        .unwrap();
    let arn = f.kms.describe_key(&f.account, &p.key_id).unwrap().arn;
    assert_eq!(
        arn,
        format!("acs:kms:cn-hangzhou:{}:key/{}", f.account, p.key_id)
    );
    let alias_arn = format!("acs:kms:cn-hangzhou:{}:alias/app/prod", f.account);
    for key_ref in [
        p.key_id.as_str(),
        "alias/app/prod",
        arn.as_str(),
        alias_arn.as_str(),
    ] {
        assert_eq!(
            f.kms.describe_key(&f.account, key_ref).unwrap().key_id,
            p.key_id,
            "{key_ref}"
        );
    }
    let other_region = arn.replace("cn-hangzhou", "cn-shanghai");
    f.refused("Forbidden.KeyNotFound", || {
        f.kms.describe_key(&f.account, &other_region)
    });
    f.refused("Forbidden.KeyNotFound", || {
        f.kms.describe_key(&f.account, "acs:kms:cn-hangzhou")
    });
    f.refused("Forbidden.KeyNotFound", || {
        f.kms.describe_key(&f.account, "")
    });
}

#[test]
fn aliases_are_created_updated_listed_and_deleted() {
    let f = Fixture::new();
    let (a, b) = (f.external_key(), f.external_key());
    f.kms.create_alias(&f.account, "alias/app", &a).unwrap();
    f.refused("AliasAlreadyExists", || {
        f.kms.create_alias(&f.account, "alias/app", &b)
    });
    f.refused("InvalidParameter", || {
        f.kms.create_alias(&f.account, "alias/acs/x", &b)
    });
    f.refused("InvalidParameter", || {
        f.kms.create_alias(&f.account, "app", &b)
    });
    f.refused("Forbidden.KeyNotFound", || {
        f.kms.create_alias(&f.account, "alias/x", "nope")
    });
    f.refused("Forbidden.AliasNotFound", || {
        f.kms.update_alias(&f.account, "alias/none", &b)
    });
    f.kms.update_alias(&f.account, "alias/app", &b).unwrap();
    assert_eq!(
        f.kms.describe_key(&f.account, "alias/app").unwrap().key_id,
        b
    );
    let page = f
        .kms
        .list_aliases(
            &f.account,
            None,
            byok_kms::kms::Paging {
                number: 1,
                size: 10,
            },
        )
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(
        page.items[0].arn,
        format!("acs:kms:cn-hangzhou:{}:alias/app", f.account)
    );
    f.kms.delete_alias(&f.account, "alias/app").unwrap();
    f.refused("Forbidden.AliasNotFound", || {
        f.kms.delete_alias(&f.account, "alias/app")
    });
}

#[test]
fn list_keys_pages_oldest_first() {
    let f = Fixture::new();
    let ids: Vec<String> = (0..7).map(|_| f.external_key()).collect();
    let first = f
        .kms
        .list_keys(&f.account, byok_kms::kms::Paging { number: 1, size: 3 })
        .unwrap();
    let third = f
        .kms
        .list_keys(&f.account, byok_kms::kms::Paging { number: 3, size: 3 })
        .unwrap();
    assert_eq!((first.total, first.page_number, first.page_size), (7, 1, 3));
    let first_ids: Vec<&str> = first.items.iter().map(|k| k.key_id.as_str()).collect();
    assert_eq!(
        first_ids,
        ids[..3].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(third.items.len(), 1);
    assert_eq!(third.items[0].key_id, ids[6]);
    assert!(
        f.kms
            .list_keys(&f.account, byok_kms::kms::Paging { number: 9, size: 3 })
            .unwrap()
            .items
            .is_empty()
    );
    for (number, size) in [(0, 10), (1, 0), (1, 101)] {
        f.refused("InvalidParameter", || {
            f.kms
                .list_keys(&f.account, byok_kms::kms::Paging { number, size })
        });
    }
}

#[test]
fn encryption_context_and_tampering_are_detected() {
    let f = Fixture::new();
    let p = prepare(&f, KeyState::Enabled);
    let context =
        byok_kms::api::alibaba::params::json_context(r#"{"purpose":"backup","team":"a"}"#).unwrap();
    let reordered =
        byok_kms::api::alibaba::params::json_context(r#"{"team":"a","purpose":"backup"}"#).unwrap();
    let blob = f
        .kms
        .encrypt(&f.account, &p.key_id, b"payload", &context)
        .unwrap();
    assert_eq!(
        &f.kms
            .decrypt(&f.account, &blob.ciphertext_blob, &reordered)
            .unwrap()
            .plaintext[..],
        b"payload"
    );
    f.refused("InvalidCiphertext", || {
        f.kms
            .decrypt(&f.account, &blob.ciphertext_blob, &no_context())
            .map(drop)
    });
    let mut bytes = common::b64(&[0u8; 0]);
    bytes.push_str(&blob.ciphertext_blob);
    let mut raw =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &bytes).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    let tampered = common::b64(&raw);
    f.refused("InvalidCiphertext", || {
        f.kms.decrypt(&f.account, &tampered, &context).map(drop)
    });
    f.refused("InvalidParameter", || {
        f.kms
            .encrypt(&f.account, &p.key_id, &vec![0; 6 * 1024 + 1], &no_context())
            .map(drop)
    });
    assert!(
        f.kms
            .encrypt(&f.account, &p.key_id, &vec![0; 6 * 1024], &no_context())
            .is_ok()
    );
}

#[test]
fn generate_data_key_returns_a_key_and_its_ciphertext() {
    let f = Fixture::new();
    let p = prepare(&f, KeyState::Enabled);
    let data_key = f
        .kms
        .generate_data_key(
            &f.account,
            &p.key_id,
            byok_kms::kms::DataKeySize {
                number_of_bytes: Some(16),
                ..Default::default()
            },
            &no_context(),
        )
        .unwrap();
    assert_eq!(data_key.plaintext.len(), 16);
    let back = f
        .kms
        .decrypt(
            &f.account,
            &data_key.encrypted.ciphertext_blob,
            &no_context(),
        )
        .unwrap();
    assert_eq!(back.plaintext, data_key.plaintext);
    f.refused("InvalidParameter", || {
        f.kms
            .generate_data_key(
                &f.account,
                &p.key_id,
                byok_kms::kms::DataKeySize {
                    number_of_bytes: Some(0),
                    ..Default::default()
                },
                &no_context(),
            )
            .map(drop)
    });
}

#[test]
fn a_different_root_key_is_refused_at_start_and_restarts_keep_everything() {
    let place = StorePlace::new();
    let clock = std::sync::Arc::new(byok_kms::clock::ManualClock::new(T0));
    let root = || RootKey::from_bytes(&[1; 32]).unwrap();
    let (account, key, blob, m) = {
        let kms = Kms::new(place.open(), &root(), clock.clone(), "cn-hangzhou").unwrap();
        let f = Fixture::wrapping(kms, clock.clone());
        let p = prepare(&f, KeyState::Enabled);
        (f.account.clone(), p.key_id, p.blob, p.material)
    };
    let wrong = RootKey::from_bytes(&[2; 32]).unwrap();
    let refused = Kms::new(place.open(), &wrong, clock.clone(), "cn-hangzhou");
    let message = refused
        .err()
        .expect("another root key must be refused")
        .to_string();
    assert!(message.contains("different root key"), "{message}");

    let kms = Kms::new(place.open(), &root(), clock.clone(), "cn-hangzhou").unwrap();
    let plain = kms.decrypt(&account, &blob, &no_context()).unwrap();
    assert_eq!(&plain.plaintext[..], b"secret data");
    let f = Fixture::wrapping(kms, clock);
    let call = f.import_call(&key, &material());
    f.refused("InvalidKeyMaterial", call);
    f.import(&key, &m).unwrap();
}

#[test]
fn nonces_are_single_use_within_the_window() {
    let f = Fixture::new();
    f.kms.use_nonce("testid", "n1", f.kms.now()).unwrap();
    assert_eq!(
        f.kms
            .use_nonce("testid", "n1", f.kms.now())
            .unwrap_err()
            .code(),
        "SignatureNonceUsed"
    );
    f.kms.use_nonce("otherid", "n1", f.kms.now()).unwrap();
    f.clock.advance(16 * 60);
    f.kms.sweep().unwrap();
    f.kms.use_nonce("testid", "n1", f.kms.now()).unwrap();
}

/// A request may be stamped up to 15 minutes ahead of the server's clock; its nonce must be
/// remembered until that time's window has passed too, or it could be replayed once the
/// server's own window is over (rolling an alias back, say).
#[test]
fn a_nonce_stamped_ahead_is_remembered_until_its_own_window_has_passed() {
    let f = Fixture::new();
    let ahead = T0 + 10 * 60;
    f.kms.use_nonce("testid", "future", ahead).unwrap();
    f.clock.advance(16 * 60);
    f.kms.sweep().unwrap();
    assert_eq!(
        f.kms
            .use_nonce("testid", "future", ahead)
            .unwrap_err()
            .code(),
        "SignatureNonceUsed"
    );
    f.clock.set(ahead + 15 * 60 + 1);
    f.kms.sweep().unwrap();
    f.kms.use_nonce("testid", "future", ahead).unwrap();
}

#[test]
fn default_credentials_are_generated_once_and_kept() {
    let clock = std::sync::Arc::new(byok_kms::clock::ManualClock::new(T0));
    let root = RootKey::from_bytes(&[5; 32]).unwrap();
    let kms = Kms::new(fresh_store(), &root, clock, "cn-hangzhou").unwrap();
    let (first, created) = kms.default_credentials(None).unwrap();
    assert!(created);
    assert!(first.access_key_id.starts_with("LTAI") && first.access_key_id.len() == 24);
    assert_eq!(first.secret.len(), 30);
    assert_eq!(first.account_id.len(), 16);
    let (again, created) = kms.default_credentials(None).unwrap();
    assert!(!created);
    assert_eq!(
        (again.access_key_id.as_str(), again.secret.as_str()),
        (first.access_key_id.as_str(), first.secret.as_str())
    );
    let looked_up = kms.credentials(&first.access_key_id).unwrap();
    assert_eq!(looked_up.secret.as_str(), first.secret.as_str());
    assert_eq!(
        kms.credentials("LTAInope").err().map(|e| e.code()),
        Some("InvalidAccessKeyId.NotFound")
    );
    // The secret is stored sealed, never in the clear.
    assert!(!kms.store().dump().unwrap().contains(first.secret.as_str()));
}

#[test]
fn pool_pairs_are_handed_out_once_and_work() {
    let f = Fixture::new();
    assert_eq!(f.kms.pool_size().unwrap(), 0);
    for expected in 1..=3 {
        assert_eq!(f.kms.refill_pool(3).unwrap(), expected);
    }
    assert_eq!(f.kms.refill_pool(3).unwrap(), 3, "no more than the target");
    let key = f.external_key();
    let mut public_keys = std::collections::HashSet::new();
    for _ in 0..3 {
        let params = f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
        assert!(
            public_keys.insert(params.public_key_der.clone()),
            "a pair handed out twice"
        );
    }
    assert_eq!(f.kms.pool_size().unwrap(), 0);
    // The pool is empty: the next pair is generated on the spot, and is new too.
    let params = f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
    assert!(public_keys.insert(params.public_key_der.clone()));
    // A pooled pair imports like any other.
    f.kms.refill_pool(1).unwrap();
    let m = material();
    let pooled = f.params(&key, WrappingAlgorithm::RsaesOaepSha256);
    let wrapped = wrap(&pooled, &m, WrappingAlgorithm::RsaesOaepSha256);
    f.kms
        .import_key_material(&f.account, &key, &wrapped, &pooled.import_token, None)
        .unwrap();
    assert_eq!(state_of(&f, &key), KeyState::Enabled);
}

#[test]
fn pool_pairs_are_handed_out_once_across_instances_threads_and_restarts() {
    let place = StorePlace::new();
    let clock = std::sync::Arc::new(byok_kms::clock::ManualClock::new(T0));
    let open = || {
        let kms = Kms::new(
            place.open(),
            &RootKey::from_bytes(&[3; 32]).unwrap(),
            clock.clone(),
            "cn-hangzhou",
        )
        .unwrap();
        Fixture::wrapping(kms, clock.clone())
    };
    let (a, b) = (open(), open());
    let key = a.external_key();
    for _ in 0..20 {
        a.kms.refill_pool(20).unwrap();
    }
    // Two instances on one database, each with threads asking for parameters while the
    // background top-up claims batches: 32 requests for a pool of 20.
    let public_keys = std::thread::scope(|scope| {
        let mut workers = Vec::new();
        for f in [&a, &b] {
            workers.push(scope.spawn(|| {
                for _ in 0..4 {
                    f.kms.top_up_lease().unwrap();
                }
                Vec::new()
            }));
            for _ in 0..4 {
                workers.push(scope.spawn(|| {
                    (0..4)
                        .map(|_| f.params(&key, WrappingAlgorithm::RsaesOaepSha256))
                        .map(|p| p.public_key_der)
                        .collect::<Vec<_>>()
                }));
            }
        }
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(public_keys.len(), 32);
    let mut seen = std::collections::HashSet::new();
    for public in &public_keys {
        assert!(seen.insert(public.clone()), "a pair handed out twice");
    }
    // Pairs claimed but not handed out are gone with their instance, never handed out again.
    let left = a.kms.pool_size().unwrap() + b.kms.pool_size().unwrap();
    drop((a, b));
    let c = open();
    assert!(c.kms.pool_size().unwrap() <= left);
    for _ in 0..3 {
        let params = c.params(&key, WrappingAlgorithm::RsaesOaepSha256);
        assert!(
            seen.insert(params.public_key_der),
            "a pair handed out twice"
        );
    }
}

#[test]
fn a_refused_request_does_not_use_up_a_pool_pair() {
    let f = Fixture::new();
    f.kms.refill_pool(1).unwrap();
    let kms_key = f.create(Origin::Kms, KeySpec::AliyunAes256).key_id;
    f.refused("Unsupported.Origin", || {
        f.kms
            .get_parameters_for_import(
                &f.account,
                &kms_key,
                WrappingAlgorithm::RsaesOaepSha256,
                byok_wrap::WrappingKeySpec::Rsa2048,
            )
            .map(drop)
    });
    f.refused("Forbidden.KeyNotFound", || {
        f.kms
            .get_parameters_for_import(
                &f.account,
                "nope",
                WrappingAlgorithm::RsaesOaepSha256,
                byok_wrap::WrappingKeySpec::Rsa2048,
            )
            .map(drop)
    });
    assert_eq!(f.kms.pool_size().unwrap(), 1);
}

#[test]
fn list_keys_stays_contiguous_when_a_key_is_deleted() {
    let f = Fixture::new();
    let ids: Vec<String> = (0..5).map(|_| f.external_key()).collect();
    f.kms.schedule_key_deletion(&f.account, &ids[1], 7).unwrap();
    f.clock.advance(7 * DAY);
    assert_eq!(f.kms.sweep().unwrap().keys_deleted, 1);
    let page = f
        .kms
        .list_keys(
            &f.account,
            byok_kms::kms::Paging {
                number: 1,
                size: 10,
            },
        )
        .unwrap();
    let listed: Vec<&str> = page.items.iter().map(|k| k.key_id.as_str()).collect();
    assert_eq!(
        listed,
        [&ids[0], &ids[2], &ids[3], &ids[4]].map(String::as_str)
    );
    assert_eq!(page.total, 4);
    let second = f
        .kms
        .list_keys(&f.account, byok_kms::kms::Paging { number: 2, size: 3 })
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].key_id, ids[4]);
    // New keys go after the others.
    let newest = f.external_key();
    let page = f
        .kms
        .list_keys(
            &f.account,
            byok_kms::kms::Paging {
                number: 1,
                size: 10,
            },
        )
        .unwrap();
    assert_eq!(page.items.last().unwrap().key_id, newest);
    assert_eq!(page.total, 5);
}

#[test]
fn nonces_survive_a_restart_once_flushed() {
    let place = StorePlace::new();
    let clock = std::sync::Arc::new(byok_kms::clock::ManualClock::new(T0));
    let root = || RootKey::from_bytes(&[1; 32]).unwrap();
    {
        let kms = Kms::new(place.open(), &root(), clock.clone(), "cn-hangzhou").unwrap();
        kms.use_nonce("ak", "n1", kms.now()).unwrap();
        kms.sweep().unwrap();
    }
    let kms = Kms::new(place.open(), &root(), clock.clone(), "cn-hangzhou").unwrap();
    assert_eq!(
        kms.use_nonce("ak", "n1", kms.now()).unwrap_err().code(),
        "SignatureNonceUsed"
    );
    kms.use_nonce("ak", "n2", kms.now()).unwrap();
}
