//! Replays against a real `byok-kms serve`: a signature nonce reaches the database within a second
//! of its request, independent of the sweep, so a SIGKILL right after does not forget it; and a
//! request stamped ahead of the clock is remembered for its own window.

mod common;

use common::client::Signer;
use common::process::{ACCESS_KEY_ID, ACCESS_KEY_SECRET, KmsProcess};

#[test]
fn a_nonce_survives_a_sigkill_a_second_after_its_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A sweep interval of an hour: only the nonce flush can have stored it.
    let args = ["--sweep-interval", "3600", "--wrapping-key-pool", "0"];
    let server = KmsProcess::start(&data, &args, "info");
    let address = server.endpoint.trim_start_matches("http://").to_owned();
    let signer = Signer {
        access_key_id: ACCESS_KEY_ID.into(),
        secret: ACCESS_KEY_SECRET.into(),
        host: address.clone(),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Stamped ten minutes ahead, as an attacker who wants a long replay window would.
    let request = signer.acs3("ListKeys", &[], now + 10 * 60, "replayed-after-a-crash");
    let (status, body) = request.send_to(&address);
    assert_eq!(status, 200, "{body}");
    // The flush runs every half second; give it two chances.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    server.kill9();

    let server = KmsProcess::start(&data, &args, "info");
    let address = server.endpoint.trim_start_matches("http://").to_owned();
    let (status, body) = request.send_to(&address);
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("SignatureNonceUsed")),
        "{body}"
    );
    server.stop();
}
