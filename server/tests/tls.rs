//! TLS: `byok-kms serve --tls-cert --tls-key` with a throwaway CA made here (rcgen), as a rustls
//! client that trusts that CA sees it, and as one that does not; plain HTTP to the TLS port; the
//! certificate reloaded on SIGHUP; a handshake that never comes; plain HTTP on a network address
//! refused at start; and the connection to PostgreSQL over TLS (`sslmode=verify-full`) against
//! the throwaway server of `scripts/with-postgres.sh`, which only lets the role `byok_tls` in
//! over TLS.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::client::Signer;
use common::process::{ACCESS_KEY_ID, ACCESS_KEY_SECRET, KmsProcess};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};

/// A CA of its own, and a server certificate for 127.0.0.1 and localhost it signed, written as
/// PEM files `<name>.ca.pem`, `<name>.cert.pem`, `<name>.key.pem` (mode 0600) in `dir`.
struct Pki {
    ca: CertificateDer<'static>,
    ca_file: PathBuf,
    cert_file: PathBuf,
    key_file: PathBuf,
}

impl Pki {
    fn new(dir: &Path, name: &str) -> Self {
        use std::os::unix::fs::PermissionsExt as _;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("byok test CA {name}"));
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let pki = Self {
            ca: ca.der().clone(),
            ca_file: dir.join(format!("{name}.ca.pem")),
            cert_file: dir.join(format!("{name}.cert.pem")),
            key_file: dir.join(format!("{name}.key.pem")),
        };
        std::fs::write(&pki.ca_file, ca.pem()).unwrap();
        std::fs::write(&pki.cert_file, cert.pem()).unwrap();
        std::fs::write(&pki.key_file, key.serialize_pem()).unwrap();
        std::fs::set_permissions(&pki.key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        pki
    }

    fn args(&self) -> [&str; 4] {
        [
            "--tls-cert",
            self.cert_file.to_str().unwrap(),
            "--tls-key",
            self.key_file.to_str().unwrap(),
        ]
    }
}

/// A TLS connection to `address` by a client that trusts only `ca`, handshake done.
fn connect(
    address: &str,
    ca: &CertificateDer<'static>,
) -> std::io::Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let socket = TcpStream::connect(address)?;
    socket.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut stream = rustls::StreamOwned::new(connection, socket);
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(stream)
}

fn signer(address: &str) -> Signer {
    Signer {
        access_key_id: ACCESS_KEY_ID.into(),
        secret: ACCESS_KEY_SECRET.into(),
        host: address.into(),
    }
}

/// ListKeys over TLS, trusting `ca`: the status, or the I/O error of the handshake.
fn list_keys(address: &str, ca: &CertificateDer<'static>) -> std::io::Result<u16> {
    let nonce = format!("tls-{}", rand_suffix());
    let request = signer(address).acs3("ListKeys", &[], now(), &nonce);
    let (status, _) = request.send_on(connect(address, ca)?)?;
    Ok(status)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

fn rand_suffix() -> String {
    let mut bytes = [0u8; 8];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    common::client::hex(&bytes)
}

fn address_of(server: &KmsProcess) -> String {
    assert!(
        server.endpoint.starts_with("https://"),
        "the banner says https: {}",
        server.endpoint
    );
    server.endpoint.trim_start_matches("https://").to_owned()
}

#[test]
fn a_client_that_trusts_the_ca_is_served_one_that_does_not_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "a");
    let other = Pki::new(dir.path(), "other");
    let server = KmsProcess::start(&dir.path().join("data"), &pki.args(), "info");
    let address = address_of(&server);
    assert_eq!(list_keys(&address, &pki.ca).unwrap(), 200);
    let refused = list_keys(&address, &other.ca).unwrap_err();
    assert!(
        refused.to_string().contains("UnknownIssuer"),
        "a certificate of another CA: {refused}"
    );
    server.stop();
}

