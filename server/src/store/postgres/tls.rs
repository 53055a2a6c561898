//! TLS to PostgreSQL, as the URL asks for it with libpq's names: `sslmode` and `sslrootcert`. The
//! driver knows only `disable`, `prefer` and `require`, and nothing of root certificates, so both
//! parameters are read here and taken out of the URL; the connection is rustls with aws-lc-rs
//! (`tokio-postgres-rustls`).
//!
//! - no `sslmode`, or `disable`: no TLS (a database on loopback or a Unix socket);
//! - `verify-full`: TLS, the server's certificate checked against the CA certificates in the PEM
//!   file `sslrootcert` (required) and against the host name of the URL: the setting for a
//!   database across a network;
//! - `require`: TLS, the certificate not checked (as libpq does): the traffic is encrypted, but
//!   anyone on the path can pose as the database. A warning says so at start;
//! - `prefer` and `allow` are refused (they fall back to plain text without a word), and so is
//!   `verify-ca` (use `verify-full`), and `sslrootcert` without `verify-full`.

use std::path::Path;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::super::error::{Error, Result};

/// What the URL asks for, and the URL the driver is given (without the two parameters).
pub(super) struct Tls {
    /// The URL without `sslmode` and `sslrootcert`.
    pub(super) url: String,
    /// The TLS connector, if the URL asks for TLS.
    pub(super) connector: Option<MakeRustlsConnect>,
}

/// Reads `sslmode` and `sslrootcert` out of `url`.
pub(super) fn from_url(url: &str) -> Result<Tls> {
    let invalid = |reason: String| Error::InvalidUrl {
        url: super::super::any::redact(url),
        reason,
    };
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, query),
        None => (url, ""),
    };
    let (mut mode, mut root_cert, mut kept) = (None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| invalid(format!("the value of {key} is not UTF-8")))?
            .into_owned();
        match key {
            "sslmode" => mode = Some(decoded),
            "sslrootcert" => root_cert = Some(decoded),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let connector = match (mode.as_deref().unwrap_or("disable"), root_cert) {
        ("disable", None) => None,
        ("require", None) => {
            tracing::warn!(
                "sslmode=require: the connection to PostgreSQL is encrypted, but the server's \
                 certificate is not checked, so anyone on the network path can pose as the \
                 database; use sslmode=verify-full&sslrootcert=CA.pem"
            );
            Some(unverified())
        }
        ("verify-full", Some(file)) => Some(verified(Path::new(&file)).map_err(invalid)?),
        ("verify-full", None) => {
            return Err(invalid(
                "sslmode=verify-full needs sslrootcert=FILE, the PEM file of the CA \
                 certificates the database's certificate is checked against"
                    .into(),
            ));
        }
        (fallback @ ("prefer" | "allow"), _) => {
            return Err(invalid(format!(
                "sslmode={fallback} falls back to an unencrypted connection without a word: use \
                 sslmode=verify-full (or require), or disable on a trusted network"
            )));
        }
        ("verify-ca", _) => {
            return Err(invalid(
                "sslmode=verify-ca is not supported: use sslmode=verify-full (the certificate \
                 must also name the URL's host)"
                    .into(),
            ));
        }
        ("disable" | "require", Some(_)) => {
            return Err(invalid(
                "sslrootcert is used only with sslmode=verify-full: add sslmode=verify-full".into(),
            ));
        }
        (other, _) => {
            return Err(invalid(format!(
                "sslmode={other} is not one of disable, require, verify-full"
            )));
        }
    };
    Ok(Tls { url, connector })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn verified(root_cert: &Path) -> core::result::Result<MakeRustlsConnect, String> {
    let pem = std::fs::read(root_cert)
        .map_err(|e| format!("sslrootcert {} cannot be read: {e}", root_cert.display()))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("sslrootcert {}: {e}", root_cert.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("sslrootcert {}: {e}", root_cert.display()))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "sslrootcert {} holds no PEM certificate",
            root_cert.display()
        ));
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

fn unverified() -> MakeRustlsConnect {
    let provider = provider();
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports rustls's default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    MakeRustlsConnect::new(config)
}

/// `sslmode=require`: any certificate is taken, but the handshake's signatures are still checked
/// (so the session key is the certificate holder's).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> core::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> core::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> core::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(url: &str) -> String {
        match from_url(url) {
            Err(Error::InvalidUrl { reason, .. }) => reason,
            Err(e) => panic!("{url}: {e}"),
            Ok(_) => panic!("{url} was accepted"),
        }
    }

    #[test]
    fn the_two_parameters_leave_the_url_and_the_rest_stays() {
        let tls =
            from_url("postgres://u@h/db?application_name=x&sslmode=require&connect_timeout=3")
                .unwrap();
        assert_eq!(
            tls.url,
            "postgres://u@h/db?application_name=x&connect_timeout=3"
        );
        assert!(tls.connector.is_some());
        let plain = from_url("postgres://u@h/db").unwrap();
        assert_eq!(plain.url, "postgres://u@h/db");
        assert!(plain.connector.is_none());
        let disabled = from_url("postgres://u@h/db?sslmode=disable").unwrap();
        assert_eq!(disabled.url, "postgres://u@h/db");
        assert!(disabled.connector.is_none());
    }

    #[test]
    fn modes_that_could_fall_back_or_half_check_are_refused_with_the_fix() {
        assert!(reason("postgres://u@h/db?sslmode=prefer").contains("sslmode=verify-full"));
        assert!(reason("postgres://u@h/db?sslmode=allow").contains("without a word"));
        assert!(reason("postgres://u@h/db?sslmode=verify-ca").contains("verify-full"));
        assert!(reason("postgres://u@h/db?sslmode=verify-full").contains("sslrootcert=FILE"));
        assert!(
            reason("postgres://u@h/db?sslmode=require&sslrootcert=/ca.pem")
                .contains("only with sslmode=verify-full")
        );
        assert!(reason("postgres://u@h/db?sslmode=on").contains("not one of"));
        assert!(
            reason("postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fnonexistent%2Fca.pem")
                .contains("/nonexistent/ca.pem cannot be read")
        );
    }
}
