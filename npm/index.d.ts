/// <reference lib="esnext.disposable" />
// Types of the byok-wrap package (TypeScript 5.2 or newer: `using` and `Symbol.dispose`).
// `make pkg` fills in the string unions marked @generated from the Rust table (`importRules()`),
// so that they can never disagree with what the wasm module accepts.

/**
 * A wrapping algorithm by its wire name: the one the KMS named with the wrapping public key
 * (`GetParametersForImport`'s `WrappingAlgorithm`, or a Google Cloud import job's method).
 * `importRules().algorithms` says which cloud names which, and what each accepts.
 */
export type WrappingAlgorithm = /* @generated algorithms */ string;

/**
 * The key spec of the key that material is imported into, by its wire name in any cloud (and
 * Alibaba Cloud's short forms `AES_256`, `AES_192`, `AES_128`, `SM4`). It fixes what the material
 * must be: symmetric bytes of a length, or a private key of a type (`importRules().keySpecs`).
 */
export type KeySpec = /* @generated keySpecs */ string;

/** The size of the RSA wrapping key pair. */
export type WrappingKeySpec = /* @generated wrappingKeySpecs */ string;

/** A cloud, in `importRules()`. */
export type Cloud = /* @generated clouds */ string;

/**
 * The stable `code` of a {@link ByokError}: one of these for errors found locally, or the KMS's
 * own error code (e.g. `"InvalidKeyMaterial"`, `"ExpiredImportToken"`) for a refusal by the KMS.
 */
export type ByokErrorCode =
  | "InvalidPublicKey" | "InvalidPrivateKey" | "UnknownAlgorithm" | "UnknownKeySpec"
  | "UnknownWrappingKeySpec" | "LegacyAlgorithmRefused" | "UnsupportedMaterial"
  | "WrappingKeyMismatch" | "KeySpecMismatch" | "MaterialLength" | "RandomUnavailable"
  | "InvalidArgument" | "InsecureEndpoint" | "NotInitialized" | "Freed" | "Aborted"
  | "NetworkError" | "InvalidResponse" | (string & {});

/**
 * What every function of this package throws, and every async function rejects with: an `Error`
 * with a stable `code` and a message a person can act on. Messages never contain key material.
 * A refusal by the KMS also carries its `requestId` and `httpStatus`. Use `instanceof ByokError`,
 * or {@link isByokError} across copies of the package.
 */
export declare class ByokError extends Error {
  constructor(message: string, options?: { code?: ByokErrorCode; requestId?: string; httpStatus?: number; cause?: unknown; step?: RotationStep["step"] | AwsRotationStep["step"]; oldKeyId?: string; newKeyId?: string; keyId?: string });
  readonly name: "ByokError";
  readonly code: ByokErrorCode;
  /** The KMS's request id, for a refusal by the KMS. */
  readonly requestId?: string;
  /** The HTTP status of the KMS's reply. */
  readonly httpStatus?: number;
  /** {@link rotateImportedKey}: the step that failed. */
  readonly step?: RotationStep["step"] | AwsRotationStep["step"];
  /** {@link rotateImportedKey} with an {@link AwsKmsClient}: the key rotated in place. */
  readonly keyId?: string;
  /** {@link rotateImportedKey}: the key the alias still names. */
  readonly oldKeyId?: string;
  /** {@link rotateImportedKey}: the new key (scheduled for deletion after a failure). */
  readonly newKeyId?: string;
}

/** Whether `value` is a {@link ByokError} (also one thrown by another copy of this package). */
export declare function isByokError(value: unknown): value is ByokError;

/** Where {@link init} gets the WebAssembly module from. */
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the WebAssembly module; await it once before anything else (later calls resolve at
 * once). Browsers fetch `byok_wrap_bg.wasm` next to the module; Node reads it from disk. Pass
 * `{ module_or_path }` (a URL, a `Response` or a promise of one, the bytes, or a
 * `WebAssembly.Module`) to load it from elsewhere, e.g. a bundler's asset URL.
 */
