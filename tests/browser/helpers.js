// JavaScript side of tests/browser.rs. Everything that handles secrets lives here, outside wasm
// memory, so that the only copies in wasm memory can be those byok-wrap makes itself. The
// independent implementations are the browser's WebCrypto (RSA-OAEP, AES) and the RFCs' algorithms
// written out below on top of WebCrypto's AES (RFC 5649 key wrap with padding, ECB with PKCS#7).

const subtle = crypto.subtle;

export function randomBytes(n) { return crypto.getRandomValues(new Uint8Array(n)); }

export function randomSecret() {
  // An access key secret as Alibaba Cloud issues them: 30 letters and digits.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(30), (b) => alphabet[b % alphabet.length]).join('');
}

export function sameBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function options(entries) { return Object.fromEntries(entries); }

export const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));

/** A WebCrypto RSA-OAEP key pair, with its public key in the forms users hold. */
export async function rsaOaepPair(hash, modulusLength) {
  const pair = await subtle.generateKey(
    { name: 'RSA-OAEP', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash },
    true, ['encrypt', 'decrypt']);
  const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
  const base64 = toBase64(spki);
  const pem = `-----BEGIN PUBLIC KEY-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END PUBLIC KEY-----\n`;
  const jwk = await subtle.exportKey('jwk', pair.privateKey);
  return { privateKey: pair.privateKey, jwk, spki, base64, pem };
}

export async function ecSpkiBase64() {
  const pair = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
  return toBase64(new Uint8Array(await subtle.exportKey('spki', pair.publicKey)));
}

/** A private key to import, made and exported (PKCS#8 DER) by WebCrypto. */
export async function privateKeyPkcs8(kind) {
  const params = kind.startsWith('RSA')
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: Number(kind.slice(4)), publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: kind.slice(3) };
  const pair = await subtle.generateKey(params, true, ['sign', 'verify']);
  return new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
}

export async function oaepDecrypt(privateKey, bytes) {
  return new Uint8Array(await subtle.decrypt({ name: 'RSA-OAEP' }, privateKey, bytes));
}

/** AES encryption of one block (AES-CBC with a zero IV over one block is the raw block cipher). */
async function aesBlock(key, block) {
  const k = await subtle.importKey('raw', key, 'AES-CBC', false, ['encrypt']);
  const out = new Uint8Array(await subtle.encrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, k, block));
  return out.slice(0, 16);
}

