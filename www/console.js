// The byok console. Plain ES modules, no framework, no third-party code: this one connects, lists
// keys and wraps material (or a private key) in the page; create.js creates keys, manage.js
// manages the selected one (aliases, tags, state, deletion, rotation), offline.js is the path for
// material the page never sees (download the public key and token, upload the wrapped file), and
// page.js what they share.
//
// Secrets on this page: the access key (memory only; from the URL fragment, which is cleared, or
// the form) and, on the "wrap here" path, the key material or private key (memory only; generated
// here or read from a local file, wrapped by the byok-wrap wasm module, wiped after import). Only
// signed API calls leave the page, and the only material in them is wrapped.
import init, { generateKeyMaterial, importRules, keyCheckValue, wrapForImportAsync } from '/pkg/byok_wrap.js';
import { APIS, fieldText } from './api.js';
import { $, expiryUnix, guarded, knownKeySpec, run, selectedAlgorithm, showApi, state, status, takesPrivateKey } from './page.js';
import { resetOffline, setupOffline, updateUploadButton } from './offline.js';
import { setupCreate } from './create.js';
import { setupManage, showManage } from './manage.js';

// ---- connecting --------------------------------------------------------------------------------

async function connect(api, accessKeyId, secret, region) {
  const client = APIS[api].client({ accessKeyId, secret, region });
  try {
    await APIS[api].probe(client); // proves the key works before going on
  } catch (error) {
    client.free();
    throw error;
  }
  state.client?.free();
  state.client = client;
  state.api = APIS[api];
  showApi();
  $('connection').textContent = `Connected to ${location.host} (${state.api.title}) as ${accessKeyId}.`;
  $('connect').hidden = true;
  $('keys').hidden = false;
  $('access-key-secret').value = '';
  await refreshKeys();
  status('Connected. Choose a key, or create one for your own material.');
}

/** The connect form's labels for the API chosen (and the region, which only AWS signs for). */
function showConnectLabels() {
  const api = APIS[document.querySelector('input[name="api"]:checked').value];
  $('access-key-id-label').textContent = api.idLabel;
  $('access-key-secret-label').textContent = api.secretLabel;
  $('aws-region-row').hidden = api.cloud !== 'aws';
}

function credentialsFromFragment() {
  if (!location.hash.includes('ak=')) return null;
  const params = new URLSearchParams(location.hash.slice(1));
  // The fragment never reaches a server; remove it from the address bar and history at once.
  history.replaceState(null, '', location.pathname + location.search);
  const ak = params.get('ak');
  const sk = params.get('sk');
  const api = params.get('api') === 'aws' ? 'aws' : 'alibaba';
  return ak && sk ? { api, ak, sk, region: params.get('region') || 'us-east-1' } : null;
}

// ---- keys --------------------------------------------------------------------------------------

async function refreshKeys() {
  const page = await state.api.keyIds(state.client);
  const keys = await Promise.all(page.ids.map((id) => state.client.describeKey(id)));
  const body = $('key-table').tBodies[0];
  body.replaceChildren();
  for (const key of keys) {
    const row = body.insertRow();
    for (const text of [key.KeyId, key.KeyState, key.Origin, key.KeySpec, state.api.expires(key) || 'never']) {
      row.insertCell().textContent = text;
    }
    row.cells[0].className = 'mono';
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = key.Origin === 'EXTERNAL' ? 'Select' : 'View';
    button.setAttribute('aria-label', `Select key ${key.KeyId}`);
    button.addEventListener('click', guarded(() => selectKey(key)));
    row.insertCell().append(button);
    if (state.key?.KeyId === key.KeyId) row.classList.add('selected');
  }
  $('key-count').textContent = `(${page.total}${page.total !== keys.length ? `, first ${keys.length} shown` : ''})`;
}

