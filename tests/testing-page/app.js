// An application's import page, as small as it gets: a new EXTERNAL key, fresh material wrapped
// here by byok-wrap and imported; the key's state shown. The access key comes in the URL
// fragment (never sent to a server) from the test that opens the page.
import init, { KmsClient, generateKeyMaterial, importKeyMaterial } from '/pkg/byok_wrap.js';

const credentials = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, '', location.pathname);
await init();
const client = new KmsClient({
  endpoint: location.origin,
  accessKeyId: credentials.get('ak'),
  accessKeySecret: credentials.get('sk'),
});
const button = document.querySelector('button');
const status = document.querySelector('[role=status]');
button.addEventListener('click', async () => {
  try {
    const key = await client.createKey({ origin: 'EXTERNAL', keySpec: 'Aliyun_AES_256' });
    const material = generateKeyMaterial('Aliyun_AES_256');
    const imported = await importKeyMaterial(client, { keyId: key.KeyId, material });
    material.fill(0);
    status.textContent = imported.KeyState;
  } catch (error) {
    status.textContent = `${error.code}: ${error.message}`;
  }
});
button.disabled = false;
