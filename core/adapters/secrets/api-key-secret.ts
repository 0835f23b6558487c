import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateApiKey, parseApiKeySecret, type ApiKeyEntry } from '../../auth/api-keys';
import { asDependencyError } from '../dependency-error';

/**
 * Rewrites the API-key secret (`{"keys": ApiKeyEntry[]}`) with `change` applied to its entries.
 * Read-modify-write: Secrets Manager has no conditional update, so two writers at the same moment
 * can lose one entry; key management is an operator's (or a test's set-up) job, not a hot path.
 *
 * @throws DependencyError (retriable) or DependencyRejectedError when Secrets Manager fails; ConfigError when the secret is not valid JSON.
 */
async function rewriteKeys(client: SecretsManagerClient, secretId: string, change: (keys: readonly ApiKeyEntry[]) => ApiKeyEntry[]): Promise<void> {
  try {
    const current = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const { keys } = parseApiKeySecret(current.SecretString);
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify({ keys: change(keys) }) }));
  } catch (error) {
    throw asDependencyError('Secrets Manager', `update ${secretId}`, error);
  }
}

/**
 * Adds an API key for `customerId` to the secret and returns the key (shown once; only its
 * SHA-256 is stored). Used by `ingest keys create`, the bench and tests.
 *
 * @throws InvalidParameterError when `customerId` is not a valid customer id.
 * @throws DependencyError when Secrets Manager fails.
 * @example
 * const key = await createApiKey(clients.secrets, config.apiKeySecretId, 'acme');
 */
export async function createApiKey(client: SecretsManagerClient, secretId: string, customerId: string): Promise<{ key: string; entry: ApiKeyEntry }> {
  const created = generateApiKey(customerId);
  await rewriteKeys(client, secretId, (keys) => [...keys, created.entry]);
  return created;
}

/**
 * Removes the key whose hash is `sha256` from the secret (nothing happens when it is absent).
 *
 * @throws DependencyError when Secrets Manager fails.
 */
export async function revokeApiKey(client: SecretsManagerClient, secretId: string, sha256: string): Promise<void> {
  await rewriteKeys(client, secretId, (keys) => keys.filter((k) => k.sha256 !== sha256));
}