export default function init(options?: { module_or_path?: InitInput | Promise<InitInput> }): Promise<void>;

/**
 * Loads the WebAssembly module synchronously from its bytes or a compiled `WebAssembly.Module`
 * (for workers and tests that have the bytes already; browsers refuse to compile modules over
 * 8 MB synchronously on the main thread, which this one is far below).
 */
export declare function initSync(options: { module: BufferSource | WebAssembly.Module }): void;

/**
 * Fresh symmetric key material from the platform's secure random number generator
 * (`crypto.getRandomValues`), of the key spec's length: 32 bytes for `Aliyun_AES_256` (the
 * default), `SYMMETRIC_DEFAULT` and `GOOGLE_SYMMETRIC_ENCRYPTION`; 24 for `Aliyun_AES_192`; 16 for
 * `Aliyun_AES_128` and `Aliyun_SM4`; 28, 32, 48, 64 for `HMAC_224` … `HMAC_512`. The returned
 * array is the only copy; keep a backup: a KMS never exports imported material. Asymmetric specs
 * throw `InvalidArgument` (generate private keys with openssl or your HSM).
 */
export declare function generateKeyMaterial(keySpec?: KeySpec): Uint8Array;

/**
 * The key check value: the first 3 bytes of AES-ECB(key, zero block), upper-case hex (SM4 for
 * `Aliyun_SM4`). Compare a backup with what you imported. HMAC keys have none.
 */
export declare function keyCheckValue(material: Uint8Array, keySpec?: KeySpec): string;

/** What to wrap: symmetric bytes, or a private key. Exactly one of the two. */
export type MaterialInput =
  | {
      /** Symmetric key material (AES, SM4, HMAC): copied into wasm memory, used, and wiped there. */
      material: Uint8Array;
      privateKey?: undefined;
    }
  | {
      /**
       * A private key to import: PEM text or PEM/DER bytes, in PKCS#8, PKCS#1 (`RSA PRIVATE KEY`)
       * or SEC 1 (`EC PRIVATE KEY`) form; RSA 2048/3072/4096 or EC P-256/P-384/secp256k1. It is
       * wrapped as PKCS#8 DER, what every cloud expects.
       */
      privateKey: string | Uint8Array;
      material?: undefined;
    };

/** Options of {@link wrapForImport}. Unknown option names are refused, to catch typos. */
export type WrapForImportOptions = MaterialInput & {
  /**
   * The wrapping public key: the `PublicKey` string from `GetParametersForImport` (base64 DER),
   * PEM text (`PUBLIC KEY` or `RSA PUBLIC KEY`), or DER bytes. RSA 2048, 3072 or 4096 bits, as
   * the algorithm allows.
   */
  publicKey: string | Uint8Array;
  /** The wrapping algorithm the KMS named with the public key. */
  algorithm: WrappingAlgorithm;
  /** If given, the material must be what this key spec demands (length, or private key type). */
  keySpec?: KeySpec;
  /** Permit the legacy `RSAES_PKCS1_V1_5` (NIST disallows it for key transport since 2024). */
  allowLegacyPkcs1?: boolean;
};

/** Options of {@link wrapKeyMaterial}: {@link WrapForImportOptions} with `algorithm` optional. */
export type WrapKeyMaterialOptions = Omit<WrapForImportOptions, "algorithm"> & {
  /** Default `RSAES_OAEP_SHA_256`. */
  algorithm?: WrappingAlgorithm;
};

/**
 * Wraps material or a private key in the format `algorithm` names, and returns standard base64
 * without line breaks (what `openssl enc -e -base64 -A` prints): `EncryptedKeyMaterial` for
 * Alibaba Cloud and AWS, the import request's `wrappedKey` for Google Cloud. Throws a
 * {@link ByokError}: `InvalidPublicKey`, `InvalidPrivateKey`, `MaterialLength`,
 * `KeySpecMismatch`, `UnsupportedMaterial`, `WrappingKeyMismatch`, `LegacyAlgorithmRefused`,
 * `UnknownAlgorithm`, `UnknownKeySpec` or `InvalidArgument`.
 */
