/** The authorizer: who is calling, from `Authorization: Bearer <API key or ID token>` (docs/authentication.md). */
export {
  API_KEY_PREFIX,
  CREDENTIAL_HEADER,
  CUSTOMER_ID_CLAIM,
  RETIRED_API_KEY_HEADER,
  authorize,
  type ApiKeyDirectory,
  type Authorization,
  type AuthorizeDependencies,
  type CredentialKind,
  type IdTokenVerifier,
} from './authorize';
export { SecretApiKeyDirectory } from './api-key-directory';
export { CognitoIdTokenVerifier, plainHttpFetcher, type CognitoIdTokenVerifierOptions } from './id-token-verifier';
export { authorizerDependencies } from './dependencies';
export { allowPolicy, apiResourcesFor } from './policy';
