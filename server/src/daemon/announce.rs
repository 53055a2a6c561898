//! How `byok-kms serve` says it is serving: the default account made or found (or a seed's
//! accounts), a generated secret to a private file, and the ready line or the banner on stdout.

use std::io::IsTerminal as _;

use zeroize::Zeroizing;

use super::ACCESS_KEY_FILE;
use crate::config::{
    ACCESS_KEY_ID_ENV, ACCESS_KEY_SECRET_ENV, AWS_ACCESS_KEY_ID_ENV, AWS_SECRET_ACCESS_KEY_ENV,
    Result, Secrets, ServeArgs, write_private_file,
};
use crate::kms::Kms;
use crate::kms::account::AccessKeyKind;
use crate::kms::seed::SeedReport;
use crate::store::Store;

/// How the server starts: as the default account, or with a seed's accounts.
pub(super) enum Start {
    /// The default account, made or found.
    Default(Box<DefaultAccount>),
    /// The accounts of `--seed`, applied.
    Seeded(SeedReport),
}

/// The default account's access keys, and how they came about.
pub(super) struct DefaultAccount {
    credentials: crate::kms::Credentials,
    created: bool,
    preset: Option<(String, Zeroizing<String>)>,
    aws_credentials: crate::kms::Credentials,
    aws_created: bool,
    aws_preset: Option<(String, Zeroizing<String>)>,
}

/// Makes sure the default account exists with its access keys (preset in `secrets`, else found
/// or generated).
pub(super) fn default_account<S: Store>(kms: &Kms<S>, secrets: Secrets) -> Result<DefaultAccount> {
    let preset = secrets.access_key;
    let (credentials, created) = kms.default_credentials(
        preset
            .as_ref()
            .map(|(id, secret)| (id.as_str(), secret.as_str())),
    )?;
    let aws_preset = secrets.aws_access_key;
    let (aws_credentials, aws_created) = kms.default_credentials_of(
        AccessKeyKind::Aws,
        aws_preset
            .as_ref()
            .map(|(id, secret)| (id.as_str(), secret.as_str())),
    )?;
    Ok(DefaultAccount {
        credentials,
        created,
        preset,
        aws_credentials,
        aws_created,
        aws_preset,
    })
}

