/**
 * authorize() over in-memory ports (an API-key directory and an ID-token verifier), and the real
 * CognitoIdTokenVerifier (aws-jwt-verify) with a JWKS of a key made here: each refusal names its
 * reason. Tokens are signed in this test with its own RSA keys (test/helpers/jwt.ts).
 */
import { UnauthorizedError, DependencyError, type SignInConfig } from '../../../core';
import {
  CUSTOMER_ID_CLAIM,
  CognitoIdTokenVerifier,
  allowPolicy,
  apiResourcesFor,
  authorize,
  type ApiKeyDirectory,
  type AuthorizeDependencies,
  type IdTokenVerifier,
} from '../../../authorizer';
import { usageIdentifierKeyFor } from '../../../core/limits/usage-identifier';
import { freshRsaKey, signRs256 } from '../../helpers/jwt';

const KEYS: Record<string, string> = { ik_acme_key: 'acme', ik_beta_key: 'beta' };
const apiKeys: ApiKeyDirectory = { customerForKey: (key) => Promise.resolve(KEYS[key]) };
/** Accepts tokens whose payload part is the JSON of the claims (only the shape matters to authorize). */
const claimsVerifier: IdTokenVerifier = {
  verify: (token) => Promise.resolve(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>),
};
const deps: AuthorizeDependencies = { apiKeys, idTokens: claimsVerifier };
const tokenWith = (claims: Record<string, unknown>): string => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe('authorize: API keys and ID tokens in Authorization: Bearer', () => {
  it.each([
    ['an API key', { Authorization: 'Bearer ik_acme_key' }, { customerId: 'acme', credential: 'api-key' }],
    ['any header case and scheme case', { AUTHORIZATION: 'bearer ik_beta_key' }, { customerId: 'beta', credential: 'api-key' }],
    ['an ID token with the customer claim', { authorization: `Bearer ${tokenWith({ [CUSTOMER_ID_CLAIM]: 'gamma' })}` }, { customerId: 'gamma', credential: 'jwt' }],
  ])('%s names the customer', async (_name, headers, expected) => {
    await expect(authorize(headers, deps)).resolves.toEqual(expected);
  });

  it.each([
    ['no credential', {}, 'credentials are required: send "Authorization: Bearer <API key or ID token>"'],
    ['an empty Authorization', { authorization: '  ' }, 'credentials are required: send "Authorization: Bearer <API key or ID token>"'],
    ['a valid key only as x-api-key', { 'x-api-key': 'ik_acme_key' }, 'the x-api-key header is no longer accepted: send the key as "Authorization: Bearer <key>"'],
    ['a bare Bearer', { authorization: 'Bearer' }, 'the Authorization header must be "Bearer <API key or ID token>"'],
    ['Basic credentials', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, 'the Authorization header must be "Bearer <API key or ID token>"'],
    ['an unknown API key', { authorization: 'Bearer ik_not-a-real-key' }, 'the API key is not valid'],
    ['neither a key nor a JWT', { authorization: 'Bearer hello' }, 'the bearer credential is neither an API key (ik_…) nor a well-formed JWT'],
    ['a token without the customer claim', { authorization: `Bearer ${tokenWith({ sub: 'u' })}` }, 'the token has no custom:customer_id claim: the user is not assigned to a customer'],
    ['a token whose customer claim is not a customer id', { authorization: `Bearer ${tokenWith({ [CUSTOMER_ID_CLAIM]: 'a b/c' })}` }, "the token's custom:customer_id claim is not a valid customer id"],
  ])('%s is refused', async (_name, headers, message) => {
    const refused = authorize(headers, deps);
    await expect(refused).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(refused).rejects.toThrow(message);
  });

  it('a JWT where no user pool is configured is refused, an API key still works', async () => {
    const keysOnly: AuthorizeDependencies = { apiKeys, idTokens: undefined };
    await expect(authorize({ authorization: `Bearer ${tokenWith({ [CUSTOMER_ID_CLAIM]: 'gamma' })}` }, keysOnly)).rejects.toThrow('sign-in tokens are not accepted by this deployment: send an API key');
    await expect(authorize({ authorization: 'Bearer ik_acme_key' }, keysOnly)).resolves.toEqual({ customerId: 'acme', credential: 'api-key' });
  });

  it('a key store that fails is a DependencyError, not a refusal', async () => {
    const failing: AuthorizeDependencies = { apiKeys: { customerForKey: () => Promise.reject(new DependencyError('Secrets Manager', 'down')) }, idTokens: undefined };
    await expect(authorize({ authorization: 'Bearer ik_acme_key' }, failing)).rejects.toBeInstanceOf(DependencyError);
  });
});