export declare function wrapForImport(options: WrapForImportOptions): string;

/**
 * The same checks and the same format as {@link wrapForImport}, resolving asynchronously (and
 * rejecting, never throwing). The RSA-OAEP operation is done by the platform's WebCrypto where it
 * can (secure contexts and Node): for the direct RSA formats the material goes from your array to
 * WebCrypto without entering wasm memory; for the hybrid ones WebCrypto encrypts the ephemeral
 * AES key. `RSAES_PKCS1_V1_5`, platforms without WebCrypto and `webCrypto: false` use wasm.
 */
export declare function wrapForImportAsync(options: WrapForImportOptions & { webCrypto?: boolean }): Promise<string>;

/** {@link wrapForImport} with `algorithm` defaulting to `RSAES_OAEP_SHA_256` (the first API). */
export declare function wrapKeyMaterial(options: WrapKeyMaterialOptions): string;

/** {@link wrapForImportAsync} with `algorithm` defaulting to `RSAES_OAEP_SHA_256`. */
export declare function wrapKeyMaterialAsync(options: WrapKeyMaterialOptions & { webCrypto?: boolean }): Promise<string>;

/** One wrapping algorithm, in {@link importRules}. */
export interface AlgorithmRule {
  readonly name: WrappingAlgorithm;
  /** The clouds that name it. */
  readonly clouds: readonly Cloud[];
  /** RSA alone, or RSA-OAEP of an AES-256 key followed by AES-KWP (RFC 5649) or AES-ECB-PKCS7. */
  readonly scheme: "oaep" | "pkcs1v15" | "oaep+kwp" | "oaep+ecb-pkcs7";
  /** The OAEP hash (for the label and MGF1); absent for PKCS#1 v1.5. */
  readonly hash?: "SHA-1" | "SHA-256";
  /** The wrapping key sizes it works with. */
  readonly wrappingKeySpecs: readonly WrappingKeySpec[];
  /** Whether it takes symmetric material. */
  readonly symmetric: boolean;
  /** Whether it takes private keys (direct RSA only those short enough: EC keys). */
  readonly privateKeys: boolean;
  /** Whether it needs `allowLegacyPkcs1: true`. */
  readonly legacy: boolean;
}

/** One key spec, in {@link importRules}. */
export interface KeySpecRule {
  readonly name: KeySpec;
  readonly clouds: readonly Cloud[];
  readonly kind: "symmetric" | "privateKey";
  /** Symmetric: the shortest material, which `generateKeyMaterial` makes. */
  readonly minLength?: number;
  /** Symmetric: the longest material. */
  readonly maxLength?: number;
  /** Asymmetric: the private key type, e.g. `RSA-2048`, `EC P-256`. */
  readonly privateKeyType?: string;
  /** Other names accepted for it (Alibaba Cloud's short forms). */
  readonly aliases: readonly string[];
}

/** The rules byok-wrap enforces, as data: build a page's choices from them. */
export interface ImportRules {
  readonly algorithms: readonly AlgorithmRule[];
  readonly keySpecs: readonly KeySpecRule[];
  readonly wrappingKeySpecs: readonly { readonly name: WrappingKeySpec; readonly bits: number }[];
  /**
   * Each cloud, with the wrapping algorithm {@link importKeyMaterial} uses there when none is
   * named: `defaultAlgorithm` for symmetric material, `privateKeyAlgorithm` for a private key.
   */
  readonly clouds: readonly {
    readonly id: Cloud;
    readonly name: string;
    readonly defaultAlgorithm: WrappingAlgorithm;
    readonly privateKeyAlgorithm: WrappingAlgorithm;
  }[];
}

