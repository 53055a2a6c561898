//! The throwaway PostgreSQL server `scripts/with-postgres.sh` starts (make test runs the tests
//! under it): a fresh database per test, and the server taken down and brought back.

use std::sync::atomic::{AtomicU32, Ordering};

/// The server's URL (superuser, database `postgres`).
pub fn admin_url() -> String {
    std::env::var("BYOK_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "this test needs PostgreSQL: run it under scripts/with-postgres.sh (make test does), \
             e.g. scripts/with-postgres.sh cargo test -p byok-kms"
        )
    })
}

/// Creates an empty database of its own for a test; returns its URL.
pub fn fresh_database() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin = admin_url();
    let name = format!(
        "t{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    // The sync client runs a runtime of its own: keep it off any async test's threads.
    let create = {
        let admin = admin.clone();
        let name = name.clone();
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
        })
    };
    create.join().unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// Runs the control script: `stop` (a fast shutdown, cutting every connection) or `start`.
pub fn ctl(action: &str) {
    let script = std::env::var("BYOK_TEST_POSTGRES_CTL")
        .expect("BYOK_TEST_POSTGRES_CTL (set by scripts/with-postgres.sh)");
    let status = std::process::Command::new(script)
        .arg(action)
        .status()
        .unwrap();
    assert!(status.success(), "PostgreSQL {action} failed");
}