function selectKey(key) {
  if (state.key?.KeyId !== key.KeyId) {
    forgetMaterial();
    resetOffline();
  }
  state.key = key;
  const asymmetric = takesPrivateKey(key.KeySpec);
  $('private-key-block').hidden = !asymmetric;
  $('symmetric-block').hidden = asymmetric;
  // The algorithm chosen stays if it takes this kind (a private key: a hybrid scheme, which any
  // private key fits; material: any that takes symmetric bytes); else the cloud's default.
  const rules = importRules();
  const rule = rules.algorithms.find((a) => a.name === selectedAlgorithm());
  const fits = rule && (asymmetric ? rule.privateKeys && rule.scheme.includes('+') : rule.symmetric);
  if (!fits) {
    const cloud = rules.clouds.find((c) => c.id === state.api.cloud);
    document.querySelector(`input[name="algorithm"][value="${asymmetric ? cloud.privateKeyAlgorithm : cloud.defaultAlgorithm}"]`).checked = true;
  }
  for (const row of $('key-table').tBodies[0].rows) {
    row.classList.toggle('selected', row.cells[0].textContent === key.KeyId);
  }
  $('import').hidden = key.Origin !== 'EXTERNAL';
  $('import-key-id').textContent = key.KeyId;
  $('import-key-spec').textContent = key.KeySpec;
  $('import-key-state').textContent = key.KeyState;
  $('progress').replaceChildren();
  showDetails(key);
  updateImportButton();
  status(key.Origin === 'EXTERNAL'
    ? `Key ${key.KeyId} selected. Wrap its ${asymmetric ? 'private key' : 'material'} here, or download the public key and token to wrap it elsewhere.`
    : `Key ${key.KeyId} has KMS-generated material; only EXTERNAL keys take imported material.`);
}

function showDetails(key) {
  $('details').hidden = false;
  const list = $('metadata');
  list.replaceChildren();
  for (const field of state.api.fields) {
    const dt = document.createElement('dt');
    dt.textContent = field;
    const dd = document.createElement('dd');
    dd.textContent = fieldText(key, field);
    dd.dataset.field = field;
    list.append(dt, dd);
  }
  $('delete-material').hidden = key.Origin !== 'EXTERNAL';
  $('confirm-delete').hidden = true;
  showManage(key);
}

async function refreshKey() {
  const key = await state.client.describeKey(state.key.KeyId);
  state.key = key;
  $('import-key-state').textContent = key.KeyState;
  showDetails(key);
  await refreshKeys();
}

// ---- material ----------------------------------------------------------------------------------

// The material lengths come from byok-wrap's own table, the one it checks against.
function expectedLength() {
  const spec = importRules().keySpecs.find((s) => s.name === state.key?.KeySpec);
  return spec?.minLength ?? 32;
}

function setMaterial(material, source) {
  forgetMaterial();
  state.material = material;
  state.materialSource = source;
  $('material-info').hidden = false;
  $('kcv').textContent = keyCheckValue(material, state.key.KeySpec);
  $('material-summary').textContent = source === 'generated'
    ? `${material.length} bytes generated in this browser.`
    : `${material.length} bytes loaded from ${source}.`;
  const generated = source === 'generated';
  $('backup-row').hidden = !generated;
  $('backup-ack').checked = !generated; // a loaded file is its own backup
  if (generated) {
    state.backupUrl = URL.createObjectURL(new Blob([material], { type: 'application/octet-stream' }));
    $('backup').href = state.backupUrl;
    $('backup').download = `KeyMaterial-${state.key.KeyId}.bin`;
  }
  updateImportButton();
}

function forgetMaterial() {
  state.material?.fill(0);
  state.material = null;
  state.privateKey?.fill(0);
  state.privateKey = null;
  $('private-key-file').value = '';
  $('private-key-info').textContent = '';
  state.materialSource = '';
  if (state.backupUrl) URL.revokeObjectURL(state.backupUrl);
  state.backupUrl = null;
  $('backup').href = '#';
  $('material-info').hidden = true;
  $('kcv').textContent = '';
  $('material-file').value = '';
  updateImportButton();
}

function generate() {
  setMaterial(generateKeyMaterial(state.key.KeySpec), 'generated');
  status(`Generated ${state.material.length} bytes of material in this browser. Download a backup before importing.`);
}

