import { UnauthorizedError, findCustomerForKey, parseApiKeySecret, type SecretStore } from '../core';
import type { HttpRequest } from './http';

/**
 * The router's one authentication step: who is calling, as a customer id. The router runs it
 * before every route that is not public; an implementation reads what it trusts from the
 * request (an API key, or claims an API Gateway authorizer already checked) and never sees
 * the API Gateway event. Swap or chain implementations in `api.ts`.
 */
export interface Authenticator {
  /**
   * The customer making the request.
   * @throws UnauthorizedError when the request carries no valid credentials (HTTP 401).
   * @throws DependencyError when the credential store cannot be read (HTTP 503).
   */
  authenticate(request: Pick<HttpRequest, 'headers' | 'authorizer'>): Promise<string>;
}

/**
 * API keys from the `x-api-key` header or `Authorization: Bearer <key>`, checked against the
 * hashed keys in a Secrets Manager secret (`{"keys":[{"customerId","sha256"}]}`).
 * @example
 * const auth = new ApiKeyAuthenticator(runtime.secrets, config.apiKeySecretId);
 * const customerId = await auth.authenticate({ headers: { 'x-api-key': 'ik_…' } });
 */
export class ApiKeyAuthenticator implements Authenticator {
  constructor(
    private readonly secrets: SecretStore,
    private readonly secretId: string,
  ) {}

  async authenticate(request: Pick<HttpRequest, 'headers'>): Promise<string> {
    const { headers } = request;
    const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    const key = headers['x-api-key'] ?? bearer;
    if (key === undefined || key === '') throw new UnauthorizedError('an API key is required: send it as x-api-key or Authorization: Bearer');
    // The secret store keeps the secret for a short while, so this is rarely a Secrets Manager call.
    const secret = parseApiKeySecret(await this.secrets.getSecretString(this.secretId));
    const customerId = findCustomerForKey(secret, key);
    if (customerId === undefined) throw new UnauthorizedError('the API key is not valid');
    return customerId;
  }
}
