import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretStore } from '../../ports';
import { asDependencyError } from '../dependency-error';

/** Options for {@link SecretsManagerStore}. */
export interface SecretCacheOptions {
  /**
   * How long a value is reused before it is read again; keys added with `ingest keys create`
   * take effect within this time.
   * @default 60000
   */
  ttlMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** {@link SecretStore} on Secrets Manager with a short in-process cache. */
export class SecretsManagerStore implements SecretStore {
  private readonly cache = new Map<string, { value: Promise<string>; expires: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: SecretsManagerClient,
    options: SecretCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  getSecretString(secretId: string): Promise<string> {
    const cached = this.cache.get(secretId);
    if (cached && cached.expires > this.now()) return cached.value;
    const value = this.client.send(new GetSecretValueCommand({ SecretId: secretId })).then(
      (result) => {
        if (result.SecretString === undefined) throw new Error(`secret ${secretId} has no string value`);
        return result.SecretString;
      },
      (error: unknown) => {
        throw asDependencyError('Secrets Manager', `GetSecretValue ${secretId}`, error);
      },
    );
    this.cache.set(secretId, { value, expires: this.now() + this.ttlMs });
    // A failed read is not cached: the next call tries again.
    value.catch(() => this.cache.delete(secretId));
    return value;
  }
}
