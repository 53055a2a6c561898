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
        &[],
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

const SEED: &str = r#"{"accounts":[{"accessKeyId":"LTAIseedprocess0001","accessKeySecret":"seed-process-secret-0000000001",
  "awsAccessKeyId":"AKIASEEDPROCESS01","awsSecretAccessKey":"seed-process-aws-secret-000000000000001",
  "keys":[{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","keySpec":"Aliyun_AES_256","aliases":["alias/app"],
           "material":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="}]}]}"#;

/// `byok-kms serve --seed` on `data`: its first stdout line,
/// or its exit status and stderr if it stops instead.
fn serve_seeded(
    data: &std::path::Path,
    seed: &std::path::Path,
) -> Result<(std::process::Child, String), (i32, String)> {
    let mut child = serve(data, &["--ready-json", "--seed", seed.to_str().unwrap()]);
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
    if line.is_empty() {
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        return Err((status.code().unwrap_or(-1), stderr));
    }
    Ok((child, line))
}

fn stop(mut child: std::process::Child) -> String {
    // SIGTERM: a graceful stop, then what it logged.
    unsafe extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    unsafe { kill(child.id() as i32, 15) };
    child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    stderr
}

#[test]
fn a_seed_is_served_applied_once_and_a_bad_one_stops_the_start_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, SEED).unwrap();
    let (child, ready) = serve_seeded(&data, &seed).unwrap();
    let ready: serde_json::Value = serde_json::from_str(&ready).unwrap();
    assert_eq!(
        ready["accounts"],
        serde_json::json!([{
            "accessKeyId": "LTAIseedprocess0001",
            "awsAccessKeyId": "AKIASEEDPROCESS01",
        }]),
        "the seed's accounts, no secrets, and no default account"
    );
    let endpoint = ready["listening"].as_str().unwrap();
    let client = byok_kms_testkit::RemoteKms::new(
        endpoint,
        "LTAIseedprocess0001",
        "seed-process-secret-0000000001",
        1,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let described = runtime
        .block_on(client.ok("DescribeKey", &[("KeyId", "alias/app")]))
        .unwrap();
    assert_eq!(
        described["KeyMetadata"]["KeyState"], "Enabled",
        "{described}"
    );
    let log = stop(child);
    assert!(!log.contains("seed-process-secret"), "{log}");

    // A seed that breaks a rule: exit status 1, the entry named, nothing applied.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, SEED.replace("BwcHBwcH", "CAgICAgI")).unwrap();
    let (code, stderr) = serve_seeded(&data, &bad).err().unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("the seed was not applied"), "{stderr}");
    let entry = "accounts[0].keys[0] (keyId 1234abcd-12ab-34cd-56ef-1234567890ab)";
    assert!(
        stderr.contains(&format!("{entry}: the key exists with other key material")),
        "{stderr}"
    );
    assert!(!stderr.contains("BwcHBwcH"), "{stderr}");
    // A file that does not parse says what to do.
    std::fs::write(&bad, SEED.replace("\"keyId\"", "\"keyid\"")).unwrap();
    let (code, stderr) = serve_seeded(&data, &bad).err().unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("unknown field `keyid`") && stderr.contains("fix the file"),
        "{stderr}"
    );

    // The same seed again on the same data directory: served, and nothing changed.
    let (child, _) = serve_seeded(&data, &seed).unwrap();
    let log = stop(child);
    let plain: String = strip_ansi(&log);
    assert!(plain.contains("seed applied changed=false"), "{plain}");
}

#[test]
fn a_bad_seed_leaves_no_ephemeral_directory() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, SEED.replace("alias/app", "alias/acs/app")).unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_byok-kms"))
        .args([
            "serve",
            "--ephemeral",
            "--listen",
            "127.0.0.1:0",
            "--ready-json",
            "--seed",
        ])
        .arg(&seed)
        .env_remove("BYOK_KMS_ACCESS_KEY_ID")
        .env_remove("BYOK_KMS_ACCESS_KEY_SECRET")
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("aliases[0] (alias/acs/app): the alias name is invalid"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "the ephemeral directory is gone"
    );
    // The default account's variables and a seed do not go together.
    let out = Command::new(env!("CARGO_BIN_EXE_byok-kms"))
        .args(["serve", "--ephemeral", "--listen", "127.0.0.1:0", "--seed"])
        .arg(&seed)
        .env("BYOK_KMS_ACCESS_KEY_ID", "LTAIx")
        .env("BYOK_KMS_ACCESS_KEY_SECRET", "y")
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("with --seed there is no default account")
    );
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