export async function aesCheckValue(material) {
  const block = await aesBlock(material, new Uint8Array(16));
  return Array.from(block.slice(0, 3), (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/** RFC 5649 §4.1: AES key wrap with padding, on WebCrypto's AES. */
export async function kwpWrap(key, material) {
  const aiv = new Uint8Array([0xA6, 0x59, 0x59, 0xA6, 0, 0, 0, 0]);
  new DataView(aiv.buffer).setUint32(4, material.length);
  const padded = new Uint8Array(Math.ceil(material.length / 8) * 8);
  padded.set(material);
  const n = padded.length / 8;
  if (n === 1) return aesBlock(key, Uint8Array.from([...aiv, ...padded]));
  // RFC 3394 §2.2.1 with the alternative IV.
  let a = aiv;
  const r = Array.from({ length: n }, (_, i) => padded.slice(8 * i, 8 * i + 8));
  for (let j = 0; j <= 5; j++) {
    for (let i = 0; i < n; i++) {
      const b = await aesBlock(key, Uint8Array.from([...a, ...r[i]]));
      a = b.slice(0, 8);
      const t = n * j + i + 1;
      const view = new DataView(a.buffer);
      view.setUint32(4, view.getUint32(4) ^ t);
      view.setUint32(0, view.getUint32(0) ^ Math.floor(t / 2 ** 32));
      r[i] = b.slice(8);
    }
  }
  return Uint8Array.from([...a, ...r.flatMap((x) => [...x])]);
}

/** AES-ECB with PKCS#7 padding, on WebCrypto's AES. */
export async function ecbPkcs7(key, material) {
  const pad = 16 - (material.length % 16);
  const padded = Uint8Array.from([...material, ...new Array(pad).fill(pad)]);
  const out = [];
  for (let i = 0; i < padded.length; i += 16) out.push(...await aesBlock(key, padded.slice(i, i + 16)));
  return Uint8Array.from(out);
}

// ---- what a leak would look like: values derived from a secret, to search for ------------------

const fromB64Url = (s) => fromBase64(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
const toBig = (bytes) => bytes.reduce((x, b) => (x << 8n) | BigInt(b), 0n);
function toBytes(x, len) {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}
function modPow(base, exp, mod) {
  let result = 1n;
  base %= mod;
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % mod;
    base = (base * base) % mod;
    exp >>= 1n;
  }
  return result;
}
const xor = (a, b) => a.map((x, i) => x ^ b[i]);

async function mgf1(hash, seed, len) {
  const out = [];
  for (let counter = 0; out.length < len; counter++) {
    const c = new Uint8Array(4);
    new DataView(c.buffer).setUint32(0, counter);
    out.push(...new Uint8Array(await subtle.digest(hash, Uint8Array.from([...seed, ...c]))));
  }
  return Uint8Array.from(out.slice(0, len));
}

/**
 * The raw RSA decryption of `ciphertext` with the private key (CRT, on BigInt), and everything
 * that the encryption computed from it that would reveal the material: the encoded message EM
 * (big-endian, and byte-reversed as little-endian bignum limbs hold it), its Montgomery form
 * (EM·2^(8k) mod n, little-endian), and for OAEP the seed, both masks and maskedDB; for PKCS#1
 * v1.5 the random padding string.
 */
export async function rsaNeedles(jwk, hash, ciphertext) {
  const [n, p, q, dp, dq, qi] = ['n', 'p', 'q', 'dp', 'dq', 'qi'].map((f) => toBig(fromB64Url(jwk[f])));
  const k = fromB64Url(jwk.n).length;
  const c = toBig(ciphertext.slice(0, k));
  const m1 = modPow(c, dp, p);
  const m2 = modPow(c, dq, q);
  const h = (qi * ((m1 - m2 + p) % p)) % p;
  const m = m2 + h * q;
  const em = toBytes(m, k);
  const reversed = em.slice().reverse();
  const montgomery = toBytes((m << BigInt(8 * k)) % n, k).reverse();
  const needles = { em: em.slice(1), emReversed: reversed, montgomery };
  if (em[1] === 2) {
    // PKCS#1 v1.5: 00 02 PS 00 M.
    needles.padding = em.slice(2, em.indexOf(0, 2));
  } else {
    const hLen = hash === 'SHA-1' ? 20 : 32;
    const maskedSeed = em.slice(1, 1 + hLen);
    const maskedDb = em.slice(1 + hLen);
    const seedMask = await mgf1(hash, maskedDb, hLen);
    const seed = xor(maskedSeed, seedMask);
    const dbMask = await mgf1(hash, seed, k - hLen - 1);
    Object.assign(needles, { seed, seedMask, dbMask: dbMask.slice(-64), maskedDb: maskedDb.slice(-64) });
  }
  return needles;
}

const rotl8 = (x, s) => ((x << s) | (x >> (8 - s))) & 0xff;
const AES_SBOX = (() => {
  const s = new Uint8Array(256);
  let p = 1;
  let q = 1;
  do {
    p = (p ^ ((p << 1) & 0xff) ^ (p & 0x80 ? 0x1b : 0)) & 0xff;
    q ^= q << 1; q ^= q << 2; q ^= q << 4; q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    s[p] = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63;
  } while (p !== 1);
  s[0] = 0x63;
  return s;
})();
const xtime = (a) => ((a << 1) ^ (a & 0x80 ? 0x1b : 0)) & 0xff;

/**
 * FIPS-197 written out for the needles: the expanded key (every round key after the first, which
 * is the key), the state after each round, and the whole output block of the zero block, of which
 * a key check value shows only 3 bytes.
 */
export function aesNeedles(key) {
  const nk = key.length / 4;
  const rounds = nk + 6;
  const w = new Uint8Array(16 * (rounds + 1));
  w.set(key);
  let rcon = 1;
  for (let i = nk; i < 4 * (rounds + 1); i++) {
    let t = w.slice(4 * i - 4, 4 * i);
    if (i % nk === 0) {
      t = Uint8Array.of(AES_SBOX[t[1]] ^ rcon, AES_SBOX[t[2]], AES_SBOX[t[3]], AES_SBOX[t[0]]);
      rcon = xtime(rcon);
    } else if (nk > 6 && i % nk === 4) {
      t = t.map((b) => AES_SBOX[b]);
    }
    for (let j = 0; j < 4; j++) w[4 * i + j] = w[4 * (i - nk) + j] ^ t[j];
  }
  const needles = { schedule: w.slice(16) };
  let state = w.slice(0, 16);
  for (let round = 1; round <= rounds; round++) {
    const s = state.map((b) => AES_SBOX[b]);
    const shifted = new Uint8Array(16);
    for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) shifted[4 * c + r] = s[4 * ((c + r) % 4) + r];
    if (round !== rounds) {
      for (let c = 0; c < 4; c++) {
        const [a0, a1, a2, a3] = shifted.slice(4 * c, 4 * c + 4);
        const all = a0 ^ a1 ^ a2 ^ a3;
        shifted[4 * c] ^= all ^ xtime(a0 ^ a1);
        shifted[4 * c + 1] ^= all ^ xtime(a1 ^ a2);
        shifted[4 * c + 2] ^= all ^ xtime(a2 ^ a3);
        shifted[4 * c + 3] ^= all ^ xtime(a3 ^ a0);
      }
    }
    state = shifted.map((b, i) => b ^ w[16 * round + i]);
    needles[round === rounds ? 'block' : `state${round}`] = state;
  }
  return needles;
}

/** The SM4 round keys (GB/T 32907 §7.3), as 32-bit words stored little-endian and big-endian. */
export function sm4Needles(key) {
  const SBOX = fromHex('d690e9fecce13db716b614c228fb2c052b679a762abe04c3aa441326498606999c4250f491ef987a33540b43edcfac62e4b31ca9c908e89580df94fa758f3fa64707a7fcf37317ba83593c19e6854fa8686b81b27164da8bf8eb0f4b70569d351e240e5e6358d1a225227c3b01217887d40046579fd327524c3602e7a0c4c89eeabf8ad240c738b5a3f7f2cef96115a1e0ae5da49b341a55ad933230f58cb1e31df6e22e8266ca60c02923ab0d534e6fd5db3745defd8e2f03ff6a726d6c5b518d1baf92bbddbc7f11d95c411f105ad80ac13188a5cd7bbd2d74d012b8e5b4b08969974a0c96777e65b9f109c56ec68418f07dec3adc4d2079ee5f3ed7cb3948');
  const FK = [0xA3B1BAC6, 0x56AA3350, 0x677D9197, 0xB27022DC];
  const rotl = (x, s) => ((x << s) | (x >>> (32 - s))) >>> 0;
  const tau = (x) => ((SBOX[x >>> 24] << 24) | (SBOX[(x >>> 16) & 0xff] << 16) | (SBOX[(x >>> 8) & 0xff] << 8) | SBOX[x & 0xff]) >>> 0;
  const view = new DataView(key.buffer, key.byteOffset);
  const k = [0, 1, 2, 3].map((i) => (view.getUint32(4 * i) ^ FK[i]) >>> 0);
  for (let i = 0; i < 32; i++) {
    const ck = [0, 1, 2, 3].reduce((x, j) => (x << 8) | (((4 * i + j) * 7) & 0xff), 0) >>> 0;
    const b = tau((k[i + 1] ^ k[i + 2] ^ k[i + 3] ^ ck) >>> 0);
    k.push((k[i] ^ b ^ rotl(b, 13) ^ rotl(b, 23)) >>> 0);
  }
  const rk = k.slice(4);
  const le = new Uint8Array(128);
  const be = new Uint8Array(128);
  rk.forEach((x, i) => { new DataView(le.buffer).setUint32(4 * i, x, true); new DataView(be.buffer).setUint32(4 * i, x); });
  return { roundKeysLittleEndian: le, roundKeysBigEndian: be };
}

function fromHex(hex) { return Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16)); }

