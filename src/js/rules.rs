//! `importRules()`: the [`crate::spec`] tables as plain JavaScript objects, so that a page builds
//! its choices (which algorithms a cloud names, which key specs take a private key, how long HMAC
//! material may be) from the same data the wrapping code obeys.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::signer::reply;
use crate::spec::{ALGORITHMS, Cloud, KEY_SPECS, WrappingKeySpec};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rules {
    algorithms: Vec<Algorithm>,
    key_specs: Vec<KeySpecRow>,
    wrapping_key_specs: Vec<WrappingKeySpecRow>,
    clouds: Vec<CloudRow>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Algorithm {
    name: &'static str,
    clouds: Vec<&'static str>,
    scheme: &'static str,
    hash: Option<&'static str>,
    wrapping_key_specs: Vec<&'static str>,
    symmetric: bool,
    private_keys: bool,
    legacy: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeySpecRow {
    name: &'static str,
    clouds: Vec<&'static str>,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_key_type: Option<&'static str>,
    aliases: Vec<&'static str>,
}

#[derive(Serialize)]
struct WrappingKeySpecRow {
    name: &'static str,
    bits: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CloudRow {
    id: &'static str,
    name: &'static str,
    /// The algorithm an import uses when none is named, for symmetric material.
    default_algorithm: &'static str,
    /// The same for a private key.
    private_key_algorithm: &'static str,
}

fn clouds(list: &[Cloud]) -> Vec<&'static str> {
    list.iter().map(|c| c.as_str()).collect()
}

/// The spec tables (see `importRules` in the package's declarations).
#[wasm_bindgen(js_name = rawImportRules)]
pub fn raw_import_rules() -> Result<JsValue, JsValue> {
    let rules = Rules {
        algorithms: ALGORITHMS
            .iter()
            .map(|rule| Algorithm {
                name: rule.algorithm.as_str(),
                clouds: clouds(rule.clouds),
                scheme: rule.scheme.as_str(),
                hash: rule.scheme.oaep_hash().map(|h| h.as_str()),
                wrapping_key_specs: rule.wrapping_key_specs.iter().map(|s| s.as_str()).collect(),
                symmetric: rule.symmetric,
                private_keys: rule.private_keys,
                legacy: rule.legacy,
            })
            .collect(),
        key_specs: KEY_SPECS
            .iter()
            .map(|rule| KeySpecRow {
                name: rule.name,
                clouds: clouds(rule.clouds),
                kind: rule.spec.kind().as_str(),
                min_length: rule.private_key.is_none().then_some(rule.len.0),
                max_length: rule.private_key.is_none().then_some(rule.len.1),
                private_key_type: rule.private_key.map(|k| k.as_str()),
                // `MaterialSpec::from_str` accepts Alibaba Cloud's names without the prefix.
                aliases: rule.name.strip_prefix("Aliyun_").into_iter().collect(),
            })
            .collect(),
        wrapping_key_specs: WrappingKeySpec::ALL
            .iter()
            .map(|s| WrappingKeySpecRow {
                name: s.as_str(),
                bits: s.bits(),
            })
            .collect(),
        clouds: [Cloud::Alibaba, Cloud::Aws, Cloud::Google]
            .iter()
            .map(|c| CloudRow {
                id: c.as_str(),
                name: c.display_name(),
                default_algorithm: c.default_algorithm(false).as_str(),
                private_key_algorithm: c.default_algorithm(true).as_str(),
            })
            .collect(),
    };
    reply(&rules)
}
