//! What can fail in the cryptography layer. Every variant is a failure of the service (a broken
//! RNG, a database opened with the wrong root key), never of a request: requests that carry bad
//! cryptographic input get the core's own errors (`InvalidKeyMaterial`, …).

/// A cryptographic failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The system's random number generator failed.
    #[error("the system random number generator failed")]
    RandomUnavailable,

    /// A root key of the wrong length was given.
    #[error("the root key must be {expected} bytes, got {got}")]
    RootKeyLength {
        /// The length a root key has.
        expected: usize,
        /// The length given.
        got: usize,
    },

    /// A key could not be derived, generated or encoded.
    #[error("{0} failed")]
    Operation(&'static str),

    /// A sealed record does not open: it was changed, moved to another record, or sealed under
    /// another root key.
    #[error("a sealed {0} does not open under this root key")]
    Unseal(&'static str),

    /// A stored private key does not parse.
    #[error("a stored {0} does not parse")]
    StoredKey(&'static str),

    /// Key material of a length no cipher takes.
    #[error("key material of {0} bytes fits no cipher")]
    MaterialLength(usize),
}

/// Result alias of the cryptography layer.
pub type Result<T> = core::result::Result<T, Error>;
