// The console's offline path, the cloud guide's steps 2 to 4 for material the page never sees:
// download the wrapping public key (PEM or DER) and the import token, wrap the material where it
// lives (the guide's openssl commands, an HSM, an offline machine), upload the wrapped file and the
// token file. The page converts between encodings and displays; the KMS judges the upload.
import { importRules } from '/pkg/byok_wrap.js';
import { $, expiryUnix, privateKeyAlgorithm, guarded, refusal, run, selectedAlgorithm, state, status, takesPrivateKey } from './page.js';

const offline = {
  download: null, // { keyId, algorithm, publicKey, token, expires, stamp, urls } of the last download
  wrapped: null, // { name, encoding, bytes, base64 } of the chosen wrapped-material file
  token: null, // { name, text } of the chosen token file
};

// Far above any token or wrapped material: a bigger file is the wrong one.
const MAX_FILE = 64 * 1024;

// ---- the guide's step 2: download the wrapping public key and the import token ----------------

/** GetParametersForImport, and the files the guide names: publickey_….pem/.bin, token_….txt. */
export async function downloadWrappingKey() {
  const keyId = state.key.KeyId;
  const algorithm = selectedAlgorithm();
  $('progress').replaceChildren();
  const params = await run('Getting a wrapping public key and an import token (GetParametersForImport)',
    () => state.client.getParametersForImport({ keyId, algorithm, wrappingKeySpec: 'RSA_2048' }),
    (p) => `RSA-2048 public key and a token valid until ${state.api.tokenValidUntil(p)}`);
  forgetDownload();
  // One stamp for the files of a download (UTC, to the millisecond), so that its public key and
  // token can be matched, and told from another download's.
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const der = fromBase64(params.PublicKey);
  const pem = `-----BEGIN PUBLIC KEY-----\n${params.PublicKey.match(/.{1,64}/g).join('\n')}\n-----END PUBLIC KEY-----\n`;
  const file = (content, type) => URL.createObjectURL(new Blob([content], { type }));
  offline.download = {
    keyId, algorithm, stamp, expires: state.api.tokenValidUntil(params),
    files: {
      pem: { name: `publickey_${keyId}_${stamp}.pem`, url: file(pem, 'application/x-pem-file') },
      der: { name: `publickey_${keyId}_${stamp}.bin`, url: file(der, 'application/octet-stream') },
      token: { name: `token_${keyId}_${stamp}.txt`, url: file(params.ImportToken, 'text/plain') },
    },
  };
  $('download-info').hidden = false;
  $('offline-wrap').hidden = false;
  $('download-summary').textContent = `For key ${keyId}, ${algorithm}: the token is valid until `
    + `${state.api.tokenValidUntil(params)}, with this public key only. Keep both files of this download together.`;
  setLink($('download-token'), offline.download.files.token);
  showPublicKeyFormat();
  status(`Got a public key and an import token for ${keyId}. Download both, wrap the material with the public key, then upload the wrapped file and the token.`);
}

/** Shows the link and the openssl commands for the public key format chosen (PEM or DER). */
export function showPublicKeyFormat() {
  const download = offline.download;
  if (!download) return;
  const format = document.querySelector('input[name="key-format"]:checked').value;
  const publicKey = download.files[format];
  setLink($('download-public-key'), publicKey);
  $('openssl-commands').textContent = opensslCommands(publicKey.name, format === 'pem' ? 'PEM' : 'DER', download.algorithm);
}

/**
 * The guide's step 3, with this download's names: openssl rand (the key spec's length, from
 * byok-wrap's table), openssl pkeyutl (the padding of the download's algorithm), openssl enc.
 */