/** Every algorithm and key spec with its rules (frozen; the same object every call). */
export declare function importRules(): ImportRules;

/**
 * What {@link KmsClient} signs with: ACS3-HMAC-SHA256 with the access key held in wasm memory.
 * For sending requests some other way.
 */
export declare class RequestSigner {
  constructor(accessKeyId: string, accessKeySecret: string, securityToken?: string);
  readonly accessKeyId: string;
  /**
   * Signs a call of `action` for the endpoint whose `host` header is `host` (e.g.
   * `new URL(endpoint).host`), now, with a fresh nonce: POST `endpoint + '/?' + query` with
   * `headers` and an empty body.
   */
  sign(host: string, action: string, params?: Record<string, string>): { query: string; headers: Record<string, string> };
  /** Wipes the secret; the signer throws `Freed` afterwards. */
  free(): void;
  [Symbol.dispose](): void;
}

/** Options of the {@link KmsClient} constructor. Unknown option names are refused. */
export interface KmsClientOptions {
  /** The KMS's URL, e.g. `https://kms.cn-hangzhou.aliyuncs.com` or `http://127.0.0.1:8080`. */
  endpoint: string;
  accessKeyId: string;
  /** Kept in wasm memory only; `client.free()` (or `using`) wipes it. */
  accessKeySecret: string;
  /** The security token of temporary credentials (STS), so a page need not hold a long-lived key. */
  securityToken?: string;
  /** The region, e.g. `cn-hangzhou` (informational; RPC calls carry none). */
  regionId?: string;
  /**
   * Permit plain `http:` to another machine. Off by default: on any network path an attacker could
   * swap the wrapping public key and read your material. `http://localhost`, `127.0.0.0/8` and
   * `[::1]` are always allowed.
   */
  allowInsecureHttp?: boolean;
  /** The `fetch` to send requests with (default: the global one). */
  fetch?: typeof fetch;
}

/** Key states (Alibaba Cloud KMS). */
export type KeyState = "Enabled" | "Disabled" | "PendingDeletion" | "PendingImport";

/** A key's metadata, as `DescribeKey` returns it (wire field names). */
export interface KeyMetadata {
  KeyId: string;
  Arn: string;
  CreationDate: string;
  Creator: string;
  Description: string;
  KeySpec: KeySpec | "EC_SM2" | (string & {});
  KeyUsage: "ENCRYPT/DECRYPT" | "SIGN/VERIFY" | (string & {});
  KeyState: KeyState;
  Origin: "Aliyun_KMS" | "EXTERNAL";
  ProtectionLevel: "SOFTWARE" | "HSM" | (string & {});
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
  keySpec?: KeySpec | "EC_SM2";
  /** Default `EXTERNAL` (this is a BYOK library): the key waits for imported material. */
  origin?: "EXTERNAL" | "Aliyun_KMS";
  description?: string;
  /** Default `SOFTWARE`. */
  protectionLevel?: "SOFTWARE" | "HSM";
  /** Default `ENCRYPT/DECRYPT`. */
  keyUsage?: "ENCRYPT/DECRYPT" | "SIGN/VERIFY";
}

/** When material expires: a `Date`, or Unix time in whole seconds; `0` or absent for never. */
export type Expiry = Date | number;

/** Options of {@link KmsClient.getParametersForImport}. */
export interface GetParametersOptions {
  keyId: string;
  /** Default `RSAES_OAEP_SHA_256`. */
  algorithm?: WrappingAlgorithm;
  /** Default `RSA_2048`. */
  wrappingKeySpec?: WrappingKeySpec;
}

/** Options of {@link KmsClient.importKeyMaterial}: the raw `ImportKeyMaterial` call. */
export interface ImportKeyMaterialRequest {
  keyId: string;
  /** The base64 that {@link wrapForImport} returns. */
  encryptedKeyMaterial: string;
  importToken: string;
  /** Milliseconds (`Date.now()`) are refused: pass a `Date` or seconds. */
  expiresAt?: Expiry;
}

