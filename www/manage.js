// The selected key's management, after the guide's import: its aliases and tags (listed, added,
// removed), its state (enable, disable, schedule and cancel deletion) and its rotation in one step
// (the package's rotateImportedKey: a new EXTERNAL key, fresh material or a chosen private key
// wrapped in this page, the alias moved to it). Every call is the KMS's to allow: the page sends
// what the operator typed and shows the refusal in words.
//
// Secrets here: the new material of a rotation (generated in memory, offered as a backup, wiped
// after the rotation) or the new private key's file bytes (memory only). Only wrapped bytes leave.
import { generateKeyMaterial, keyCheckValue, rotateImportedKey } from '/pkg/byok_wrap.js';
import { $, guarded, privateKeyAlgorithm, state, status, takesPrivateKey } from './page.js';

let page = null; // { refreshKey, refreshKeys, selectKey } of console.js

const rotation = {
  keyId: null, // the key the rotation form was filled for
  material: null, // Uint8Array of generated material, or null
  privateKey: null, // Uint8Array of a private key file, or null
  backupUrl: null,
};

// ---- showing the key ---------------------------------------------------------------------------

/** Shows the panel for `key` and reads its aliases and tags. */
export function showManage(key) {
  $('manage').hidden = !state.api.manages;
  if (!state.api.manages) return;
  const asymmetric = takesPrivateKey(key.KeySpec);
  $('rotate-symmetric').hidden = asymmetric;
  $('rotate-asymmetric').hidden = !asymmetric;
  if (rotation.keyId !== key.KeyId) {
    forgetRotation();
    $('rotate-progress').replaceChildren();
    $('rotate-result').textContent = '';
  }
  rotation.keyId = key.KeyId;
  guarded(readLists)();
}

async function readLists() {
  const keyId = state.key.KeyId;
  const [aliases, tags] = await Promise.all([
    state.client.call('ListAliasesByKeyId', { KeyId: keyId, PageSize: 100 }),
    state.client.call('ListResourceTags', { KeyId: keyId }),
  ]);
  if (state.key?.KeyId !== keyId) return; // another key was selected meanwhile
  showAliases(aliases.Aliases.Alias.map((a) => a.AliasName));
  showTags(tags.Tags.Tag);
}

function showAliases(names) {
  const list = $('alias-list');
  list.replaceChildren();
  if (names.length === 0) {
    const none = document.createElement('li');
    none.textContent = 'No alias.';
    list.append(none);
  }
  for (const name of names) {
    const item = document.createElement('li');
    const code = document.createElement('code');
    code.textContent = name;
    item.append(code, ' ', removeButton(`Remove alias ${name}`, () => removeAlias(name)));
    list.append(item);
  }
  const select = $('rotate-alias');
  select.replaceChildren(...names.map((name) => new Option(name, name)));
  if (names.length === 0) select.append(new Option('(add an alias first)', ''));
  updateRotateButton();
}

function showTags(tags) {
  const body = $('tag-table').tBodies[0];
  body.replaceChildren();
  for (const { TagKey: key, TagValue: value } of tags) {
    const row = body.insertRow();
    row.insertCell().textContent = key;
    row.insertCell().textContent = value;
    row.insertCell().append(removeButton(`Remove tag ${key}`, () => removeTag(key)));
  }
  $('tag-table').caption.textContent = `Tags of the key (${tags.length})`;
}

function removeButton(label, action) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Remove';
  button.setAttribute('aria-label', label);
  button.addEventListener('click', guarded(action));
  return button;
}

// ---- aliases and tags --------------------------------------------------------------------------

async function addAlias() {
  const name = $('new-alias').value.trim();
  await state.client.call('CreateAlias', { AliasName: name, KeyId: state.key.KeyId });
  $('new-alias').value = '';
  await readLists();
  status(`Added the alias ${name} to key ${state.key.KeyId}.`);
}

