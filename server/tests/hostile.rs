//! Hostile input over HTTP (the router, signed like the SDK): a table of malformed and malicious
//! requests, each of which must get its HTTP status and error code and leave every table exactly
//! as it was; then every cell of the state table that refuses; then a sweep of odd values through
//! every parameter of every action, which must never get a 5xx. It runs on SQLite, and with
//! `BYOK_TEST_STORE=postgres` (under `scripts/with-postgres.sh`, as make test runs it) on
//! PostgreSQL: the tests run on a multi-thread runtime, and what they ask of the KMS directly
//! (setting up the world, dumps) runs as a blocking section ([`common::blocking`]).

mod common;

use byok_kms::kms::CreateKey;
use byok_kms::kms::key::Origin;
use byok_kms::kms::state::KeyState;
use byok_wrap::{KeyMaterial, KeySpec, WrappingAlgorithm};
use common::client::Signed;
use common::server::{Server, nonce, server};
use common::{b64, material, wrap};

const DAY: i64 = 86_400;

/// One hostile request and what it must get.
struct Case {
    what: String,
    request: Signed,
    status: u16,
    code: &'static str,
}

/// The state the cases run against.
struct World {
    s: Server,
    /// EXTERNAL, PendingImport, never imported; `p1`/`p2` are two of its parameter sets.
    pending: String,
    p1: byok_kms::kms::ImportParameters,
    p2: byok_kms::kms::ImportParameters,
    /// Parameters of `pending` issued more than 24 hours ago.
    expired: byok_kms::kms::ImportParameters,
    /// EXTERNAL, Enabled with `material`; `blob` was made with EncryptionContext {"a":"b"}.
    enabled: String,
    material: KeyMaterial,
    enabled_params: byok_kms::kms::ImportParameters,
    blob: String,
    /// Aliyun_KMS, Enabled.
    kms_key: String,
    /// Another account's EXTERNAL key and its parameters.
    foreign: String,
    foreign_params: byok_kms::kms::ImportParameters,
    /// Keys in each state, each with a ciphertext made while it was Enabled and parameters.
    in_state: Vec<(KeyState, String, String, byok_kms::kms::ImportParameters)>,
    /// Asymmetric keys.
    asym: Asym,
}

/// The asymmetric keys of the world: imported (id, version), and one waiting for its import.
struct Asym {
    /// RSA_2048, ENCRYPT/DECRYPT.
    enc: (String, String),
    /// EC_P256, SIGN/VERIFY.
    sign: (String, String),
    /// EC_P256, PendingImport, with hybrid parameters and two wraps under them that must fail.
    pending: String,
    params: byok_kms::kms::ImportParameters,
    /// An RSA private key wrapped for the EC key.
    rsa_for_ec: String,
    /// 32 bytes that are no private key, wrapped by the openssl recipe.
    not_a_key: String,
}

fn asym_world(f: &common::Fixture) -> Asym {
    use byok_kms::kms::key::KeyUsage;
    use common::asymmetric as a;
    let dir = tempfile::tempdir().unwrap();
    let enc = a::imported(f, "RSA_2048", KeyUsage::EncryptDecrypt, dir.path());
    let sign = a::imported(f, "EC_P256", KeyUsage::SignVerify, dir.path());
    let pending = a::create(f, "EC_P256", Some(KeyUsage::SignVerify)).unwrap();
    let params = f.params(&pending, a::HYBRID);
    let rsa = a::genpkey("RSA_2048", dir.path());
    let rsa_for_ec = b64(&a::byok_wrap_hybrid(&params.public_key_der, &rsa));
    let not_a_key = b64(&a::openssl_wrap(
        &params.public_key_der,
        b"thirty-two bytes, and not a key!",
        dir.path(),
    ));
    Asym {
        enc,
        sign,
        pending,
        params,
        rsa_for_ec,
        not_a_key,
    }
}

fn world() -> World {
    let s = server();
    let f = &s.f;
    let oaep = WrappingAlgorithm::RsaesOaepSha256;
    let pending = f.external_key();
    let expired = f.params(&pending, oaep);
    f.clock.advance(DAY + 60);
    let p1 = f.params(&pending, oaep);
    let p2 = f.params(&pending, oaep);

    let enabled = f.external_key();
    let m = material();
    f.import(&enabled, &m).unwrap();
    let enabled_params = f.params(&enabled, oaep);
    let context = byok_kms::api::alibaba::params::json_context(r#"{"a":"b"}"#).unwrap();
    let blob = f
        .kms
        .encrypt(&f.account, &enabled, b"hostile", &context)
        .unwrap()
        .ciphertext_blob;
    f.kms
        .create_alias(&f.account, "alias/enabled", &enabled)
        .unwrap();
    let twenty: Vec<byok_kms::kms::Tag> = (0..20)
        .map(|i| byok_kms::kms::Tag {
            key: format!("t{i}"),
            value: "v".into(),
        })
        .collect();
    f.kms.tag_resource(&f.account, &enabled, &twenty).unwrap();
    let kms_key = f.create(Origin::Kms, KeySpec::AliyunAes256).key_id;

    let other = f.kms.create_account().unwrap();
    let foreign = f
        .kms
        .create_key(
            &other.account_id,
            &CreateKey {
                origin: Origin::External,
                ..CreateKey::default()
            },
        )
        .unwrap()
        .key_id;
    let foreign_params = f
        .kms
        .get_parameters_for_import(
            &other.account_id,
            &foreign,
            oaep,
            byok_wrap::WrappingKeySpec::Rsa2048,
        )
        .unwrap();

    let mut in_state = Vec::new();
    for state in KeyState::ALL {
        let key = f.external_key();
        f.import(&key, &material()).unwrap();
        let blob = f
            .kms
            .encrypt(&f.account, &key, b"x", &Default::default())
            .unwrap()
            .ciphertext_blob;
        let params = f.params(&key, oaep);
        match state {
            KeyState::Enabled => {}
            KeyState::Disabled => f.kms.disable_key(&f.account, &key).unwrap(),
            KeyState::PendingDeletion => f.kms.schedule_key_deletion(&f.account, &key, 7).unwrap(),
            KeyState::PendingImport => f.kms.delete_key_material(&f.account, &key).unwrap(),
        }
        in_state.push((state, key, blob, params));
    }
    let asym = asym_world(f);
    World {
        asym,
        pending,
        p1,
        p2,
        expired,
        enabled,
        material: m,
        enabled_params,
        blob,
        kms_key,
        foreign,
        foreign_params,
        in_state,
        s,
    }
}

impl World {
    fn case(
        &self,
        what: &str,
        action: &str,
        params: &[(&str, &str)],
        status: u16,
        code: &'static str,
    ) -> Case {
        self.raw(what, self.s.acs3(action, params), status, code)
    }

    fn raw(&self, what: &str, request: Signed, status: u16, code: &'static str) -> Case {
        Case {
            what: what.to_owned(),
            request,
            status,
            code,
        }
    }

    /// An ImportKeyMaterial request.
    fn import(&self, key: &str, wrapped: &[u8], token: &str) -> Signed {
        self.s.acs3(
            "ImportKeyMaterial",
            &[
                ("KeyId", key),
                ("EncryptedKeyMaterial", &b64(wrapped)),
                ("ImportToken", token),
            ],
        )
    }

    /// A signed request with its parameters in a form body (legacy signature, as older SDKs).
    fn form(&self, action: &str, params: &[(&str, &str)]) -> Signed {
        self.s
            .signer
            .rpc_v1(action, params, self.s.now(), &nonce(), true)
    }
}

/// Flips one bit in the middle of a base64 text's bytes and re-encodes it.
fn flip(text: &str) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut bytes = engine.decode(text).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    engine.encode(bytes)
}