async function loadFile(file) {
  if (!file) return;
  const need = expectedLength();
  const refuse = (detail) => {
    forgetMaterial();
    const error = new Error(`The file ${file.name} is ${file.size} bytes; a ${state.key.KeySpec} key needs exactly ${need} bytes of raw key material. ${detail}`);
    error.code = 'MaterialLength';
    throw error;
  };
  if (file.size !== need) {
    const text = file.size <= 4 * need ? (await file.text()).trim() : '';
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && Math.floor(text.length * 3 / 4) - (text.match(/=/g) ?? []).length === need) {
      refuse('It looks like base64 text: decode it first (openssl enc -d -base64 -A).');
    }
    if (/^[0-9A-Fa-f]+$/.test(text) && text.length === 2 * need) {
      refuse('It looks like hex text: convert it to bytes first (xxd -r -p).');
    }
    refuse('Choose the binary file (for example KeyMaterial.bin from openssl rand).');
  }
  setMaterial(new Uint8Array(await file.arrayBuffer()), file.name);
  status(`Loaded ${file.name}. Its key check value is shown; compare it with your records.`);
}

/**
 * Reads a private key file (PEM text or DER bytes) into memory; byok-wrap reads its form when it
 * wraps it, and the KMS judges whether it fits the key. The file is its own backup.
 */