async function removeAlias(name) {
  await state.client.call('DeleteAlias', { AliasName: name });
  await readLists();
  status(`Removed the alias ${name}; key ${state.key.KeyId} itself is unchanged.`);
  $('new-alias').focus();
}

async function addTag() {
  const tag = { TagKey: $('new-tag-key').value, TagValue: $('new-tag-value').value };
  await state.client.call('TagResource', { KeyId: state.key.KeyId, Tags: JSON.stringify([tag]) });
  $('new-tag-key').value = '';
  $('new-tag-value').value = '';
  await readLists();
  status(`Tagged key ${state.key.KeyId} with ${tag.TagKey}=${tag.TagValue}.`);
}

async function removeTag(key) {
  await state.client.call('UntagResource', { KeyId: state.key.KeyId, TagKeys: JSON.stringify([key]) });
  await readLists();
  status(`Removed the tag ${key} from key ${state.key.KeyId}.`);
  $('new-tag-key').focus();
}

// ---- state and deletion ------------------------------------------------------------------------

/** One state call on the selected key, then the key read back and `done` said of it. */
async function changeState(action, params, done) {
  const keyId = state.key.KeyId;
  await state.client.call(action, { KeyId: keyId, ...params });
  await page.refreshKey();
  status(done(state.key));
}

const enableKey = () => changeState('EnableKey', {}, (k) => `Enabled key ${k.KeyId}; it is ${k.KeyState}.`);
const disableKey = () => changeState('DisableKey', {}, (k) => `Disabled key ${k.KeyId}; it is ${k.KeyState}: it encrypts and decrypts nothing until enabled again.`);
const cancelDeletion = () => changeState('CancelKeyDeletion', {}, (k) => `Cancelled the deletion of key ${k.KeyId}; it is ${k.KeyState}.`);
const scheduleDeletion = () => changeState('ScheduleKeyDeletion', { PendingWindowInDays: $('deletion-days').value.trim() },
  (k) => `Scheduled key ${k.KeyId} for deletion on ${k.DeleteDate}; it is ${k.KeyState}. Cancel the deletion before then to keep it.`);

// ---- rotation ----------------------------------------------------------------------------------

function generateRotationMaterial() {
  forgetRotation();
  rotation.material = generateKeyMaterial(state.key.KeySpec);
  rotation.backupUrl = URL.createObjectURL(new Blob([rotation.material], { type: 'application/octet-stream' }));
  $('rotate-backup').href = rotation.backupUrl;
  $('rotate-backup').download = `KeyMaterial-rotated-from-${state.key.KeyId}.bin`;
  $('rotate-backup-row').hidden = false;
  $('rotate-material-info').textContent = `${rotation.material.length} bytes generated in this browser, key check value ${keyCheckValue(rotation.material, state.key.KeySpec)}.`;
  updateRotateButton();
  status('Generated new material for the rotation. Download a backup before rotating: the KMS never gives it back.');
}

async function loadRotationPrivateKey(file) {
  forgetRotation();
  if (!file) return;
  rotation.privateKey = new Uint8Array(await file.arrayBuffer());
  updateRotateButton();
  status(`Loaded the private key ${file.name} for the rotation; it is wrapped in this page.`);
}

function forgetRotation() {
  rotation.material?.fill(0);
  rotation.privateKey?.fill(0);
  rotation.material = null;
  rotation.privateKey = null;
  if (rotation.backupUrl) URL.revokeObjectURL(rotation.backupUrl);
  rotation.backupUrl = null;
  $('rotate-backup').href = '#';
  $('rotate-backup-row').hidden = true;
  $('rotate-backup-ack').checked = false;
  $('rotate-material-info').textContent = '';
  $('rotate-private-key').value = '';
  updateRotateButton();
}

function updateRotateButton() {
  const ready = rotation.privateKey || (rotation.material && $('rotate-backup-ack').checked);
  $('rotate-key').disabled = !(ready && $('rotate-alias').value);
}

