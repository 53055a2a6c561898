//! `byok-kms`: a small KMS server with the whole bring-your-own-key import lifecycle, wire-compatible
//! with the Alibaba Cloud KMS API (2016-01-20, RPC style, ACS3-HMAC-SHA256 and legacy HMAC-SHA1
//! signatures), so the official SDKs work against it unchanged.
//!
//! - [`kms`]: the KMS itself — keys, states, import tokens, the same-material rule — over a
//!   [`store::Store`], with no HTTP in it;
//! - [`api`]: the wire (parameters, signatures, JSON, error codes);
//! - [`web`]: the HTTP router; [`config`]: the command line; [`crypto`]: aws-lc-rs;
//! - [`remote`]: a signing client for a running byok-kms (load generator, process tests).

#![warn(missing_docs)]

pub mod api;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
pub mod kms;
pub mod remote;
pub mod serve;
pub mod store;
pub mod web;

pub use error::{Error, Result};
