//! Seeds (`serve --seed`) in the `Kms` core: a seeded key has exactly its material bound (the
//! same-material rule then holds against it), aliases and tags show through the normal API, a
//! seed applied again changes nothing, and a seed that breaks a rule or contradicts the store is
//! refused naming the entry, with nothing applied. It runs on SQLite, and with
//! `BYOK_TEST_STORE=postgres` (under `scripts/with-postgres.sh`) on PostgreSQL.

mod common;

use byok_kms::config::parse_seed;
use byok_kms::kms::account::AccessKeyKind;
use byok_kms::kms::ciphertext::EncryptionContext;
use byok_kms::kms::seed::{SeedError, SeedReport};
use byok_kms::kms::state::KeyState;
use byok_kms::kms::{Error, Paging};
use byok_wrap::{KeyMaterial, KeySpec, WrappingAlgorithm, WrappingKeySpec};
use common::{Fixture, b64, wrap};

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ac";
const MATERIAL: [u8; 32] = [7; 32];

/// A seed with one account and `keys` (JSON objects, joined).
fn seed_json(keys: &[String]) -> String {
    format!(
        r#"{{"accounts":[{{"accessKeyId":"LTAIseed0001","accessKeySecret":"seed-secret-1",
            "awsAccessKeyId":"AKIASEED0001","awsSecretAccessKey":"aws/seed+secret",
            "keys":[{}]}}]}}"#,
        keys.join(",")
    )
}

/// The known key: AES-256 material, an alias and a tag; and a second key without material.
fn known_world() -> String {
    seed_json(&[
        format!(
            r#"{{"keyId":"{KEY_ID}","keySpec":"Aliyun_AES_256","origin":"EXTERNAL",
                "description":"app","aliases":["alias/app"],"tags":{{"team":"payments"}},
                "material":"{}","materialExpireUnix":0}}"#,
            b64(&MATERIAL)
        ),
        format!(r#"{{"keyId":"{OTHER_KEY_ID}","keySpec":"Aliyun_AES_128","origin":"EXTERNAL"}}"#),
    ])
}

fn apply(f: &Fixture, json: &str) -> Result<SeedReport, SeedError> {
    let seed = parse_seed(json.as_bytes()).unwrap();
    common::blocking(|| f.kms.apply_seed(&seed))
}

/// `json` must be refused with a message containing each of `says`, changing nothing.
fn refused(f: &Fixture, json: &str, says: &[&str]) {
    let before = f.dump();
    let error = apply(f, json).expect_err("the seed must be refused");
    let message = error.to_string();
    for s in says {
        assert!(message.contains(s), "{s:?} not in {message:?}");
    }
    assert!(!message.contains(&b64(&MATERIAL)), "{message}");
    assert_eq!(
        f.dump(),
        before,
        "a refused seed changed the store: {message}"
    );
}

fn account(f: &Fixture) -> String {
    f.kms
        .credentials_of(AccessKeyKind::Alibaba, "LTAIseed0001")
        .unwrap()
        .account_id
}

#[test]
fn a_seeded_key_has_exactly_its_material_and_shows_through_the_api() {
    let f = Fixture::new();
    let report = apply(&f, &known_world()).unwrap();
    assert!(report.changed);
    let account = account(&f);
    assert_eq!(report.accounts[0].account_id, account);
    let aws = f
        .kms
        .credentials_of(AccessKeyKind::Aws, "AKIASEED0001")
        .unwrap();
    assert_eq!(
        (aws.account_id.as_str(), aws.secret.as_str()),
        (account.as_str(), "aws/seed+secret")
    );

    let key = f.kms.describe_key(&account, "alias/app").unwrap();
    assert_eq!(
        (key.key_id.as_str(), key.state),
        (KEY_ID, KeyState::Enabled)
    );
    assert_eq!(key.description, "app");
    let tags = f.kms.list_resource_tags(&account, KEY_ID).unwrap();
    assert_eq!(
        (tags[0].tag.key.as_str(), tags[0].tag.value.as_str()),
        ("team", "payments")
    );
    let aliases = f
        .kms
        .list_aliases(
            &account,
            Some(KEY_ID),
            Paging {
                number: 1,
                size: 10,
            },
        )
        .unwrap();
    assert_eq!(aliases.items[0].name, "alias/app");
    let other = f.kms.describe_key(&account, OTHER_KEY_ID).unwrap();
    assert_eq!(other.state, KeyState::PendingImport);

    // Encrypt and Decrypt through the alias.
    let none = EncryptionContext::default();
    let blob = f
        .kms
        .encrypt(&account, "alias/app", b"hello", &none)
        .unwrap();
    let plain = f
        .kms
        .decrypt(&account, &blob.ciphertext_blob, &none)
        .unwrap();
    assert_eq!(&plain.plaintext[..], b"hello");

    // The same-material rule holds against the seeded material: other material is refused,
    // the same is taken.
    let import = |material: &KeyMaterial| {
        let algorithm = WrappingAlgorithm::RsaesOaepSha256;
        let params = f
            .kms
            .get_parameters_for_import(&account, KEY_ID, algorithm, WrappingKeySpec::Rsa2048)
            .unwrap();
        let wrapped = wrap(&params, material, algorithm);
        f.kms
            .import_key_material(&account, KEY_ID, &wrapped, &params.import_token, None)
    };
    let different = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    assert!(matches!(import(&different), Err(Error::InvalidKeyMaterial)));
    import(&KeyMaterial::from_bytes(&MATERIAL, Some(KeySpec::AliyunAes256)).unwrap()).unwrap();
}

