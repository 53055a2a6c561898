/// <reference lib="esnext.disposable" />
// Types of the byok-wrap package: the wasm module's exports (byok_wrap.d.ts, generated from the
// Rust doc comments) and the KMS client (client.js).
import type { KeySpec, WrappingAlgorithm } from './byok_wrap.js';

export * from './byok_wrap.js';
export { default } from './byok_wrap.js';

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
  /** Base64 wrapped material, as `wrapKeyMaterial` returns it. */
  encryptedKeyMaterial: string;
  importToken: string;
  /** Unix seconds when the material expires; absent or 0 for never. */
  keyMaterialExpireUnix?: number;
}

/** Options of {@link importKeyMaterial}, the whole import in one call. */
export interface ImportOptions {
  keyId: string;
  /** The plaintext material; checked against the key's spec, wrapped locally, never sent. */
  material: Uint8Array;
  /** Default `RSAES_OAEP_SHA_256`. */
  algorithm?: WrappingAlgorithm;
  /** Permit `RSAES_PKCS1_V1_5`. */
  allowLegacyPkcs1?: boolean;
  /** Unix seconds when the material expires; absent or 0 for never. */
  expireUnix?: number;
}

/**
 * A client for the KMS API (Alibaba Cloud KMS 2016-01-20). Every call is signed with
 * ACS3-HMAC-SHA256 inside the wasm module, where the access key secret stays, and sent with
 * `fetch`. Works in browsers (the endpoint must be the page's own origin or allow it with CORS)
 * and in Node 20. Replies are plain objects with the wire's field names; refusals reject with a
 * `ByokError` carrying the KMS's `code`, `message`, `requestId` and `httpStatus`; an unreachable
 * KMS with code `NetworkError`.
 */
export declare class KmsClient {
  /** Throws `ByokError` `InvalidArgument` for a missing option or an endpoint that is not an http(s) URL without a path. */
  constructor(options: KmsClientOptions);
  /** The endpoint's origin, e.g. `http://127.0.0.1:8080`. */
  readonly endpoint: string;
  /** The AccessKeyId. */
  readonly accessKeyId: string;
  /** The region given to the constructor, if any. */
  readonly regionId: string | undefined;
  /** Calls any action; parameters are strings or whole numbers. Resolves to the reply object. */
  call(action: string, params?: Record<string, string | number | undefined>): Promise<Record<string, unknown>>;
  /** `CreateKey`; resolves to the new key's metadata. Default: an `EXTERNAL` `Aliyun_AES_256` key. */
  createKey(options?: CreateKeyOptions): Promise<KeyMetadata>;
  /** `DescribeKey`; resolves to the key's metadata. */
  describeKey(keyId: string): Promise<KeyMetadata>;
  /** `ListKeys`; resolves to one page (`pageNumber` from 1, `pageSize` 1 to 100). */
  listKeys(options?: { pageNumber?: number; pageSize?: number }): Promise<KeyList>;
  /** `GetParametersForImport`: a new wrapping public key and an import token (24 hours). */
  getParametersForImport(keyId: string, algorithm?: WrappingAlgorithm, wrappingKeySpec?: "RSA_2048"): Promise<ImportParameters>;
  /** `ImportKeyMaterial` with already wrapped material; resolves when the KMS accepted it. */
  importKeyMaterial(request: ImportKeyMaterialRequest): Promise<void>;
  /** `DeleteKeyMaterial`: the key goes back to PendingImport until the same material is imported again. */
  deleteKeyMaterial(keyId: string): Promise<void>;
  /** Wipes the access key secret from wasm memory; the client is unusable afterwards. */
  free(): void;
  [Symbol.dispose](): void;
}

/**
 * The whole import in one call: DescribeKey (for the key spec; a wrong length is refused before
 * anything is sent) → GetParametersForImport → wrap locally (WebCrypto where available, else
 * wasm) → ImportKeyMaterial → DescribeKey. Resolves to the key's metadata after the import. The
 * plaintext material never leaves the page.
 */
export declare function importKeyMaterial(client: KmsClient, options: ImportOptions): Promise<KeyMetadata>;
