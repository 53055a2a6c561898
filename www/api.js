// The two APIs byok-kms speaks, as the console uses them: which client of byok-wrap talks to it,
// and where its replies keep what the page shows. Only reading and naming: which algorithms a
// cloud has is byok-wrap's table (importRules), and every rule of a call is the KMS's.
import { AwsKmsClient, KmsClient } from '/pkg/byok_wrap.js';
import { takesPrivateKey } from './page.js';

const seconds = (value) => (typeof value === 'number' && value > 0 ? new Date(value * 1000).toISOString() : '');

export const APIS = {
  alibaba: {
    cloud: 'alibaba',
    title: 'Alibaba Cloud KMS API',
    idLabel: 'AccessKeyId',
    secretLabel: 'AccessKeySecret',
    client: ({ accessKeyId, secret }) => new KmsClient({ endpoint: location.origin, accessKeyId, accessKeySecret: secret }),
    probe: (client) => client.listKeys({ pageSize: 1 }),
    async keyIds(client) {
      const page = await client.listKeys({ pageSize: 100 });
      return { ids: page.Keys.Key.map((k) => k.KeyId), total: page.TotalCount };
    },
    expires: (key) => key.MaterialExpireTime || '',
    tokenValidUntil: (params) => params.TokenExpireTime,
    deleteMaterial: (client, keyId) => client.deleteKeyMaterial(keyId),
    fields: ['KeyId', 'KeyState', 'Origin', 'KeySpec', 'KeyUsage', 'ProtectionLevel', 'CreationDate',
      'MaterialExpireTime', 'DeleteDate', 'Arn', 'Description'],
    createKey: async (client, { spec, usage, description, tags }) => (await client.call('CreateKey', {
      KeySpec: spec, KeyUsage: usage, Origin: 'EXTERNAL', Description: description,
      ...(tags.length ? { Tags: JSON.stringify(tags) } : {}),
    })).KeyMetadata,
    createAlias: (client, alias, keyId) => client.call('CreateAlias', { AliasName: alias, KeyId: keyId }),
    usages: ['ENCRYPT/DECRYPT', 'SIGN/VERIFY'],
    defaultUsage: (spec) => (takesPrivateKey(spec) ? 'SIGN/VERIFY' : 'ENCRYPT/DECRYPT'),
    manages: true,
  },
  aws: {
    cloud: 'aws',
    title: 'AWS KMS API',
    idLabel: 'Access key ID',
    secretLabel: 'Secret access key',
    client: ({ accessKeyId, secret, region }) => new AwsKmsClient({ region, endpoint: location.origin, accessKeyId, secretAccessKey: secret }),
    probe: (client) => client.listKeys({ limit: 1 }),
    async keyIds(client) {
      const page = await client.listKeys({ limit: 100 });
      return { ids: page.Keys.map((k) => k.KeyId), total: page.Truncated ? `${page.Keys.length}+` : page.Keys.length };
    },
    expires: (key) => seconds(key.ValidTo),
    tokenValidUntil: (params) => seconds(params.ParametersValidTo),
    deleteMaterial: (client, keyId) => client.deleteImportedKeyMaterial({ keyId }),
    fields: ['KeyId', 'KeyState', 'Origin', 'KeySpec', 'KeyUsage', 'CreationDate', 'ExpirationModel', 'ValidTo',
      'CurrentKeyMaterialId', 'DeletionDate', 'Arn', 'Description'],
    createKey: async (client, { spec, usage, description, tags }) => (await client.call('CreateKey', {
      KeySpec: spec, KeyUsage: usage, Origin: 'EXTERNAL', Description: description,
      ...(tags.length ? { Tags: tags } : {}),
    })).KeyMetadata,
    createAlias: (client, alias, keyId) => client.createAlias({ aliasName: alias, targetKeyId: keyId }),
    usages: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC'],
    defaultUsage: (spec) => (spec.startsWith('HMAC_') ? 'GENERATE_VERIFY_MAC' : takesPrivateKey(spec) ? 'SIGN_VERIFY' : 'ENCRYPT_DECRYPT'),
    manages: false,
  },
};

/** What a metadata field shows: AWS's timestamps are Unix seconds. */
export function fieldText(key, field) {
  const value = key[field];
  if (value === '' || value === undefined || value === null) return '—';
  if (typeof value === 'number' && /Date|ValidTo/.test(field)) return seconds(value);
  return String(value);
}
