//! `byok-kms`: a KMS server with the whole bring-your-own-key import lifecycle, wire-compatible
//! with the Alibaba Cloud KMS API (2016-01-20, RPC style, ACS3-HMAC-SHA256 and legacy HMAC-SHA1
//! signatures), so the official SDKs work against it unchanged. `ARCHITECTURE.md` has the map.
//!
//! - [`kms`]: the core — every rule of the import lifecycle, one module per concept, no HTTP;
//! - [`store`]: where the core's decisions are kept (SQLite, PostgreSQL), no rules;
//! - [`crypto`]: aws-lc-rs, the root key and what is derived from it;
//! - [`hsm`]: a hardware security module's token through its PKCS#11 module, no rules;
//! - [`api`]: the front doors, one per cloud API (Alibaba), turning wire requests into core calls;
//! - [`http`]: axum routing, static files, CORS, the connection loop and its limits;
//! - [`config`], [`daemon`]: the command line and what `byok-kms serve` runs;
//! - [`clock`]: time, injected, so tests move it.

#![warn(missing_docs)]

pub mod api;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod daemon;
pub mod hsm;
pub mod http;
pub mod kms;
pub mod store;
