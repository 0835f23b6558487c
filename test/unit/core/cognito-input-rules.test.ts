/**
 * Cognito's input rules as `ingest login` and `ensureUser` apply them before any call: the user
 * name pattern (API Reference, AdminCreateUser `Username`) and a pool's password policy, stated
 * in words without echoing the password.
 */
import { InvalidParameterError } from '../../../core';
import { COGNITO_USERNAME_RULE, DEFAULT_PASSWORD_POLICY, assertCognitoUsername, assertPasswordMeetsPolicy, describePasswordPolicy } from '../../../core/adapters/cognito/user-pool';

describe('assertCognitoUsername', () => {
  it.each([['alice'], ['alice@example.com'], ['Ünïcødé'], ['a.b-c_d+e'], ['写真'], ['a'.repeat(128)]])('accepts %j', (name) => {
    expect(() => assertCognitoUsername(name)).not.toThrow();
  });

  it.each([[''], ['alice smith'], ['tab\there'], ['line\nbreak'], ['nbsp\u00a0name'], ['del\u007f'], ['a'.repeat(129)]])('refuses %j, stating the rule and naming the parameter', (name) => {
    expect(() => assertCognitoUsername(name, '<user>')).toThrow(InvalidParameterError);
    expect(() => assertCognitoUsername(name, '<user>')).toThrow(`Expected ${COGNITO_USERNAME_RULE} for <user>`);
  });
});

describe('assertPasswordMeetsPolicy', () => {
  it('states Cognito\'s default policy in words', () => {
    expect(describePasswordPolicy(DEFAULT_PASSWORD_POLICY)).toBe(
      'at least 8 and at most 256 characters, no spaces, with an upper-case letter (A-Z), a lower-case letter (a-z), a digit (0-9) and a symbol (one of ^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+-)',
    );
  });

  it.each([['Dev-pool-password-1'], ['Aa1!aaaa'], ['Aa1^aaaa'], ['Zz9`zzzz']])('accepts %j under the default policy', (password) => {
    expect(() => assertPasswordMeetsPolicy(password, DEFAULT_PASSWORD_POLICY)).not.toThrow();
  });

  it.each([
    ['Aa1!aaa', 'it has 7 characters'],
    ['aa1!aaaa', 'it has no upper-case letter'],
    ['AA1!AAAA', 'it has no lower-case letter'],
    ['Aa!!aaaa', 'it has no digit'],
    ['Aa11aaaa', 'it has no symbol'],
    ['Aa1! aaaa', 'it contains a space'],
    [`Aa1!${'a'.repeat(253)}`, 'it has 257 characters'],
  ])('refuses %j: %s, never echoing it', (password, shortfall) => {
    let message = '';
    try {
      assertPasswordMeetsPolicy(password, DEFAULT_PASSWORD_POLICY, '--password');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`--password does not meet the user pool's password policy (${describePasswordPolicy(DEFAULT_PASSWORD_POLICY)})`);
    expect(message).toContain(shortfall);
    expect(message).not.toContain(password);
  });

  it('follows the pool\'s own policy: 12 characters, no symbol needed', () => {
    const policy = { ...DEFAULT_PASSWORD_POLICY, minimumLength: 12, requireSymbols: false };
    expect(() => assertPasswordMeetsPolicy('Aa1aaaaaaaaa', policy)).not.toThrow();
    expect(() => assertPasswordMeetsPolicy('Aa1!aaaa', policy)).toThrow('it has 8 characters');
    expect(describePasswordPolicy(policy)).not.toContain('symbol');
  });
});
