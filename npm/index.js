// The public API of byok-wrap. Every decision about keys, material, options and signatures is
// made in the wasm module (src/js/); this file adds what only JavaScript can do: the ByokError
// class, the "not loaded yet" and "freed" checks, and the KMS calls with `fetch`.
//
// `make pkg` joins this file to wasm-bindgen's glue (byok_wrap_glue.js) into one module,
// byok_wrap.js: the import line below must stay on one line.
import __wbg_init, { initSync as __wbg_initSync, rawGenerateKeyMaterial, rawKeyCheckValue, rawWrap, rawWrapAsync, rawImportRules, rawImportOptions, rawCheckMaterial, rawRotateAlias, rawRotatePlan, rawRotateInPlaceOptions, rawRotateInPlacePlan, rawSetErrorClass, RawRequestSigner, RawClient, RawAwsClient } from './byok_wrap_glue.js';

/**
 * What every function of this package throws (or rejects with): an `Error` with a stable `code`
 * and a message a person can act on. See index.d.ts.
 */
export class ByokError extends Error {
  constructor(message, options) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ByokError';
    this.code = options?.code ?? 'InvalidArgument';
    if (options?.requestId !== undefined) this.requestId = options.requestId;
    if (options?.httpStatus !== undefined) this.httpStatus = options.httpStatus;
    // rotateImportedKey: where it stopped, and the keys involved.
    for (const name of ['step', 'oldKeyId', 'newKeyId', 'keyId']) {
      if (options?.[name] !== undefined) this[name] = options[name];
    }
  }
}

/** Whether `value` is a ByokError (also one from another copy of this package). */
export function isByokError(value) {
  return value instanceof ByokError || (value instanceof Error && value.name === 'ByokError' && typeof value.code === 'string');
}

const fail = (code, message, extra = {}) => new ByokError(message, { code, ...extra });

// ---- loading ------------------------------------------------------------------------------------

let loaded = false;
let loading;

function onLoaded(exports) {
  rawSetErrorClass(ByokError);
  loaded = true;
  return exports;
}

