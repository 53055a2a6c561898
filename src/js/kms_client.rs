//! `KmsClient` and `importKeyMaterial` for JavaScript: KMS API calls signed in wasm
//! ([`crate::client`]) and sent with the platform's `fetch` (browsers and Node 20 alike).
//!
//! Replies are returned as plain JS objects with the wire's field names (`KeyId`, `KeyState`, …).
//! Refusals are thrown as `ByokError`s carrying the KMS's `code`, `message` and `requestId`.

use std::rc::Rc;

use js_sys::{Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use super::{
    copy_material, get, invalid_argument, optional_string, parse_public_key, to_js, uint8_array,
};
use crate::client::{self, AccessKey};
use crate::error::Error;
use crate::spec::{KeySpec, WrappingAlgorithm};
use crate::wrap::{WrapOptions, check_before_wrapping, wrap_with};

#[wasm_bindgen(typescript_custom_section)]
const CLIENT_TYPES: &'static str = r#"
/** Options of the {@link KmsClient} constructor. */
export interface KmsClientOptions {
  /** The KMS's URL, e.g. `http://127.0.0.1:8080` or `https://kms.cn-hangzhou.aliyuncs.com`. */
  endpoint: string;
  /** The AccessKeyId. */
  accessKeyId: string;
  /** The AccessKeySecret. Kept in wasm memory only; `client.free()` wipes it. */
  accessKeySecret: string;
  /** The region, e.g. `cn-hangzhou` (informational; RPC calls carry none). */
  regionId?: string;
}

/** A key's metadata, as `DescribeKey` returns it (wire field names). */
export interface KeyMetadata {
  KeyId: string;
  Arn: string;
  CreationDate: string;
  Creator: string;
  Description: string;
  KeySpec: string;
  KeyUsage: string;
  KeyState: "Enabled" | "Disabled" | "PendingDeletion" | "PendingImport";
  Origin: "Aliyun_KMS" | "EXTERNAL";
  ProtectionLevel: string;
  /** `""` when the material never expires (or there is none). */
  MaterialExpireTime: string;
  DeleteDate: string;
  PrimaryKeyVersion: string;
  [field: string]: unknown;
}

/** What `GetParametersForImport` returns. */
export interface ImportParameters {
  KeyId: string;
  /** The token for `ImportKeyMaterial`, valid 24 hours. */
  ImportToken: string;
  /** The wrapping public key: base64 of a DER SubjectPublicKeyInfo. */
  PublicKey: string;
  /** When the token expires, `YYYY-MM-DDTHH:MM:SSZ`. */
  TokenExpireTime: string;
  RequestId: string;
}

/** What `ListKeys` returns. */
export interface KeyList {
  Keys: { Key: { KeyId: string; KeyArn: string }[] };
  TotalCount: number;
  PageNumber: number;
  PageSize: number;
  RequestId: string;
}

/** Options of {@link KmsClient.createKey}. */
export interface CreateKeyOptions {
  /** Default `Aliyun_AES_256`. */
  keySpec?: KeySpec;
  /** Default `EXTERNAL` (this is a BYOK library): the key waits for imported material. */
  origin?: "EXTERNAL" | "Aliyun_KMS";
  description?: string;
  /** Default `SOFTWARE`. */
  protectionLevel?: "SOFTWARE" | "HSM";
}

/** Options of {@link KmsClient.importKeyMaterial}: the raw `ImportKeyMaterial` call. */
export interface ImportKeyMaterialRequest {
  keyId: string;
  /** Base64 wrapped material, as {@link wrapKeyMaterial} returns it. */
  encryptedKeyMaterial: string;
  importToken: string;
  /** Unix seconds when the material expires; absent or 0 for never. */
  keyMaterialExpireUnix?: number;
}

/** Options of {@link importKeyMaterial}, the whole import in one call. */
export interface ImportOptions {
  keyId: string;
  /** The plaintext material; checked against the key's spec, wrapped in wasm, never sent. */
  material: Uint8Array;
  /** Default `RSAES_OAEP_SHA_256`. */
  algorithm?: WrappingAlgorithm;
  /** Permit `RSAES_PKCS1_V1_5`. */
  allowLegacyPkcs1?: boolean;
  /** Unix seconds when the material expires; absent or 0 for never. */
  expireUnix?: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn fetch(input: &str, init: &JsValue) -> Promise;

    type Response;
    #[wasm_bindgen(method, getter)]
    fn status(this: &Response) -> u16;
    #[wasm_bindgen(method)]
    fn text(this: &Response) -> Promise;

    #[wasm_bindgen(js_name = URL)]
    type Url;
    #[wasm_bindgen(constructor, catch, js_class = "URL")]
    fn new(url: &str) -> Result<Url, JsValue>;
    #[wasm_bindgen(method, getter, js_class = "URL")]
    fn host(this: &Url) -> String;
    #[wasm_bindgen(method, getter, js_class = "URL")]
    fn origin(this: &Url) -> String;
    #[wasm_bindgen(method, getter, js_class = "URL")]
    fn pathname(this: &Url) -> String;
    #[wasm_bindgen(method, getter, js_class = "URL")]
    fn search(this: &Url) -> String;
}

struct Inner {
    /// `scheme://host[:port]`, where requests go.
    origin: String,
    /// The `host` header the HTTP client sends for `origin`.
    host: String,
    key: AccessKey,
    region_id: Option<String>,
}

/// A client for the KMS API (Alibaba Cloud KMS 2016-01-20), signing every call with
/// ACS3-HMAC-SHA256 inside the wasm module and sending it with `fetch`. Works in browsers (the
/// endpoint must allow the page's origin, or be the page's own) and in Node 20.
#[wasm_bindgen]
pub struct KmsClient {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl KmsClient {
    /// A client for `endpoint` with an access key. Throws `ByokError` `InvalidArgument` for a
    /// missing option or an endpoint that is not an http(s) URL without a path.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "KmsClientOptions")] opts: JsValue,
    ) -> Result<KmsClient, JsValue> {
        if !opts.is_object() {
            return Err(invalid_argument(
                "KmsClient takes { endpoint, accessKeyId, accessKeySecret, regionId? }",
            ));
        }
        let text = |name: &str| -> Result<String, JsValue> {
            optional_string(&get(&opts, name)?, name)?
                .filter(|s| !s.is_empty())
                .ok_or_else(|| invalid_argument(&format!("{name} is required")))
        };
        let endpoint = text("endpoint")?;
        let url = Url::new(&endpoint).map_err(|_| {
            invalid_argument("endpoint must be a URL such as http://127.0.0.1:8080")
        })?;
        let origin = url.origin();
        if !(origin.starts_with("http://") || origin.starts_with("https://"))
            || url.pathname() != "/"
            || !url.search().is_empty()
        {
            return Err(invalid_argument(
                "endpoint must be an http or https URL without a path, such as http://127.0.0.1:8080",
            ));
        }
        let key = AccessKey::new(&text("accessKeyId")?, &text("accessKeySecret")?);
        let region_id = optional_string(&get(&opts, "regionId")?, "regionId")?;
        Ok(Self {
            inner: Rc::new(Inner {
                host: url.host(),
                origin,
                key,
                region_id,
            }),
        })
    }

    /// The endpoint's origin, e.g. `http://127.0.0.1:8080`.
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.inner.origin.clone()
    }

    /// The AccessKeyId.
    #[wasm_bindgen(getter, js_name = accessKeyId)]
    pub fn access_key_id(&self) -> String {
        self.inner.key.id().to_owned()
    }

    /// The region given to the constructor, if any.
    #[wasm_bindgen(getter, js_name = regionId)]
    pub fn region_id(&self) -> Option<String> {
        self.inner.region_id.clone()
    }

    /// Calls any action with string parameters and resolves to the reply object, e.g.
    /// `client.call('Encrypt', { KeyId, Plaintext })`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Record<string, unknown>>")]
    pub fn call(
        &self,
        action: String,
        #[wasm_bindgen(unchecked_optional_param_type = "Record<string, string | number>")]
        params: Option<Object>,
    ) -> Result<Promise, JsValue> {
        let params = params_from_js(params.as_ref())?;
        let inner = self.inner.clone();
        Ok(future_to_promise(async move {
            call(&inner, &action, &params).await.map_err(to_js)
        }))
    }

    /// `CreateKey`; resolves to the new key's metadata. Default: an `EXTERNAL` `Aliyun_AES_256` key.
    #[wasm_bindgen(js_name = createKey, unchecked_return_type = "Promise<KeyMetadata>")]
    pub fn create_key(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CreateKeyOptions")] opts: Option<Object>,
    ) -> Result<Promise, JsValue> {
        let opts: JsValue = opts.map_or(JsValue::UNDEFINED, Into::into);
        let field = |name: &str| -> Result<Option<String>, JsValue> {
            if opts.is_undefined() {
                Ok(None)
            } else {
                optional_string(&get(&opts, name)?, name)
            }
        };
        let spec: KeySpec = field("keySpec")?
            .map(|s| s.parse().map_err(to_js))
            .transpose()?
            .unwrap_or_default();
        let mut params = vec![
            ("KeySpec".to_owned(), spec.as_str().to_owned()),
            (
                "Origin".to_owned(),
                field("origin")?.unwrap_or_else(|| "EXTERNAL".into()),
            ),
        ];
        for (option, wire) in [
            ("description", "Description"),
            ("protectionLevel", "ProtectionLevel"),
        ] {
            if let Some(value) = field(option)? {
                params.push((wire.to_owned(), value));
            }
        }
        let inner = self.inner.clone();
        Ok(future_to_promise(async move {
            let reply = call(&inner, "CreateKey", &params).await.map_err(to_js)?;
            get(&reply, "KeyMetadata")
        }))
    }

    /// `DescribeKey`; resolves to the key's metadata.
    #[wasm_bindgen(js_name = describeKey, unchecked_return_type = "Promise<KeyMetadata>")]
    pub fn describe_key(&self, #[wasm_bindgen(js_name = keyId)] key_id: String) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move { describe(&inner, &key_id).await.map_err(to_js) })
    }

    /// `ListKeys`; resolves to one page (`pageNumber` from 1, `pageSize` 1 to 100).
    #[wasm_bindgen(js_name = listKeys, unchecked_return_type = "Promise<KeyList>")]
    pub fn list_keys(
        &self,
        #[wasm_bindgen(
            unchecked_optional_param_type = "{ pageNumber?: number; pageSize?: number }"
        )]
        opts: Option<Object>,
    ) -> Result<Promise, JsValue> {
        let mut params = Vec::new();
        if let Some(opts) = &opts {
            for (option, wire) in [("pageNumber", "PageNumber"), ("pageSize", "PageSize")] {
                let value = get(opts, option)?;
                if let Some(n) = value.as_f64() {
                    params.push((wire.to_owned(), format!("{n}")));
                } else if !value.is_undefined() {
                    return Err(invalid_argument(&format!("{option} must be a number")));
                }
            }
        }
        let inner = self.inner.clone();
        Ok(future_to_promise(async move {
            call(&inner, "ListKeys", &params).await.map_err(to_js)
        }))
    }

    /// `GetParametersForImport`: a wrapping public key and an import token (24 hours).
    #[wasm_bindgen(js_name = getParametersForImport, unchecked_return_type = "Promise<ImportParameters>")]
    pub fn get_parameters_for_import(
        &self,
        #[wasm_bindgen(js_name = keyId)] key_id: String,
        #[wasm_bindgen(unchecked_optional_param_type = "WrappingAlgorithm")] algorithm: Option<
            String,
        >,
        #[wasm_bindgen(js_name = wrappingKeySpec, unchecked_optional_param_type = "\"RSA_2048\"")]
        wrapping_key_spec: Option<String>,
    ) -> Result<Promise, JsValue> {
        let algorithm: WrappingAlgorithm = algorithm
            .map(|a| a.parse().map_err(to_js))
            .transpose()?
            .unwrap_or_default();
        let spec = wrapping_key_spec.unwrap_or_else(|| "RSA_2048".into());
        let inner = self.inner.clone();
        Ok(future_to_promise(async move {
            parameters(&inner, &key_id, algorithm, &spec)
                .await
                .map_err(to_js)
        }))
    }

    /// `ImportKeyMaterial` with already wrapped material; resolves when the KMS accepted it.
    #[wasm_bindgen(js_name = importKeyMaterial, unchecked_return_type = "Promise<void>")]
    pub fn import_key_material(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ImportKeyMaterialRequest")] opts: JsValue,
    ) -> Result<Promise, JsValue> {
        let text = |name: &str| -> Result<String, JsValue> {
            optional_string(&get(&opts, name)?, name)?
                .ok_or_else(|| invalid_argument(&format!("{name} is required")))
        };
        let mut params = vec![
            ("KeyId".to_owned(), text("keyId")?),
            (
                "EncryptedKeyMaterial".to_owned(),
                text("encryptedKeyMaterial")?,
            ),
            ("ImportToken".to_owned(), text("importToken")?),
        ];
        if let Some(expire) = expire_unix(&get(&opts, "keyMaterialExpireUnix")?)? {
            params.push(("KeyMaterialExpireUnix".to_owned(), expire));
        }
        let inner = self.inner.clone();
        Ok(future_to_promise(async move {
            call(&inner, "ImportKeyMaterial", &params)
                .await
                .map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// `DeleteKeyMaterial`: the key goes back to PendingImport until the same material is
    /// imported again.
    #[wasm_bindgen(js_name = deleteKeyMaterial, unchecked_return_type = "Promise<void>")]
    pub fn delete_key_material(&self, #[wasm_bindgen(js_name = keyId)] key_id: String) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            call(&inner, "DeleteKeyMaterial", &[("KeyId".into(), key_id)])
                .await
                .map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// The whole import in one call: DescribeKey (for the key spec) → GetParametersForImport → wrap
/// the material in wasm (checked against the spec, then wiped) → ImportKeyMaterial → DescribeKey.
/// Resolves to the key's metadata after the import. The plaintext material never leaves the page.
#[wasm_bindgen(js_name = importKeyMaterial, unchecked_return_type = "Promise<KeyMetadata>")]
pub fn import_key_material(
    client: &KmsClient,
    #[wasm_bindgen(unchecked_param_type = "ImportOptions")] opts: JsValue,
) -> Result<Promise, JsValue> {
    if !opts.is_object() {
        return Err(invalid_argument(
            "importKeyMaterial takes (client, { keyId, material, algorithm?, allowLegacyPkcs1?, expireUnix? })",
        ));
    }
    let key_id = optional_string(&get(&opts, "keyId")?, "keyId")?
        .ok_or_else(|| invalid_argument("keyId is required"))?;
    let material: Uint8Array = uint8_array(&get(&opts, "material")?, "material")?.clone();
    let algorithm: WrappingAlgorithm = optional_string(&get(&opts, "algorithm")?, "algorithm")?
        .map(|a| a.parse().map_err(to_js))
        .transpose()?
        .unwrap_or_default();
    let allow_legacy_pkcs1 = match get(&opts, "allowLegacyPkcs1")? {
        v if v.is_undefined() || v.is_null() => false,
        v => v
            .as_bool()
            .ok_or_else(|| invalid_argument("allowLegacyPkcs1 must be a boolean"))?,
    };
    let expire = expire_unix(&get(&opts, "expireUnix")?)?;
    if algorithm.is_legacy() && !allow_legacy_pkcs1 {
        return Err(to_js(Error::LegacyAlgorithmRefused));
    }
    let inner = client.inner.clone();
    Ok(future_to_promise(async move {
        let metadata = describe(&inner, &key_id).await.map_err(to_js)?;
        let spec: KeySpec = optional_string(&get(&metadata, "KeySpec")?, "KeySpec")?
            .unwrap_or_default()
            .parse()
            .map_err(to_js)?;
        let options = WrapOptions {
            algorithm,
            allow_legacy_pkcs1,
            key_spec: Some(spec),
        };
        // Refuse material of the wrong length before asking the KMS for anything.
        crate::material::check_spec_length(spec, material.length() as usize).map_err(to_js)?;
        let parameters = parameters(&inner, &key_id, algorithm, "RSA_2048")
            .await
            .map_err(to_js)?;
        let public_key = parse_public_key(&get(&parameters, "PublicKey")?)?;
        check_before_wrapping(&public_key, &options, material.length() as usize).map_err(to_js)?;
        let wrapped = {
            let secret = copy_material(&material)?;
            wrap_with(&public_key, &secret, &options).map_err(to_js)?
        };
        let token =
            optional_string(&get(&parameters, "ImportToken")?, "ImportToken")?.unwrap_or_default();
        let mut params = vec![
            ("KeyId".to_owned(), key_id.clone()),
            ("EncryptedKeyMaterial".to_owned(), wrapped.to_base64()),
            ("ImportToken".to_owned(), token),
        ];
        if let Some(expire) = expire {
            params.push(("KeyMaterialExpireUnix".to_owned(), expire));
        }
        call(&inner, "ImportKeyMaterial", &params)
            .await
            .map_err(to_js)?;
        describe(&inner, &key_id).await.map_err(to_js)
    }))
}

async fn describe(inner: &Inner, key_id: &str) -> Result<JsValue, Error> {
    let reply = call(inner, "DescribeKey", &[("KeyId".into(), key_id.into())]).await?;
    Reflect::get(&reply, &"KeyMetadata".into())
        .map_err(|_| Error::InvalidResponse { http_status: 200 })
}

async fn parameters(
    inner: &Inner,
    key_id: &str,
    algorithm: WrappingAlgorithm,
    wrapping_key_spec: &str,
) -> Result<JsValue, Error> {
    call(
        inner,
        "GetParametersForImport",
        &[
            ("KeyId".into(), key_id.into()),
            ("WrappingAlgorithm".into(), algorithm.as_str().into()),
            ("WrappingKeySpec".into(), wrapping_key_spec.into()),
        ],
    )
    .await
}

/// Signs and sends one call; resolves to the parsed reply, or the KMS's refusal as [`Error::Kms`].
async fn call(inner: &Inner, action: &str, params: &[(String, String)]) -> Result<JsValue, Error> {
    let params: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let date = client::acs_date(&String::from(js_sys::Date::new_0().to_iso_string()));
    let signed = client::sign(
        &inner.host,
        &inner.key,
        action,
        &params,
        &date,
        &client::nonce()?,
    );
    let headers = Object::new();
    for (name, value) in &signed.headers {
        let _ = Reflect::set(&headers, &name.into(), &value.into());
    }
    let init = Object::new();
    let _ = Reflect::set(&init, &"method".into(), &"POST".into());
    let _ = Reflect::set(&init, &"headers".into(), &headers);
    let _ = Reflect::set(&init, &"credentials".into(), &"omit".into());
    let _ = Reflect::set(&init, &"cache".into(), &"no-store".into());
    let url = format!("{}/?{}", inner.origin, signed.query);
    let network = |e: JsValue| Error::Network {
        endpoint: inner.origin.clone(),
        reason: js_sys::Error::from(e)
            .message()
            .as_string()
            .unwrap_or_else(|| "fetch failed".into()),
    };
    let response: Response = JsFuture::from(fetch(&url, &init))
        .await
        .map_err(network)?
        .unchecked_into();
    let status = response.status();
    let text = JsFuture::from(response.text()).await.map_err(network)?;
    let reply = js_sys::JSON::parse(&text.as_string().unwrap_or_default())
        .ok()
        .filter(JsValue::is_object)
        .ok_or(Error::InvalidResponse {
            http_status: status,
        })?;
    if (200..300).contains(&status) {
        return Ok(reply);
    }
    let field = |name: &str| {
        Reflect::get(&reply, &name.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let code = field("Code");
    if code.is_empty() {
        return Err(Error::InvalidResponse {
            http_status: status,
        });
    }
    Err(Error::Kms {
        code,
        message: field("Message"),
        request_id: field("RequestId"),
        http_status: status,
    })
}

fn params_from_js(params: Option<&Object>) -> Result<Vec<(String, String)>, JsValue> {
    let Some(params) = params else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in Object::entries(params).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let name = pair.get(0).as_string().unwrap_or_default();
        let value = pair.get(1);
        let value = if let Some(s) = value.as_string() {
            s
        } else if let Some(n) = value.as_f64() {
            format!("{n}")
        } else {
            return Err(invalid_argument(&format!(
                "parameter {name} must be a string or a number"
            )));
        };
        out.push((name, value));
    }
    Ok(out)
}

fn expire_unix(value: &JsValue) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && n >= 0.0 => Ok(Some(format!("{n}"))),
        _ => Err(invalid_argument(
            "the expiry must be whole Unix seconds (0 for never)",
        )),
    }
}
