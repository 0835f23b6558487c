/**
 * The API-key secret's writers (`core/adapters/secrets/api-key-secret.ts`) on Secrets Manager (moto):
 * a created key is found by the same lookup the API uses, and revoking one key leaves the others.
 */
import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createAwsClients, destroyAwsClients, findCustomerForKey, loadConfig, parseApiKeySecret, type AwsClients, type Config } from '../../core';
import { createApiKey, revokeApiKey } from '../../core/adapters/secrets/api-key-secret';

let config: Config;
let clients: AwsClients;

beforeAll(() => {
  config = loadConfig();
  clients = createAwsClients(config);
});

afterAll(() => destroyAwsClients(clients));

async function currentSecret() {
  const value = await clients.secrets.send(new GetSecretValueCommand({ SecretId: config.apiKeySecretId }));
  return parseApiKeySecret(value.SecretString);
}

describe('the API-key secret', () => {
  it('createApiKey stores only the hash of a key the API then resolves to its customer; revokeApiKey removes exactly that key', async () => {
    const run = randomUUID().slice(0, 8);
    const first = await createApiKey(clients.secrets, config.apiKeySecretId, `keys-a-${run}`);
    const second = await createApiKey(clients.secrets, config.apiKeySecretId, `keys-b-${run}`);

    const after = await currentSecret();
    expect(JSON.stringify(after)).not.toContain(first.key);
    expect(findCustomerForKey(after, first.key)).toBe(`keys-a-${run}`);
    expect(findCustomerForKey(after, second.key)).toBe(`keys-b-${run}`);

    await revokeApiKey(clients.secrets, config.apiKeySecretId, first.entry.sha256);
    const revoked = await currentSecret();
    expect(findCustomerForKey(revoked, first.key)).toBeUndefined();
    expect(findCustomerForKey(revoked, second.key)).toBe(`keys-b-${run}`);
    await revokeApiKey(clients.secrets, config.apiKeySecretId, second.entry.sha256);
  });

  it('refuses an invalid customer id before writing anything', async () => {
    const before = await currentSecret();
    await expect(createApiKey(clients.secrets, config.apiKeySecretId, 'has space')).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
    expect((await currentSecret()).keys.length).toBe(before.keys.length);
  });
});
