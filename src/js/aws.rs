//! The AWS KMS client's checks, for the package's `AwsKmsClient`: its options, the AWS JSON 1.1
//! requests its methods become (`X-Amz-Target: TrentService.<Operation>` and the body's members,
//! AWS's names), and the SigV4 signer that holds the secret access key. JavaScript sends what this
//! signs with `fetch`; the secret never comes back out.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::client::{check_cloud_algorithm, non_empty};
use super::options::{Secret, Value, from_options};
use super::signer::reply;
use super::{invalid_argument, to_js};
use crate::client::check_endpoint;
use crate::sign::{AccessKey, sigv4};
use crate::spec::{Cloud, WrappingAlgorithm, WrappingKeySpec};
use crate::wipe::scrubbed;

/// The SigV4 service name of AWS KMS.
const SERVICE: &str = "kms";

/// The options of `new AwsKmsClient(…)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AwsClientOptions {
    region: String,
    endpoint: Option<String>,
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<String>,
    allow_insecure_http: Option<bool>,
    #[serde(default)]
    fetch: Value,
}

/// The core of an `AwsKmsClient`: its checked options and the access key.
#[wasm_bindgen(js_name = RawAwsClient)]
pub struct RawAwsClient {
    key: AccessKey,
    region: String,
    endpoint: String,
    allow_insecure_http: bool,
}

#[wasm_bindgen(js_class = RawAwsClient)]
impl RawAwsClient {
    /// Checks the constructor's options and takes over the secret.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<RawAwsClient, JsValue> {
        scrubbed(|| Self::from_options(options))
    }

    /// The endpoint: as given, or the region's public one.
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// The region the requests are signed for.
    #[wasm_bindgen(getter)]
    pub fn region(&self) -> String {
        self.region.clone()
    }

    /// The access key id.
    #[wasm_bindgen(getter, js_name = accessKeyId)]
    pub fn access_key_id(&self) -> String {
        self.key.id().to_owned()
    }

    /// Refuses plain `http:` to another machine unless `allowInsecureHttp` was given.
    #[wasm_bindgen(js_name = checkEndpoint)]
    pub fn check_endpoint(&self, protocol: &str, hostname: &str) -> Result<(), JsValue> {
        check_endpoint(protocol, hostname, self.allow_insecure_http).map_err(to_js)
    }

    /// Signs a `POST /` of `body` with `X-Amz-Target: target` for the endpoint whose `host`
    /// header is `host`, now. Returns the headers to send (`authorization` included; the HTTP
    /// client adds `host`).
    pub fn sign(&self, host: &str, target: &str, body: &str) -> Result<JsValue, JsValue> {
        scrubbed(|| {
            let now = String::from(js_sys::Date::new_0().to_iso_string());
            let signed = sigv4::sign(
                host,
                &self.key,
                &self.region,
                SERVICE,
                target,
                body.as_bytes(),
                &sigv4::amz_date(&now),
            );
            reply(&super::signer::Pairs(signed.headers))
        })
    }

    /// Checks the options of the method `method` and returns `{ target, body }`: the
    /// `X-Amz-Target` and the request's members (AWS's names), for `JSON.stringify`.
    pub fn params(&self, method: &str, options: JsValue) -> Result<JsValue, JsValue> {
        let (operation, members) = method_members(method, options)?;
        reply(&Request {
            target: format!("TrentService.{operation}"),
            body: Members(members),
        })
    }
}

