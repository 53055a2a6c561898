//! What each fuzz target does with its input, in one place: the `cargo fuzz` binaries call these,
//! and `server/tests/fuzz_regressions.rs` runs them over the committed corpus and crashes on
//! stable Rust. Each must never panic, whatever the bytes.

use std::sync::{Arc, OnceLock};

use byok_kms::api::ApiRequest;
use byok_kms::api::alibaba;
use byok_kms::clock::ManualClock;
use byok_kms::crypto::{Crypto, RootKey};
use byok_kms::kms::Kms;
use byok_kms::kms::ciphertext::CiphertextBlob;
use byok_kms::kms::import::ImportToken;
use byok_kms::store::SqliteStore;

/// 2026-11-29T09:36:38Z, when the seed requests (captured from the official SDK) were signed.
const NOW: i64 = 1_795_944_998;

fn kms() -> &'static Kms<SqliteStore> {
    static KMS: OnceLock<Kms<SqliteStore>> = OnceLock::new();
    KMS.get_or_init(|| {
        let kms = Kms::new(
            SqliteStore::in_memory().expect("a database"),
            &RootKey::from_bytes(&[7; 32]).expect("a root key"),
            Arc::new(ManualClock::new(NOW)),
            "cn-hangzhou",
        )
        .expect("a KMS");
        kms.default_credentials(Some(("testid", "testsecret")))
            .expect("an account");
        kms
    })
}

/// The crypto the token target seals and opens with.
pub fn crypto() -> &'static Crypto {
    static CRYPTO: OnceLock<Crypto> = OnceLock::new();
    CRYPTO.get_or_init(|| {
        Crypto::new(&RootKey::from_bytes(&[9; 32]).expect("a root key")).expect("crypto")
    })
}

/// Request decoding, signature canonicalisation and dispatch: the input is a request as text —
/// the query string on the first line, then `name: value` header lines, a blank line, the body.
pub fn request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let query = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let request = ApiRequest {
        method: "POST".to_owned(),
        path: "/".to_owned(),
        query,
        headers,
        body: body.as_bytes().to_vec(),
    };
    let reply = alibaba::handle(kms(), &request, "fuzz");
    assert!(reply.status < 500, "{reply:?}");
}

/// Token opening: arbitrary text as a token; and (first byte odd) arbitrary bytes sealed as a
/// token's payload, so that the payload parser sees them.
pub fn import_token(data: &[u8]) {
    match data.split_first() {
        Some((flag, payload)) if flag % 2 == 1 => {
            use base64::Engine as _;
            let sealed = crypto().seal_token(payload).expect("sealing");
            let text = base64::engine::general_purpose::STANDARD.encode(sealed);
            let _ = ImportToken::open(crypto(), &text);
        }
        _ => {
            let _ = ImportToken::open(crypto(), &String::from_utf8_lossy(data));
        }
    }
}

/// Ciphertext blob parsing: as text (base64), and as raw bytes encoded.
pub fn ciphertext_blob(data: &[u8]) {
    use base64::Engine as _;
    let _ = CiphertextBlob::decode(&String::from_utf8_lossy(data));
    let _ = CiphertextBlob::decode(&base64::engine::general_purpose::STANDARD.encode(data));
}

/// byok-wrap's public key parsing: base64 DER, PEM or DER, whatever the bytes.
pub fn public_key(data: &[u8]) {
    if let Ok(key) = byok_wrap::WrappingPublicKey::parse(data) {
        assert!(matches!(key.modulus_len(), 256 | 384 | 512));
        // What it accepted, it accepts again in canonical form.
        let again = byok_wrap::WrappingPublicKey::from_der(key.spki_der()).expect("its own SPKI");
        assert_eq!(again.spki_der(), key.spki_der());
    }
}
