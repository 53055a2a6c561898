//! byok-kms connecting to an HSM at start (`--hsm-module`, `--hsm-token`, the PIN), against a
//! throwaway SoftHSM2 token: it starts and serves with the right module, label and PIN, and
//! refuses to start, before binding its port and with a message that says what to fix, with
//! anything else. Connected, it keeps EXTERNAL AES keys with ProtectionLevel HSM in the token
//! (the whole flow is in hsm_keys.rs).

mod common;

use common::process::KmsProcess;
use common::softhsm::{MODULE, SoftHsm};

const LABEL: &str = "byok-kms-test";
const PIN: &str = "user-pin-5f3a9c";

/// A token labelled [`LABEL`] with the user PIN [`PIN`], and a private PIN file of it.
fn token() -> (SoftHsm, String) {
    let hsm = SoftHsm::new();
    hsm.init_token(LABEL, PIN);
    let pin_file = hsm.file("pin", &format!("{PIN}\n"), 0o600);
    (hsm, pin_file.to_str().unwrap().to_owned())
}

fn start(hsm: &SoftHsm, args: &[&str], env: &[(&str, &str)]) -> Result<KmsProcess, String> {
    let conf = hsm.conf().to_str().unwrap();
    let mut all_env = vec![("SOFTHSM2_CONF", conf)];
    all_env.extend_from_slice(env);
    let data = hsm.dir().join(format!("data-{}", rand_suffix()));
    let mut all_args = vec!["--wrapping-key-pool", "0"];
    all_args.extend_from_slice(args);
    KmsProcess::start_with_env(&data, &all_args, "info", &all_env)
}

/// A fresh name for each start's data directory (its log is named after it).
fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A start that must fail: what it is, its arguments and environment, what the message says.
type Refusal<'a> = (
    &'a str,
    Vec<&'a str>,
    Vec<(&'a str, &'a str)>,
    &'a [&'a str],
);

/// The arguments of `parts`, in order.
fn with<'a>(parts: &[&[&'a str]]) -> Vec<&'a str> {
    parts.concat()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn starts_and_serves_with_the_token_it_names() {
    let (hsm, pin_file) = token();
    let args = [
        "--hsm-module",
        MODULE,
        "--hsm-token",
        LABEL,
        "--hsm-pin-file",
        &pin_file,
    ];
    let server = start(&hsm, &args, &[]).unwrap_or_else(|log| panic!("did not start: {log}"));
    let client = server.client(1);
    let runtime = runtime();
    runtime.block_on(client.ok("ListKeys", &[])).unwrap();
    runtime.block_on(client.ok("CreateKey", &[])).unwrap();
    // Connected, ProtectionLevel HSM is offered: for EXTERNAL keys, whose wrapping key pair the
    // token makes.
    let (status, reply) = runtime
        .block_on(client.call("CreateKey", &[("ProtectionLevel", "HSM")]))
        .unwrap();
    assert_eq!(
        (status, reply["Code"].as_str()),
        (400, Some("InvalidParameter")),
        "{reply}"
    );
    let created = runtime
        .block_on(client.ok(
            "CreateKey",
            &[("ProtectionLevel", "HSM"), ("Origin", "EXTERNAL")],
        ))
        .unwrap();
    assert_eq!(
        created["KeyMetadata"]["ProtectionLevel"], "HSM",
        "{created}"
    );
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let params = runtime
        .block_on(client.ok(
            "GetParametersForImport",
            &[
                ("KeyId", key_id.as_str()),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_1"),
                ("WrappingKeySpec", "RSA_2048"),
            ],
        ))
        .unwrap();
    assert!(params["PublicKey"].as_str().is_some(), "{params}");

    let log = std::fs::read_to_string(&server.log_path).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("HSM token connected"))
        .unwrap_or_else(|| panic!("no line about the token in the log:\n{log}"));
    for said in [LABEL, "SoftHSM project", "SoftHSM v2", MODULE] {
        assert!(line.contains(said), "{said} is not in {line}");
    }
    let stdout = std::fs::read_to_string(&server.stdout_path).unwrap();
    assert!(!log.contains(PIN), "the PIN is in the log:\n{log}");
    assert!(!stdout.contains(PIN), "the PIN is on stdout:\n{stdout}");
    server.stop();
}

#[test]
fn the_pin_from_the_environment_works_and_leaves_the_environment() {
    let (hsm, _) = token();
    let args = ["--hsm-module", MODULE, "--hsm-token", LABEL];
    let server = start(&hsm, &args, &[("BYOK_KMS_HSM_PIN", PIN)])
        .unwrap_or_else(|log| panic!("did not start: {log}"));
    runtime()
        .block_on(server.client(1).ok("ListKeys", &[]))
        .unwrap();
    // /proc/<pid>/environ reads the environment block the kernel wrote at exec, whatever
    // remove_var does; byok-kms overwrites the value there, so only the name is left.
    let environ = std::fs::read(format!("/proc/{}/environ", server.pid())).unwrap();
    let environ = String::from_utf8_lossy(&environ);
    assert!(
        !environ.contains(PIN),
        "the PIN is in /proc/<pid>/environ: {environ}"
    );
    assert!(
        environ.contains(&format!("BYOK_KMS_HSM_PIN={}", "x".repeat(PIN.len()))),
        "the variable is not where it was, overwritten: {environ}"
    );
    server.stop();
}