impl RawAwsClient {
    fn from_options(options: JsValue) -> Result<Self, JsValue> {
        let o: AwsClientOptions = from_options(options, "new AwsKmsClient")?;
        o.fetch.check_function("fetch")?;
        let valid_region = !o.region.is_empty()
            && o.region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_region {
            return Err(invalid_argument(
                "new AwsKmsClient: region must be an AWS region such as us-east-1 (the one the \
                 KMS signs for; byok-kms: --aws-region, default us-east-1)",
            ));
        }
        if o.access_key_id.is_empty() || o.secret_access_key.0.is_empty() {
            return Err(invalid_argument(
                "new AwsKmsClient: accessKeyId and secretAccessKey are required",
            ));
        }
        let endpoint = match o.endpoint {
            Some(endpoint) if endpoint.is_empty() => {
                return Err(invalid_argument(
                    "new AwsKmsClient: endpoint must not be empty (leave it out for AWS's own)",
                ));
            }
            Some(endpoint) => endpoint,
            // The China regions have their own domain.
            None if o.region.starts_with("cn-") => {
                format!("https://kms.{}.amazonaws.com.cn", o.region)
            }
            None => format!("https://kms.{}.amazonaws.com", o.region),
        };
        let mut key = AccessKey::from_secret(o.access_key_id, o.secret_access_key.0);
        if let Some(token) = o.session_token.filter(|t| !t.is_empty()) {
            key = key.with_security_token(token);
        }
        Ok(Self {
            key,
            region: o.region,
            endpoint,
            allow_insecure_http: o.allow_insecure_http.unwrap_or(false),
        })
    }
}

/// What `params` returns.
#[derive(Serialize)]
struct Request {
    target: String,
    body: Members,
}

/// A member of a request body: a string, or a number (timestamps in Unix seconds, counts).
#[derive(Serialize)]
#[serde(untagged)]
enum Member {
    Text(String),
    Number(u64),
}

