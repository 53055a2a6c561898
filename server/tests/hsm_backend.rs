//! The HSM backend in this process (`byok_kms::hsm::Hsm`) against throwaway SoftHSM2 tokens:
//! what it reports of the token, `probe`, its errors, and that dropping it lets the module be
//! opened again with a fresh login.
//!
//! One test only: SoftHSM2 reads `SOFTHSM2_CONF` from this process's environment, which may be
//! changed only while no other thread reads it.

mod common;

use std::path::Path;

use byok_kms::hsm::{Error, Hsm};
use common::softhsm::{MODULE, SoftHsm};
use zeroize::Zeroizing;

const PIN: &str = "user-pin-0b7e21";

fn open(label: &str, pin: &str) -> Result<Hsm, Error> {
    Hsm::open(Path::new(MODULE), label, Zeroizing::new(pin.to_owned()))
}

#[test]
fn connects_probes_and_refuses_in_the_tokens_words() {
    let tokens = SoftHsm::new();
    tokens.init_token("first", PIN);
    tokens.init_token("twin", PIN);
    tokens.init_token("twin", PIN);
    // SAFETY: the only test of this binary, before its first PKCS#11 call; nothing else reads
    // the environment meanwhile.
    unsafe { std::env::set_var("SOFTHSM2_CONF", tokens.conf()) };

    let hsm = open("first", PIN).unwrap();
    assert_eq!(hsm.token().label, "first");
    assert_eq!(hsm.token().manufacturer, "SoftHSM project");
    assert_eq!(hsm.token().model, "SoftHSM v2");
    assert_eq!(hsm.module(), Path::new(MODULE));
    hsm.probe().unwrap();
    assert!(hsm.is_present());
    let debug = format!("{hsm:?}");
    assert!(debug.contains("first") && !debug.contains(PIN), "{debug}");
    drop(hsm);

    // Dropped, the module was finalised: a new login checks the PIN again.
    match open("first", "not-the-pin") {
        Err(Error::PinIncorrect { label }) => assert_eq!(label, "first"),
        other => panic!("a wrong PIN: {other:?}"),
    }
    match open("missing", PIN) {
        Err(Error::TokenNotFound { label, mut found }) => {
            found.sort();
            assert_eq!(label, "missing");
            assert_eq!(found, ["first", "twin", "twin"]);
        }
        other => panic!("an unknown label: {other:?}"),
    }
    match open("twin", PIN) {
        Err(Error::DuplicateToken { label, count }) => {
            assert_eq!((label.as_str(), count), ("twin", 2))
        }
        other => panic!("two tokens with one label: {other:?}"),
    }
    match Hsm::open(
        Path::new("/nonexistent.so"),
        "first",
        Zeroizing::new(PIN.into()),
    ) {
        Err(Error::Module { path, reason }) => {
            assert_eq!(path, Path::new("/nonexistent.so"));
            assert!(reason.contains("No such file"), "{reason}");
        }
        other => panic!("a missing module: {other:?}"),
    }
    // Still usable after all those refusals.
    open("first", PIN).unwrap().probe().unwrap();
}