function opensslCommands(publicKeyFile, keyform, algorithm) {
  const rule = importRules().algorithms.find((a) => a.name === algorithm);
  const md = rule.hash?.replace('-', '').toLowerCase();
  const padding = rule.scheme === 'pkcs1v15' ? ['rsa_padding_mode:pkcs1']
    : ['rsa_padding_mode:oaep', `rsa_oaep_md:${md}`, `rsa_mgf1_md:${md}`];
  if (rule.scheme === 'oaep+ecb-pkcs7') {
    // A private key: an AES-256 key under RSA-OAEP, then the PKCS#8 DER under that AES key
    // (AES-ECB, PKCS#7 padding), the two concatenated.
    return [
      'openssl pkcs8 -topk8 -nocrypt -in PrivateKey.pem -outform DER -out PrivateKey.der',
      'openssl rand -out AesKey.bin 32',
      ['openssl pkeyutl -encrypt', '-in AesKey.bin', `-inkey ${publicKeyFile}`, `-keyform ${keyform}`, '-pubin',
        '-out EncryptedAesKey.bin', ...padding.map((p) => `-pkeyopt ${p}`)].join(' \\\n  '),
      'openssl enc -aes-256-ecb -K "$(xxd -p -c 64 AesKey.bin)" -in PrivateKey.der -out EncryptedPrivateKey.bin',
      'cat EncryptedAesKey.bin EncryptedPrivateKey.bin > EncryptedKeyMaterial.bin',
      'openssl enc -e -base64 -A -in EncryptedKeyMaterial.bin -out EncryptedKeyMaterial_base64.txt',
      'rm AesKey.bin PrivateKey.der',
    ].join('\n');
  }
  if (rule.scheme === 'oaep+kwp') {
    // AWS's RSA_AES_KEY_WRAP: an AES-256 key under RSA-OAEP, then the material (or the private
    // key's PKCS#8 DER) under that AES key with AES key wrap with padding (RFC 5649), concatenated.
    const privateKey = takesPrivateKey(state.key?.KeySpec);
    const input = privateKey ? 'PrivateKey.der' : 'KeyMaterial.bin';
    return [
      privateKey ? 'openssl pkcs8 -topk8 -nocrypt -in PrivateKey.pem -outform DER -out PrivateKey.der'
        : `openssl rand -out KeyMaterial.bin ${materialLength()}`,
      'openssl rand -out AesKey.bin 32',
      `openssl enc -id-aes256-wrap-pad -K "$(xxd -p -c 64 AesKey.bin)" -iv A65959A6 -in ${input} -out WrappedMaterial.bin`,
      ['openssl pkeyutl -encrypt', '-in AesKey.bin', `-inkey ${publicKeyFile}`, `-keyform ${keyform}`, '-pubin',
        '-out EncryptedAesKey.bin', ...padding.map((p) => `-pkeyopt ${p}`)].join(' \\\n  '),
      'cat EncryptedAesKey.bin WrappedMaterial.bin > EncryptedKeyMaterial.bin',
      'openssl enc -e -base64 -A -in EncryptedKeyMaterial.bin -out EncryptedKeyMaterial_base64.txt',
      `rm AesKey.bin WrappedMaterial.bin${privateKey ? ' PrivateKey.der' : ''}`,
    ].join('\n');
  }
  return [
    `openssl rand -out KeyMaterial.bin ${materialLength()}`,
    ['openssl pkeyutl -encrypt', '-in KeyMaterial.bin', `-inkey ${publicKeyFile}`, `-keyform ${keyform}`, '-pubin',
      '-out EncryptedKeyMaterial.bin', ...padding.map((p) => `-pkeyopt ${p}`)].join(' \\\n  '),
    'openssl enc -e -base64 -A -in EncryptedKeyMaterial.bin -out EncryptedKeyMaterial_base64.txt',
  ].join('\n');
}

function setLink(link, { name, url }) {
  link.href = url;
  link.download = name;
  link.nextElementSibling.textContent = name;
}

function forgetDownload() {
  for (const file of Object.values(offline.download?.files ?? {})) URL.revokeObjectURL(file.url);
  offline.download = null;
  $('download-info').hidden = true;
  $('offline-wrap').hidden = true;
}

// ---- the guide's step 4: upload the wrapped material and the token -----------------------------

/**
 * Reads the wrapped-material file: base64 text (what `openssl enc -e -base64 -A` writes, line
 * breaks allowed) or the raw bytes of `openssl pkeyutl -out`. A raw RSA ciphertext consists only
 * of base64 characters with negligible probability, so the alphabet tells them apart.
 */
async function readWrappedFile(file) {
  offline.wrapped = null;
  $('wrapped-info').textContent = '';
  updateUploadButton();
  if (!file) return;
  const bytes = await readSmallFile(file);
  const text = binaryString(bytes);
  let wrapped;
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) {
    const compact = text.replace(/\s+/g, '');
    if (/^[0-9A-Fa-f]+$/.test(compact) && compact.length % 2 === 0) {
      throw refusal('InvalidArgument', `${file.name} looks like hex text. Upload the base64 text (openssl enc -e -base64 -A) or the binary file; or convert it first (xxd -r -p).`);
    }
    let decoded;
    try {
      decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(compact) ? fromBase64(compact) : null;
    } catch { /* refused below */ }
    if (!decoded) throw refusal('InvalidArgument', `${file.name} looks like base64 text but does not decode: is it cut short or edited?`);
    wrapped = { encoding: 'base64', bytes: decoded, base64: toBase64(decoded) };
    $('wrapped-info').textContent = `Detected base64 text in ${file.name}: ${compact.length} characters, ${decoded.length} bytes of wrapped material.`;
  } else {
    wrapped = { encoding: 'raw', bytes, base64: toBase64(bytes) };
    $('wrapped-info').textContent = `Detected raw bytes in ${file.name}: ${bytes.length} bytes of wrapped material, sent base64-encoded.`;
  }
  offline.wrapped = { name: file.name, ...wrapped };
  updateUploadButton();
  status(`Read ${file.name}. ${offline.token ? 'Upload and import when ready.' : 'Now choose the token file of the same download.'}`);
}

