//! Tools for testing and measuring byok-kms, kept out of the product: a signing client for a
//! running server ([`RemoteKms`], used by the process-level tests) and `byok-kms-load`, the load
//! generator of `make bench`.

#![warn(missing_docs)]

mod remote;

pub use remote::{Api, IDLE_TIMEOUT, RemoteKms, WrappedForImport};
