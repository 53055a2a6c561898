//! What byok-kms does with its secrets at start: the root key and the access key secret leave the
//! environment once read (a process's environment stays readable in `/proc/<pid>/environ`), a
//! root key file others may read is refused, and a generated access key secret goes to a private
//! file, not to stdout, when stdout is not a terminal (under systemd or Docker, stdout is a log).

mod common;

use std::io::Read as _;
use std::process::{Command, Stdio};

use common::process::{ACCESS_KEY_ID, ACCESS_KEY_SECRET, KmsProcess};

const ROOT_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[test]
fn secrets_leave_the_environment_once_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = KmsProcess::start_with_env(
        &dir.path().join("data"),
        &["--wrapping-key-pool", "0"],
        "info",
        &[("BYOK_KMS_ROOT_KEY", ROOT_KEY)],
    )
    .unwrap();
    let environ = std::fs::read(format!("/proc/{}/environ", server.pid())).unwrap();
    let text = String::from_utf8_lossy(&environ);
    assert!(
        !text.contains(ROOT_KEY),
        "the root key is still in the environment"
    );
    assert!(
        !text.contains(ACCESS_KEY_SECRET),
        "the secret is still in the environment"
    );
    assert!(
        text.contains(ACCESS_KEY_ID),
        "only the secret parts are wiped"
    );
    // …and it still serves with them.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(server.client(1).ok("ListKeys", &[]))
        .unwrap();
    server.stop();
}

fn serve(data: &std::path::Path, extra: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_byok-kms"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--wrapping-key-pool",
            "0",
            "--data-dir",
        ])
        .arg(data)
        .args(["--www-dir", "/nonexistent", "--pkg-dir", "/nonexistent"])
        .args(extra)
        .env_remove("BYOK_KMS_ACCESS_KEY_ID")
        .env_remove("BYOK_KMS_ACCESS_KEY_SECRET")
        .env_remove("BYOK_KMS_ROOT_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_root_key_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("root.key");
    std::fs::write(&file, format!("{ROOT_KEY}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let arg = file.to_str().unwrap();
    let mut child = serve(&dir.path().join("data"), &["--root-key-file", arg]);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!status.success());
    assert!(stderr.contains("chmod 600"), "{stderr}");
    let missing = dir.path().join("missing.key");
    let mut child = serve(
        &dir.path().join("data"),
        &["--root-key-file", missing.to_str().unwrap()],
    );
    assert!(!child.wait().unwrap().success());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("does not exist"), "{stderr}");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut child = serve(&dir.path().join("data"), &["--root-key-file", arg]);
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.contains("listening on"), "{line}");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !dir.path().join("data/root.key").exists(),
        "the data directory got a root key"
    );
}

#[test]
fn a_generated_secret_goes_to_a_private_file_not_to_a_log() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = serve(&data, &[]);
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    for _ in 0..5 {
        std::io::BufRead::read_line(&mut reader, &mut banner).unwrap();
    }
    let file = data.join("access-key.env");
    let contents = std::fs::read_to_string(&file).unwrap();
    let secret = contents
        .lines()
        .find_map(|l| l.strip_prefix("BYOK_KMS_ACCESS_KEY_SECRET="))
        .unwrap();
    let id = contents
        .lines()
        .find_map(|l| l.strip_prefix("BYOK_KMS_ACCESS_KEY_ID="))
        .unwrap();
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!banner.contains(secret), "{banner}");
    assert!(banner.contains("access-key.env"), "{banner}");
    // The file's key works.
    let endpoint = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let client = byok_kms_testkit::RemoteKms::new(&endpoint, id, secret, 1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(client.ok("ListKeys", &[])).unwrap();
    let _ = child.kill();
    let _ = child.wait();
}