async function readTokenFile(file) {
  offline.token = null;
  $('token-info').textContent = '';
  updateUploadButton();
  if (!file) return;
  const text = new TextDecoder().decode(await readSmallFile(file)).trim();
  if (!text) throw refusal('InvalidArgument', `${file.name} is empty: choose the token_….txt file of the download.`);
  offline.token = { name: file.name, text };
  const fromHere = offline.download?.files.token.name === file.name ? ' (the token of the last download in this page)' : '';
  $('token-info').textContent = `Read the import token from ${file.name}${fromHere}: ${text.length} characters.`;
  updateUploadButton();
  status(`Read ${file.name}. ${offline.wrapped ? 'Upload and import when ready.' : 'Now choose the wrapped material file.'}`);
}

async function readSmallFile(file) {
  if (file.size > MAX_FILE) {
    throw refusal('InvalidArgument', `${file.name} is ${file.size} bytes: too big to be a token or wrapped key material.`);
  }
  return new Uint8Array(await file.arrayBuffer());
}

/** ImportKeyMaterial with the uploaded files: the plaintext material is never on this page. */
export async function uploadWrappedMaterial() {
  const keyId = state.key.KeyId;
  const expiresAt = expiryUnix();
  const { wrapped, token } = offline;
  $('progress').replaceChildren();
  $('upload-import').disabled = true;
  try {
    await run(`Uploading ${wrapped.name} and ${token.name} (ImportKeyMaterial)`,
      () => state.client.importKeyMaterial({ keyId, encryptedKeyMaterial: wrapped.base64, importToken: token.text, expiresAt }),
      () => 'accepted');
    const key = await run('Reading the key back (DescribeKey)', () => state.client.describeKey(keyId),
      (k) => `the key is ${k.KeyState}`);
    resetOffline();
    return key;
  } finally {
    updateUploadButton();
  }
}

/** What a refusal of the upload means, in the offline path's words. */
export function explainUpload(error) {
  const keyId = state.key?.KeyId;
  switch (error?.code) {
    case 'ExpiredImportToken':
      return 'The import token expired: a token is valid for 24 hours after its download. Get a new public key and token, wrap the material again with the new public key, and upload both.';
    case 'InvalidImportToken':
      return `The KMS refused the token file: it is not an import token for key ${keyId}. Upload the token_….txt downloaded for this key, from the same download as the public key you wrapped with.`;
    case 'InvalidKeyMaterial': {
      if (takesPrivateKey(state.key?.KeySpec)) {
        return 'The KMS could not import the uploaded private key. It must be wrapped with the public key of the same download as the token file, '
          + `with the algorithm chosen for that download (${privateKeyAlgorithm()} for a private key), be a ${state.key.KeySpec} private key in PKCS#8, `
          + 'and be the private key first imported into this key if it had one.';
      }
      const bits = importRules().wrappingKeySpecs.find((s) => s.name === 'RSA_2048').bits;
      const size = offline.wrapped && offline.wrapped.bytes.length !== bits / 8
        ? ` The uploaded file held ${offline.wrapped.bytes.length} bytes of wrapped material; a ciphertext under an RSA_2048 public key is ${bits / 8} bytes.` : '';
      return 'The KMS could not import the uploaded material. It must be wrapped with the public key of the same download as the token file, with the algorithm chosen for that download, '
        + `hold exactly ${materialLength()} bytes for a ${state.key?.KeySpec} key, and be the material first imported into this key if it had any. `
        + 'A token from another download, a file wrapped with another public key or algorithm, and material of the wrong length are all refused this one way.' + size;
    }
    default:
      return undefined;
  }
}

// ---- the page ----------------------------------------------------------------------------------

/** Forgets the download and the chosen files (another key was selected, or the import is done). */
export function resetOffline() {
  forgetDownload();
  offline.wrapped = null;
  offline.token = null;
  $('wrapped-file').value = '';
  $('token-file').value = '';
  $('wrapped-info').textContent = '';
  $('token-info').textContent = '';
  updateUploadButton();
}

/** Enables the download and the upload when the page has what they need. */
export function updateUploadButton() {
  const legacy = selectedAlgorithm() === 'RSAES_PKCS1_V1_5';
  const external = state.key?.Origin === 'EXTERNAL';
  $('get-parameters').disabled = !external || (legacy && !$('legacy-ack').checked);
  $('upload-import').disabled = !(external && offline.wrapped && offline.token);
}

export function setupOffline({ onImported }) {
  $('get-parameters').addEventListener('click', guarded(downloadWrappingKey));
  for (const radio of document.querySelectorAll('input[name="key-format"]')) radio.addEventListener('change', showPublicKeyFormat);
  $('wrapped-file').addEventListener('change', guarded((e) => readWrappedFile(e.target.files[0])));
  $('token-file').addEventListener('change', guarded((e) => readTokenFile(e.target.files[0])));
  $('upload-import').addEventListener('click', guarded(async () => onImported(await uploadWrappedMaterial()), explainUpload));
}

function materialLength() {
  return importRules().keySpecs.find((s) => s.name === state.key?.KeySpec)?.minLength ?? 32;
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function toBase64(bytes) {
  return btoa(binaryString(bytes));
}

/** Each byte as the character of that code (what `btoa` takes). */
function binaryString(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}
