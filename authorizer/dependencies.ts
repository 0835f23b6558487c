import type { Config, SecretStore } from '../core';
import { SecretApiKeyDirectory } from './api-key-directory';
import type { AuthorizeDependencies } from './authorize';
import { CognitoIdTokenVerifier } from './id-token-verifier';

/**
 * What {@link authorize} checks against, from config: the API-key secret through `secrets`, and
 * the user pool's ID tokens when `config.auth.signIn` names a pool. Build it once per process:
 * the verifier keeps the pool's JWKS.
 */
export function authorizerDependencies(config: Config, secrets: SecretStore): AuthorizeDependencies {
  const { signIn } = config.auth;
  return {
    apiKeys: new SecretApiKeyDirectory(secrets, config.apiKeySecretId),
    idTokens: signIn === undefined ? undefined : new CognitoIdTokenVerifier(signIn),
  };
}
