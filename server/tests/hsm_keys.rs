//! Keys with ProtectionLevel HSM against a throwaway SoftHSM2 token: the wrapping key pair made
//! in the token, the material unwrapped into it (sensitive, never extractable, as `pkcs11-tool`
//! lists it), AES-GCM there, the same-material rule by a check the token computes,
//! DeleteKeyMaterial destroying the object, re-import, and the sweep destroying expired
//! wrapping keys.
//!
//! One test only: SoftHSM2 reads `SOFTHSM2_CONF` from this process's environment, which may be
//! changed only while no other thread reads it.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use byok_kms::clock::ManualClock;
use byok_kms::crypto::RootKey;
use byok_kms::hsm::Hsm;
use byok_kms::kms::ciphertext::EncryptionContext;
use byok_kms::kms::key::{KeyUsage, Origin, ProtectionLevel};
use byok_kms::kms::state::KeyState;
use byok_kms::kms::{CreateKey, DataKeySize, Kms};
use byok_wrap::{KeyMaterial, KeySpec, WrappingAlgorithm, WrappingKeySpec};
use common::softhsm::{MODULE, SoftHsm};
use common::{Fixture, T0, code_of, fresh_store, wrap};
use zeroize::Zeroizing;

const PIN: &str = "user-pin-5c1d07";

/// The token's objects as `pkcs11-tool --list-objects` shows them: one text block each.
fn objects(tokens: &SoftHsm) -> Vec<String> {
    let output = Command::new("pkcs11-tool")
        .args([
            "--module",
            MODULE,
            "--login",
            "--pin",
            PIN,
            "--list-objects",
        ])
        .env("SOFTHSM2_CONF", tokens.conf())
        .output()
        .expect("pkcs11-tool cannot run: run scripts/setup.sh test");
    assert!(output.status.success(), "{output:?}");
    let mut blocks: Vec<String> = Vec::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        if line.starts_with(char::is_whitespace) {
            if let Some(block) = blocks.last_mut() {
                block.push('\n');
                block.push_str(line);
            }
        } else {
            blocks.push(line.to_owned());
        }
    }
    blocks
}

fn labelled<'a>(blocks: &'a [String], label: &str) -> Vec<&'a String> {
    blocks
        .iter()
        .filter(|b| {
            b.lines()
                .any(|l| l.trim() == format!("label:      {label}"))
        })
        .collect()
}

fn with_prefix<'a>(blocks: &'a [String], prefix: &str) -> Vec<&'a String> {
    blocks
        .iter()
        .filter(|b| b.contains(&format!("label:      {prefix}")))
        .collect()
}