/**
 * A client for the KMS API (Alibaba Cloud KMS 2016-01-20, and byok-kms). Every call is signed
 * with ACS3-HMAC-SHA256 inside the wasm module, where the access key secret stays, and sent with
 * `fetch`. Works in browsers (the endpoint must be the page's own origin or allow it with CORS)
 * and in Node 20. Replies are plain objects with the wire's field names; refusals reject with a
 * {@link ByokError} carrying the KMS's `code`, `message`, `requestId` and `httpStatus`.
 */
export declare class KmsClient {
  /**
   * Throws `InvalidArgument` for a missing or unknown option, or an endpoint that is not an
   * http(s) URL without a path; `InsecureEndpoint` for plain http to another machine.
   */
  constructor(options: KmsClientOptions);
  /** The endpoint's origin, e.g. `https://kms.cn-hangzhou.aliyuncs.com`. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly regionId: string | undefined;
  /** Calls any action; parameters are strings or whole numbers. Resolves to the reply object. */
  call(action: string, params?: Record<string, string | number | undefined>, options?: { signal?: AbortSignal }): Promise<Record<string, unknown>>;
  /** `CreateKey`; resolves to the new key's metadata. Default: an `EXTERNAL` `Aliyun_AES_256` key. */
  createKey(options?: CreateKeyOptions): Promise<KeyMetadata>;
  /** `DescribeKey`. */
  describeKey(keyId: string): Promise<KeyMetadata>;
  /** `ListKeys`: one page (`pageNumber` from 1, `pageSize` 1 to 100). */
  listKeys(options?: { pageNumber?: number; pageSize?: number }): Promise<KeyList>;
  /** `GetParametersForImport`: a new wrapping public key and an import token (24 hours). */
  getParametersForImport(options: GetParametersOptions): Promise<ImportParameters>;
  /** `ImportKeyMaterial` with already wrapped material; resolves when the KMS accepted it. */
  importKeyMaterial(request: ImportKeyMaterialRequest): Promise<void>;
  /** `DeleteKeyMaterial`: the key goes back to PendingImport until the same material is imported. */
  deleteKeyMaterial(keyId: string): Promise<void>;
  /** `UpdateAlias`: points an existing alias at another key. */
  updateAlias(options: { aliasName: string; keyId: string }): Promise<void>;
  /** `ScheduleKeyDeletion` (`pendingWindowInDays` 7 to 366); `CancelKeyDeletion` undoes it. */
  scheduleKeyDeletion(options: { keyId: string; pendingWindowInDays: number }): Promise<void>;
  /** Wipes the access key secret from wasm memory; the client throws `Freed` afterwards. */
  free(): void;
  [Symbol.dispose](): void;
}

/** A step of {@link importKeyMaterial}, for a page to show progress. */
export interface ImportStep {
  /**
   * `checkKey` (DescribeKey), `getParameters` (GetParametersForImport), `wrap` (locally),
   * `upload` (ImportKeyMaterial), `verify` (DescribeKey).
   */
  step: "checkKey" | "getParameters" | "wrap" | "upload" | "verify";
  status: "started" | "done";
  /** What the step found, in words (never secret), once it is done. */
  detail?: string;
}

