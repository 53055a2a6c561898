// byok-wrap: the package entry for browsers and bundlers.
export * from './byok_wrap.js';
export { default } from './byok_wrap.js';
export { KmsClient, importKeyMaterial } from './client.js';
