//! The KMS client's checks, for the package's `KmsClient` and `importKeyMaterial`: each method's
//! options (names and types, through serde), the wire parameters they become (Alibaba Cloud KMS
//! API 2016-01-20), the endpoint rule, and the signer that holds the access key.

use js_sys::{Object, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::options::{Secret, Value, from_options};
use super::signer::{Pairs, RawRequestSigner, reply};
use super::{invalid_argument, to_js};
use crate::client::check_endpoint;
use crate::spec::{ALGORITHMS, Cloud, WrappingAlgorithm, WrappingKeySpec};
use crate::wipe::scrubbed;

/// The options of `new KmsClient(…)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClientOptions {
    endpoint: String,
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Option<String>,
    region_id: Option<String>,
    allow_insecure_http: Option<bool>,
    #[serde(default)]
    fetch: Value,
}

/// The core of a `KmsClient`: its checked options and the signer holding the access key.
#[wasm_bindgen(js_name = RawClient)]
pub struct RawClient {
    signer: RawRequestSigner,
    endpoint: String,
    region_id: Option<String>,
    allow_insecure_http: bool,
}

#[wasm_bindgen(js_class = RawClient)]
impl RawClient {
    /// Checks the constructor's options and takes over the secret.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<RawClient, JsValue> {
        scrubbed(|| Self::from_options(options))
    }

    /// The endpoint as given.
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// The region, if one was given.
    #[wasm_bindgen(getter, js_name = regionId)]
    pub fn region_id(&self) -> Option<String> {
        self.region_id.clone()
    }

    /// The AccessKeyId.
    #[wasm_bindgen(getter, js_name = accessKeyId)]
    pub fn access_key_id(&self) -> String {
        self.signer.access_key_id()
    }

    /// Refuses plain `http:` to another machine unless `allowInsecureHttp` was given (see
    /// [`check_endpoint`]); `protocol` and `hostname` are the endpoint URL's.
    #[wasm_bindgen(js_name = checkEndpoint)]
    pub fn check_endpoint(&self, protocol: &str, hostname: &str) -> Result<(), JsValue> {
        check_endpoint(protocol, hostname, self.allow_insecure_http).map_err(to_js)
    }

    /// Signs a call, as `RequestSigner.sign`.
    pub fn sign(&self, host: &str, action: &str, params: &Object) -> Result<JsValue, JsValue> {
        self.signer.sign(host, action, params)
    }

    /// Checks the options of the KMS method `method` and returns `{ action, params }`: the
    /// action and its wire parameters.
    pub fn params(&self, method: &str, options: JsValue) -> Result<JsValue, JsValue> {
        let (action, params) = method_params(method, options)?;
        reply(&Call {
            action,
            params: Pairs(params),
        })
    }
}

impl RawClient {
    fn from_options(options: JsValue) -> Result<Self, JsValue> {
        let o: ClientOptions = from_options(options, "new KmsClient")?;
        o.fetch.check_function("fetch")?;
        if o.endpoint.is_empty() {
            return Err(invalid_argument("new KmsClient: endpoint is required"));
        }
        Ok(Self {
            signer: RawRequestSigner::from_parts(
                o.access_key_id,
                o.access_key_secret.0,
                o.security_token,
            )?,
            endpoint: o.endpoint,
            region_id: o.region_id,
            allow_insecure_http: o.allow_insecure_http.unwrap_or(false),
        })
    }
}