/** HMAC-SHA256's key blocks for `secret` (RFC 2104): K ⊕ ipad and K ⊕ opad. */
export function hmacNeedles(secret) {
  const key = new Uint8Array(64);
  key.set(new TextEncoder().encode(secret));
  const len = new TextEncoder().encode(secret).length;
  return {
    innerPad: key.map((b) => b ^ 0x36).slice(0, len),
    outerPad: key.map((b) => b ^ 0x5c).slice(0, len),
  };
}

function indexOf(hay, needle, from = 0) {
  for (let i = hay.indexOf(needle[0], from); i !== -1 && i + needle.length <= hay.length; i = hay.indexOf(needle[0], i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/**
 * The names of the needles (an object of name → bytes) of which any 16-byte window (8 for
 * shorter needles) occurs in wasm memory: a freed buffer whose first bytes the allocator reused
 * still counts as a copy.
 */
export function leaks(memory, needles) {
  const hay = new Uint8Array(memory.buffer);
  const found = [];
  for (const [name, needle] of Object.entries(needles)) {
    const size = needle.length >= 32 ? 16 : 8;
    for (let at = 0; at + size <= needle.length; at += size) {
      if (indexOf(hay, needle.subarray(at, at + size)) !== -1) {
        found.push(name);
        break;
      }
    }
  }
  return found;
}

/** How many times `needle` occurs in wasm memory. */
export function occurrences(memory, needle) {
  const hay = new Uint8Array(memory.buffer);
  let count = 0;
  for (let i = indexOf(hay, needle); i !== -1; i = indexOf(hay, needle, i + 1)) count++;
  return count;
}

export const utf8 = (text) => new TextEncoder().encode(text);