describe('CognitoIdTokenVerifier (aws-jwt-verify) names each failed check', () => {
  const kid = 'pool-key-1';
  const poolKey = freshRsaKey(kid);
  const signIn: SignInConfig = {
    userPoolId: 'eu-west-1_Pool123',
    clientId: 'appclient123',
    issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool123',
    jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool123/.well-known/jwks.json',
  };
  const verifier = new CognitoIdTokenVerifier(signIn);
  // The pool's JWKS, loaded into the library's cache: nothing is fetched.
  verifier.cacheJwks({ keys: [poolKey.jwk] });
  const now = Math.floor(Date.now() / 1000);
  const good = { iss: signIn.issuer, aud: signIn.clientId, token_use: 'id', sub: 'u-1', iat: now, exp: now + 3600, [CUSTOMER_ID_CLAIM]: 'acme' };

  it('a valid ID token gives its claims, and authorize the customer', async () => {
    const token = signRs256(good, poolKey.privateKey, kid);
    await expect(verifier.verify(token)).resolves.toMatchObject({ [CUSTOMER_ID_CLAIM]: 'acme' });
    await expect(authorize({ authorization: `Bearer ${token}` }, { apiKeys, idTokens: verifier })).resolves.toEqual({ customerId: 'acme', credential: 'jwt' });
  });

  it.each([
    ['expired', () => signRs256({ ...good, iat: now - 7200, exp: now - 3600 }, poolKey.privateKey, kid), 'the token has expired: sign in again'],
    ['signed by another key under the pool\'s kid', () => signRs256(good, freshRsaKey(kid).privateKey, kid), "the token's signature does not verify with the user pool's keys"],
    ['for another app client', () => signRs256({ ...good, aud: 'someoneelse' }, poolKey.privateKey, kid), "the token was not issued for this API's app client"],
    ['from another pool', () => signRs256({ ...good, iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other9' }, poolKey.privateKey, kid), "the token was not issued by this API's user pool"],
    ['an access token', () => signRs256({ ...good, token_use: 'access' }, poolKey.privateKey, kid), 'the token is not an ID token (token_use must be "id")'],
    ['not JSON inside', () => 'eyJhbGciOi.bm90LWpzb24.c2ln', 'the token is not a well-formed JWT'],
  ])('%s → UnauthorizedError', async (_name, token, message) => {
    const refused = verifier.verify(token());
    await expect(refused).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(refused).rejects.toThrow(message);
  });
});

describe('the REQUEST authorizer\'s policy', () => {
  const methodArn = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/POST/v1/images';

  it('allows every /v1 method of the stage, so a cached answer serves the caller\'s other routes', () => {
    expect(apiResourcesFor(methodArn)).toEqual(['arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*/v1', 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*/v1/*']);
  });

  it('carries the customer as principal and context, and its usage identifier key', () => {
    const result = allowPolicy('acme', methodArn);
    expect(result).toMatchObject({ principalId: 'acme', context: { customerId: 'acme' }, usageIdentifierKey: usageIdentifierKeyFor('acme') });
    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: apiResourcesFor(methodArn) }]);
  });

  it('refuses an ARN that is not an execute-api method ARN', () => {
    expect(() => apiResourcesFor('arn:aws:lambda:eu-west-1:123456789012:function:x')).toThrow('not an execute-api method ARN');
  });
});
