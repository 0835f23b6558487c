import { findCustomerForKey, parseApiKeySecret, type SecretStore } from '../core';
import type { ApiKeyDirectory } from './authorize';

/**
 * API keys checked against the hashed keys in the Secrets Manager secret
 * (`{"keys":[{"customerId","sha256"}]}`); the secret store caches the secret briefly.
 * @example
 * const apiKeys = new SecretApiKeyDirectory(new SecretsManagerStore(clients.secrets), config.apiKeySecretId);
 */
export class SecretApiKeyDirectory implements ApiKeyDirectory {
  constructor(
    private readonly secrets: SecretStore,
    private readonly secretId: string,
  ) {}

  /** @throws DependencyError when the secret cannot be read. */
  async customerForKey(key: string): Promise<string | undefined> {
    return findCustomerForKey(parseApiKeySecret(await this.secrets.getSecretString(this.secretId)), key);
  }
}
