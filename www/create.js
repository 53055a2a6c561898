// The cloud guide's step 1 in the console: create a key whose material is yours (Origin
// EXTERNAL), with its spec and usage, an alias, a description and tags, once the operator has
// ticked the guide's "I understand the implications of using external key materials". The page
// collects and sends; which spec takes which usage, and what a tag or an alias may be, is the
// KMS's to decide, and its refusal is shown in words.
import { APIS } from './api.js';
import { $, friendly, guarded, showError, state, status, takesPrivateKey } from './page.js';

let rows = 0; // tag rows made so far, for unique ids

/** CreateKey (with the tags: one call, so a refused tag creates nothing), then CreateAlias. */
export async function createKey({ onCreated }) {
  const spec = $('create-spec').value;
  const alias = $('create-alias').value.trim();
  const tags = readTags();
  const request = { spec, usage: $('create-usage').value, description: $('create-description').value, tags };
  $('create-key').disabled = true;
  let key;
  try {
    key = await state.api.createKey(state.client, request);
  } catch (error) {
    showError(error, (e) => `Nothing was created. ${friendly(e.code) ?? ''}`);
    return;
  } finally {
    updateCreateButton();
  }
  let aliasError = null;
  if (alias) {
    try {
      await state.api.createAlias(state.client, alias, key.KeyId);
    } catch (error) {
      aliasError = error;
    }
  }
  resetForm();
  await onCreated(key);
  const what = `${key.KeyId} (${key.KeySpec}, ${key.KeyUsage})${tags.length ? ` with ${tags.length} tag${tags.length > 1 ? 's' : ''}` : ''}`;
  const next = takesPrivateKey(key.KeySpec) ? 'import its private key' : 'import its material';
  if (aliasError) {
    // The key exists: say so first, then why the second step failed.
    showError(aliasError, (e) => `Created key ${what}, but the alias step (CreateAlias ${alias}) failed, so the key has no alias. `
      + `Add one under “Manage the key”. Why: ${explainAlias(e)}`);
    return;
  }
  status(`Created key ${what}${alias ? `, alias ${alias}` : ''}; it is ${key.KeyState} until you ${next}.`);
}

function explainAlias(error) {
  switch (error?.code) {
    case 'AliasAlreadyExists': return 'another key has this alias already.';
    case 'InvalidParameter': return 'the KMS refused the name.';
    case 'Rejected.LimitExceeded': return 'the limit of aliases is reached.';
    default: return 'the KMS refused it.';
  }
}

/** The tag rows as the wire's `[{"TagKey":…,"TagValue":…}]`; rows with an empty key are skipped. */
function readTags() {
  const tags = [];
  for (const row of $('create-tags').querySelectorAll('.tag-row')) {
    const [key, value] = row.querySelectorAll('input');
    if (key.value !== '' || value.value !== '') tags.push({ TagKey: key.value, TagValue: value.value });
  }
  return tags;
}

/** One more tag row: a key, a value and a button that removes the row, each labelled. */
function addTagRow() {
  rows += 1;
  const n = $('create-tags').children.length + 1;
  const row = document.createElement('div');
  row.className = 'tag-row';
  const field = (what) => {
    const wrap = document.createElement('div');
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.id = `create-tag-${what}-${rows}`;
    input.spellcheck = false;
    input.autocomplete = 'off';
    label.htmlFor = input.id;
    label.textContent = `Tag ${what} ${n}`;
    wrap.append(label, input);
    return wrap;
  };
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.textContent = 'Remove';
  remove.setAttribute('aria-label', `Remove tag ${n}`);
  remove.addEventListener('click', () => {
    row.remove();
    renumber();
    $('create-add-tag').focus();
  });
  row.append(field('key'), field('value'), remove);
  $('create-tags').append(row);
  row.querySelector('input').focus();
}

/** After a removal the rows are 1…n again, in their labels too. */
function renumber() {
  [...$('create-tags').children].forEach((row, i) => {
    const [key, value] = row.querySelectorAll('label');
    key.textContent = `Tag key ${i + 1}`;
    value.textContent = `Tag value ${i + 1}`;
    row.querySelector('button').setAttribute('aria-label', `Remove tag ${i + 1}`);
  });
}

function resetForm() {
  $('create-alias').value = '';
  $('create-description').value = '';
  $('create-tags').replaceChildren();
  $('create-ack').checked = false;
  updateCreateButton();
}

/** Create waits for the guide's confirmation. */
function updateCreateButton() {
  $('create-key').disabled = !$('create-ack').checked;
}

/**
 * A spec's usual usage as the default (ENCRYPT/DECRYPT for material, SIGN/VERIFY for a private
 * key, on AWS GENERATE_VERIFY_MAC for HMAC); the operator may choose another, and the KMS says
 * whether the spec allows it.
 */
export function defaultUsage() {
  $('create-usage').value = (state.api ?? APIS.alibaba).defaultUsage($('create-spec').value);
}

export function setupCreate({ onCreated }) {
  $('create-form').addEventListener('submit', guarded(() => createKey({ onCreated })));
  $('create-ack').addEventListener('change', updateCreateButton);
  $('create-add-tag').addEventListener('click', addTagRow);
  $('create-spec').addEventListener('change', defaultUsage);
  defaultUsage();
  updateCreateButton();
}