/** Options of {@link importKeyMaterial}, the whole import in one call. Unknown names are refused. */
export type ImportOptions = MaterialInput & {
  /** The key: its id (or, where the API takes them, an alias or ARN; AWS: resolved by DescribeKey). */
  keyId: string;
  /**
   * Default `RSAES_OAEP_SHA_256` for symmetric material; for a private key the cloud's hybrid
   * format (`RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD` on Alibaba Cloud, `RSA_AES_KEY_WRAP_SHA_256`
   * on AWS). An algorithm the client's cloud does not name is refused before any request.
   */
  algorithm?: WrappingAlgorithm;
  /** Default `RSA_2048`. */
  wrappingKeySpec?: WrappingKeySpec;
  /** Permit `RSAES_PKCS1_V1_5`. */
  allowLegacyPkcs1?: boolean;
  /** When the material expires (a `Date`, or Unix seconds); absent or 0 for never. */
  expiresAt?: Expiry;
  /** Called when each step starts and when it is done. */
  onStep?: (step: ImportStep) => void;
  /**
   * Stops the import between steps and aborts the request in flight (rejects with `Aborted`). An
   * abort during `upload` may come after the KMS accepted the material: check the key's state.
   */
  signal?: AbortSignal;
  /** The `fetch` for this import's requests (default: the client's). */
  fetch?: typeof fetch;
  /** AWS only: `NEW_KEY_MATERIAL` (for a later RotateKeyOnDemand) or `EXISTING_KEY_MATERIAL`. */
  importType?: "NEW_KEY_MATERIAL" | "EXISTING_KEY_MATERIAL";
  /** AWS only: which of the key's materials an `EXISTING_KEY_MATERIAL` import restores. */
  keyMaterialId?: string;
  /** AWS only: a description of the material. */
  keyMaterialDescription?: string;
};

/**
 * The whole import: DescribeKey (the key spec is checked against the material locally, before
 * anything else is asked) → GetParametersForImport → wrap locally (WebCrypto where available) →
 * ImportKeyMaterial → DescribeKey. Resolves to the key's metadata after the import. The plaintext
 * material never leaves the page.
 */
export declare function importKeyMaterial(client: KmsClient, options: ImportOptions): Promise<KeyMetadata>;
/** The same through the AWS KMS API; resolves to AWS's KeyMetadata after the import. */
export declare function importKeyMaterial(client: AwsKmsClient, options: ImportOptions): Promise<AwsKeyMetadata>;
/** Either client, when which one is only known at run time. */
export declare function importKeyMaterial(client: KmsClient | AwsKmsClient, options: ImportOptions): Promise<KeyMetadata | AwsKeyMetadata>;

/** A step of {@link rotateImportedKey}: its own, and those of the import into the new key. */
export interface RotationStep {
  /**
   * `checkAlias` (DescribeKey of the alias; the material is checked against its key spec),
   * `createKey` (a new EXTERNAL key of the same spec and usage), the steps of
   * {@link importKeyMaterial} into the new key, then `updateAlias`.
   */
  step: "checkAlias" | "createKey" | ImportStep["step"] | "updateAlias";
  status: "started" | "done";
  /** What the step found, in words (never secret), once it is done. */
  detail?: string;
}

/** Options of {@link rotateImportedKey}: those of {@link importKeyMaterial}, with `alias` for `keyId`. */
export type RotateOptions = Omit<ImportOptions, "keyId" | "onStep"> & {
  /** The alias to move, `alias/…`: it names the key now, and will name the new one. */
  alias: string;
  /** The new key's description; default `"<alias>: rotated from <old key id>"`. */
  description?: string;
  onStep?: (step: RotationStep) => void;
};

/** What {@link rotateImportedKey} did. */
export interface Rotation {
  alias: string;
  /** The key the alias pointed at; it stays, Enabled, to decrypt what it encrypted. */
  oldKeyId: string;
  /** The new key, which the alias now names. */
  newKeyId: string;
  /** The new key's metadata after the import. */
  key: KeyMetadata;
}

/**
 * Rotates an imported key the way the cloud's guide says, in one step: DescribeKey of the alias →
 * CreateKey (EXTERNAL, the same spec, usage and protection level) → the whole
 * {@link importKeyMaterial} into it → UpdateAlias. The old key is kept for old ciphertexts.
 * Options and material are checked before the new key is created. If a later step fails, nothing
 * is half-done: the alias still names the old key, the new key is scheduled for deletion (7 days),
 * and the {@link ByokError} (the failed call's `code`) carries `step`, `oldKeyId` and `newKeyId`.
 * Refused (`InvalidArgument`) for a key id instead of an alias, and for an alias whose key's
 * material the KMS made.
 */