async function loadPrivateKey(file) {
  forgetMaterial();
  if (!file) return;
  if (file.size > 64 * 1024) {
    const error = new Error(`${file.name} is ${file.size} bytes: too big to be a private key.`);
    error.code = 'InvalidPrivateKey';
    throw error;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const pem = new TextDecoder().decode(bytes.subarray(0, 64)).includes('-----BEGIN');
  state.privateKey = bytes;
  state.materialSource = file.name;
  $('private-key-info').textContent = `Read ${file.name}: ${bytes.length} bytes of ${pem ? 'PEM text' : 'DER (binary)'}, kept in this page's memory; only its wrapped form is sent.`;
  updateImportButton();
  status(`Loaded the private key ${file.name}. Wrap and import when ready.`);
}

function updateImportButton() {
  const legacy = selectedAlgorithm() === 'RSAES_PKCS1_V1_5';
  $('legacy-warning').hidden = !legacy;
  const ready = (state.privateKey || (state.material && $('backup-ack').checked)) && (!legacy || $('legacy-ack').checked)
    && state.key?.Origin === 'EXTERNAL';
  $('wrap-import').disabled = !ready;
  updateUploadButton();
}

/** Shows the path chosen: wrap in this page, or download, wrap elsewhere and upload. */
function showPath() {
  const offline = document.querySelector('input[name="path"]:checked').value === 'offline';
  $('path-here').hidden = offline;
  $('path-offline').hidden = !offline;
  $('wrap-import').hidden = offline;
  $('upload-import').hidden = !offline;
}

// ---- import ------------------------------------------------------------------------------------

async function wrapAndImport() {
  const keyId = state.key.KeyId;
  const algorithm = selectedAlgorithm();
  const expire = expiryUnix();
  const kind = state.privateKey ? 'private key' : 'material';
  $('progress').replaceChildren();
  $('wrap-import').disabled = true;
  try {
    const params = await run('Getting wrapping parameters (GetParametersForImport)',
      () => state.client.getParametersForImport({ keyId, algorithm, wrappingKeySpec: 'RSA_2048' }),
      (p) => `RSA-2048 public key and a token valid until ${state.api.tokenValidUntil(p)}`);
    const what = state.privateKey ? { privateKey: state.privateKey } : { material: state.material };
    const wrapped = await run(`Wrapping the ${kind} in this browser (${algorithm})`,
      () => wrapForImportAsync({
        ...what,
        publicKey: params.PublicKey,
        algorithm,
        allowLegacyPkcs1: algorithm === 'RSAES_PKCS1_V1_5',
        keySpec: knownKeySpec(state.key.KeySpec),
      }),
      (w) => `${w.length} base64 characters; the plaintext stays here`);
    await run('Uploading the wrapped material (ImportKeyMaterial)',
      () => state.client.importKeyMaterial({
        keyId, encryptedKeyMaterial: wrapped, importToken: params.ImportToken, expiresAt: expire,
      }),
      () => 'accepted');
    const key = await run('Reading the key back (DescribeKey)',
      () => state.client.describeKey(keyId),
      (k) => `the key is ${k.KeyState}`);
    state.key = key;
    forgetMaterial();
    await refreshKey();
    status(`Imported. Key ${keyId} is ${key.KeyState}. The ${kind} was wiped from this page; keep your backup.`);
  } finally {
    updateImportButton();
  }
}

async function deleteMaterial() {
  await state.api.deleteMaterial(state.client, state.key.KeyId);
  await refreshKey();
  status(`Deleted the material of ${state.key.KeyId}; it is ${state.key.KeyState}. Import the same material again to use it.`);
}

/** What a refusal of an import means when the material is a private key. */
function explainImport(error) {
  if (!state.privateKey || error?.code !== 'InvalidKeyMaterial') return undefined;
  return `The KMS refused the private key: it must be a ${state.key.KeySpec} private key and, if the key had material before, that same private key.`;
}

// ---- wiring ------------------------------------------------------------------------------------

await init();

$('connect-form').addEventListener('submit', guarded(() => connect(document.querySelector('input[name="api"]:checked').value,
  $('access-key-id').value.trim(), $('access-key-secret').value, $('aws-region').value.trim() || 'us-east-1')));
for (const radio of document.querySelectorAll('input[name="api"]')) radio.addEventListener('change', showConnectLabels);
$('refresh-keys').addEventListener('click', guarded(refreshKeys));
setupCreate({
  async onCreated(key) {
    await refreshKeys();
    selectKey(key);
  },
});
setupManage({ refreshKey, refreshKeys, selectKey });
$('private-key-file').addEventListener('change', guarded((e) => loadPrivateKey(e.target.files[0])));
$('generate').addEventListener('click', guarded(generate));
$('material-file').addEventListener('change', guarded((e) => loadFile(e.target.files[0])));
$('forget').addEventListener('click', guarded(() => { forgetMaterial(); status('The material was wiped from this page.'); }));
$('backup').addEventListener('click', () => { $('backup-ack').checked = true; updateImportButton(); });
$('backup-ack').addEventListener('change', updateImportButton);
$('legacy-ack').addEventListener('change', updateImportButton);
for (const radio of document.querySelectorAll('input[name="algorithm"]')) radio.addEventListener('change', updateImportButton);
for (const radio of document.querySelectorAll('input[name="expiry"]')) {
  radio.addEventListener('change', () => { $('expiry-at').disabled = radio.value !== 'at' || !radio.checked; });
}
$('wrap-import').addEventListener('click', guarded(wrapAndImport, explainImport));
for (const radio of document.querySelectorAll('input[name="path"]')) radio.addEventListener('change', showPath);
setupOffline({
  async onImported(key) {
    state.key = key;
    await refreshKey();
    status(`Imported. Key ${key.KeyId} is ${state.key.KeyState}. The material never reached this page; keep it safe where it is.`);
  },
});
showPath();
$('refresh-key').addEventListener('click', guarded(refreshKey));
$('delete-material').addEventListener('click', () => { $('confirm-delete').hidden = false; $('confirm-delete').focus(); });
$('confirm-delete').addEventListener('click', guarded(deleteMaterial));

const zone = $('drop-zone');
zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
zone.addEventListener('dragleave', () => zone.classList.remove('over'));
zone.addEventListener('drop', guarded(async (e) => {
  zone.classList.remove('over');
  await loadFile(e.dataTransfer.files[0]);
}));
// The page must not navigate to a file dropped next to the zone.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

// Connect works only once the handlers above are attached: a click before would submit the form
// natively (refused by the CSP's form-action 'none', but never what the operator asked for).
$('connect-button').disabled = false;

const fromFragment = credentialsFromFragment();
if (fromFragment) {
  guarded(() => connect(fromFragment.api, fromFragment.ak, fromFragment.sk, fromFragment.region))();
} else {
  status('Enter an access key to connect.');
}