#[derive(Serialize)]
struct Call {
    action: &'static str,
    params: Pairs<&'static str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateKey {
    key_spec: Option<String>,
    origin: Option<String>,
    description: Option<String>,
    protection_level: Option<String>,
    key_usage: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KeyIdOnly {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdateAlias {
    alias_name: String,
    key_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScheduleKeyDeletion {
    key_id: String,
    pending_window_in_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ListKeys {
    page_number: Option<u32>,
    page_size: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GetParametersForImport {
    key_id: String,
    algorithm: Option<String>,
    wrapping_key_spec: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImportKeyMaterial {
    key_id: String,
    encrypted_key_material: String,
    import_token: String,
    #[serde(default)]
    expires_at: Value,
}

/// Wire parameters: names and values.
type WireParams = Vec<(&'static str, String)>;

/// The action and wire parameters of a `KmsClient` method.
fn method_params(method: &str, options: JsValue) -> Result<(&'static str, WireParams), JsValue> {
    let mut params = Vec::new();
    let mut put = |name: &'static str, value: Option<String>| {
        if let Some(value) = value {
            params.push((name, value));
        }
    };
    let action = match method {
        "createKey" => {
            let o: CreateKey = from_options(options, "createKey")?;
            put(
                "KeySpec",
                Some(o.key_spec.unwrap_or_else(|| "Aliyun_AES_256".into())),
            );
            put(
                "Origin",
                Some(o.origin.unwrap_or_else(|| "EXTERNAL".into())),
            );
            put("Description", o.description);
            put("ProtectionLevel", o.protection_level);
            put("KeyUsage", o.key_usage);
            "CreateKey"
        }
        "describeKey" | "deleteKeyMaterial" => {
            let o: KeyIdOnly = from_options(options, method)?;
            put("KeyId", Some(non_empty(o.key_id, "keyId")?));
            if method == "describeKey" {
                "DescribeKey"
            } else {
                "DeleteKeyMaterial"
            }
        }
        "updateAlias" => {
            let o: UpdateAlias = from_options(options, "updateAlias")?;
            put("AliasName", Some(non_empty(o.alias_name, "aliasName")?));
            put("KeyId", Some(non_empty(o.key_id, "keyId")?));
            "UpdateAlias"
        }
        "scheduleKeyDeletion" => {
            let o: ScheduleKeyDeletion = from_options(options, "scheduleKeyDeletion")?;
            put("KeyId", Some(non_empty(o.key_id, "keyId")?));
            put(
                "PendingWindowInDays",
                Some(o.pending_window_in_days.to_string()),
            );
            "ScheduleKeyDeletion"
        }
        "listKeys" => {
            let o: ListKeys = from_options(options, "listKeys")?;
            put("PageNumber", o.page_number.map(|n| n.to_string()));
            put("PageSize", o.page_size.map(|n| n.to_string()));
            "ListKeys"
        }
        "getParametersForImport" => {
            let o: GetParametersForImport = from_options(options, "getParametersForImport")?;
            let algorithm = match o.algorithm {
                Some(name) => name.parse::<WrappingAlgorithm>().map_err(to_js)?,
                None => WrappingAlgorithm::RsaesOaepSha256,
            };
            let spec = match o.wrapping_key_spec {
                Some(name) => name.parse::<WrappingKeySpec>().map_err(to_js)?,
                None => WrappingKeySpec::Rsa2048,
            };
            put("KeyId", Some(non_empty(o.key_id, "keyId")?));
            put("WrappingAlgorithm", Some(algorithm.as_str().into()));
            put("WrappingKeySpec", Some(spec.as_str().into()));
            "GetParametersForImport"
        }
        "importKeyMaterial" => {
            let o: ImportKeyMaterial = from_options(options, "importKeyMaterial")?;
            put("KeyId", Some(non_empty(o.key_id, "keyId")?));
            put(
                "EncryptedKeyMaterial",
                Some(non_empty(o.encrypted_key_material, "encryptedKeyMaterial")?),
            );
            put(
                "ImportToken",
                Some(non_empty(o.import_token, "importToken")?),
            );
            put(
                "KeyMaterialExpireUnix",
                o.expires_at.expiry("expiresAt")?.map(|s| s.to_string()),
            );
            "ImportKeyMaterial"
        }
        other => {
            return Err(invalid_argument(&format!(
                "unknown KmsClient method {}",
                crate::error::echoed(other)
            )));
        }
    };
    Ok((action, params))
}

/// `value`, refused with a message naming `option` if empty.
pub(super) fn non_empty(value: String, option: &str) -> Result<String, JsValue> {
    if value.is_empty() {
        Err(invalid_argument(&format!("{option} must not be empty")))
    } else {
        Ok(value)
    }
}

/// The options of `importKeyMaterial(client, options)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImportOptionsJs {
    key_id: String,
    #[serde(default)]
    material: Value,
    #[serde(default)]
    private_key: Value,
    algorithm: Option<String>,
    wrapping_key_spec: Option<String>,
    allow_legacy_pkcs1: Option<bool>,
    #[serde(default)]
    expires_at: Value,
    #[serde(default)]
    on_step: Value,
    #[serde(default)]
    signal: Value,
    #[serde(default)]
    fetch: Value,
    import_type: Option<String>,
    key_material_id: Option<String>,
    key_material_description: Option<String>,
}

/// What `importKeyMaterial` needs from its options, checked.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportPlan {
    key_id: String,
    algorithm: &'static str,
    wrapping_key_spec: &'static str,
    allow_legacy_pkcs1: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    expire_unix: Option<u64>,
    legacy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    import_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_description: Option<String>,
}

/// Checks the options of `importKeyMaterial(client, options)` for a client of `cloud`
/// (`alibaba` for `KmsClient`, `aws` for `AwsKmsClient`); returns the plan (the material stays in
/// the caller's object).
#[wasm_bindgen(js_name = rawImportOptions)]
pub fn raw_import_options(options: JsValue, cloud: &str) -> Result<JsValue, JsValue> {
    let cloud = match cloud {
        "alibaba" => Cloud::Alibaba,
        "aws" => Cloud::Aws,
        _ => return Err(invalid_argument("importKeyMaterial: unknown cloud")),
    };
    let o: ImportOptionsJs = from_options(options, "importKeyMaterial")?;
    let aws_only = [
        ("importType", o.import_type.is_some()),
        ("keyMaterialId", o.key_material_id.is_some()),
        (
            "keyMaterialDescription",
            o.key_material_description.is_some(),
        ),
    ];
    if let Some((name, _)) = aws_only
        .iter()
        .find(|(_, given)| *given && cloud != Cloud::Aws)
    {
        return Err(invalid_argument(&format!(
            "importKeyMaterial: {name} is an option of AWS KMS imports (an AwsKmsClient); \
             Alibaba Cloud KMS keys hold one material"
        )));
    }
    match (o.material.bytes("material")?, o.private_key.is_given()) {
        (Some(_), false) => {}
        (None, true) => {
            let key = &o.private_key.0;
            if !key.is_string() && !Uint8Array::instanceof(key) {
                return Err(invalid_argument(
                    "privateKey must be a string (PEM) or a Uint8Array (PEM or DER)",
                ));
            }
        }
        (Some(_), true) => {
            return Err(invalid_argument(
                "importKeyMaterial: give material or privateKey, not both",
            ));
        }
        (None, false) => {
            return Err(invalid_argument(
                "importKeyMaterial: material (a Uint8Array) or privateKey (PEM or DER) is required",
            ));
        }
    }
    o.on_step.check_function("onStep")?;
    o.fetch.check_function("fetch")?;
    if o.signal.is_given()
        && js_sys::Reflect::get(&o.signal.0, &"aborted".into())
            .map_or(true, |a| a.as_bool().is_none())
    {
        return Err(invalid_argument("signal must be an AbortSignal"));
    }
    let algorithm = match o.algorithm {
        Some(name) => name.parse::<WrappingAlgorithm>().map_err(to_js)?,
        None => cloud.default_algorithm(o.private_key.is_given()),
    };
    check_cloud_algorithm(algorithm, cloud)?;
    super::aws::check_import_type(o.import_type.as_deref(), o.key_material_id.as_deref())?;
    let wrapping_key_spec = match o.wrapping_key_spec {
        Some(name) => name.parse::<WrappingKeySpec>().map_err(to_js)?,
        None => WrappingKeySpec::Rsa2048,
    };
    let allow_legacy_pkcs1 = o.allow_legacy_pkcs1.unwrap_or(false);
    if algorithm.is_legacy() && !allow_legacy_pkcs1 {
        return Err(to_js(crate::Error::LegacyAlgorithmRefused));
    }
    reply(&ImportPlan {
        key_id: non_empty(o.key_id, "keyId")?,
        algorithm: algorithm.as_str(),
        wrapping_key_spec: wrapping_key_spec.as_str(),
        allow_legacy_pkcs1,
        expire_unix: o.expires_at.expiry("expiresAt")?,
        legacy: algorithm.is_legacy(),
        import_type: o.import_type,
        key_material_id: o.key_material_id,
        key_material_description: o.key_material_description,
    })
}

/// Refuses an algorithm that `cloud`'s KMS does not name, listing the ones it does.
pub(super) fn check_cloud_algorithm(
    algorithm: WrappingAlgorithm,
    cloud: Cloud,
) -> Result<(), JsValue> {
    if algorithm.rule().clouds.contains(&cloud) {
        return Ok(());
    }
    Err(invalid_argument(&format!(
        "{} is not a wrapping algorithm of {} KMS; its algorithms are {}",
        algorithm.as_str(),
        cloud.display_name(),
        ALGORITHMS
            .iter()
            .filter(|rule| rule.clouds.contains(&cloud))
            .map(|rule| rule.algorithm.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// [`check_endpoint`] for code that holds no client.
#[wasm_bindgen(js_name = rawCheckEndpoint)]
pub fn raw_check_endpoint(
    protocol: &str,
    hostname: &str,
    allow_insecure_http: bool,
) -> Result<(), JsValue> {
    check_endpoint(protocol, hostname, allow_insecure_http).map_err(to_js)
}
