//! TLS for the listener: rustls with the aws-lc-rs provider, a certificate chain and its private
//! key from PEM files, reloaded in place ([`Certificate::reload`], on SIGHUP) without dropping a
//! connection.
//!
//! - TLS 1.3 and 1.2 with rustls's safe defaults; ALPN `http/1.1`;
//! - the key file must not be readable by others (as the root key file), and the key must match
//!   the certificate; a reload that fails keeps the certificate in use and says why;
//! - the key's PEM text and DER are wiped once aws-lc-rs holds the key.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;
use zeroize::{Zeroize as _, Zeroizing};

/// Why a certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The certificate file holds no PEM `CERTIFICATE`, or one that is not well formed.
    #[error("{} holds no PEM certificate ({reason})", path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// The key file holds no PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC), or one aws-lc-rs
    /// cannot use, or one that is not the certificate's.
    #[error("{} {reason}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// The key file may be read by other users.
    #[error(
        "{} may be read by other users (mode {mode:o}): make it readable by its owner (and \
         group) only, e.g. chmod 600",
        path.display()
    )]
    KeyReadable {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

/// The certificate the listener presents, with the files it came from.
pub struct Certificate {
    cert_file: PathBuf,
    key_file: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Loads the chain in `cert_file` (the server's certificate first) and the key in `key_file`.
    pub fn load(cert_file: &Path, key_file: &Path) -> Result<Self, Error> {
        let key = certified_key(cert_file, key_file)?;
        Ok(Self {
            cert_file: cert_file.to_owned(),
            key_file: key_file.to_owned(),
            current: RwLock::new(Arc::new(key)),
        })
    }

    /// Reads the files again; new connections get the new certificate. On failure the one in use
    /// stays.
    pub fn reload(&self) -> Result<(), Error> {
        let key = Arc::new(certified_key(&self.cert_file, &self.key_file)?);
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = key;
        Ok(())
    }

    /// An acceptor that presents this certificate (as it is at each handshake).
    pub fn acceptor(self: &Arc<Self>) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("aws-lc-rs supports rustls's default protocol versions")
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TlsAcceptor::from(Arc::new(config))
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let current = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(current.clone())
    }
}

fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })
}

fn certified_key(cert_file: &Path, key_file: &Path) -> Result<CertifiedKey, Error> {
    let chain = read(cert_file)?;
    let chain = CertificateDer::pem_slice_iter(&chain)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Certificate {
            path: cert_file.to_owned(),
            reason: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(Error::Certificate {
            path: cert_file.to_owned(),
            reason: "no BEGIN CERTIFICATE block".into(),
        });
    }
    let key_error = |reason: String| Error::Key {
        path: key_file.to_owned(),
        reason,
    };
    let pem = read_private(key_file)?;
    let mut der = PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| key_error(format!("holds no PEM private key ({e})")))?;
    // By reference, so that the DER stays ours to wipe.
    let signing = rustls::crypto::aws_lc_rs::sign::any_supported_type(&der);
    der.zeroize();
    let signing = signing.map_err(|e| key_error(format!("is not a usable private key ({e})")))?;
    let key = CertifiedKey::new(chain, signing);
    // As rustls's own loading does: a key whose public half is unknown is not a mismatch.
    match key.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(key),
        Err(e) => Err(key_error(format!(
            "is not the key of the certificate in {} ({e})",
            cert_file.display()
        ))),
    }
}

/// Reads a file that must not be readable by other users, checking the mode of the file opened
/// (not of whatever the path names a moment earlier).
fn read_private(path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    use std::io::Read as _;
    use std::os::unix::fs::PermissionsExt as _;
    let failed = |source| Error::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(failed)?;
    let metadata = file.metadata().map_err(failed)?;
    let mode = metadata.permissions().mode();
    if mode & 0o007 != 0 {
        return Err(Error::KeyReadable {
            path: path.to_owned(),
            mode: mode & 0o777,
        });
    }
    // Room for the whole file at once, so that growing leaves no unwiped copy behind.
    let room = usize::try_from(metadata.len())
        .unwrap_or(0)
        .saturating_add(1);
    let mut contents = Zeroizing::new(Vec::with_capacity(room));
    file.read_to_end(&mut contents).map_err(failed)?;
    Ok(contents)
}