#[test]
fn plain_http_to_the_tls_port_is_told_to_use_https() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "a");
    let server = KmsProcess::start(&dir.path().join("data"), &pki.args(), "info");
    let address = address_of(&server);
    // A signed API call in plain HTTP: answered 400 in plain HTTP, never served.
    let request = signer(&address).acs3("ListKeys", &[], now(), "plain-to-tls");
    let mut socket = TcpStream::connect(&address).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    socket
        .write_all(
            format!(
                "POST /?{} HTTP/1.1\r\nhost: {address}\r\ncontent-length: 0\r\n\r\n",
                request.query
            )
            .as_bytes(),
        )
        .unwrap();
    let mut reply = String::new();
    socket.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 400 "), "{reply}");
    assert!(
        reply.contains("This port speaks HTTPS: use https://"),
        "{reply}"
    );
    // The server still serves TLS.
    assert_eq!(list_keys(&address, &pki.ca).unwrap(), 200);
    server.stop();
}

#[test]
fn sighup_reloads_the_certificate_and_a_broken_one_is_not_taken() {
    let dir = tempfile::tempdir().unwrap();
    let first = Pki::new(dir.path(), "first");
    let second = Pki::new(dir.path(), "second");
    // The server reads the files at these paths; they are replaced underneath it.
    let cert = dir.path().join("server.cert.pem");
    let key = dir.path().join("server.key.pem");
    let install = |pki: &Pki| {
        std::fs::copy(&pki.cert_file, &cert).unwrap();
        std::fs::copy(&pki.key_file, &key).unwrap();
    };
    install(&first);
    let args = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    let server = KmsProcess::start(&dir.path().join("data"), &args, "info");
    let address = address_of(&server);
    assert_eq!(list_keys(&address, &first.ca).unwrap(), 200);
    // A connection open across the reload keeps working.
    let mut open = connect(&address, &first.ca).unwrap();

    install(&second);
    hangup(&server);
    wait_until(|| list_keys(&address, &second.ca).is_ok());
    assert!(list_keys(&address, &first.ca).is_err());
    let request = signer(&address).acs3("ListKeys", &[], now(), "across-the-reload");
    let (status, _) = request.send_on(&mut open).unwrap();
    assert_eq!(status, 200);

    // A certificate that is not the key's: refused, logged, the second one stays.
    std::fs::copy(&first.cert_file, &cert).unwrap();
    hangup(&server);
    wait_until(|| log_of(&server).contains("the TLS certificate was not reloaded"));
    assert!(
        log_of(&server).contains("is not the key of the certificate"),
        "{}",
        log_of(&server)
    );
    assert_eq!(list_keys(&address, &second.ca).unwrap(), 200);
    server.stop();
}

#[test]
fn a_handshake_that_never_comes_is_cut_at_the_request_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "a");
    let mut args = pki.args().to_vec();
    args.extend(["--request-timeout", "1"]);
    let server = KmsProcess::start(&dir.path().join("data"), &args, "info");
    let address = address_of(&server);
    let mut silent = TcpStream::connect(&address).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut byte = [0u8; 1];
    // Closed by the server (end of stream), not by our read timeout.
    assert_eq!(silent.read(&mut byte).unwrap(), 0);
    server.stop();
}

/// `byok-kms serve` with `args`, expected to refuse to start; returns what it said.
fn refused_at_start(data: &Path, args: &[&str]) -> String {
    let output = serve_command(data, args).output().unwrap();
    assert!(!output.status.success(), "it started with {args:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn serve_command(data: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_byok-kms"));
    command
        .args(["serve", "--wrapping-key-pool", "0", "--data-dir"])
        .arg(data)
        .args(["--www-dir", "/nonexistent", "--pkg-dir", "/nonexistent"])
        .args(args)
        .env("BYOK_KMS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("BYOK_KMS_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)
        .stdin(Stdio::null());
    command
}

#[test]
fn plain_http_on_a_network_address_is_refused_unless_insecure_http() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let said = refused_at_start(&data, &["--listen", "0.0.0.0:0"]);
    assert!(
        said.contains("refusing to serve plain HTTP on 0.0.0.0:0") && said.contains("--tls-cert"),
        "{said}"
    );
    assert!(!data.exists(), "nothing is created before the refusal");
    // With --insecure-http, or with TLS, it starts.
    let plain = KmsProcess::start(&data, &["--listen", "0.0.0.0:0", "--insecure-http"], "info");
    assert!(plain.endpoint.starts_with("http://"));
    plain.stop();
    let pki = Pki::new(dir.path(), "a");
    let mut args = pki.args().to_vec();
    args.extend(["--listen", "0.0.0.0:0"]);
    let tls = KmsProcess::start(&data, &args, "info");
    assert!(tls.endpoint.starts_with("https://"));
    tls.stop();
    // Loopback stays plain HTTP without a flag (make run).
    let loopback = KmsProcess::start(&data, &["--listen", "[::1]:0"], "info");
    loopback.stop();
}