export declare function rotateImportedKey(client: KmsClient, options: RotateOptions): Promise<Rotation>;

/** A step of {@link rotateImportedKey} with an {@link AwsKmsClient}. */
export interface AwsRotationStep {
  /** The steps of {@link importKeyMaterial} (`NEW_KEY_MATERIAL`), then `rotate` (RotateKeyOnDemand). */
  step: ImportStep["step"] | "rotate";
  status: "started" | "done";
  detail?: string;
}

/**
 * Options of {@link rotateImportedKey} with an {@link AwsKmsClient}: those of
 * {@link importKeyMaterial}, less the import type and material id, and with symmetric `material`
 * only (AWS KMS rotates imported material on demand for symmetric encryption keys alone).
 */
export type AwsRotateOptions = Omit<ImportOptions, "onStep" | "importType" | "keyMaterialId" | "material" | "privateKey"> & {
  /** The new symmetric key material (32 bytes for SYMMETRIC_DEFAULT). */
  material: Uint8Array;
  onStep?: (step: AwsRotationStep) => void;
};

/** What {@link rotateImportedKey} did with an {@link AwsKmsClient}. */
export interface AwsRotation {
  /** The key, rotated in place. */
  keyId: string;
  /** The material that was current before; it stays, to decrypt what it encrypted. */
  previousKeyMaterialId?: string;
  /** The new material, now current. */
  keyMaterialId: string;
  /** The key's metadata after the rotation. */
  key: AwsKeyMetadata;
}

/**
 * Rotates an AWS KMS key with imported material in place, as AWS does since 2025: DescribeKey
 * (`keyId`: id, ARN or alias) → the whole {@link importKeyMaterial} with
 * `ImportType=NEW_KEY_MATERIAL` → RotateKeyOnDemand. The key id stays; old ciphertexts still
 * decrypt. Refused (`InvalidArgument`) before any upload for a key whose material AWS KMS made,
 * for any but a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT), and for a key
 * without material (PendingImport). If a step fails before the rotation, the new (pending)
 * material is deleted again (DeleteImportedKeyMaterial with its KeyMaterialId); once
 * RotateKeyOnDemand may have run, nothing is deleted and the message says which material is
 * current, or that it could not be checked. The {@link ByokError} carries `step` and `keyId`.
 */
export declare function rotateImportedKey(client: AwsKmsClient, options: AwsRotateOptions): Promise<AwsRotation>;
/** Either client, when which one is only known at run time. */
export declare function rotateImportedKey(client: KmsClient | AwsKmsClient, options: RotateOptions | AwsRotateOptions): Promise<Rotation | AwsRotation>;

/** Options of `new AwsKmsClient(…)`. Unknown names are refused. */
export interface AwsKmsClientOptions {
  /** The region the requests are signed for (SigV4), e.g. `us-east-1` (byok-kms: `--aws-region`). */
  region: string;
  /** Default `https://kms.<region>.amazonaws.com`; byok-kms: its own URL, e.g. `http://127.0.0.1:8080`. */
  endpoint?: string;
  accessKeyId: string;
  /** Kept inside wasm memory, wiped on {@link AwsKmsClient.free}; never returned. */
  secretAccessKey: string;
  /** Temporary credentials' session token (`x-amz-security-token`). */
  sessionToken?: string;
  /** Permit `http:` to another machine (never needed for loopback). */
  allowInsecureHttp?: boolean;
  /** The `fetch` to send with (default `globalThis.fetch`). */
  fetch?: typeof fetch;
}

