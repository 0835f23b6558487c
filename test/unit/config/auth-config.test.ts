import { ConfigError } from '../../../core/errors';
import { ENV, loadConfig, localStackEnvironment } from '../../../core/config';

const AWS_ENV = { [ENV.snsTopicArn]: 'arn:aws:sns:eu-west-1:111122223333:images', [ENV.region]: 'eu-west-1' };
const POOL = { [ENV.cognitoUserPoolId]: 'eu-west-1_AbC123', [ENV.cognitoUserPoolClientId]: '4k2abcdefghijklmno5p6q7r8s' };

describe('sign-in settings in loadConfig (docs/authentication.md)', () => {
  it('without a user pool only API keys are accepted; the cache TTL defaults to 300 s', () => {
    expect(loadConfig(AWS_ENV).auth).toEqual({ signIn: undefined, cacheTtlSeconds: 300 });
  });

  it("on AWS the issuer and JWKS are the pool's own Cognito URLs", () => {
    expect(loadConfig({ ...AWS_ENV, ...POOL }).auth.signIn).toEqual({
      userPoolId: 'eu-west-1_AbC123',
      clientId: '4k2abcdefghijklmno5p6q7r8s',
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
      jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json',
    });
  });

  it("on the local stack the issuer stays Cognito's (moto writes it) and the JWKS comes from moto's endpoint", () => {
    const signIn = loadConfig({ ...localStackEnvironment({}), [ENV.cognitoUserPoolId]: 'us-east-1_0123abcd', [ENV.cognitoUserPoolClientId]: 'abc123' }).auth.signIn;
    expect(signIn).toMatchObject({
      issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_0123abcd',
      jwksUri: 'http://127.0.0.1:5000/us-east-1_0123abcd/.well-known/jwks.json',
    });
  });

  it.each([
    [{ [ENV.cognitoUserPoolId]: 'eu-west-1_AbC123' }, 'COGNITO_USER_POOL_ID and COGNITO_USER_POOL_CLIENT_ID go together: set both or neither'],
    [{ [ENV.cognitoUserPoolClientId]: 'abc' }, 'COGNITO_USER_POOL_ID and COGNITO_USER_POOL_CLIENT_ID go together: set both or neither'],
    [{ ...POOL, [ENV.cognitoUserPoolId]: 'not a pool' }, 'COGNITO_USER_POOL_ID must look like "eu-west-1_AbC123", got "not a pool"'],
    [{ ...POOL, [ENV.cognitoUserPoolClientId]: 'a/b' }, 'COGNITO_USER_POOL_CLIENT_ID must be 1-128 letters, digits, "_" or "+", got "a/b"'],
    [{ [ENV.authorizerCacheTtlSeconds]: '3601' }, 'AUTHORIZER_CACHE_TTL_SECONDS must be an integer between 0 and 3600, got "3601"'],
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => loadConfig({ ...AWS_ENV, ...env })).toThrow(new ConfigError(message));
  });

  it('accepts a TTL of 0 (no caching)', () => {
    expect(loadConfig({ ...AWS_ENV, [ENV.authorizerCacheTtlSeconds]: '0' }).auth.cacheTtlSeconds).toBe(0);
  });
});
