// KmsClient and importKeyMaterial: KMS API calls signed inside the wasm module (RequestSigner,
// which keeps the access key secret in wasm memory) and sent with the platform's fetch. The
// asynchronous plumbing lives here, in JavaScript, where it is small; every decision about keys,
// material and signatures is made in the wasm module.
import { RequestSigner, wrapKeyMaterialAsync } from './byok_wrap.js';

const KEY_LENGTH = { Aliyun_AES_256: 32, Aliyun_AES_192: 24, Aliyun_AES_128: 16, Aliyun_SM4: 16 };

function byokError(code, message, extra = {}) {
  const error = new Error(message);
  error.name = 'ByokError';
  error.code = code;
  return Object.assign(error, extra);
}

function text(options, name, required = true) {
  const value = options?.[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw byokError('InvalidArgument', `invalid argument: ${name} is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw byokError('InvalidArgument', `invalid argument: ${name} must be a string`);
  return value;
}

function wholeNumber(value, name) {
  if (value === undefined || value === null) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw byokError('InvalidArgument', `invalid argument: ${name} must be a whole number from 0 up`);
  }
  return String(value);
}

/**
 * A client for the KMS API (Alibaba Cloud KMS 2016-01-20). See index.d.ts for the documentation
 * of every member.
 */
export class KmsClient {
  #signer;
  #origin;
  #host;
  #regionId;

  constructor(options) {
    if (typeof options !== 'object' || options === null) {
      throw byokError('InvalidArgument', 'invalid argument: KmsClient takes { endpoint, accessKeyId, accessKeySecret, regionId? }');
    }
    const endpoint = text(options, 'endpoint');
    let url;
    try {
      url = new URL(endpoint);
    } catch {
      url = null;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash) {
      throw byokError('InvalidArgument', 'invalid argument: endpoint must be an http or https URL without a path, such as http://127.0.0.1:8080');
    }
    this.#signer = new RequestSigner(text(options, 'accessKeyId'), text(options, 'accessKeySecret'));
    this.#origin = url.origin;
    this.#host = url.host;
    this.#regionId = text(options, 'regionId', false);
  }

  get endpoint() { return this.#origin; }
  get accessKeyId() { return this.#signer.accessKeyId; }
  get regionId() { return this.#regionId; }

  async call(action, params = {}) {
    if (typeof action !== 'string' || !action) throw byokError('InvalidArgument', 'invalid argument: action must be a non-empty string');
    const strings = {};
    for (const [name, value] of Object.entries(params ?? {})) {
      if (value === undefined) continue;
      strings[name] = typeof value === 'string' ? value : wholeNumber(value, `parameter ${name}`);
    }
    const { query, headers } = this.#signer.sign(this.#host, action, strings);
    let response;
    try {
      response = await fetch(`${this.#origin}/?${query}`, { method: 'POST', headers, credentials: 'omit', cache: 'no-store' });
    } catch (error) {
      throw byokError('NetworkError', `the KMS at ${this.#origin} could not be reached: ${error?.message ?? error}`);
    }
    let reply;
    try {
      reply = JSON.parse(await response.text());
    } catch {
      reply = null;
    }
    if (typeof reply !== 'object' || reply === null) {
      throw byokError('InvalidResponse', `the KMS replied with something that is not a KMS API reply (HTTP ${response.status})`, { httpStatus: response.status });
    }
    if (response.ok) return reply;
    if (typeof reply.Code !== 'string') {
      throw byokError('InvalidResponse', `the KMS replied with something that is not a KMS API reply (HTTP ${response.status})`, { httpStatus: response.status });
    }
    throw byokError(reply.Code, String(reply.Message ?? reply.Code), { requestId: reply.RequestId, httpStatus: response.status });
  }

  async createKey(options = {}) {
    const params = {
      KeySpec: text(options, 'keySpec', false) ?? 'Aliyun_AES_256',
      Origin: text(options, 'origin', false) ?? 'EXTERNAL',
      Description: text(options, 'description', false),
      ProtectionLevel: text(options, 'protectionLevel', false),
    };
    return (await this.call('CreateKey', params)).KeyMetadata;
  }

  async describeKey(keyId) {
    return (await this.call('DescribeKey', { KeyId: text({ keyId }, 'keyId') })).KeyMetadata;
  }

  listKeys(options = {}) {
    return this.call('ListKeys', {
      PageNumber: wholeNumber(options?.pageNumber, 'pageNumber'),
      PageSize: wholeNumber(options?.pageSize, 'pageSize'),
    });
  }

  getParametersForImport(keyId, algorithm = 'RSAES_OAEP_SHA_256', wrappingKeySpec = 'RSA_2048') {
    return this.call('GetParametersForImport', {
      KeyId: text({ keyId }, 'keyId'),
      WrappingAlgorithm: algorithm,
      WrappingKeySpec: wrappingKeySpec,
    });
  }

  async importKeyMaterial(options) {
    await this.call('ImportKeyMaterial', {
      KeyId: text(options, 'keyId'),
      EncryptedKeyMaterial: text(options, 'encryptedKeyMaterial'),
      ImportToken: text(options, 'importToken'),
      KeyMaterialExpireUnix: wholeNumber(options?.keyMaterialExpireUnix, 'keyMaterialExpireUnix'),
    });
  }

  async deleteKeyMaterial(keyId) {
    await this.call('DeleteKeyMaterial', { KeyId: text({ keyId }, 'keyId') });
  }

  free() {
    this.#signer.free();
  }

  [Symbol.dispose]() {
    this.free();
  }
}

/** The whole import: DescribeKey → GetParametersForImport → wrap → ImportKeyMaterial → DescribeKey. */
export async function importKeyMaterial(client, options) {
  if (!(client instanceof KmsClient)) throw byokError('InvalidArgument', 'invalid argument: importKeyMaterial takes (client, options) with a KmsClient');
  if (typeof options !== 'object' || options === null) {
    throw byokError('InvalidArgument', 'invalid argument: importKeyMaterial takes (client, { keyId, material, algorithm?, allowLegacyPkcs1?, expireUnix? })');
  }
  const keyId = text(options, 'keyId');
  const { material, allowLegacyPkcs1 } = options;
  const algorithm = options.algorithm ?? 'RSAES_OAEP_SHA_256';
  if (!(material instanceof Uint8Array)) throw byokError('InvalidArgument', 'invalid argument: material must be a Uint8Array');
  const expire = wholeNumber(options.expireUnix, 'expireUnix');
  if (algorithm === 'RSAES_PKCS1_V1_5' && allowLegacyPkcs1 !== true) {
    throw byokError('LegacyAlgorithmRefused', 'RSAES_PKCS1_V1_5 is refused without allowLegacyPkcs1: true; use RSAES_OAEP_SHA_256');
  }
  const key = await client.describeKey(keyId);
  // Refuse material of the wrong length before asking the KMS for anything (the wasm module
  // checks it again when wrapping).
  const need = KEY_LENGTH[key.KeySpec];
  if (need !== undefined && material.length !== need) {
    throw byokError('MaterialLength', `${key.KeySpec} key material must be ${need} bytes, got ${material.length}`);
  }
  const parameters = await client.getParametersForImport(keyId, algorithm);
  const encryptedKeyMaterial = await wrapKeyMaterialAsync({
    material,
    publicKey: parameters.PublicKey,
    algorithm,
    allowLegacyPkcs1,
    keySpec: key.KeySpec,
  });
  await client.importKeyMaterial({ keyId, encryptedKeyMaterial, importToken: parameters.ImportToken, keyMaterialExpireUnix: expire === undefined ? undefined : Number(expire) });
  return client.describeKey(keyId);
}
