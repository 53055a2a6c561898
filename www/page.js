// What every part of the console shares: the page's state, the status and error lines, the
// progress list of an import, and the expiry choice. It converts and displays; the rules are
// byok-wrap's and the KMS's.

export const $ = (id) => document.getElementById(id);

export const state = {
  client: null,
  key: null, // KeyMetadata of the selected key
  material: null, // Uint8Array, the plaintext material, or null (the "wrap here" path only)
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
};

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

function step(text) {
  const item = document.createElement('li');
  item.textContent = `${text}…`;
  $('progress').append(item);
  return {
    done(result) { item.textContent = `${text}: ${result}`; item.className = 'done'; },
    failed(error) { item.textContent = `${text}: failed (${error.code ?? 'error'})`; item.className = 'failed'; },
  };
}

/** Runs one step of an import as a line of the progress list: `describe` says what it gave. */
export async function run(text, action, describe) {
  const s = step(text);
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