#[test]
fn refuses_to_start_with_a_message_that_says_what_to_fix() {
    let (hsm, pin_file) = token();
    let wrong_pin = hsm.file("wrong-pin", "not-the-pin\n", 0o600);
    let wrong_pin = wrong_pin.to_str().unwrap();
    let readable = hsm.file("readable-pin", &format!("{PIN}\n"), 0o644);
    let readable = readable.to_str().unwrap();
    let empty = hsm.file("empty-pin", "\n", 0o600);
    let empty = empty.to_str().unwrap();
    // Debian's C library: a shared library, and not a PKCS#11 module.
    let libc = format!("/lib/{}-linux-gnu/libc.so.6", std::env::consts::ARCH);
    let module = ["--hsm-module", MODULE];
    let label = ["--hsm-token", LABEL];
    let cases: Vec<Refusal> = vec![
        (
            "a module that is not there",
            with(&[
                &["--hsm-module", "/nonexistent/libpkcs11.so"],
                &label,
                &["--hsm-pin-file", &pin_file],
            ]),
            vec![],
            &[
                "the PKCS#11 module /nonexistent/libpkcs11.so cannot be loaded",
                "No such file or directory",
            ],
        ),
        (
            "a file that is not a module",
            with(&[
                &["--hsm-module", &pin_file],
                &label,
                &["--hsm-pin-file", &pin_file],
            ]),
            vec![],
            &["cannot be loaded", "file too short"],
        ),
        (
            "a shared library that is not a PKCS#11 module",
            with(&[
                &["--hsm-module", &libc],
                &label,
                &["--hsm-pin-file", &pin_file],
            ]),
            vec![],
            &["it has no C_GetFunctionList, so it is not a PKCS#11 module"],
        ),
        (
            "an unknown label",
            with(&[
                &module,
                &["--hsm-token", "no-such-token"],
                &["--hsm-pin-file", &pin_file],
            ]),
            vec![],
            &[
                "no token labelled \"no-such-token\"",
                "the labels it shows: \"byok-kms-test\"",
            ],
        ),
        (
            "a wrong PIN",
            with(&[&module, &label, &["--hsm-pin-file", wrong_pin]]),
            vec![],
            &[
                "PIN of the token \"byok-kms-test\" is wrong",
                "CKR_PIN_INCORRECT",
            ],
        ),
        (
            "a PIN file others may read",
            with(&[&module, &label, &["--hsm-pin-file", readable]]),
            vec![],
            &["may be read by its group or others (mode 644)", "chmod 600"],
        ),
        (
            "an empty PIN file",
            with(&[&module, &label, &["--hsm-pin-file", empty]]),
            vec![],
            &["is empty"],
        ),
        (
            "no PIN",
            with(&[&module, &label]),
            vec![],
            &[
                "needs the token's user PIN: --hsm-pin-file FILE",
                "BYOK_KMS_HSM_PIN",
            ],
        ),
        (
            "the PIN twice",
            with(&[&module, &label, &["--hsm-pin-file", &pin_file]]),
            vec![("BYOK_KMS_HSM_PIN", PIN)],
            &["the PIN is given twice"],
        ),
        (
            "--hsm-token without --hsm-module",
            with(&[&label, &["--hsm-pin-file", &pin_file]]),
            vec![],
            &["--hsm-token and --hsm-pin-file given without --hsm-module"],
        ),
        (
            "a PIN without --hsm-module",
            vec![],
            vec![("BYOK_KMS_HSM_PIN", PIN)],
            &["BYOK_KMS_HSM_PIN given without --hsm-module"],
        ),
        (
            "--hsm-module without --hsm-token",
            with(&[&module, &["--hsm-pin-file", &pin_file]]),
            vec![],
            &["--hsm-module needs --hsm-token LABEL"],
        ),
    ];
    // The port is taken: a server that bound it before connecting to the HSM would say so.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    for (case, mut args, env, expected) in cases {
        args.extend(["--listen", &taken]);
        let log = match start(&hsm, &args, &env) {
            Ok(_) => panic!("{case}: byok-kms started"),
            Err(log) => log,
        };
        assert!(log.contains("exit status: 1"), "{case}: {log}");
        for said in expected {
            assert!(log.contains(said), "{case}: {said:?} is not in {log}");
        }
        assert!(
            !log.contains("listening on"),
            "{case}: bound the port first: {log}"
        );
        assert!(
            !log.contains(PIN),
            "{case}: the PIN is in the message: {log}"
        );
    }

    // A module with no initialised token: the token is absent (not plugged in, not made).
    let empty = SoftHsm::new();
    let log = match start(
        &empty,
        &with(&[&module, &label, &["--hsm-pin-file", &pin_file]]),
        &[],
    ) {
        Ok(_) => panic!("byok-kms started without a token"),
        Err(log) => log,
    };
    assert!(
        log.contains("it shows no initialised token at all"),
        "{log}"
    );
}