#[test]
fn a_key_file_others_can_read_or_another_certificates_key_is_refused_at_start() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let pki = Pki::new(dir.path(), "a");
    let other = Pki::new(dir.path(), "other");

    std::fs::set_permissions(&pki.key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let said = refused_at_start(&data, &pki.args());
    assert!(
        said.contains("may be read by other users (mode 644)") && said.contains("chmod 600"),
        "{said}"
    );
    std::fs::set_permissions(&pki.key_file, std::fs::Permissions::from_mode(0o600)).unwrap();

    let mismatched = [
        "--tls-cert",
        pki.cert_file.to_str().unwrap(),
        "--tls-key",
        other.key_file.to_str().unwrap(),
    ];
    let said = refused_at_start(&data, &mismatched);
    assert!(said.contains("is not the key of the certificate"), "{said}");

    let not_a_key = [
        "--tls-cert",
        pki.cert_file.to_str().unwrap(),
        "--tls-key",
        pki.cert_file.to_str().unwrap(),
    ];
    std::fs::set_permissions(&pki.cert_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let said = refused_at_start(&data, &not_a_key);
    assert!(said.contains("holds no PEM private key"), "{said}");

    let said = refused_at_start(&data, &["--tls-cert", pki.cert_file.to_str().unwrap()]);
    assert!(said.contains("--tls-key"), "{said}");
}

fn hangup(server: &KmsProcess) {
    let status = Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn log_of(server: &KmsProcess) -> String {
    std::fs::read_to_string(&server.log_path).unwrap_or_default()
}

/// Polls `condition` until it holds (failing after 30 s: a bound, not a timing assertion).
fn wait_until(mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "the condition never held");
        std::thread::sleep(Duration::from_millis(50));
    }
}

// PostgreSQL over TLS. scripts/with-postgres.sh serves TLS with a certificate for 127.0.0.1 of
// its own CA (BYOK_TEST_POSTGRES_CA), and lets the role byok_tls in over TLS only
// (BYOK_TEST_POSTGRES_TLS_URL, without sslmode).

fn tls_database() -> (String, String) {
    let ca = std::env::var("BYOK_TEST_POSTGRES_CA")
        .expect("BYOK_TEST_POSTGRES_CA: run under scripts/with-postgres.sh (make test does)");
    let url = std::env::var("BYOK_TEST_POSTGRES_TLS_URL").unwrap();
    let database = common::pg::fresh_database();
    let name = database.rsplit_once('/').unwrap().1;
    let (base, _) = url.rsplit_once('/').unwrap();
    (format!("{base}/{name}"), ca)
}

fn open(url: &str) -> Result<(), String> {
    // The sync client runs a runtime of its own, off the test's thread.
    let url = url.to_owned();
    std::thread::spawn(move || {
        byok_kms::store::PostgresStore::open(&url)
            .map(drop)
            .map_err(|e| byok_kms::kms::error::Chain(&e).to_string())
    })
    .join()
    .unwrap()
}

#[test]
fn postgres_over_tls_checks_the_certificate_and_its_name() {
    let (url, ca) = tls_database();
    // The role may not connect without TLS: what works below went over TLS.
    let plain = open(&url).unwrap_err();
    assert!(plain.contains("no encryption"), "{plain}");
    open(&format!("{url}?sslmode=verify-full&sslrootcert={ca}")).unwrap();
    // Another CA's certificate, or a certificate for another name, is refused.
    let dir = tempfile::tempdir().unwrap();
    let other = Pki::new(dir.path(), "other");
    let refused = open(&format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        other.ca_file.display()
    ))
    .unwrap_err();
    assert!(refused.contains("UnknownIssuer"), "{refused}");
    let by_name = url.replace("127.0.0.1", "localhost");
    let refused = open(&format!("{by_name}?sslmode=verify-full&sslrootcert={ca}")).unwrap_err();
    assert!(refused.contains("not valid for name"), "{refused}");
    // require: encrypted, the certificate not checked (libpq's meaning), so any CA is taken.
    open(&format!("{url}?sslmode=require")).unwrap();
}