/** Loads the WebAssembly module; see index.d.ts. */
export default function init(options) {
  if (loaded) return loading ?? Promise.resolve();
  loading ??= __wbg_init(options).then(onLoaded, (error) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** Loads the WebAssembly module synchronously from its bytes or a compiled module. */
export function initSync(options) {
  if (loaded) return undefined;
  return onLoaded(__wbg_initSync(options));
}

function ready(what) {
  if (!loaded) {
    throw fail('NotInitialized', `byok-wrap is not loaded yet: await init() (or call initSync()) before ${what}`);
  }
}

const optionalString = (value, name) => {
  if (value !== undefined && value !== null && typeof value !== 'string') {
    throw fail('InvalidArgument', `invalid argument: ${name} must be a string`);
  }
  return value ?? undefined;
};

// ---- material and wrapping ------------------------------------------------------------------------

export function generateKeyMaterial(keySpec) {
  ready('generateKeyMaterial');
  return rawGenerateKeyMaterial(optionalString(keySpec, 'keySpec'));
}

export function keyCheckValue(material, keySpec) {
  ready('keyCheckValue');
  return rawKeyCheckValue(material, optionalString(keySpec, 'keySpec'));
}

export function wrapForImport(options) {
  ready('wrapForImport');
  return rawWrap(options, 'wrapForImport', false);
}

export function wrapForImportAsync(options) {
  if (!loaded) return Promise.reject(fail('NotInitialized', 'byok-wrap is not loaded yet: await init() before wrapForImportAsync'));
  return rawWrapAsync(options, 'wrapForImportAsync', false);
}

export function wrapKeyMaterial(options) {
  ready('wrapKeyMaterial');
  return rawWrap(options, 'wrapKeyMaterial', true);
}

export function wrapKeyMaterialAsync(options) {
  if (!loaded) return Promise.reject(fail('NotInitialized', 'byok-wrap is not loaded yet: await init() before wrapKeyMaterialAsync'));
  return rawWrapAsync(options, 'wrapKeyMaterialAsync', true);
}

let rules;

export function importRules() {
  ready('importRules');
  rules ??= deepFreeze(rawImportRules());
  return rules;
}

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

// ---- signing and the KMS client -------------------------------------------------------------------

const DISPOSE = Symbol.dispose ?? Symbol.for('Symbol.dispose');

export class RequestSigner {
  #raw;

  constructor(accessKeyId, accessKeySecret, securityToken) {
    ready('new RequestSigner');
    if (typeof accessKeyId !== 'string' || typeof accessKeySecret !== 'string') {
      throw fail('InvalidArgument', 'invalid argument: RequestSigner takes (accessKeyId, accessKeySecret, securityToken?) as strings');
    }
    this.#raw = new RawRequestSigner(accessKeyId, accessKeySecret, optionalString(securityToken, 'securityToken'));
  }

  #live(what) {
    if (!this.#raw) throw fail('Freed', `this RequestSigner was freed (free() or using): create a new one before ${what}`);
    return this.#raw;
  }

  get accessKeyId() { return this.#live('accessKeyId').accessKeyId; }

  sign(host, action, params = {}) {
    return this.#live('sign').sign(String(host), String(action), params);
  }

  free() {
    this.#raw?.free();
    this.#raw = undefined;
  }

  [DISPOSE]() { this.free(); }
}

// A method of KmsClient that importKeyMaterial calls with per-call options; not public.
const SEND = Symbol('send');

function wholeNumber(value, name) {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw fail('InvalidArgument', `invalid argument: ${name} must be a whole number from 0 up`);
  }
  return String(value);
}

// What both clients do on the wire: POST with `fetch`, and the reply read as JSON. Resolves to
// `{ response, reply }` with `reply` an object; a network failure or a reply that is not JSON is
// a ByokError.
async function post(fetch, url, { headers, body }, action, origin, signal) {
  const send = fetch ?? globalThis.fetch;
  let response;
  try {
    response = await send(url, { method: 'POST', headers, body, credentials: 'omit', cache: 'no-store', signal });
  } catch (error) {
    if (signal?.aborted) throw fail('Aborted', `${action} was aborted`, { cause: signal.reason });
    const reason = error?.message ?? String(error);
    const hint = typeof document === 'undefined' ? '' : ' In a browser this is also how a refusal by CORS looks: the KMS must allow this page\'s origin (byok-kms: --cors-origin), or the page must be served by the KMS itself.';
    throw fail('NetworkError', `the KMS at ${origin} could not be reached: ${reason}.${hint}`, { cause: error });
  }
  let reply;
  try {
    reply = JSON.parse(await response.text());
  } catch {
    reply = null;
  }
  if (typeof reply !== 'object' || reply === null) throw notAReply(response);
  return { response, reply };
}

const notAReply = (response) => fail('InvalidResponse', `the KMS replied with something that is not a KMS API reply (HTTP ${response.status})`, { httpStatus: response.status });

// The endpoint option of both clients as a URL: http or https, nothing but scheme, host and port.
function endpointUrl(core, example) {
  let url;
  try {
    url = new URL(core.endpoint);
  } catch {
    url = null;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    core.free();
    throw fail('InvalidArgument', `invalid argument: endpoint must be an http or https URL without a path, such as ${example}`);
  }
  try {
    core.checkEndpoint(url.protocol, url.hostname);
  } catch (error) {
    core.free();
    throw error;
  }
  return url;
}

export class KmsClient {
  #core;
  #origin;
  #host;
  #fetch;

  constructor(options) {
    ready('new KmsClient');
    if (typeof options !== 'object' || options === null) {
      throw fail('InvalidArgument', 'invalid argument: KmsClient takes { endpoint, accessKeyId, accessKeySecret, securityToken?, regionId?, allowInsecureHttp?, fetch? }');
    }
    const core = new RawClient(options);
    const url = endpointUrl(core, 'https://kms.cn-hangzhou.aliyuncs.com');
    this.#core = core;
    this.#origin = url.origin;
    this.#host = url.host;
    this.#fetch = options.fetch;
  }

  #live(what) {
    if (!this.#core) throw fail('Freed', `this KmsClient was freed (free() or using): create a new one before ${what}`);
    return this.#core;
  }

  get endpoint() { return this.#origin; }
  get accessKeyId() { return this.#live('accessKeyId').accessKeyId; }
  get regionId() { return this.#live('regionId').regionId; }

  async call(action, params = {}, options = {}) {
    if (typeof action !== 'string' || !action) throw fail('InvalidArgument', 'invalid argument: action must be a non-empty string');
    const strings = {};
    for (const [name, value] of Object.entries(params ?? {})) {
      if (value === undefined) continue;
      strings[name] = typeof value === 'string' ? value : wholeNumber(value, `parameter ${name}`);
    }
    const { signal, ...rest } = options ?? {};
    if (Object.keys(rest).length) throw fail('InvalidArgument', `invalid argument: call: unknown option \`${Object.keys(rest)[0]}\`, expected \`signal\``);
    return this[SEND](action, strings, { signal });
  }

  async [SEND](action, params, { signal, fetch } = {}) {
    const { query, headers } = this.#live(action).sign(this.#host, action, params);
    const { response, reply } = await post(fetch ?? this.#fetch, `${this.#origin}/?${query}`, { headers }, action, this.#origin, signal);
    if (response.ok) return reply;
    if (typeof reply.Code !== 'string') throw notAReply(response);
    throw fail(reply.Code, String(reply.Message ?? reply.Code), { requestId: reply.RequestId, httpStatus: response.status });
  }

  async #method(method, options, io) {
    const { action, params } = this.#live(method).params(method, options);
    return this[SEND](action, params, io);
  }

  async createKey(options = {}) { return (await this.#method('createKey', options)).KeyMetadata; }
  async describeKey(keyId, io) { return (await this.#method('describeKey', { keyId }, io)).KeyMetadata; }
  async listKeys(options = {}) { return this.#method('listKeys', options); }
  async getParametersForImport(options, io) { return this.#method('getParametersForImport', options, io); }
  async importKeyMaterial(options, io) { await this.#method('importKeyMaterial', options, io); }
  async deleteKeyMaterial(keyId) { await this.#method('deleteKeyMaterial', { keyId }); }
  async updateAlias(options, io) { await this.#method('updateAlias', options, io); }
  async scheduleKeyDeletion(options, io) { await this.#method('scheduleKeyDeletion', options, io); }

  free() {
    this.#core?.free();
    this.#core = undefined;
  }

  [DISPOSE]() { this.free(); }
}

/** A client of the AWS KMS API (JSON 1.1, SigV4 signed inside wasm); see index.d.ts. */
export class AwsKmsClient {
  #core;
  #origin;
  #host;
  #fetch;

  constructor(options) {
    ready('new AwsKmsClient');
    if (typeof options !== 'object' || options === null) {
      throw fail('InvalidArgument', 'invalid argument: AwsKmsClient takes { region, endpoint?, accessKeyId, secretAccessKey, sessionToken?, allowInsecureHttp?, fetch? }');
    }
    const core = new RawAwsClient(options);
    const url = endpointUrl(core, 'https://kms.us-east-1.amazonaws.com');
    this.#core = core;
    this.#origin = url.origin;
    this.#host = url.host;
    this.#fetch = options.fetch;
  }

  #live(what) {
    if (!this.#core) throw fail('Freed', `this AwsKmsClient was freed (free() or using): create a new one before ${what}`);
    return this.#core;
  }

  get endpoint() { return this.#origin; }
  get accessKeyId() { return this.#live('accessKeyId').accessKeyId; }
  get region() { return this.#live('region').region; }

  async call(operation, body = {}, options = {}) {
    if (typeof operation !== 'string' || !/^[A-Za-z]+$/.test(operation)) throw fail('InvalidArgument', 'invalid argument: operation must be an AWS KMS operation name such as DescribeKey');
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw fail('InvalidArgument', 'invalid argument: call: the request body must be an object of AWS KMS members ({ KeyId: … })');
    const { signal, ...rest } = options ?? {};
    if (Object.keys(rest).length) throw fail('InvalidArgument', `invalid argument: call: unknown option \`${Object.keys(rest)[0]}\`, expected \`signal\``);
    return this[SEND](operation, body, { signal });
  }

  async [SEND](operation, members, { signal, fetch } = {}) {
    const body = JSON.stringify(members);
    const headers = this.#live(operation).sign(this.#host, `TrentService.${operation}`, body);
    const { response, reply } = await post(fetch ?? this.#fetch, `${this.#origin}/`, { headers, body }, operation, this.#origin, signal);
    if (response.ok) return reply;
    // The exception's name: `__type`, which AWS may prefix with its namespace (`…#`) and follow
    // with a URL (`:http…`), or else the `x-amzn-errortype` header, which has the same form.
    const type = typeof reply.__type === 'string' && reply.__type ? reply.__type : response.headers.get('x-amzn-errortype');
    const code = type?.slice(type.lastIndexOf('#') + 1).split(':')[0];
    if (!code) throw notAReply(response);
    throw fail(code, String(reply.message ?? reply.Message ?? code), { requestId: response.headers.get('x-amzn-requestid') ?? undefined, httpStatus: response.status });
  }

  async #method(method, options, io) {
    const { target, body } = this.#live(method).params(method, options);
    return this[SEND](target.slice(target.indexOf('.') + 1), body, io);
  }

  async createKey(options = {}) { return (await this.#method('createKey', options)).KeyMetadata; }
  async describeKey(keyId, io) { return (await this.#method('describeKey', { keyId }, io)).KeyMetadata; }
  async listKeys(options = {}) { return this.#method('listKeys', options); }
  async getParametersForImport(options, io) { return this.#method('getParametersForImport', options, io); }
  async importKeyMaterial(options, io) { return this.#method('importKeyMaterial', options, io); }
  async deleteImportedKeyMaterial(options, io) { return this.#method('deleteImportedKeyMaterial', options, io); }
  async rotateKeyOnDemand(keyId, io) { return this.#method('rotateKeyOnDemand', { keyId }, io); }
  async listKeyRotations(options, io) { return this.#method('listKeyRotations', options, io); }
  async createAlias(options, io) { await this.#method('createAlias', options, io); }
  async updateAlias(options, io) { await this.#method('updateAlias', options, io); }
  async scheduleKeyDeletion(options, io) { return this.#method('scheduleKeyDeletion', options, io); }

  free() {
    this.#core?.free();
    this.#core = undefined;
  }

  [DISPOSE]() { this.free(); }
}

// Which API a client speaks ('alibaba' or 'aws'), for the functions that take either.
function cloudOf(client, what) {
  if (client instanceof KmsClient) return 'alibaba';
  if (client instanceof AwsKmsClient) return 'aws';
  throw fail('InvalidArgument', `invalid argument: ${what} takes (client, options) with a KmsClient or an AwsKmsClient`);
}

/** The whole import in one call; see index.d.ts. */
export async function importKeyMaterial(client, options) {
  ready('importKeyMaterial');
  const cloud = cloudOf(client, 'importKeyMaterial');
  return (await runImport(client, rawImportOptions(options, cloud), options)).key;
}

// The import's steps with a checked plan; resolves to `{ key, uploaded }`: the key as the KMS
// describes it afterwards, and ImportKeyMaterial's reply (AWS: the KeyMaterialId).
async function runImport(client, plan, options, hooks = {}) {
  const { material, privateKey, onStep, signal, fetch } = options;
  const io = { signal, fetch };
  const step = async (name, run, describe) => {
    if (signal?.aborted) throw fail('Aborted', `the import was aborted before ${name}`, { cause: signal.reason });
    onStep?.({ step: name, status: 'started' });
    const result = await run();
    onStep?.({ step: name, status: 'done', detail: describe(result) });
    return result;
  };
  const key = await step('checkKey', () => client.describeKey(plan.keyId, io),
    (k) => `${k.KeyId}: ${k.KeySpec}, ${k.KeyState}`);
  hooks.checked?.(key);
  // The key's own id: AWS's GetParametersForImport takes no alias.
  const keyId = key.KeyId;
  // A key spec this package knows is checked here, before anything else is asked of the KMS.
  const keySpec = importRules().keySpecs.some((s) => s.name === key.KeySpec) ? key.KeySpec : undefined;
  if (keySpec) rawCheckMaterial(keySpec, material, privateKey);
  const parameters = await step('getParameters',
    () => client.getParametersForImport({ keyId, algorithm: plan.algorithm, wrappingKeySpec: plan.wrappingKeySpec }, io),
    (p) => `${plan.wrappingKeySpec} public key, token valid until ${typeof p.ParametersValidTo === 'number' ? new Date(p.ParametersValidTo * 1000).toISOString() : p.TokenExpireTime}`);
  const wrapped = await step('wrap', () => wrapForImportAsync({
    ...(material === undefined ? { privateKey } : { material }),
    publicKey: parameters.PublicKey,
    algorithm: plan.algorithm,
    keySpec,
    allowLegacyPkcs1: plan.allowLegacyPkcs1,
  }), (w) => `${plan.algorithm}, ${w.length} base64 characters; the plaintext stays here`);
  const extra = {};
  for (const name of ['importType', 'keyMaterialId', 'keyMaterialDescription']) {
    if (plan[name] !== undefined) extra[name] = plan[name];
  }
  const uploaded = await step('upload', () => client.importKeyMaterial({
    keyId, encryptedKeyMaterial: wrapped, importToken: parameters.ImportToken, expiresAt: plan.expireUnix, ...extra,
  }, io).then((reply) => {
    hooks.uploaded?.(reply);
    return reply;
  }), (r) => (r?.KeyMaterialId ? `accepted as key material ${r.KeyMaterialId}` : 'accepted'));
  return { key: await step('verify', () => client.describeKey(keyId, io), (k) => `the key is ${k.KeyState}`), uploaded };
}

/** Rotation of an imported key, as one step; see index.d.ts. */
export async function rotateImportedKey(client, options) {
  ready('rotateImportedKey');
  const cloud = cloudOf(client, 'rotateImportedKey');
  if (typeof options !== 'object' || options === null) throw fail('InvalidArgument', `invalid argument: rotateImportedKey takes { ${cloud === 'aws' ? 'keyId' : 'alias'}, material | privateKey, … }`);
  return cloud === 'aws' ? rotateInPlace(client, options) : rotateToNewKey(client, options);
}

// AWS: NEW_KEY_MATERIAL into the same key, then RotateKeyOnDemand. On a failure before the
// rotation the pending material is deleted again, so the key is as it was; once the rotation may
// have happened, nothing is deleted (the material may be the key's current one).
async function rotateInPlace(client, options) {
  rawRotateInPlaceOptions(options);
  const { onStep, ...importOptions } = options;
  // Every import option is checked now, before anything is asked of the KMS.
  const planned = rawImportOptions({ ...importOptions, importType: 'NEW_KEY_MATERIAL' }, 'aws');
  const io = { signal: importOptions.signal, fetch: importOptions.fetch };
  // Clean-up and checks after a failure run even when the caller's signal aborted the request.
  const after = { fetch: importOptions.fetch };
  let step;
  let plan;
  let uploaded;
  const report = (s) => {
    if (s.status === 'started') step = s.step;
    onStep?.(s);
  };
  const stopped = (error, what) => fail(error?.code ?? 'InvalidArgument',
    `rotating ${plan.keyId} stopped at ${step}: ${error?.message ?? error} ${what}`,
    { cause: error, step, keyId: plan.keyId, requestId: error?.requestId, httpStatus: error?.httpStatus });
  const undo = async () => {
    try {
      await client.deleteImportedKeyMaterial({ keyId: plan.keyId, keyMaterialId: uploaded.KeyMaterialId }, after);
      return ` The new key material ${uploaded.KeyMaterialId} was deleted again.`;
    } catch (cleanupError) {
      return ` The new key material ${uploaded.KeyMaterialId} waits as PENDING_ROTATION and could not be deleted (${cleanupError?.code ?? cleanupError}): DeleteImportedKeyMaterial with that KeyMaterialId.`;
    }
  };
  try {
    await runImport(client, planned, { ...importOptions, onStep: report }, {
      checked: (key) => { plan = rawRotateInPlacePlan(key); },
      uploaded: (reply) => { uploaded = reply; },
    });
  } catch (error) {
    // Refused before the key was even described: nothing to say about it.
    if (!plan) throw error;
    const was = `Its current key material is still ${plan.previousKeyMaterialId ?? '(none)'}.`;
    if (uploaded?.KeyMaterialId) throw stopped(error, was + await undo());
    if (step === 'upload' && uncertain(error)) throw stopped(error, was + await pending(client, plan.keyId, after));
    throw stopped(error, was);
  }
  report({ step: 'rotate', status: 'started' });
  try {
    await client.rotateKeyOnDemand(plan.keyId, io);
  } catch (error) {
    // The reply may have been lost after the KMS rotated: ask which material is current.
    const now = await client.describeKey(plan.keyId, after).catch(() => null);
    if (now === null) {
      throw stopped(error, `Whether ${plan.keyId} now uses the new key material ${uploaded.KeyMaterialId} could not be checked, so nothing was deleted: DescribeKey shows its CurrentKeyMaterialId.`);
    }
    if (now.CurrentKeyMaterialId !== uploaded.KeyMaterialId) {
      throw stopped(error, `Its current key material is still ${now.CurrentKeyMaterialId ?? '(none)'}.${await undo()}`);
    }
  }
  let key;
  try {
    key = await client.describeKey(plan.keyId, io);
  } catch (error) {
    throw stopped(error, `${plan.keyId} was rotated: its current key material is the new ${uploaded.KeyMaterialId} (the previous ${plan.previousKeyMaterialId} still decrypts old data); only reading the key back failed.`);
  }
  report({ step: 'rotate', status: 'done', detail: `${plan.keyId} now uses key material ${key.CurrentKeyMaterialId}` });
  return { keyId: plan.keyId, previousKeyMaterialId: plan.previousKeyMaterialId, keyMaterialId: uploaded.KeyMaterialId, key };
}

// Whether a failed request may still have been carried out by the KMS (its reply was lost).
const uncertain = (error) => ['NetworkError', 'Aborted', 'InvalidResponse'].includes(error?.code)
  || (error?.httpStatus ?? 0) >= 500;

// After an upload whose outcome is unknown: the material waiting as PENDING_ROTATION, if any, named
// for the caller to delete; it is not deleted here, as it may be another import's.
async function pending(client, keyId, io) {
  try {
    const { Rotations = [] } = await client.listKeyRotations({ keyId, includeKeyMaterial: 'ALL_KEY_MATERIAL' }, io);
    const waiting = Rotations.find((r) => r.KeyMaterialState === 'PENDING_ROTATION');
    return waiting
      ? ` Key material ${waiting.KeyMaterialId} waits as PENDING_ROTATION (the upload may have been accepted): delete it with DeleteImportedKeyMaterial and that KeyMaterialId before trying again.`
      : ' No key material waits as PENDING_ROTATION: the upload was not accepted.';
  } catch (listError) {
    return ` Whether the upload was accepted could not be checked (${listError?.code ?? listError}): ListKeyRotations with IncludeKeyMaterial ALL_KEY_MATERIAL shows any PENDING_ROTATION material.`;
  }
}

// Alibaba Cloud: the guide's way: a new key with the new material, then the alias moves.
async function rotateToNewKey(client, options) {
  const { alias: aliasOption, description, onStep, ...importOptions } = options;
  const alias = rawRotateAlias(aliasOption);
  if ('keyId' in importOptions) throw fail('InvalidArgument', 'invalid argument: rotateImportedKey takes alias, not keyId: it creates the new key itself');
  // Every import option is checked now, before a key is created.
  rawImportOptions({ ...importOptions, keyId: alias }, 'alibaba');
  const { material, privateKey, signal, fetch } = importOptions;
  const io = { signal, fetch };
  let step = 'checkAlias';
  const report = (s) => {
    if (s.status === 'started') step = s.step;
    onStep?.(s);
  };
  report({ step, status: 'started' });
  const old = await client.describeKey(alias, io);
  const plan = rawRotatePlan(alias, old, description);
  // The material is checked against the key spec before the new key exists.
  if (importRules().keySpecs.some((s) => s.name === plan.keySpec)) rawCheckMaterial(plan.keySpec, material, privateKey);
  report({ step, status: 'done', detail: `${alias} points at ${old.KeyId}: ${old.KeySpec}, ${old.KeyState}` });
  report({ step: 'createKey', status: 'started' });
  const created = await client.createKey(plan);
  const newKeyId = created.KeyId;
  let unknown = false; // whether a failed UpdateAlias may have moved the alias after all
  report({ step: 'createKey', status: 'done', detail: `${newKeyId}: ${created.KeySpec}, ${created.KeyState}` });
  try {
    const imported = await importKeyMaterial(client, { ...importOptions, keyId: newKeyId, onStep: report });
    report({ step: 'updateAlias', status: 'started' });
    try {
      await client.updateAlias({ aliasName: alias, keyId: newKeyId }, io);
    } catch (error) {
      // The reply may have been lost after the KMS moved the alias: ask where it points.
      const now = await client.describeKey(alias, io).catch(() => null);
      if (now === null) unknown = true;
      if (now?.KeyId !== newKeyId) throw error;
    }
    report({ step: 'updateAlias', status: 'done', detail: `${alias} now points at ${newKeyId}; ${old.KeyId} stays for old data` });
    return { alias, oldKeyId: old.KeyId, newKeyId, key: imported };
  } catch (error) {
    if (unknown) {
      throw fail(error?.code ?? 'NetworkError', `rotating ${alias} stopped at ${step}: ${error?.message ?? error} Whether ${alias} moved to ${newKeyId} could not be checked: describe ${alias}; ${old.KeyId} and ${newKeyId} are both kept.`,
        { cause: error, step, oldKeyId: old.KeyId, newKeyId, requestId: error?.requestId, httpStatus: error?.httpStatus });
    }
    // Nothing half-done: the alias was not moved, and the new key is not left waiting.
    let cleanup;
    try {
      await client.scheduleKeyDeletion({ keyId: newKeyId, pendingWindowInDays: 7 });
      cleanup = 'was scheduled for deletion in 7 days (CancelKeyDeletion keeps it)';
    } catch (cleanupError) {
      cleanup = `could not be scheduled for deletion (${cleanupError?.code ?? cleanupError}): delete it yourself`;
    }
    throw fail(error?.code ?? 'InvalidArgument', `rotating ${alias} stopped at ${step}: ${error?.message ?? error} ${alias} still points at ${old.KeyId}; the new key ${newKeyId} ${cleanup}.`,
      { cause: error, step, oldKeyId: old.KeyId, newKeyId, requestId: error?.requestId, httpStatus: error?.httpStatus });
  }
}