#[test]
fn hsm_keys_import_encrypt_and_forget_their_material_in_the_token() {
    let tokens = SoftHsm::new();
    tokens.init_token("kms", PIN);
    // SAFETY: the only test of this binary, before its first PKCS#11 call; nothing else reads
    // the environment meanwhile.
    unsafe { std::env::set_var("SOFTHSM2_CONF", tokens.conf()) };
    let hsm = Hsm::open(Path::new(MODULE), "kms", Zeroizing::new(PIN.into())).unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let root = RootKey::from_bytes(&[42; 32]).unwrap();
    let kms = Kms::new(fresh_store(), &root, clock.clone(), "cn-hangzhou")
        .unwrap()
        .with_hsm(Arc::new(hsm));
    let f = Fixture::wrapping(kms, clock.clone());
    let create = |key_spec: KeySpec, origin| {
        f.kms.create_key(
            &f.account,
            &CreateKey {
                origin,
                key_spec: key_spec.into(),
                protection_level: ProtectionLevel::Hsm,
                ..CreateKey::default()
            },
        )
    };

    // CreateKey: only EXTERNAL AES keys are kept in the HSM.
    let refused = create(KeySpec::AliyunAes256, Origin::Kms).unwrap_err();
    assert_eq!(code_of(&refused), "InvalidParameter", "{refused}");
    assert!(refused.to_string().contains("EXTERNAL"), "{refused}");
    let key = create(KeySpec::AliyunAes256, Origin::External).unwrap();
    assert_eq!(key.protection_level, ProtectionLevel::Hsm);
    assert_eq!(key.key_usage, KeyUsage::EncryptDecrypt);
    assert_eq!(key.state, KeyState::PendingImport);
    let id = key.key_id.clone();

    // GetParametersForImport: SHA-256 is refused with why; SHA-1's pair is made in the token.
    let refused = f
        .kms
        .get_parameters_for_import(
            &f.account,
            &id,
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
        )
        .unwrap_err();
    assert!(
        refused.to_string().contains("RSAES_OAEP_SHA_1"),
        "{refused}"
    );
    let sha1 = WrappingAlgorithm::RsaesOaepSha1;
    let import = |material: &KeyMaterial| {
        let params = f.params(&id, sha1);
        let wrapped = wrap(&params, material, sha1);
        f.kms
            .import_key_material(&f.account, &id, &wrapped, &params.import_token, None)
    };
    let material = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    import(&material).unwrap();
    let state = |f: &Fixture| f.kms.describe_key(&f.account, &id).unwrap().state;
    assert_eq!(state(&f), KeyState::Enabled);
    let listed = objects(&tokens);
    let wrapping = with_prefix(&listed, "byok-kms wrapping ");
    assert_eq!(wrapping.len(), 1, "{listed:#?}");
    assert!(
        wrapping[0].starts_with("Private Key Object"),
        "{wrapping:?}"
    );

    // The material is a sensitive, never extractable AES key object in the token.
    let label = format!("byok-kms material {id}");
    let found = labelled(&listed, &label);
    assert_eq!(found.len(), 1, "{listed:#?}");
    let object = found[0];
    // SoftHSM2 2.6 does not give an unwrapped key a CKA_VALUE_LEN, so no "length 32" here.
    assert!(object.starts_with("Secret Key Object; AES"), "{object}");
    let access = object
        .lines()
        .find_map(|l| l.trim().strip_prefix("Access:"))
        .unwrap_or_else(|| panic!("no Access line: {object}"));
    let flags: Vec<&str> = access.split(',').map(str::trim).collect();
    assert!(flags.contains(&"sensitive"), "{object}");
    assert!(!flags.contains(&"extractable"), "{object}");
    assert!(
        with_prefix(&listed, "byok-kms import").is_empty(),
        "{listed:#?}"
    );

    // Encrypt, Decrypt and GenerateDataKey run in the token.
    let context = EncryptionContext::default();
    let blob = f
        .kms
        .encrypt(&f.account, &id, b"in the token", &context)
        .unwrap()
        .ciphertext_blob;
    let decrypted = f.kms.decrypt(&f.account, &blob, &context).unwrap();
    assert_eq!(&decrypted.plaintext[..], b"in the token");
    let other_context =
        EncryptionContext::from_pairs([("purpose".to_owned(), "other".to_owned())]).unwrap();
    let Err(refused) = f.kms.decrypt(&f.account, &blob, &other_context) else {
        panic!("decrypted under another context")
    };
    assert_eq!(code_of(&refused), "InvalidCiphertext", "{refused:?}");
    let data_key = f
        .kms
        .generate_data_key(&f.account, &id, DataKeySize::default(), &context)
        .unwrap();
    let opened = f
        .kms
        .decrypt(&f.account, &data_key.encrypted.ciphertext_blob, &context)
        .unwrap();
    assert_eq!(opened.plaintext, data_key.plaintext);

    // The same-material rule, checked in the token: other material is refused and leaves
    // nothing behind; the same material again is accepted.
    let other = KeyMaterial::generate(KeySpec::AliyunAes256).unwrap();
    let params = f.params(&id, sha1);
    let wrapped = wrap(&params, &other, sha1);
    f.refused("InvalidKeyMaterial", || {
        f.kms
            .import_key_material(&f.account, &id, &wrapped, &params.import_token, None)
    });
    import(&material).unwrap();
    let listed = objects(&tokens);
    assert_eq!(labelled(&listed, &label).len(), 1, "{listed:#?}");
    assert!(
        with_prefix(&listed, "byok-kms import").is_empty(),
        "{listed:#?}"
    );

    // DeleteKeyMaterial destroys the object; the same material comes back, old blobs decrypt.
    f.kms.delete_key_material(&f.account, &id).unwrap();
    assert_eq!(state(&f), KeyState::PendingImport);
    assert!(labelled(&objects(&tokens), &label).is_empty());
    let Err(refused) = f.kms.decrypt(&f.account, &blob, &context) else {
        panic!("decrypted without material")
    };
    assert_eq!(code_of(&refused), "Rejected.PendingImport", "{refused}");
    let refused = import(&other).unwrap_err();
    assert_eq!(code_of(&refused), "InvalidKeyMaterial", "{refused}");
    import(&material).unwrap();
    assert_eq!(state(&f), KeyState::Enabled);
    let decrypted = f.kms.decrypt(&f.account, &blob, &context).unwrap();
    assert_eq!(&decrypted.plaintext[..], b"in the token");
    assert_eq!(labelled(&objects(&tokens), &label).len(), 1);

    // Software keys beside it keep working as before.
    let software = f.external_key();
    f.import(&software, &common::material()).unwrap();
    f.kms
        .encrypt(&f.account, &software, b"software", &context)
        .unwrap();

    // The sweep destroys wrapping keys whose tokens expired.
    assert!(!with_prefix(&objects(&tokens), "byok-kms wrapping ").is_empty());
    clock.advance(25 * 3600);
    f.kms.sweep().unwrap();
    assert!(with_prefix(&objects(&tokens), "byok-kms wrapping ").is_empty());
    // The material stays, and still decrypts.
    assert_eq!(labelled(&objects(&tokens), &label).len(), 1);
    f.kms.decrypt(&f.account, &blob, &context).unwrap();
}