/** AWS's KeyMetadata (DescribeKey, CreateKey); the fields byok-kms returns for these keys. */
export interface AwsKeyMetadata {
  KeyId: string;
  Arn: string;
  KeyState: "Enabled" | "Disabled" | "PendingDeletion" | "PendingImport" | string;
  Origin: "AWS_KMS" | "EXTERNAL" | string;
  KeySpec: string;
  KeyUsage: string;
  CreationDate: number;
  Description?: string;
  ExpirationModel?: "KEY_MATERIAL_EXPIRES" | "KEY_MATERIAL_DOES_NOT_EXPIRE";
  /** Unix seconds. */
  ValidTo?: number;
  CurrentKeyMaterialId?: string;
  [field: string]: unknown;
}

/**
 * A client of the AWS KMS API (JSON 1.1 over `POST /`, `X-Amz-Target: TrentService.<Operation>`),
 * for AWS itself or byok-kms: every request is signed with SigV4 inside the wasm module, where the
 * secret stays, and sent with `fetch`. Methods take camelCase options and resolve to AWS's replies
 * as AWS writes them; a refusal is a {@link ByokError} whose `code` is AWS's exception name
 * (`NotFoundException`, `IncorrectKeyMaterialException`, …) with `requestId` (`x-amzn-RequestId`)
 * and `httpStatus`.
 */
export declare class AwsKmsClient {
  constructor(options: AwsKmsClientOptions);
  /** The endpoint's origin. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly region: string;
  /** Any operation, by name, with its request members as AWS names them. */
  call(operation: string, body?: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<Record<string, unknown>>;
  /** CreateKey; defaults `keySpec: "SYMMETRIC_DEFAULT"`, `origin: "EXTERNAL"`. */
  createKey(options?: { keySpec?: string; keyUsage?: string; origin?: "EXTERNAL" | "AWS_KMS"; description?: string }): Promise<AwsKeyMetadata>;
  describeKey(keyId: string): Promise<AwsKeyMetadata>;
  listKeys(options?: { limit?: number; marker?: string }): Promise<{ Keys: { KeyId: string; KeyArn: string }[]; Truncated: boolean; NextMarker?: string }>;
  /** Defaults `RSAES_OAEP_SHA_256`, `RSA_2048`. */
  getParametersForImport(options: GetParametersOptions): Promise<{ KeyId: string; ImportToken: string; PublicKey: string; ParametersValidTo: number }>;
  /** `expiresAt` absent or 0: `KEY_MATERIAL_DOES_NOT_EXPIRE`; else `KEY_MATERIAL_EXPIRES` with that `ValidTo`. */
  importKeyMaterial(request: ImportKeyMaterialRequest & { importType?: "NEW_KEY_MATERIAL" | "EXISTING_KEY_MATERIAL"; keyMaterialId?: string; keyMaterialDescription?: string }): Promise<{ KeyId: string; KeyMaterialId: string }>;
  deleteImportedKeyMaterial(options: { keyId: string; keyMaterialId?: string }): Promise<{ KeyId: string; KeyMaterialId: string }>;
  rotateKeyOnDemand(keyId: string): Promise<{ KeyId: string }>;
  listKeyRotations(options: { keyId: string; includeKeyMaterial?: "ALL_KEY_MATERIAL" | "ROTATIONS_ONLY"; limit?: number; marker?: string }): Promise<{ Rotations: Record<string, unknown>[]; Truncated: boolean; NextMarker?: string }>;
  createAlias(options: { aliasName: string; targetKeyId: string }): Promise<void>;
  updateAlias(options: { aliasName: string; targetKeyId: string }): Promise<void>;
  /** `pendingWindowInDays` 7–30, default 30. */
  scheduleKeyDeletion(options: { keyId: string; pendingWindowInDays?: number }): Promise<{ KeyId: string; DeletionDate: number; KeyState: string; PendingWindowInDays: number }>;
  /** Wipes the secret access key; the client cannot be used afterwards. */
  free(): void;
  [Symbol.dispose](): void;
}
