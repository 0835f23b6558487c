import { UnauthorizedError, assertCustomerIdBounds } from '../core';

/** Which kind of credential a caller presented. */
export type CredentialKind = 'api-key' | 'jwt';

/** Who the caller is, as the authorizer decided. */
export interface Authorization {
  customerId: string;
  credential: CredentialKind;
}

/**
 * The ID token claim that names the customer: a Cognito custom attribute, which the app client
 * may read but not write, so a user cannot change it (docs/authentication.md).
 */
export const CUSTOMER_ID_CLAIM = 'custom:customer_id' as const;

/** The one credential header: `Authorization: Bearer <API key or ID token>` (RFC 6750 §2.1). */
export const CREDENTIAL_HEADER = 'authorization' as const;

/** API keys begin with this prefix (core/auth/api-keys.ts `generateApiKey`). */
export const API_KEY_PREFIX = 'ik_' as const;

/** The request header the API used to take keys from; now refused with a pointer to {@link CREDENTIAL_HEADER}. */
export const RETIRED_API_KEY_HEADER = 'x-api-key' as const;

/** Port: which customer owns an API key. */
export interface ApiKeyDirectory {
  /**
   * The customer owning `key`, or undefined for an unknown key.
   * @throws DependencyError when the key store cannot be read.
   */
  customerForKey(key: string): Promise<string | undefined>;
}

/** Port: checks an ID token (signature, expiry, issuer, audience, token use) and returns its claims. */
export interface IdTokenVerifier {
  /**
   * The verified token's claims.
   * @throws UnauthorizedError naming what is wrong with the token.
   * @throws DependencyError when the user pool's keys cannot be fetched.
   */
  verify(token: string): Promise<Readonly<Record<string, unknown>>>;
}

/** What {@link authorize} checks credentials against. */
export interface AuthorizeDependencies {
  apiKeys: ApiKeyDirectory;
  /** ID tokens; `undefined` when no user pool is configured, and then only API keys are accepted. */
  idTokens: IdTokenVerifier | undefined;
}

/** A JWS compact serialization: three base64url parts (RFC 7515 §7.1). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Header values by lower-case name; API Gateway passes names as the client sent them. */
function lowerCaseHeaders(headers: Readonly<Record<string, string | undefined>> | null | undefined): Map<string, string> {
  const lowered = new Map<string, string>();
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) lowered.set(name.toLowerCase(), value);
  return lowered;
}

/**
 * Decides who is calling from the request's headers: `Authorization: Bearer <credential>`, where
 * the credential is an API key (`ik_…`, checked against the hashed keys) or a Cognito ID token
 * (a JWT, verified against the user pool; the customer is its `custom:customer_id` claim). The
 * same code runs in the Lambda REQUEST authorizer and in the local HTTP adapter.
 *
 * @param headers the request's headers, any case.
 * @throws UnauthorizedError with the reason: no credential, only the retired `x-api-key` header,
 *   not a Bearer credential, an unknown API key, a malformed/expired/wrongly signed token, a token
 *   for another app client or user pool, or one without a valid customer claim.
 * @throws DependencyError when the key secret or the user pool's keys cannot be read.
 * @example
 * const { customerId } = await authorize({ Authorization: `Bearer ${key}` }, { apiKeys, idTokens });
 */
export async function authorize(headers: Readonly<Record<string, string | undefined>> | null | undefined, deps: AuthorizeDependencies): Promise<Authorization> {
  const lowered = lowerCaseHeaders(headers);
  const authorization = lowered.get(CREDENTIAL_HEADER)?.trim() ?? '';
  if (authorization === '') {
    if ((lowered.get(RETIRED_API_KEY_HEADER) ?? '') !== '') {
      throw new UnauthorizedError('the x-api-key header is no longer accepted: send the key as "Authorization: Bearer <key>"');
    }
    throw new UnauthorizedError('credentials are required: send "Authorization: Bearer <API key or ID token>"');
  }
  const credential = /^Bearer[ \t]+(\S+)$/i.exec(authorization)?.[1];
  if (credential === undefined) throw new UnauthorizedError('the Authorization header must be "Bearer <API key or ID token>"');

  if (credential.startsWith(API_KEY_PREFIX)) {
    const customerId = await deps.apiKeys.customerForKey(credential);
    if (customerId === undefined) throw new UnauthorizedError('the API key is not valid');
    return { customerId, credential: 'api-key' };
  }
  if (!JWT_SHAPE.test(credential)) throw new UnauthorizedError('the bearer credential is neither an API key (ik_…) nor a well-formed JWT');
  if (deps.idTokens === undefined) throw new UnauthorizedError('sign-in tokens are not accepted by this deployment: send an API key');
  const claims = await deps.idTokens.verify(credential);
  const customerId = claims[CUSTOMER_ID_CLAIM];
  if (customerId === undefined || customerId === null || customerId === '') {
    throw new UnauthorizedError(`the token has no ${CUSTOMER_ID_CLAIM} claim: the user is not assigned to a customer`);
  }
  try {
    assertCustomerIdBounds(customerId);
  } catch (error) {
    throw new UnauthorizedError(`the token's ${CUSTOMER_ID_CLAIM} claim is not a valid customer id`, { cause: error });
  }
  return { customerId, credential: 'jwt' };
}