/** The words of each step of rotateImportedKey, for the progress list. */
const ROTATION_STEPS = {
  checkAlias: 'Reading the alias\'s key (DescribeKey)',
  createKey: 'Creating the new key (CreateKey)',
  checkKey: 'Checking the new key (DescribeKey)',
  getParameters: 'Getting wrapping parameters (GetParametersForImport)',
  wrap: 'Wrapping the new material in this browser',
  upload: 'Uploading the wrapped material (ImportKeyMaterial)',
  verify: 'Reading the new key back (DescribeKey)',
  updateAlias: 'Moving the alias to the new key (UpdateAlias)',
};

async function rotate() {
  const alias = $('rotate-alias').value;
  const list = $('rotate-progress');
  list.replaceChildren();
  $('rotate-result').textContent = '';
  $('rotate-key').disabled = true;
  const what = rotation.privateKey
    ? { privateKey: rotation.privateKey, algorithm: privateKeyAlgorithm() }
    : { material: rotation.material, algorithm: 'RSAES_OAEP_SHA_256' };
  const open = {};
  try {
    const done = await rotateImportedKey(state.client, {
      alias,
      ...what,
      onStep({ step, status: phase, detail }) {
        if (phase === 'started') {
          open[step] = document.createElement('li');
          open[step].textContent = `${ROTATION_STEPS[step] ?? step}…`;
          list.append(open[step]);
        } else {
          open[step].textContent = `${ROTATION_STEPS[step] ?? step}: ${detail ?? 'done'}`;
          open[step].className = 'done';
          delete open[step];
        }
      },
    });
    forgetRotation();
    $('rotate-result').textContent = `Rotated ${done.alias}: old key ${done.oldKeyId} (still ${(await state.client.describeKey(done.oldKeyId)).KeyState}, for what it encrypted), new key ${done.newKeyId} (${done.key.KeyState}).`;
    await page.refreshKeys();
    await readLists();
    status(`Rotated. ${done.alias} now names the new key ${done.newKeyId}; the old key ${done.oldKeyId} is kept. Keep the backup of the new material.`);
  } catch (error) {
    for (const item of Object.values(open)) item.className = 'failed';
    if (error.step) {
      $('rotate-result').textContent = `The rotation stopped at ${ROTATION_STEPS[error.step] ?? error.step}. `
        + `${alias} still names the old key ${error.oldKeyId}${error.newKeyId ? `; the new key ${error.newKeyId} is scheduled for deletion` : ''}.`;
      await page.refreshKeys();
    }
    throw error;
  } finally {
    updateRotateButton();
  }
}

// ---- wiring ------------------------------------------------------------------------------------

export function setupManage(callbacks) {
  page = callbacks;
  $('enable-key').addEventListener('click', guarded(enableKey));
  $('disable-key').addEventListener('click', guarded(disableKey));
  $('schedule-deletion').addEventListener('click', guarded(scheduleDeletion));
  $('cancel-deletion').addEventListener('click', guarded(cancelDeletion));
  $('add-alias').addEventListener('click', guarded(addAlias));
  $('new-alias').addEventListener('keydown', (e) => e.key === 'Enter' && guarded(addAlias)(e));
  $('add-tag').addEventListener('click', guarded(addTag));
  $('new-tag-value').addEventListener('keydown', (e) => e.key === 'Enter' && guarded(addTag)(e));
  $('rotate-generate').addEventListener('click', guarded(generateRotationMaterial));
  $('rotate-backup').addEventListener('click', () => { $('rotate-backup-ack').checked = true; updateRotateButton(); });
  $('rotate-backup-ack').addEventListener('change', updateRotateButton);
  $('rotate-private-key').addEventListener('change', guarded((e) => loadRotationPrivateKey(e.target.files[0])));
  $('rotate-alias').addEventListener('change', updateRotateButton);
  $('rotate-key').addEventListener('click', guarded(rotate));
}