fn cases(w: &World) -> Vec<Case> {
    let oaep = WrappingAlgorithm::RsaesOaepSha256;
    let pending = w.pending.as_str();
    let enabled = w.enabled.as_str();
    let m = material();
    let wrapped_p1 = wrap(&w.p1, &m, oaep);
    let t1 = w.p1.import_token.as_str();
    let t2 = w.p2.import_token.as_str();
    let other_material = material();
    let short = KeyMaterial::from_bytes(&[7; 16], None).unwrap();
    let long_text = "k".repeat(40_000);
    let plaintext_over = b64(&[1u8; 6 * 1024 + 1]);
    let plaintext_max = b64(&[1u8; 6 * 1024]);
    let _ = plaintext_max;
    let foreign = w.foreign.as_str();
    let (a_enc, a_enc_v) = (w.asym.enc.0.as_str(), w.asym.enc.1.as_str());
    let (a_sign, a_sign_v) = (w.asym.sign.0.as_str(), w.asym.sign.1.as_str());
    let a_pending = w.asym.pending.as_str();
    let enabled_v =
        w.s.f
            .kms
            .describe_key(&w.s.f.account, enabled)
            .unwrap()
            .primary_key_version;
    let digest = b64(&[7u8; 32]);
    let short_digest = b64(&[7u8; 31]);
    let long_digest = b64(&[7u8; 48]);
    let tags = |n: usize, from: usize| {
        let tags: Vec<String> = (from..from + n)
            .map(|i| format!(r#"{{"TagKey":"t{i}","TagValue":"v"}}"#))
            .collect();
        format!("[{}]", tags.join(","))
    };
    let twenty_one_tags = tags(21, 0);
    let a_21st_tag = tags(1, 20);
    let mut c = vec![
        // ---- the request itself ---------------------------------------------------------------
        w.case("no action", "", &[], 400, "MissingParameter"),
        w.case(
            "unknown action",
            "DropTables",
            &[],
            404,
            "InvalidAction.NotFound",
        ),
        w.case(
            "action in lower case",
            "describekey",
            &[("KeyId", enabled)],
            404,
            "InvalidAction.NotFound",
        ),
        w.raw(
            "wrong version",
            w.s.acs3("DescribeKey", &[("KeyId", enabled)])
                .set_header("x-acs-version", "2014-05-26"),
            400,
            "InvalidVersion",
        ),
        w.raw(
            "body over the 64 KiB limit",
            {
                let mut r = w.form("DescribeKey", &[("KeyId", enabled)]);
                r.body.extend(std::iter::repeat_n(b'a', 64 * 1024));
                r
            },
            400,
            "InvalidParameter",
        ),
        w.raw(
            "a body that is not a form",
            {
                let mut r = w.s.acs3("DescribeKey", &[("KeyId", enabled)]);
                r.body = b"{\"KeyId\":1}".to_vec();
                r
            },
            400,
            "SignatureDoesNotMatch",
        ),
        w.raw(
            "non-UTF-8 bytes in the query",
            {
                let mut r = w.s.acs3("DescribeKey", &[("KeyId", enabled)]);
                r.query.push_str("&Junk=%C3%28");
                r
            },
            400,
            "InvalidParameter",
        ),
        w.raw(
            "a broken percent escape",
            {
                let mut r = w.s.acs3("DescribeKey", &[("KeyId", enabled)]);
                r.query.push_str("&Junk=%G1");
                r
            },
            400,
            "InvalidParameter",
        ),
        w.raw(
            "a parameter repeated",
            {
                let mut r = w.s.acs3("DescribeKey", &[("KeyId", enabled)]);
                r.query.push_str(&format!("&KeyId={pending}"));
                r
            },
            400,
            "InvalidParameter",
        ),
        w.raw(
            "a parameter repeated across query and body",
            w.s.signer
                .rpc_v1(
                    "DescribeKey",
                    &[("KeyId", enabled)],
                    w.s.now(),
                    &nonce(),
                    true,
                )
                .pipe(|mut r| {
                    r.query.push_str(&format!("&KeyId={enabled}"));
                    r
                }),
            400,
            "InvalidParameter",
        ),
        w.raw(
            "Action header and parameter disagree",
            w.s.signer
                .rpc_v1(
                    "DescribeKey",
                    &[("KeyId", enabled)],
                    w.s.now(),
                    &nonce(),
                    false,
                )
                .set_header("x-acs-action", "CreateKey"),
            400,
            "InvalidParameter",
        ),
        // ---- keys and aliases ---------------------------------------------------------------
        w.case("KeyId missing", "DescribeKey", &[], 400, "MissingParameter"),
        w.case(
            "KeyId empty",
            "DescribeKey",
            &[("KeyId", "")],
            400,
            "MissingParameter",
        ),
        w.case(
            "KeyId unknown",
            "DescribeKey",
            &[("KeyId", "00000000-0000-4000-8000-000000000000")],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "KeyId of another account",
            "DescribeKey",
            &[("KeyId", &w.foreign)],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "KeyId 40,000 characters",
            "DescribeKey",
            &[("KeyId", &long_text)],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "KeyId with a NUL",
            "DescribeKey",
            &[("KeyId", "abc\0def")],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "KeyId with SQL",
            "DescribeKey",
            &[("KeyId", "' OR 1=1 --")],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "alias unknown",
            "DescribeKey",
            &[("KeyId", "alias/nothing")],
            404,
            "Forbidden.AliasNotFound",
        ),
        w.case(
            "ARN of another region",
            "DescribeKey",
            &[(
                "KeyId",
                &format!("acs:kms:eu-central-1:{}:key/{enabled}", w.s.f.account),
            )],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "ARN of another account",
            "DescribeKey",
            &[(
                "KeyId",
                &format!("acs:kms:cn-hangzhou:1234567890123456:key/{enabled}"),
            )],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "alias name without alias/",
            "CreateAlias",
            &[("AliasName", "mine"), ("KeyId", enabled)],
            400,
            "InvalidParameter",
        ),
        w.case(
            "alias name empty after alias/",
            "CreateAlias",
            &[("AliasName", "alias/"), ("KeyId", enabled)],
            400,
            "InvalidParameter",
        ),
        w.case(
            "alias name with a space",
            "CreateAlias",
            &[("AliasName", "alias/a b"), ("KeyId", enabled)],
            400,
            "InvalidParameter",
        ),
        w.case(
            "alias name with unicode",
            "CreateAlias",
            &[("AliasName", "alias/ключ"), ("KeyId", enabled)],
            400,
            "InvalidParameter",
        ),
        w.case(
            "alias name of 256 characters",
            "CreateAlias",
            &[
                ("AliasName", &format!("alias/{}", "a".repeat(256))),
                ("KeyId", enabled),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "alias name reserved",
            "CreateAlias",
            &[("AliasName", "alias/acs/kms"), ("KeyId", enabled)],
            400,
            "InvalidParameter",
        ),
        w.case(
            "alias that exists",
            "CreateAlias",
            &[("AliasName", "alias/enabled"), ("KeyId", pending)],
            400,
            "AliasAlreadyExists",
        ),
        w.case(
            "alias for an unknown key",
            "CreateAlias",
            &[("AliasName", "alias/new"), ("KeyId", "nope")],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "alias for another account's key",
            "CreateAlias",
            &[("AliasName", "alias/new"), ("KeyId", &w.foreign)],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "KeyId missing for an alias",
            "UpdateAlias",
            &[("AliasName", "alias/enabled")],
            400,
            "MissingParameter",
        ),
        w.case(
            "update an unknown alias",
            "UpdateAlias",
            &[("AliasName", "alias/none"), ("KeyId", enabled)],
            404,
            "Forbidden.AliasNotFound",
        ),
        w.case(
            "delete an unknown alias",
            "DeleteAlias",
            &[("AliasName", "alias/none")],
            404,
            "Forbidden.AliasNotFound",
        ),
        w.case(
            "AliasName missing",
            "DeleteAlias",
            &[],
            400,
            "MissingParameter",
        ),
        // ---- CreateKey ----------------------------------------------------------------------
        w.case(
            "KeySpec unknown",
            "CreateKey",
            &[("KeySpec", "AES_512")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "KeySpec asymmetric",
            "CreateKey",
            &[("KeySpec", "RSA_2048")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "KeySpec SM4 (refused)",
            "CreateKey",
            &[("KeySpec", "Aliyun_SM4")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "Origin unknown",
            "CreateKey",
            &[("Origin", "CLOUD_HSM")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "KeyUsage SIGN/VERIFY",
            "CreateKey",
            &[("KeyUsage", "SIGN/VERIFY")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "ProtectionLevel unknown",
            "CreateKey",
            &[("ProtectionLevel", "QUANTUM")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "ProtectionLevel HSM without an HSM",
            "CreateKey",
            &[("ProtectionLevel", "HSM")],
            400,
            "Unsupported.ProtectionLevel",
        ),
        w.case(
            "Description with a NUL",
            "CreateKey",
            &[("Description", "a\0b")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "a parameter extending a known one",
            "DescribeKey",
            &[("KeyId", enabled), ("KeyId.1", "x")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "EncryptionContext as JSON and flattened at once",
            "Encrypt",
            &[
                ("KeyId", enabled),
                ("Plaintext", "aGk="),
                ("EncryptionContext", r#"{"a":"b"}"#),
                ("EncryptionContext.a", "b"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "Description over 8192 characters",
            "CreateKey",
            &[("Description", &"d".repeat(8193))],
            400,
            "InvalidParameter",
        ),
        // ---- ListKeys, ListAliases ----------------------------------------------------------
        w.case(
            "PageNumber 0",
            "ListKeys",
            &[("PageNumber", "0")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "PageNumber negative",
            "ListKeys",
            &[("PageNumber", "-1")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "PageNumber beyond i64",
            "ListKeys",
            &[("PageNumber", "99999999999999999999")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "PageNumber not a number",
            "ListKeys",
            &[("PageNumber", "two")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "PageNumber a fraction",
            "ListKeys",
            &[("PageNumber", "1.5")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "PageSize 0",
            "ListKeys",
            &[("PageSize", "0")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "PageSize 101",
            "ListKeys",
            &[("PageSize", "101")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "PageSize with spaces",
            "ListAliases",
            &[("PageSize", " 5")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "PageNumber huge",
            "ListAliases",
            &[("PageNumber", &i64::MAX.to_string())],
            400,
            "InvalidParameter",
        ),
        // ---- Tags, ListAliasesByKeyId, UpdateKeyDescription -----------------------------------
        w.case(
            "Tags not JSON",
            "TagResource",
            &[("KeyId", enabled), ("Tags", "env=prod")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "Tags an object, not an array",
            "TagResource",
            &[
                ("KeyId", enabled),
                ("Tags", r#"{"TagKey":"a","TagValue":"b"}"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "Tags with an unknown field",
            "TagResource",
            &[
                ("KeyId", enabled),
                ("Tags", r#"[{"TagKey":"a","TagValue":"b","Extra":1}]"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "Tags without TagKey",
            "TagResource",
            &[("KeyId", enabled), ("Tags", r#"[{"TagValue":"b"}]"#)],
            400,
            "InvalidParameter",
        ),
        w.case(
            "Tags empty array",
            "TagResource",
            &[("KeyId", enabled), ("Tags", "[]")],
            400,
            "MissingParameter",
        ),
        w.case(
            "Tags missing",
            "TagResource",
            &[("KeyId", enabled)],
            400,
            "MissingParameter",
        ),
        w.case(
            "tag key empty",
            "TagResource",
            &[
                ("KeyId", enabled),
                ("Tags", r#"[{"TagKey":"","TagValue":"b"}]"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "tag key of 129 characters",
            "TagResource",
            &[
                ("KeyId", enabled),
                (
                    "Tags",
                    &format!(r#"[{{"TagKey":"{}","TagValue":"b"}}]"#, "k".repeat(129)),
                ),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "tag value of 129 characters",
            "TagResource",
            &[
                ("KeyId", enabled),
                (
                    "Tags",
                    &format!(r#"[{{"TagKey":"k","TagValue":"{}"}}]"#, "v".repeat(129)),
                ),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "tag key starting with aliyun",
            "TagResource",
            &[
                ("KeyId", enabled),
                ("Tags", r#"[{"TagKey":"aliyun:x","TagValue":"b"}]"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "tag key starting with AliYun",
            "TagResource",
            &[
                ("KeyId", enabled),
                ("Tags", r#"[{"TagKey":"AliYunService","TagValue":"b"}]"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "tag key starting with acs:",
            "TagResource",
            &[
                ("KeyId", enabled),
                ("Tags", r#"[{"TagKey":"acs:owner","TagValue":"b"}]"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "tag key starting with ACS:",
            "CreateKey",
            &[
                ("Origin", "EXTERNAL"),
                ("Tags", r#"[{"TagKey":"ACS:owner","TagValue":"b"}]"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "tag key with a semicolon",
            "TagResource",
            &[
                ("KeyId", enabled),
                ("Tags", r#"[{"TagKey":"a;b","TagValue":"b"}]"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "tag value with a newline",
            "TagResource",
            &[
                ("KeyId", enabled),
                ("Tags", r#"[{"TagKey":"a","TagValue":"b\nc"}]"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "tag value with a NUL",
            "TagResource",
            &[
                ("KeyId", enabled),
                ("Tags", r#"[{"TagKey":"a","TagValue":"b\u0000"}]"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "tag value with a right-to-left override",
            "TagResource",
            &[
                ("KeyId", enabled),
                ("Tags", "[{\"TagKey\":\"a\",\"TagValue\":\"\u{202e}b\"}]"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "tag key given twice",
            "TagResource",
            &[
                ("KeyId", enabled),
                (
                    "Tags",
                    r#"[{"TagKey":"a","TagValue":"1"},{"TagKey":"a","TagValue":"2"}]"#,
                ),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "21 tags",
            "TagResource",
            &[("KeyId", enabled), ("Tags", &twenty_one_tags)],
            400,
            "InvalidParameter",
        ),
        w.case(
            "a 21st tag on a key with 20",
            "TagResource",
            &[("KeyId", enabled), ("Tags", &a_21st_tag)],
            400,
            "InvalidParameter",
        ),
        w.case(
            "21 tags at creation",
            "CreateKey",
            &[("Origin", "EXTERNAL"), ("Tags", &twenty_one_tags)],
            400,
            "InvalidParameter",
        ),
        w.case(
            "a bad tag at creation",
            "CreateKey",
            &[(
                "Tags",
                r#"[{"TagKey":"ok","TagValue":"1"},{"TagKey":"aliyun","TagValue":"2"}]"#,
            )],
            400,
            "InvalidParameter",
        ),
        w.case(
            "TagResource on another account's key",
            "TagResource",
            &[
                ("KeyId", foreign),
                ("Tags", r#"[{"TagKey":"a","TagValue":"b"}]"#),
            ],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "TagResource without KeyId",
            "TagResource",
            &[("Tags", r#"[{"TagKey":"a","TagValue":"b"}]"#)],
            400,
            "MissingParameter",
        ),
        w.case(
            "TagKeys not JSON",
            "UntagResource",
            &[("KeyId", enabled), ("TagKeys", "env")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "TagKeys of numbers",
            "UntagResource",
            &[("KeyId", enabled), ("TagKeys", "[1,2]")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "TagKeys empty",
            "UntagResource",
            &[("KeyId", enabled), ("TagKeys", "[]")],
            400,
            "MissingParameter",
        ),
        w.case(
            "TagKeys with an empty key",
            "UntagResource",
            &[("KeyId", enabled), ("TagKeys", r#"[""]"#)],
            400,
            "InvalidParameter",
        ),
        w.case(
            "UntagResource on an unknown key",
            "UntagResource",
            &[
                ("KeyId", "00000000-0000-4000-8000-000000000000"),
                ("TagKeys", r#"["a"]"#),
            ],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "ListResourceTags on another account's key",
            "ListResourceTags",
            &[("KeyId", foreign)],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "ListResourceTags without KeyId",
            "ListResourceTags",
            &[],
            400,
            "MissingParameter",
        ),
        w.case(
            "ListAliasesByKeyId on another account's key",
            "ListAliasesByKeyId",
            &[("KeyId", foreign)],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "ListAliasesByKeyId without KeyId",
            "ListAliasesByKeyId",
            &[],
            400,
            "MissingParameter",
        ),
        w.case(
            "ListAliasesByKeyId PageSize 0",
            "ListAliasesByKeyId",
            &[("KeyId", enabled), ("PageSize", "0")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "UpdateKeyDescription too long",
            "UpdateKeyDescription",
            &[("KeyId", enabled), ("Description", &"d".repeat(8193))],
            400,
            "InvalidParameter",
        ),
        w.case(
            "UpdateKeyDescription with a NUL",
            "UpdateKeyDescription",
            &[("KeyId", enabled), ("Description", "a\0b")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "UpdateKeyDescription without Description",
            "UpdateKeyDescription",
            &[("KeyId", enabled)],
            400,
            "MissingParameter",
        ),
        w.case(
            "UpdateKeyDescription on another account's key",
            "UpdateKeyDescription",
            &[("KeyId", foreign), ("Description", "x")],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "ListKeys with Filters",
            "ListKeys",
            &[("Filters", r#"[{"Key":"KeyState","Values":["Enabled"]}]"#)],
            400,
            "InvalidParameter",
        ),
        // ---- asymmetric keys ---------------------------------------------------------------
        w.case(
            "AsymmetricSign on an ENCRYPT/DECRYPT key",
            "AsymmetricSign",
            &[
                ("KeyId", a_enc),
                ("KeyVersionId", a_enc_v),
                ("Algorithm", "RSA_PSS_SHA_256"),
                ("Digest", &digest),
            ],
            400,
            "UnsupportedOperation",
        ),
        w.case(
            "AsymmetricSign, a digest of 31 bytes",
            "AsymmetricSign",
            &[
                ("KeyId", a_sign),
                ("KeyVersionId", a_sign_v),
                ("Algorithm", "ECDSA_SHA_256"),
                ("Digest", &short_digest),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "AsymmetricSign, a digest of 48 bytes",
            "AsymmetricSign",
            &[
                ("KeyId", a_sign),
                ("KeyVersionId", a_sign_v),
                ("Algorithm", "ECDSA_SHA_256"),
                ("Digest", &long_digest),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "AsymmetricSign with another key's version id",
            "AsymmetricSign",
            &[
                ("KeyId", a_sign),
                ("KeyVersionId", a_enc_v),
                ("Algorithm", "ECDSA_SHA_256"),
                ("Digest", &digest),
            ],
            404,
            "Forbidden.ResourceNotFound",
        ),
        w.case(
            "AsymmetricSign RSA_PSS_SHA_256 with an EC key",
            "AsymmetricSign",
            &[
                ("KeyId", a_sign),
                ("KeyVersionId", a_sign_v),
                ("Algorithm", "RSA_PSS_SHA_256"),
                ("Digest", &digest),
            ],
            400,
            "UnsupportedOperation",
        ),
        w.case(
            "AsymmetricSign of an unknown algorithm",
            "AsymmetricSign",
            &[
                ("KeyId", a_sign),
                ("KeyVersionId", a_sign_v),
                ("Algorithm", "ECDSA_MD5"),
                ("Digest", &digest),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "AsymmetricDecrypt with a SIGN/VERIFY key",
            "AsymmetricDecrypt",
            &[
                ("KeyId", a_sign),
                ("KeyVersionId", a_sign_v),
                ("Algorithm", "RSAES_OAEP_SHA_256"),
                ("CiphertextBlob", &b64(&[1u8; 256])),
            ],
            400,
            "UnsupportedOperation",
        ),
        w.case(
            "AsymmetricEncrypt over the maximum",
            "AsymmetricEncrypt",
            &[
                ("KeyId", a_enc),
                ("KeyVersionId", a_enc_v),
                ("Algorithm", "RSAES_OAEP_SHA_256"),
                ("Plaintext", &b64(&[1u8; 191])),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "AsymmetricSign with a symmetric key",
            "AsymmetricSign",
            &[
                ("KeyId", enabled),
                ("KeyVersionId", &enabled_v),
                ("Algorithm", "RSA_PSS_SHA_256"),
                ("Digest", &digest),
            ],
            400,
            "UnsupportedOperation",
        ),
        w.case(
            "Encrypt with an asymmetric key",
            "Encrypt",
            &[("KeyId", a_enc), ("Plaintext", "aGk=")],
            400,
            "UnsupportedOperation",
        ),
        w.case(
            "GetPublicKey of another key's version",
            "GetPublicKey",
            &[("KeyId", a_enc), ("KeyVersionId", a_sign_v)],
            404,
            "Forbidden.ResourceNotFound",
        ),
        w.case(
            "GetPublicKey of another account's key",
            "GetPublicKey",
            &[("KeyId", foreign), ("KeyVersionId", a_sign_v)],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "GetParametersForImport of an EC key with RSAES_OAEP_SHA_256",
            "GetParametersForImport",
            &[
                ("KeyId", a_pending),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_256"),
                ("WrappingKeySpec", "RSA_2048"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "GetParametersForImport of a symmetric key with the hybrid algorithm",
            "GetParametersForImport",
            &[
                ("KeyId", pending),
                (
                    "WrappingAlgorithm",
                    "RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD",
                ),
                ("WrappingKeySpec", "RSA_2048"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "an RSA private key for an EC_P256 key",
            "ImportKeyMaterial",
            &[
                ("KeyId", a_pending),
                ("EncryptedKeyMaterial", &w.asym.rsa_for_ec),
                ("ImportToken", &w.asym.params.import_token),
            ],
            400,
            "InvalidKeyMaterial",
        ),
        w.case(
            "a PKCS#8 blob that is not a private key",
            "ImportKeyMaterial",
            &[
                ("KeyId", a_pending),
                ("EncryptedKeyMaterial", &w.asym.not_a_key),
                ("ImportToken", &w.asym.params.import_token),
            ],
            400,
            "InvalidKeyMaterial",
        ),
        w.case(
            "CreateKey EC_P256 for ENCRYPT/DECRYPT",
            "CreateKey",
            &[
                ("KeySpec", "EC_P256"),
                ("KeyUsage", "ENCRYPT/DECRYPT"),
                ("Origin", "EXTERNAL"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "CreateKey EC_SM2",
            "CreateKey",
            &[("KeySpec", "EC_SM2"), ("Origin", "EXTERNAL")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "CreateKey RSA_2048 with generated material",
            "CreateKey",
            &[("KeySpec", "RSA_2048"), ("KeyUsage", "SIGN/VERIFY")],
            400,
            "InvalidParameter",
        ),
        // ---- GetParametersForImport ---------------------------------------------------------
        w.case(
            "WrappingAlgorithm missing",
            "GetParametersForImport",
            &[("KeyId", pending), ("WrappingKeySpec", "RSA_2048")],
            400,
            "MissingParameter",
        ),
        w.case(
            "WrappingAlgorithm unknown",
            "GetParametersForImport",
            &[
                ("KeyId", pending),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_512"),
                ("WrappingKeySpec", "RSA_2048"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "WrappingAlgorithm lower case",
            "GetParametersForImport",
            &[
                ("KeyId", pending),
                ("WrappingAlgorithm", "rsaes_oaep_sha_256"),
                ("WrappingKeySpec", "RSA_2048"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "WrappingKeySpec missing",
            "GetParametersForImport",
            &[
                ("KeyId", pending),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_256"),
            ],
            400,
            "MissingParameter",
        ),
        w.case(
            "WrappingKeySpec RSA_3072",
            "GetParametersForImport",
            &[
                ("KeyId", pending),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_256"),
                ("WrappingKeySpec", "RSA_3072"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "GetParametersForImport on an Aliyun_KMS key",
            "GetParametersForImport",
            &[
                ("KeyId", &w.kms_key),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_256"),
                ("WrappingKeySpec", "RSA_2048"),
            ],
            400,
            "Unsupported.Origin",
        ),
        w.case(
            "GetParametersForImport on another account's key",
            "GetParametersForImport",
            &[
                ("KeyId", &w.foreign),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_256"),
                ("WrappingKeySpec", "RSA_2048"),
            ],
            404,
            "Forbidden.KeyNotFound",
        ),
        // ---- ImportKeyMaterial: parameters --------------------------------------------------
        w.case(
            "EncryptedKeyMaterial missing",
            "ImportKeyMaterial",
            &[("KeyId", pending), ("ImportToken", t1)],
            400,
            "MissingParameter",
        ),
        w.case(
            "ImportToken missing",
            "ImportKeyMaterial",
            &[
                ("KeyId", pending),
                ("EncryptedKeyMaterial", &b64(&wrapped_p1)),
            ],
            400,
            "MissingParameter",
        ),
        w.case(
            "EncryptedKeyMaterial not base64",
            "ImportKeyMaterial",
            &[
                ("KeyId", pending),
                ("EncryptedKeyMaterial", "%%%%"),
                ("ImportToken", t1),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "EncryptedKeyMaterial base64url",
            "ImportKeyMaterial",
            &[
                ("KeyId", pending),
                (
                    "EncryptedKeyMaterial",
                    &b64(&wrapped_p1).replace('+', "-").replace('/', "_"),
                ),
                ("ImportToken", t1),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "KeyMaterialExpireUnix in the past",
            "ImportKeyMaterial",
            &[
                ("KeyId", pending),
                ("EncryptedKeyMaterial", &b64(&wrapped_p1)),
                ("ImportToken", t1),
                ("KeyMaterialExpireUnix", "1000"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "KeyMaterialExpireUnix negative",
            "ImportKeyMaterial",
            &[
                ("KeyId", pending),
                ("EncryptedKeyMaterial", &b64(&wrapped_p1)),
                ("ImportToken", t1),
                ("KeyMaterialExpireUnix", "-5"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "KeyMaterialExpireUnix not a number",
            "ImportKeyMaterial",
            &[
                ("KeyId", pending),
                ("EncryptedKeyMaterial", &b64(&wrapped_p1)),
                ("ImportToken", t1),
                ("KeyMaterialExpireUnix", "tomorrow"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "ImportKeyMaterial on an Aliyun_KMS key",
            "ImportKeyMaterial",
            &[
                ("KeyId", &w.kms_key),
                ("EncryptedKeyMaterial", &b64(&wrapped_p1)),
                ("ImportToken", t1),
            ],
            400,
            "Unsupported.Origin",
        ),
        w.case(
            "DeleteKeyMaterial on an Aliyun_KMS key",
            "DeleteKeyMaterial",
            &[("KeyId", &w.kms_key)],
            400,
            "Unsupported.Origin",
        ),
        // ---- ImportKeyMaterial: tokens ------------------------------------------------------
        w.raw(
            "token truncated",
            w.import(pending, &wrapped_p1, &t1[..t1.len() / 2]),
            400,
            "InvalidImportToken",
        ),
        w.raw(
            "token bit-flipped",
            w.import(pending, &wrapped_p1, &flip(t1)),
            400,
            "InvalidImportToken",
        ),
        w.raw(
            "token not base64",
            w.import(pending, &wrapped_p1, "not a token!"),
            400,
            "InvalidImportToken",
        ),
        w.raw(
            "token empty-looking",
            w.import(pending, &wrapped_p1, "AAAA"),
            400,
            "InvalidImportToken",
        ),
        w.raw(
            "token of another key",
            w.import(pending, &wrapped_p1, &w.enabled_params.import_token),
            400,
            "InvalidImportToken",
        ),
        w.raw(
            "token of another account's key",
            w.import(pending, &wrapped_p1, &w.foreign_params.import_token),
            400,
            "InvalidImportToken",
        ),
        w.raw(
            "another account's key with its own token",
            w.import(
                &w.foreign,
                &wrap(&w.foreign_params, &m, oaep),
                &w.foreign_params.import_token,
            ),
            404,
            "Forbidden.KeyNotFound",
        ),
        w.raw(
            "token of another public key of the same key",
            w.import(pending, &wrapped_p1, t2),
            400,
            "InvalidKeyMaterial",
        ),
        w.raw(
            "token expired (24 h)",
            w.import(
                pending,
                &wrap(&w.expired, &m, oaep),
                &w.expired.import_token,
            ),
            400,
            "ExpiredImportToken",
        ),
        // ---- ImportKeyMaterial: material (one message for all: no padding oracle) ------------
        w.raw(
            "material of 16 bytes for an AES-256 key",
            w.import(pending, &wrap(&w.p1, &short, oaep), t1),
            400,
            "InvalidKeyMaterial",
        ),
        w.raw(
            "EncryptedKeyMaterial of 255 bytes",
            w.import(pending, &[9u8; 255], t1),
            400,
            "InvalidKeyMaterial",
        ),
        w.raw(
            "EncryptedKeyMaterial of 257 bytes",
            w.import(pending, &[9u8; 257], t1),
            400,
            "InvalidKeyMaterial",
        ),
        w.raw(
            "EncryptedKeyMaterial of 1 byte",
            w.import(pending, &[1u8], t1),
            400,
            "InvalidKeyMaterial",
        ),
        w.raw(
            "EncryptedKeyMaterial all ones (above the modulus)",
            w.import(pending, &[0xff; 256], t1),
            400,
            "InvalidKeyMaterial",
        ),
        w.raw(
            "EncryptedKeyMaterial random",
            w.import(pending, &[0x5a; 256], t1),
            400,
            "InvalidKeyMaterial",
        ),
        w.raw(
            "EncryptedKeyMaterial bit-flipped",
            w.import(
                pending,
                &{
                    let mut x = wrapped_p1.clone();
                    x[100] ^= 1;
                    x
                },
                t1,
            ),
            400,
            "InvalidKeyMaterial",
        ),
        w.raw(
            "wrapped with OAEP-SHA-1 for a SHA-256 token",
            w.import(
                pending,
                &wrap(&w.p1, &m, WrappingAlgorithm::RsaesOaepSha1),
                t1,
            ),
            400,
            "InvalidKeyMaterial",
        ),
        w.raw(
            "wrapped with PKCS#1 v1.5 for an OAEP token",
            w.import(
                pending,
                &wrap(&w.p1, &m, WrappingAlgorithm::RsaesPkcs1V15),
                t1,
            ),
            400,
            "InvalidKeyMaterial",
        ),
        w.raw(
            "different material for a key that has material",
            w.import(
                enabled,
                &wrap(&w.enabled_params, &other_material, oaep),
                &w.enabled_params.import_token,
            ),
            400,
            "InvalidKeyMaterial",
        ),
        // ---- Encrypt, Decrypt, GenerateDataKey ----------------------------------------------
        w.case(
            "Plaintext missing",
            "Encrypt",
            &[("KeyId", enabled)],
            400,
            "MissingParameter",
        ),
        w.case(
            "Plaintext over 6 KiB",
            "Encrypt",
            &[("KeyId", enabled), ("Plaintext", &plaintext_over)],
            400,
            "InvalidParameter",
        ),
        w.case(
            "Plaintext not base64",
            "Encrypt",
            &[("KeyId", enabled), ("Plaintext", "a=b=")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "EncryptionContext not JSON",
            "Encrypt",
            &[
                ("KeyId", enabled),
                ("Plaintext", "aGk="),
                ("EncryptionContext", "{a:b}"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "EncryptionContext an array",
            "Encrypt",
            &[
                ("KeyId", enabled),
                ("Plaintext", "aGk="),
                ("EncryptionContext", "[1,2]"),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "EncryptionContext with a number",
            "Encrypt",
            &[
                ("KeyId", enabled),
                ("Plaintext", "aGk="),
                ("EncryptionContext", r#"{"a":1}"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "EncryptionContext with a repeated name",
            "Encrypt",
            &[
                ("KeyId", enabled),
                ("Plaintext", "aGk="),
                ("EncryptionContext", r#"{"a":"x","a":"y"}"#),
            ],
            400,
            "InvalidParameter",
        ),
        w.case(
            "Encrypt with an Aliyun_KMS key's alias of another account",
            "Encrypt",
            &[("KeyId", &w.foreign), ("Plaintext", "aGk=")],
            404,
            "Forbidden.KeyNotFound",
        ),
        w.case(
            "CiphertextBlob missing",
            "Decrypt",
            &[],
            400,
            "MissingParameter",
        ),
        w.case(
            "CiphertextBlob not base64",
            "Decrypt",
            &[("CiphertextBlob", "***")],
            400,
            "InvalidCiphertext",
        ),
        w.case(
            "CiphertextBlob truncated",
            "Decrypt",
            &[("CiphertextBlob", &w.blob[..w.blob.len() / 2])],
            400,
            "InvalidCiphertext",
        ),
        w.case(
            "CiphertextBlob bit-flipped",
            "Decrypt",
            &[
                ("CiphertextBlob", &flip(&w.blob)),
                ("EncryptionContext", r#"{"a":"b"}"#),
            ],
            400,
            "InvalidCiphertext",
        ),
        w.case(
            "CiphertextBlob with another context",
            "Decrypt",
            &[
                ("CiphertextBlob", &w.blob),
                ("EncryptionContext", r#"{"a":"c"}"#),
            ],
            400,
            "InvalidCiphertext",
        ),
        w.case(
            "CiphertextBlob without its context",
            "Decrypt",
            &[("CiphertextBlob", &w.blob)],
            400,
            "InvalidCiphertext",
        ),
        w.case(
            "CiphertextBlob of 3 bytes",
            "Decrypt",
            &[("CiphertextBlob", "AAAA")],
            400,
            "InvalidCiphertext",
        ),
        w.case(
            "NumberOfBytes 0",
            "GenerateDataKey",
            &[("KeyId", enabled), ("NumberOfBytes", "0")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "NumberOfBytes 1025",
            "GenerateDataKey",
            &[("KeyId", enabled), ("NumberOfBytes", "1025")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "NumberOfBytes negative",
            "GenerateDataKey",
            &[("KeyId", enabled), ("NumberOfBytes", "-32")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "GenerateDataKey KeySpec unknown",
            "GenerateDataKey",
            &[("KeyId", enabled), ("KeySpec", "AES_512")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "GenerateDataKey KeySpec and NumberOfBytes",
            "GenerateDataKey",
            &[
                ("KeyId", enabled),
                ("KeySpec", "AES_256"),
                ("NumberOfBytes", "32"),
            ],
            400,
            "InvalidParameter",
        ),
        // ---- deletion windows ---------------------------------------------------------------
        w.case(
            "PendingWindowInDays missing",
            "ScheduleKeyDeletion",
            &[("KeyId", enabled)],
            400,
            "MissingParameter",
        ),
        w.case(
            "PendingWindowInDays 6",
            "ScheduleKeyDeletion",
            &[("KeyId", enabled), ("PendingWindowInDays", "6")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "PendingWindowInDays 367",
            "ScheduleKeyDeletion",
            &[("KeyId", enabled), ("PendingWindowInDays", "367")],
            400,
            "InvalidParameter",
        ),
        w.case(
            "PendingWindowInDays not a number",
            "ScheduleKeyDeletion",
            &[("KeyId", enabled), ("PendingWindowInDays", "7d")],
            400,
            "InvalidParameter",
        ),
    ];
    // Material for a key that has material is refused even with a valid token of that key.
    let _ = &w.material;
    // Every cell of the state table that refuses, with otherwise valid requests.
    for (state, key, blob, params) in &w.in_state {
        let wrapped = wrap(params, &material(), oaep);
        let rejected = match state {
            KeyState::PendingImport => "Rejected.PendingImport",
            KeyState::Disabled => "Rejected.Disabled",
            KeyState::PendingDeletion => "Rejected.PendingDeletion",
            KeyState::Enabled => "",
        };
        let requests: Vec<(&str, Signed)> = vec![
            (
                "Encrypt",
                w.s.acs3("Encrypt", &[("KeyId", key), ("Plaintext", "aGk=")]),
            ),
            ("Decrypt", w.s.acs3("Decrypt", &[("CiphertextBlob", blob)])),
            (
                "GenerateDataKey",
                w.s.acs3("GenerateDataKey", &[("KeyId", key)]),
            ),
            ("EnableKey", w.s.acs3("EnableKey", &[("KeyId", key)])),
            ("DisableKey", w.s.acs3("DisableKey", &[("KeyId", key)])),
            (
                "ScheduleKeyDeletion",
                w.s.acs3(
                    "ScheduleKeyDeletion",
                    &[("KeyId", key), ("PendingWindowInDays", "7")],
                ),
            ),
            (
                "CancelKeyDeletion",
                w.s.acs3("CancelKeyDeletion", &[("KeyId", key)]),
            ),
            (
                "CreateAlias",
                w.s.acs3(
                    "CreateAlias",
                    &[("AliasName", "alias/state-table"), ("KeyId", key)],
                ),
            ),
            (
                "UpdateAlias",
                w.s.acs3(
                    "UpdateAlias",
                    &[("AliasName", "alias/enabled"), ("KeyId", key)],
                ),
            ),
            (
                "ImportKeyMaterial",
                w.import(key, &wrapped, &params.import_token),
            ),
            (
                "TagResource",
                w.s.acs3(
                    "TagResource",
                    &[
                        ("KeyId", key),
                        ("Tags", r#"[{"TagKey":"s","TagValue":"t"}]"#),
                    ],
                ),
            ),
            (
                "UpdateKeyDescription",
                w.s.acs3(
                    "UpdateKeyDescription",
                    &[("KeyId", key), ("Description", "state table")],
                ),
            ),
        ];
        for (action, request) in requests {
            let parsed = byok_kms::kms::state::Action::ALL
                .into_iter()
                .find(|a| a.as_str() == action)
                .unwrap();
            let Err(error) = state.check(parsed) else {
                continue;
            };
            let code = if common::code_of(&error) == "Rejected.StateModifiedFailed" {
                "Rejected.StateModifiedFailed"
            } else {
                rejected
            };
            c.push(w.raw(&format!("{action} in {state}"), request, 409, code));
        }
    }
    c
}

/// `x.pipe(f)` is `f(x)`, for building a request in an expression.
trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_request_gets_its_code_and_changes_nothing() {
    let w = common::blocking(world);
    let cases = common::blocking(|| cases(&w));
    let count = cases.len();
    let mut failures = Vec::new();
    for case in cases {
        let before = w.s.f.dump();
        let (status, body) = case.request.send(&w.s.router).await;
        let after = w.s.f.dump();
        let got = (status, body["Code"].as_str().unwrap_or("-").to_owned());
        if got != (case.status, case.code.to_owned()) || after != before || status >= 500 {
            failures.push(format!(
                "{}: expected {} {}, got {} {} ({}){}",
                case.what,
                case.status,
                case.code,
                got.0,
                got.1,
                body["Message"],
                if after == before {
                    ""
                } else {
                    "; the database changed"
                }
            ));
        } else {
            assert!(body["Message"].as_str().is_some_and(|m| m.len() > 10));
        }
    }
    eprintln!("hostile requests: {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count >= 80, "only {count} cases");
}

/// Odd values for any parameter.
const ODD_VALUES: [&str; 22] = [
    "",
    " ",
    "\0",
    "-1",
    "0",
    "9223372036854775808",
    "1e9",
    "0x10",
    "null",
    "[]",
    "{}",
    "ü",
    "%",
    "alias/",
    "acs:kms:cn-hangzhou::key/",
    "'; DROP TABLE keys; --",
    "\"",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "\u{202e}",
    "AAAA",
    "====",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_values_in_every_parameter_never_get_a_5xx_and_refusals_change_nothing() {
    let w = common::blocking(world);
    let long = "x".repeat(20_000);
    let wrapped = b64(&wrap(
        &w.p1,
        &material(),
        WrappingAlgorithm::RsaesOaepSha256,
    ));
    let pending = w.pending.as_str();
    let enabled = w.enabled.as_str();
    let (a_enc, a_enc_v) = (w.asym.enc.0.as_str(), w.asym.enc.1.as_str());
    let (a_sign, a_sign_v) = (w.asym.sign.0.as_str(), w.asym.sign.1.as_str());
    let digest = b64(&[7u8; 32]);
    let ciphertext = b64(&[1u8; 256]);
    let actions: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "CreateKey",
            vec![
                ("Description", "d"),
                ("KeySpec", "Aliyun_AES_256"),
                ("Origin", "EXTERNAL"),
                ("ProtectionLevel", "SOFTWARE"),
                ("KeyUsage", "ENCRYPT/DECRYPT"),
            ],
        ),
        ("DescribeKey", vec![("KeyId", enabled)]),
        ("ListKeys", vec![("PageNumber", "1"), ("PageSize", "10")]),
        ("ListAliases", vec![("PageNumber", "1"), ("PageSize", "10")]),
        (
            "ListAliasesByKeyId",
            vec![("KeyId", enabled), ("PageNumber", "1"), ("PageSize", "10")],
        ),
        ("ListResourceTags", vec![("KeyId", enabled)]),
        (
            "GetPublicKey",
            vec![("KeyId", a_sign), ("KeyVersionId", a_sign_v)],
        ),
        (
            "AsymmetricSign",
            vec![
                ("KeyId", a_sign),
                ("KeyVersionId", a_sign_v),
                ("Algorithm", "ECDSA_SHA_256"),
                ("Digest", &digest),
            ],
        ),
        (
            "AsymmetricVerify",
            vec![
                ("KeyId", a_sign),
                ("KeyVersionId", a_sign_v),
                ("Algorithm", "ECDSA_SHA_256"),
                ("Digest", &digest),
                ("Value", "AAAA"),
            ],
        ),
        (
            "AsymmetricEncrypt",
            vec![
                ("KeyId", a_enc),
                ("KeyVersionId", a_enc_v),
                ("Algorithm", "RSAES_OAEP_SHA_256"),
                ("Plaintext", "aGk="),
            ],
        ),
        (
            "AsymmetricDecrypt",
            vec![
                ("KeyId", a_enc),
                ("KeyVersionId", a_enc_v),
                ("Algorithm", "RSAES_OAEP_SHA_256"),
                ("CiphertextBlob", &ciphertext),
            ],
        ),
        ("ListKeyVersions", vec![("KeyId", a_enc)]),
        (
            "DescribeKeyVersion",
            vec![("KeyId", a_enc), ("KeyVersionId", a_enc_v)],
        ),
        (
            "TagResource",
            vec![
                ("KeyId", pending),
                ("Tags", r#"[{"TagKey":"a","TagValue":"b"}]"#),
            ],
        ),
        (
            "UntagResource",
            vec![("KeyId", pending), ("TagKeys", r#"["a"]"#)],
        ),
        (
            "UpdateKeyDescription",
            vec![("KeyId", pending), ("Description", "d")],
        ),
        (
            "GetParametersForImport",
            vec![
                ("KeyId", pending),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_256"),
                ("WrappingKeySpec", "RSA_2048"),
            ],
        ),
        (
            "ImportKeyMaterial",
            vec![
                ("KeyId", pending),
                ("EncryptedKeyMaterial", &wrapped),
                ("ImportToken", &w.p1.import_token),
                ("KeyMaterialExpireUnix", "0"),
            ],
        ),
        (
            "Encrypt",
            vec![
                ("KeyId", enabled),
                ("Plaintext", "aGk="),
                ("EncryptionContext", r#"{"a":"b"}"#),
            ],
        ),
        (
            "Decrypt",
            vec![
                ("CiphertextBlob", &w.blob),
                ("EncryptionContext", r#"{"a":"b"}"#),
            ],
        ),
        (
            "GenerateDataKey",
            vec![("KeyId", enabled), ("NumberOfBytes", "32")],
        ),
        ("DisableKey", vec![("KeyId", "alias/none")]),
        ("EnableKey", vec![("KeyId", enabled)]),
        ("CancelKeyDeletion", vec![("KeyId", enabled)]),
        (
            "ScheduleKeyDeletion",
            vec![("KeyId", "alias/none"), ("PendingWindowInDays", "7")],
        ),
        (
            "CreateAlias",
            vec![("AliasName", "alias/sweep"), ("KeyId", enabled)],
        ),
        (
            "UpdateAlias",
            vec![("AliasName", "alias/enabled"), ("KeyId", enabled)],
        ),
        ("DeleteAlias", vec![("AliasName", "alias/none")]),
        ("DeleteKeyMaterial", vec![("KeyId", "alias/none")]),
    ];
    let (mut sent, mut refused, mut server_errors) = (0, 0, Vec::new());
    for (action, base) in &actions {
        for i in 0..base.len() {
            for odd in ODD_VALUES.iter().copied().chain([long.as_str()]) {
                let mut params = base.clone();
                params[i].1 = odd;
                let before = w.s.f.dump();
                let (status, body) = w.s.acs3(action, &params).send(&w.s.router).await;
                sent += 1;
                if status >= 500 {
                    server_errors.push(format!("{action} {}={odd:?}: {body}", params[i].0));
                } else if status != 200 {
                    refused += 1;
                    assert!(body["Code"].is_string(), "{body}");
                    assert_eq!(
                        w.s.f.dump(),
                        before,
                        "{action} {}={odd:?} was refused ({}) but changed the database",
                        params[i].0,
                        body["Code"]
                    );
                }
            }
        }
    }
    eprintln!(
        "odd values: {sent} requests, {refused} refused, {} 5xx",
        server_errors.len()
    );
    assert!(server_errors.is_empty(), "{server_errors:#?}");
}
