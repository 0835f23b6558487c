import { UnauthorizedError } from '../core';
import type { HttpRequest } from './http';

/**
 * The router's one authentication step: who is calling, as a customer id. The router runs it
 * before every route that is not public; an implementation reads what it trusts from the
 * request (e.g. what an API Gateway authorizer already checked) and never sees the API Gateway
 * event. Swap or chain implementations in `api.ts`.
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
 * Trusts the gateway: the customer id the Lambda REQUEST authorizer (`authorizer/`) put in its
 * context, which API Gateway passes as `requestContext.authorizer.customerId` (the local HTTP
 * adapter runs the same authorizer and sets the same field). Every `/v1` method has the
 * authorizer, so a request without the field never came through the gateway's check.
 * @example
 * const auth = new GatewayAuthorizerAuthenticator();
 * const customerId = await auth.authenticate({ headers: {}, authorizer: { customerId: 'acme' } });
 */
export class GatewayAuthorizerAuthenticator implements Authenticator {
  async authenticate(request: Pick<HttpRequest, 'headers' | 'authorizer'>): Promise<string> {
    const customerId = request.authorizer?.customerId;
    if (typeof customerId !== 'string' || customerId === '') {
      throw new UnauthorizedError('credentials are required: send "Authorization: Bearer <API key or ID token>"');
    }
    return customerId;
  }
}
