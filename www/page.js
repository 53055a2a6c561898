// What every part of the console shares: the page's state, the status and error lines, the
// progress list of an import, and the expiry choice. It converts and displays; the rules are
// byok-wrap's and the KMS's.
import { importRules } from '/pkg/byok_wrap.js';

export const $ = (id) => document.getElementById(id);

export const state = {
  client: null,
  api: null, // the API connected to: an entry of APIS (api.js)
  key: null, // KeyMetadata of the selected key
  material: null, // Uint8Array, the plaintext material, or null (the "wrap here" path only)
  privateKey: null, // Uint8Array, a private key file's bytes (PEM or DER), or null (asymmetric keys)
  materialSource: '', // 'generated' | file name
  backupUrl: null,
};

// ---- messages ----------------------------------------------------------------------------------

/** What each of the KMS's codes means to an operator, whichever path they took. */
const FRIENDLY = {
  ExpiredImportToken: 'The import token expired (tokens last 24 hours). Wrap and import again: a new token is fetched each time.',
  InvalidImportToken: 'The KMS refused the import token. Wrap and import again to use a fresh one.',
  InvalidKeyMaterial: 'The KMS refused the material. A key accepts only the material first imported into it: to import again you need that identical material (compare its key check value with your backup).',
  'Rejected.StateModifiedFailed': 'The key\'s current state does not allow this.',
  'Rejected.PendingDeletion': 'The key is scheduled for deletion; cancel the deletion first.',
  'Rejected.Disabled': 'The key is disabled; enable it first.',
  'Rejected.PendingImport': 'The key has no material yet; import it first.',
  'Unsupported.Origin': 'Only keys with Origin EXTERNAL take imported material.',
  SignatureDoesNotMatch: 'The access key was refused: check the AccessKeyId and the AccessKeySecret.',
  IllegalTimestamp: 'The KMS refused the request time: check this computer\'s clock.',
  NetworkError: 'The KMS could not be reached.',
  'Forbidden.KeyNotFound': 'The key does not exist (or belongs to another account).',
  'Forbidden.AliasNotFound': 'The alias does not exist: check its name (alias/…), or add it to a key first.',
  'Forbidden.ResourceNotFound': 'The key version does not exist for this key.',
  AliasAlreadyExists: 'This alias already names a key: choose another name, or remove it from the key it names first.',
  InvalidParameter: 'The KMS refused a value; correct it and try again:',
  MissingParameter: 'A required value is empty; fill it in and try again:',
  'Rejected.LimitExceeded': 'The KMS limit for this is reached (for example 20 tags on a key): remove something first.',
  UnsupportedOperation: 'This key cannot do that (for example a signing key asked to encrypt).',
  'Unsupported.ProtectionLevel': 'byok-kms does not offer this protection level.',
  'InvalidAccessKeyId.NotFound': 'The AccessKeyId is unknown to this KMS: check it.',
  SignatureNonceUsed: 'The KMS saw this request before (a replay); try again.',
  ServiceUnavailableTemporary: 'The KMS is busy; try again in a moment.',
  InternalFailure: 'Something failed inside the KMS; its log says what. Try again, or ask its operator.',
  InvalidPrivateKey: 'The file is not a private key this page can read: choose a PKCS#8 (or PKCS#1 / SEC 1) private key, PEM text or DER bytes.',
  KeySpecMismatch: 'The private key is not of the key\'s spec (for example an EC key for an RSA_2048 key): choose a private key of the right type and size.',
  UnknownKeySpec: 'byok-wrap has no wrapping rule for this key spec.',
  // The AWS KMS API's names for the same refusals.
  ExpiredImportTokenException: 'The import token expired (tokens last 24 hours). Wrap and import again: a new token is fetched each time.',
  InvalidImportTokenException: 'The KMS refused the import token (it is another key\'s, or was used already). Wrap and import again to use a fresh one.',
  IncorrectKeyMaterialException: 'The KMS refused the material. To import a key\'s material again you need that identical material (compare its key check value with your backup); for new material into the same key, rotate instead.',
  KMSInvalidStateException: 'The key\'s current state does not allow this (for example it is pending deletion, or has no material yet).',
  NotFoundException: 'The key or alias does not exist in this account and region: check its id, ARN or alias.',
  AlreadyExistsException: 'This alias already names a key: choose another name.',
  UnsupportedOperationException: 'This key cannot do that (for example a key whose material AWS KMS made).',
  ValidationException: 'The KMS refused a value; correct it and try again:',
  LimitExceededException: 'The KMS limit for this is reached; remove something first.',
  UnrecognizedClientException: 'The access key ID is unknown to this KMS: check it.',
  InvalidSignatureException: 'The access key was refused: check the secret access key, and that the region is the one the KMS signs for (byok-kms: --aws-region).',
  IncompleteSignatureException: 'The request\'s signature was incomplete: check the access key and the region.',
  KMSInternalException: 'Something failed inside the KMS; its log says what. Try again, or ask its operator.',
};

/** What the KMS's (or byok-wrap's) `code` means to an operator, or undefined. */
export function friendly(code) {
  return Object.hasOwn(FRIENDLY, code) ? FRIENDLY[code] : undefined;
}

export function status(text) {
  $('status').textContent = text;
  $('error').textContent = '';
}

