// byok-wrap for Node.js (>= 20). The browser build fetches its .wasm from a URL next to the module;
// Node's fetch cannot read file: URLs, so here the default `init()` reads the file from disk.
// Everything else is the same module.
import { readFile } from 'node:fs/promises';
import initWasm from './byok_wrap.js';

export * from './byok_wrap.js';

/**
 * Loads the WebAssembly module. Call once and await it before anything else; later calls return at
 * once. With no argument the `.wasm` file shipped in this package is read from disk.
 */
export default async function init(options) {
  if (options === undefined) {
    options = { module_or_path: await readFile(new URL('./byok_wrap_bg.wasm', import.meta.url)) };
  }
  return initWasm(options);
}