#[test]
fn a_seed_applied_again_changes_nothing() {
    let f = Fixture::new();
    apply(&f, &known_world()).unwrap();
    let before = f.dump();
    let again = apply(&f, &known_world()).unwrap();
    assert!(!again.changed);
    assert_eq!(f.dump(), before);
    // What the API changed since is kept.
    let account = account(&f);
    f.kms.disable_key(&account, KEY_ID).unwrap();
    let before = f.dump();
    assert!(!apply(&f, &known_world()).unwrap().changed);
    assert_eq!(f.dump(), before);
}

#[test]
fn a_seed_that_breaks_a_rule_names_the_entry_and_applies_nothing() {
    let key = |fields: &str| format!(r#"{{"keyId":"{KEY_ID}",{fields}}}"#);
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![key(&format!(
                r#""keySpec":"Aliyun_AES_256","material":"{}""#,
                b64(&[1; 16])
            ))],
            "the material is 16 bytes, but a key of spec Aliyun_AES_256 takes 32 bytes",
        ),
        (
            vec![key(
                r#""keySpec":"Aliyun_AES_256","aliases":["alias/acs/app"]"#,
            )],
            "alias/acs is reserved",
        ),
        (
            vec![key(
                r#""keySpec":"SYMMETRIC_DEFAULT","aliases":["alias/aws/app"]"#,
            )],
            "alias/aws is reserved",
        ),
        (
            vec![key(r#""keySpec":"Aliyun_AES_256","tags":{"aliyun:x":"y"}"#)],
            "reserved for the cloud's own tags",
        ),
        (
            vec![key(r#""keySpec":"Aliyun_SM4""#)],
            "Aliyun_SM4 keys are not supported",
        ),
        (
            vec![key(r#""keySpec":"HMAC_256","cloud":"alibaba""#)],
            "key spec is invalid",
        ),
        (
            vec![key(r#""keySpec":"RSA_2048","material":"AAAA""#)],
            "takes a privateKey, not material",
        ),
        (
            vec![key(r#""keySpec":"Aliyun_AES_256","materialExpireUnix":5"#)],
            "materialExpireUnix is given without material",
        ),
        (
            vec![key(&format!(
                r#""keySpec":"Aliyun_AES_256","material":"{}","materialExpireUnix":5"#,
                b64(&MATERIAL)
            ))],
            "must be in the future",
        ),
        (
            vec![key(&format!(
                r#""keySpec":"Aliyun_AES_256","origin":"Aliyun_KMS","material":"{}""#,
                b64(&MATERIAL)
            ))],
            "gets material the KMS generates",
        ),
        (
            vec![r#"{"keyId":"not-a-uuid","keySpec":"Aliyun_AES_256"}"#.to_owned()],
            "a keyId must be a UUID",
        ),
        (
            vec![
                key(r#""keySpec":"Aliyun_AES_256""#),
                key(r#""keySpec":"Aliyun_AES_256""#),
            ],
            "keys[2] (keyId 1234abcd-12ab-34cd-56ef-1234567890ab): this keyId is given twice",
        ),
        (
            vec![
                key(r#""keySpec":"Aliyun_AES_256","aliases":["alias/a"]"#),
                format!(
                    r#"{{"keyId":"{OTHER_KEY_ID}","keySpec":"Aliyun_AES_256","aliases":["alias/a"]}}"#
                ),
            ],
            "keys[2] (keyId 1234abcd-12ab-34cd-56ef-1234567890ac).aliases[0] (alias/a): this alias already names another key",
        ),
    ];
    let f = Fixture::new();
    for (keys, says) in cases {
        // A broken second entry must not leave the first applied either.
        let mut keys = keys;
        keys.insert(
            0,
            format!(
                r#"{{"keyId":"{}","keySpec":"Aliyun_AES_128"}}"#,
                "1234abcd-12ab-34cd-56ef-000000000000"
            ),
        );
        let json = seed_json(&keys);
        refused(&f, &json, &["accounts[0].keys[", says]);
    }
    // An account without an access key, an access key id that signatures cannot carry.
    refused(
        &f,
        r#"{"accounts":[{"keys":[]}]}"#,
        &["accounts[0]: an account needs an access key"],
    );
    refused(
        &f,
        r#"{"accounts":[{"accessKeyId":"LTAI/x","accessKeySecret":"s"}]}"#,
        &["accounts[0].accessKeyId (LTAI/x): an access key id must be"],
    );
    refused(
        &f,
        r#"{"accounts":[{"accessKeyId":"testid","accessKeySecret":"s"}]}"#,
        &["accounts[0].accessKeyId (testid): this access key already exists with another secret"],
    );
}

#[test]
fn a_seed_that_contradicts_the_store_is_refused() {
    let f = Fixture::new();
    apply(&f, &known_world()).unwrap();
    let entry = "accounts[0].keys[0] (keyId 1234abcd-12ab-34cd-56ef-1234567890ab)";
    let other_material = known_world().replace(&b64(&MATERIAL), &b64(&[8; 32]));
    refused(
        &f,
        &other_material,
        &[entry, "the key exists with other key material"],
    );
    let other_spec = known_world()
        .replace(&b64(&MATERIAL), &b64(&[8; 16]))
        .replace("Aliyun_AES_256", "Aliyun_AES_128");
    refused(
        &f,
        &other_spec,
        &[
            entry,
            "the key exists with key spec Aliyun_AES_256, not Aliyun_AES_128",
        ],
    );
    let other_secret = known_world().replace("seed-secret-1", "seed-secret-2");
    refused(
        &f,
        &other_secret,
        &["accounts[0].accessKeyId (LTAIseed0001)", "another secret"],
    );
    // The same key id in another account.
    let elsewhere = known_world()
        .replace("LTAIseed0001", "LTAIseed0002")
        .replace("AKIASEED0001", "AKIASEED0002");
    refused(&f, &elsewhere, &[entry, "a key of another account"]);
    // Material for a key that has none yet is bound, as a first import would.
    let with_material = known_world().replace(
        r#""keySpec":"Aliyun_AES_128","origin":"EXTERNAL""#,
        &format!(
            r#""keySpec":"Aliyun_AES_128","origin":"EXTERNAL","material":"{}""#,
            b64(&[9; 16])
        ),
    );
    assert!(apply(&f, &with_material).unwrap().changed);
    let key = f.kms.describe_key(&account(&f), OTHER_KEY_ID).unwrap();
    assert_eq!(key.state, KeyState::Enabled);
}

#[test]
fn a_private_key_is_bound_to_an_asymmetric_key_of_its_spec() {
    let dir = tempfile::tempdir().unwrap();
    common::asymmetric::genpkey("EC_P256", dir.path());
    let pem = std::fs::read_to_string(dir.path().join("key.pem")).unwrap();
    let key = |spec: &str| {
        seed_json(&[format!(
            r#"{{"keyId":"{KEY_ID}","keySpec":"{spec}","privateKey":{}}}"#,
            serde_json::to_string(&pem).unwrap()
        )])
    };
    let f = Fixture::new();
    refused(
        &f,
        &key("RSA_2048"),
        &[
            "keys[0]",
            "the private key is EC P-256 but the key spec is RSA_2048",
        ],
    );
    apply(&f, &key("EC_P256")).unwrap();
    let described = f.kms.describe_key(&account(&f), KEY_ID).unwrap();
    assert_eq!(described.state, KeyState::Enabled);
    assert!(!apply(&f, &key("EC_P256")).unwrap().changed);
}
