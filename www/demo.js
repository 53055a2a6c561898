// The byok-wrap demo page: everything happens in this page; nothing is sent anywhere.
import init, { generateKeyMaterial, keyCheckValue, wrapKeyMaterial } from '/pkg/byok_wrap.js';

const $ = (id) => document.getElementById(id);
let material = null; // the plaintext material: in memory only
let demoPrivateKey = null;

function status(text, isError = false) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

function forget() {
  if (material) material.fill(0);
  material = null;
  const link = $('backup');
  if (link.href) URL.revokeObjectURL(link.href);
  link.removeAttribute('href');
  link.hidden = true;
  $('kcv').textContent = 'none yet';
}

async function useDemoKey() {
  const pair = await crypto.subtle.generateKey(
    { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    false, ['encrypt', 'decrypt']);
  demoPrivateKey = pair.privateKey;
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  $('public-key').value = btoa(String.fromCharCode(...spki));
  $('algorithm').value = 'RSAES_OAEP_SHA_256';
  $('algorithm').dispatchEvent(new Event('change'));
  status('Demo key ready: an RSA-2048 key pair made by this browser.');
}

function generate() {
  forget();
  const spec = $('key-spec').value;
  material = generateKeyMaterial(spec);
  $('kcv').textContent = keyCheckValue(material, spec);
  const link = $('backup');
  link.href = URL.createObjectURL(new Blob([material], { type: 'application/octet-stream' }));
  link.hidden = false;
  status(`Generated ${material.length} bytes of ${spec} material in this page.`);
}

async function wrap() {
  if (!material) return status('Generate material first.', true);
  const algorithm = $('algorithm').value;
  const wrapped = wrapKeyMaterial({
    material,
    publicKey: $('public-key').value,
    algorithm,
    allowLegacyPkcs1: algorithm === 'RSAES_PKCS1_V1_5',
    keySpec: $('key-spec').value,
  });
  $('wrapped').value = wrapped;
  let note = `Wrapped with ${algorithm}: ${wrapped.length} base64 characters.`;
  if (demoPrivateKey && algorithm === 'RSAES_OAEP_SHA_256') {
    const bytes = Uint8Array.from(atob(wrapped), (c) => c.charCodeAt(0));
    const back = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, demoPrivateKey, bytes));
    const same = back.length === material.length && back.every((b, i) => b === material[i]);
    back.fill(0);
    note += same ? ' Verified: the demo private key decrypts it to the same material.'
      : ' Verification FAILED: the demo private key decrypted something else.';
  }
  status(note, note.includes('FAILED'));
}

function guarded(action) {
  return async () => {
    try {
      await action();
    } catch (error) {
      status(error.name === 'ByokError' ? `${error.code}: ${error.message}` : String(error), true);
    }
  };
}

await init();
$('demo-key').addEventListener('click', guarded(useDemoKey));
$('generate').addEventListener('click', guarded(generate));
$('wrap').addEventListener('click', guarded(wrap));
$('key-spec').addEventListener('change', forget);
$('algorithm').addEventListener('change', () => {
  $('legacy-warning').hidden = $('algorithm').value !== 'RSAES_PKCS1_V1_5';
});
status('Ready.');
