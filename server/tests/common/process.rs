//! byok-kms as a real process on a loopback port, for tests of what only a process can show:
//! crashes, races between connections, and connection limits.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use byok_kms_testkit::RemoteKms;

/// The access key every test process is started with.
pub const ACCESS_KEY_ID: &str = "LTAIprocesstest000000000";
/// Its secret.
pub const ACCESS_KEY_SECRET: &str = "process-test-secret-0123456789";

/// A running `byok-kms serve`.
pub struct KmsProcess {
    child: Child,
    /// `http://127.0.0.1:PORT` (`https://` with --tls-cert).
    pub endpoint: String,
    /// What it wrote to stderr (its log) goes here.
    pub log_path: std::path::PathBuf,
    /// What it wrote to stdout (its banner) goes here.
    pub stdout_path: std::path::PathBuf,
}

impl KmsProcess {
    /// Starts `byok-kms serve` on `data_dir` on a free port, with `extra` arguments and
    /// `RUST_LOG=log_filter`, and waits until it listens.
    pub fn start(data_dir: &Path, extra: &[&str], log_filter: &str) -> Self {
        Self::start_with_env(data_dir, extra, log_filter, &[])
            .unwrap_or_else(|log| panic!("byok-kms did not start: {log}"))
    }

    /// Like [`KmsProcess::start`] with extra environment variables; if the server exits instead
    /// of listening, returns what it logged.
    pub fn start_with_env(
        data_dir: &Path,
        extra: &[&str],
        log_filter: &str,
        env: &[(&str, &str)],
    ) -> Result<Self, String> {
        let log_path = data_dir.with_extension(format!("log.{}", std::process::id()));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_byok-kms"))
            .arg("serve")
            // A free loopback port, unless the test listens elsewhere.
            .args(if extra.contains(&"--listen") {
                &[][..]
            } else {
                &["--listen", "127.0.0.1:0"][..]
            })
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--www-dir", "/nonexistent", "--pkg-dir", "/nonexistent"])
            .args(extra)
            .env("BYOK_KMS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("BYOK_KMS_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)
            .env("RUST_LOG", log_filter)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        // Read the banner's first line, then keep copying stdout to a file (the server must never
        // write to a closed pipe).
        let stdout = child.stdout.take().unwrap();
        let stdout_path = data_dir.with_extension(format!("stdout.{}", std::process::id()));
        let mut stdout_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stdout_path)
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::Write as _;
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = stdout_file.write_all(line.as_bytes());
            let _ = tx.send(line);
            let _ = std::io::copy(&mut reader, &mut stdout_file);
        });
        let banner = rx.recv().unwrap();
        // "byok-kms 0.1.0 listening on http://127.0.0.1:PORT/" (or https://)
        let Some(endpoint) = banner
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .map(|w| w.trim_end_matches('/').to_owned())
        else {
            let _ = child.kill();
            let status = child.wait().unwrap();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            return Err(format!("{status}; its log:\n{log}"));
        };
        Ok(Self {
            child,
            endpoint,
            log_path,
            stdout_path,
        })
    }

    /// A client for it with `connections` idle connections.
    pub fn client(&self, connections: usize) -> RemoteKms {
        RemoteKms::new(
            &self.endpoint,
            ACCESS_KEY_ID,
            ACCESS_KEY_SECRET,
            connections,
        )
    }

    /// SIGTERM, then waits for the process to exit.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for KmsProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