/**
 * Shows `error` with what its code means: `explain` (a code → text map, or a function of the
 * error returning text) says it for one path of the page, before the general table.
 */
export function showError(error, explain = {}) {
  const box = $('error');
  box.replaceChildren();
  const main = document.createElement('p');
  const special = typeof explain === 'function' ? explain(error) : explain[error?.code];
  const friendly = special ?? (error && FRIENDLY[error.code]);
  main.textContent = friendly ? `${friendly} ${error.message}` : (error?.message ?? String(error));
  box.append(main);
  if (error?.code) {
    const detail = document.createElement('p');
    detail.className = 'hint';
    detail.textContent = `Code ${error.code}${error.requestId ? `, request ${error.requestId}` : ''}.`;
    box.append(detail);
  }
  $('status').textContent = '';
}

/** An event handler that runs `action` and shows what it threw (explained by `explain`). */
export function guarded(action, explain) {
  return async (event) => {
    event?.preventDefault?.();
    try {
      await action(event);
    } catch (error) {
      showError(error, explain);
    }
  };
}

/** An `Error` with a `code`, for a refusal the page itself makes before calling anything. */
export function refusal(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}

// ---- the progress of an import -----------------------------------------------------------------

function step(text, list) {
  const item = document.createElement('li');
  item.textContent = `${text}…`;
  list.append(item);
  return {
    done(result) { item.textContent = `${text}: ${result}`; item.className = 'done'; },
    failed(error) { item.textContent = `${text}: failed (${error.code ?? 'error'})`; item.className = 'failed'; },
  };
}

/**
 * Runs one step of an import as a line of a progress list (`list`, the import's by default):
 * `describe` says what it gave.
 */
export async function run(text, action, describe, list = $('progress')) {
  const s = step(text, list);
  try {
    const result = await action();
    s.done(describe(result));
    return result;
  } catch (error) {
    s.failed(error);
    throw error;
  }
}

/** The material expiry chosen on the page: 0 for never, else Unix seconds in the future. */
export function expiryUnix() {
  if (document.querySelector('input[name="expiry"]:checked').value === 'never') return 0;
  const value = $('expiry-at').value;
  const at = Math.floor(new Date(value).getTime() / 1000);
  if (!value || !Number.isFinite(at) || at <= Date.now() / 1000) {
    throw refusal('InvalidParameter', 'Choose an expiry time in the future, or “Never expires”.');
  }
  return at;
}

/** The wrapping algorithm chosen on the page (for wrapping here, or for a download). */
export function selectedAlgorithm() {
  return document.querySelector('input[name="algorithm"]:checked').value;
}

/**
 * Whether keys of `spec` take a private key rather than symmetric bytes: byok-wrap's table, and
 * for a spec the table does not know, the wire names (Alibaba's symmetric specs are `Aliyun_…`).
 */
export function takesPrivateKey(spec) {
  const rule = importRules().keySpecs.find((s) => s.name === spec);
  return rule ? rule.kind === 'privateKey' : !String(spec).startsWith('Aliyun_');
}

/**
 * The wrapping algorithm for a private key on the API connected to (byok-wrap's table: an AES key
 * under RSA-OAEP, the private key under that AES key).
 */
export function privateKeyAlgorithm() {
  return importRules().clouds.find((c) => c.id === (state.api?.cloud ?? 'alibaba')).privateKeyAlgorithm;
}

/**
 * Shapes the page for the API connected to: only its cloud's wrapping algorithms (byok-wrap's
 * table), its key specs and usages in the create form, and the management panel where the console
 * has it for that API.
 */
export function showApi() {
  const { cloud } = state.api;
  const rules = importRules();
  const ours = new Set(rules.algorithms.filter((a) => a.clouds.includes(cloud)).map((a) => a.name));
  for (const radio of document.querySelectorAll('input[name="algorithm"]')) {
    radio.closest('label').hidden = !ours.has(radio.value);
  }
  const fallback = rules.clouds.find((c) => c.id === cloud).defaultAlgorithm;
  if (!ours.has(selectedAlgorithm())) document.querySelector(`input[name="algorithm"][value="${fallback}"]`).checked = true;
  const spec = $('create-spec');
  originalSpecs ??= spec.innerHTML;
  if (cloud === 'alibaba') {
    spec.innerHTML = originalSpecs;
  } else {
    spec.replaceChildren();
    const groups = { symmetric: 'Symmetric and HMAC: import key material', privateKey: 'Asymmetric: import a private key' };
    for (const [kind, label] of Object.entries(groups)) {
      const group = document.createElement('optgroup');
      group.label = label;
      for (const row of rules.keySpecs.filter((s) => s.clouds.includes(cloud) && s.kind === kind)) {
        group.append(new Option(row.name, row.name));
      }
      if (group.children.length) spec.append(group);
    }
  }
  $('create-usage').replaceChildren(...state.api.usages.map((u) => new Option(u, u)));
  $('create-usage').value = state.api.defaultUsage(spec.value);
  $('manage-api-note').hidden = state.api.manages;
}

let originalSpecs;

/** A key spec byok-wrap's table knows (to check the material against), else undefined. */
export function knownKeySpec(spec) {
  return importRules().keySpecs.some((s) => s.name === spec) ? spec : undefined;
}