/// A request body's members by name.
type Body = Vec<(&'static str, Member)>;

/// The members of a request body, serialised as one object.
struct Members(Body);

impl Serialize for Members {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateKey {
    key_spec: Option<String>,
    key_usage: Option<String>,
    origin: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KeyIdOnly {
    key_id: String,
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
    import_type: Option<String>,
    key_material_id: Option<String>,
    key_material_description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeleteImportedKeyMaterial {
    key_id: String,
    key_material_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ListKeyRotations {
    key_id: String,
    include_key_material: Option<String>,
    limit: Option<u32>,
    marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScheduleKeyDeletion {
    key_id: String,
    pending_window_in_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Alias {
    alias_name: String,
    target_key_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ListKeys {
    limit: Option<u32>,
    marker: Option<String>,
}

/// The operation and body members of an `AwsKmsClient` method.
/// Checks an import's AWS-only options: `importType` is one of AWS's two, and a `keyMaterialId`
/// names the material an `EXISTING_KEY_MATERIAL` import restores (AWS takes it with no other).
pub(super) fn check_import_type(
    import_type: Option<&str>,
    key_material_id: Option<&str>,
) -> Result<(), JsValue> {
    match (import_type, key_material_id) {
        (None | Some("NEW_KEY_MATERIAL" | "EXISTING_KEY_MATERIAL"), None)
        | (None | Some("EXISTING_KEY_MATERIAL"), Some(_)) => Ok(()),
        (Some("NEW_KEY_MATERIAL"), Some(_)) => Err(invalid_argument(
            "importKeyMaterial: keyMaterialId names the material an EXISTING_KEY_MATERIAL import \
             restores; a NEW_KEY_MATERIAL import gets its id from AWS KMS",
        )),
        (Some(other), _) => Err(invalid_argument(&format!(
            "importKeyMaterial: importType must be NEW_KEY_MATERIAL or EXISTING_KEY_MATERIAL, \
             not {}",
            crate::error::echoed(other)
        ))),
    }
}

fn method_members(method: &str, options: JsValue) -> Result<(&'static str, Body), JsValue> {
    let mut members = Vec::new();
    let mut text = |name: &'static str, value: Option<String>| {
        if let Some(value) = value {
            members.push((name, Member::Text(value)));
        }
    };
    let operation = match method {
        "createKey" => {
            let o: CreateKey = from_options(options, method)?;
            text(
                "KeySpec",
                Some(o.key_spec.unwrap_or("SYMMETRIC_DEFAULT".into())),
            );
            text("KeyUsage", o.key_usage);
            text("Origin", Some(o.origin.unwrap_or("EXTERNAL".into())));
            text("Description", o.description);
            "CreateKey"
        }
        "describeKey" | "rotateKeyOnDemand" => {
            let o: KeyIdOnly = from_options(options, method)?;
            text("KeyId", Some(non_empty(o.key_id, "keyId")?));
            if method == "describeKey" {
                "DescribeKey"
            } else {
                "RotateKeyOnDemand"
            }
        }
        "getParametersForImport" => {
            let o: GetParametersForImport = from_options(options, method)?;
            let algorithm = match o.algorithm {
                Some(name) => name.parse::<WrappingAlgorithm>().map_err(to_js)?,
                None => WrappingAlgorithm::RsaesOaepSha256,
            };
            check_cloud_algorithm(algorithm, Cloud::Aws)?;
            let spec = match o.wrapping_key_spec {
                Some(name) => name.parse::<WrappingKeySpec>().map_err(to_js)?,
                None => WrappingKeySpec::Rsa2048,
            };
            text("KeyId", Some(non_empty(o.key_id, "keyId")?));
            text("WrappingAlgorithm", Some(algorithm.as_str().into()));
            text("WrappingKeySpec", Some(spec.as_str().into()));
            "GetParametersForImport"
        }
        "importKeyMaterial" => {
            let o: ImportKeyMaterial = from_options(options, method)?;
            check_import_type(o.import_type.as_deref(), o.key_material_id.as_deref())?;
            let valid_to = o.expires_at.expiry("expiresAt")?.filter(|s| *s != 0);
            text("KeyId", Some(non_empty(o.key_id, "keyId")?));
            text(
                "EncryptedKeyMaterial",
                Some(non_empty(o.encrypted_key_material, "encryptedKeyMaterial")?),
            );
            text(
                "ImportToken",
                Some(non_empty(o.import_token, "importToken")?),
            );
            // AWS's default model is KEY_MATERIAL_EXPIRES, which needs a ValidTo: always say which.
            text(
                "ExpirationModel",
                Some(
                    if valid_to.is_some() {
                        "KEY_MATERIAL_EXPIRES"
                    } else {
                        "KEY_MATERIAL_DOES_NOT_EXPIRE"
                    }
                    .into(),
                ),
            );
            text("ImportType", o.import_type);
            text("KeyMaterialId", o.key_material_id);
            text("KeyMaterialDescription", o.key_material_description);
            if let Some(seconds) = valid_to {
                members.push(("ValidTo", Member::Number(seconds)));
            }
            "ImportKeyMaterial"
        }
        "deleteImportedKeyMaterial" => {
            let o: DeleteImportedKeyMaterial = from_options(options, method)?;
            text("KeyId", Some(non_empty(o.key_id, "keyId")?));
            text("KeyMaterialId", o.key_material_id);
            "DeleteImportedKeyMaterial"
        }
        "listKeyRotations" => {
            let o: ListKeyRotations = from_options(options, method)?;
            text("KeyId", Some(non_empty(o.key_id, "keyId")?));
            text("IncludeKeyMaterial", o.include_key_material);
            text("Marker", o.marker);
            if let Some(limit) = o.limit {
                members.push(("Limit", Member::Number(limit.into())));
            }
            "ListKeyRotations"
        }
        "scheduleKeyDeletion" => {
            let o: ScheduleKeyDeletion = from_options(options, method)?;
            text("KeyId", Some(non_empty(o.key_id, "keyId")?));
            if let Some(days) = o.pending_window_in_days {
                members.push(("PendingWindowInDays", Member::Number(days.into())));
            }
            "ScheduleKeyDeletion"
        }
        "createAlias" | "updateAlias" => {
            let o: Alias = from_options(options, method)?;
            text("AliasName", Some(non_empty(o.alias_name, "aliasName")?));
            text(
                "TargetKeyId",
                Some(non_empty(o.target_key_id, "targetKeyId")?),
            );
            if method == "createAlias" {
                "CreateAlias"
            } else {
                "UpdateAlias"
            }
        }
        "listKeys" => {
            let o: ListKeys = from_options(options, method)?;
            text("Marker", o.marker);
            if let Some(limit) = o.limit {
                members.push(("Limit", Member::Number(limit.into())));
            }
            "ListKeys"
        }
        other => {
            return Err(invalid_argument(&format!(
                "unknown AwsKmsClient method {}",
                crate::error::echoed(other)
            )));
        }
    };
    Ok((operation, members))
}