/// Says the server is serving: the ready line or the banner on stdout, a generated secret to a
/// private file. What starts the server goes to stdout, never to the log.
pub(super) fn announce(
    args: &ServeArgs,
    scheme: &str,
    local: std::net::SocketAddr,
    host: &str,
    aws_region: &str,
    start: Start,
) -> Result<()> {
    let listening = format!("{scheme}://{host}");
    let d = match start {
        Start::Seeded(report) => {
            if args.ready_json {
                let accounts: Vec<_> = report
                    .accounts
                    .iter()
                    .map(|a| {
                        serde_json::json!({
                            "accessKeyId": a.access_key_id,
                            "awsAccessKeyId": a.aws_access_key_id,
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({ "listening": listening, "accounts": accounts })
                );
            } else {
                println!(
                    "byok-kms {} listening on {scheme}://{local}/",
                    env!("CARGO_PKG_VERSION")
                );
                println!("  data directory: {}", args.storage.data_dir.display());
                for a in &report.accounts {
                    let ids = [&a.access_key_id, &a.aws_access_key_id];
                    let ids: Vec<&str> = ids.into_iter().flatten().map(String::as_str).collect();
                    println!(
                        "  seeded account {} access key ids: {}",
                        a.account_id,
                        ids.join(", ")
                    );
                }
                println!("  console: {listening}/   (sign in with a seeded access key)");
            }
            return Ok(());
        }
        Start::Default(d) => d,
    };
    let DefaultAccount {
        credentials,
        created,
        preset,
        aws_credentials,
        aws_created,
        aws_preset,
    } = *d;
    // What starts the server goes to stdout, never to the log; a generated secret to a
    // private file (and, in the banner, to a terminal).
    let secret_file = args.storage.data_dir.join(ACCESS_KEY_FILE);
    if (created && preset.is_none()) || (aws_created && aws_preset.is_none()) {
        let mut contents = Zeroizing::new(String::from(
            "# byok-kms: the default account's access keys (generated; keep them secret)\n",
        ));
        if preset.is_none() {
            contents.push_str(&format!(
                "{ACCESS_KEY_ID_ENV}={}\n{ACCESS_KEY_SECRET_ENV}={}\n",
                credentials.access_key_id,
                credentials.secret.as_str()
            ));
        }
        if aws_preset.is_none() {
            contents.push_str(&format!(
                "{AWS_ACCESS_KEY_ID_ENV}={}\n{AWS_SECRET_ACCESS_KEY_ENV}={}\n",
                aws_credentials.access_key_id,
                aws_credentials.secret.as_str()
            ));
        }
        let _ = std::fs::remove_file(&secret_file);
        write_private_file(&secret_file, contents.as_bytes())?;
    }
    if args.ready_json {
        // One line, for a harness: where to connect and as whom; never a secret.
        let ready = serde_json::json!({
            "listening": format!("{scheme}://{host}"),
            "accounts": [{
                "accessKeyId": credentials.access_key_id,
                "awsAccessKeyId": aws_credentials.access_key_id,
            }],
        });
        println!("{ready}");
    } else {
        banner(&Banner {
            args,
            scheme,
            local,
            host,
            credentials: &credentials,
            preset: preset.is_some(),
            created,
            aws_credentials: &aws_credentials,
            aws_preset: aws_preset.is_some(),
            aws_region,
            secret_file: &secret_file,
        });
    }
    Ok(())
}

/// What the banner shows.
struct Banner<'a> {
    args: &'a ServeArgs,
    scheme: &'a str,
    local: std::net::SocketAddr,
    host: &'a str,
    credentials: &'a crate::kms::Credentials,
    preset: bool,
    created: bool,
    aws_credentials: &'a crate::kms::Credentials,
    aws_preset: bool,
    aws_region: &'a str,
    secret_file: &'a std::path::Path,
}

/// The banner on stdout: where the KMS listens, its data directory, the default account's
/// access keys and how to open the console; a secret only to a terminal (under systemd or
/// Docker, stdout is a log), and never one the operator gave.
fn banner(b: &Banner<'_>) {
    let (scheme, host) = (b.scheme, b.host);
    let terminal = std::io::stdout().is_terminal();
    println!(
        "byok-kms {} listening on {scheme}://{}/",
        env!("CARGO_PKG_VERSION"),
        b.local
    );
    println!("  data directory: {}", b.args.storage.data_dir.display());
    println!(
        "  account {} access key id: {}",
        b.credentials.account_id, b.credentials.access_key_id
    );
    println!(
        "  AWS access key id: {}   (AWS KMS API: region {}, endpoint {scheme}://{host}/)",
        b.aws_credentials.access_key_id, b.aws_region
    );
    match (b.aws_preset, terminal) {
        (true, _) => {}
        (false, true) => println!(
            "  AWS secret access key: {}",
            b.aws_credentials.secret.as_str()
        ),
        (false, false) => println!(
            "  AWS secret access key: in {} (stdout is not a terminal, so it is not shown)",
            b.secret_file.display()
        ),
    }
    match (b.preset, terminal) {
        // The operator gave the secret; it is not repeated anywhere.
        (true, _) => println!("  console: {scheme}://{host}/   (sign in with that access key)"),
        (false, true) => {
            if b.created {
                println!(
                    "  access key secret (new; also in the console URL): {}",
                    b.credentials.secret.as_str()
                );
            }
            println!(
                "  console: {scheme}://{host}/#ak={}&sk={}   (keep this URL private)",
                b.credentials.access_key_id,
                b.credentials.secret.as_str()
            );
        }
        (false, false) => {
            println!(
                "  access key secret: in {} (stdout is not a terminal, so it is not shown)",
                b.secret_file.display()
            );
            println!("  console: {scheme}://{host}/   (sign in with that access key)");
        }
    }
}
