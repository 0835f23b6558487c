import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  InitiateAuthCommand,
  InvalidPasswordException,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  NotAuthorizedException,
  UserNotFoundException,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { InvalidParameterError, UnauthorizedError, invalidParameterError } from '../../errors';
import { asDependencyError } from '../dependency-error';

/** The custom attribute that carries a user's customer id; ID tokens show it as `custom:customer_id`. */
export const CUSTOMER_ID_ATTRIBUTE = 'customer_id' as const;

/** A user pool and its app client, by id. */
export interface UserPoolIds {
  userPoolId: string;
  clientId: string;
}

/** Pages read at most when looking a pool or client up by name (60 each: Cognito's MaxResults). */
const MAX_PAGES = 20;

async function findUserPool(client: CognitoIdentityProviderClient, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const listed = await client.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken: nextToken }));
    const found = listed.UserPools?.find((pool) => pool.Name === name)?.Id;
    if (found !== undefined) return found;
    nextToken = listed.NextToken;
    if (nextToken === undefined) return undefined;
  }
  return undefined;
}

async function findClient(client: CognitoIdentityProviderClient, userPoolId: string, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const listed = await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken: nextToken }));
    const found = listed.UserPoolClients?.find((c) => c.ClientName === name)?.ClientId;
    if (found !== undefined) return found;
    nextToken = listed.NextToken;
    if (nextToken === undefined) return undefined;
  }
  return undefined;
}

/**
 * The ids of the user pool and app client of these names, or undefined when either does not
 * exist; reads only (for `ingest stack status`).
 * @throws DependencyError when Cognito fails.
 */
export async function findUserPoolIds(client: CognitoIdentityProviderClient, names: { userPool: string; client: string }): Promise<UserPoolIds | undefined> {
  try {
    const userPoolId = await findUserPool(client, names.userPool);
    if (userPoolId === undefined) return undefined;
    const clientId = await findClient(client, userPoolId, names.client);
    return clientId === undefined ? undefined : { userPoolId, clientId };
  } catch (error) {
    throw asDependencyError('Cognito', `find user pool ${names.userPool}`, error);
  }
}

/**
 * Finds or creates (idempotently, by name) a user pool with the immutable `customer_id` custom
 * attribute, and an app client without a secret that allows USER_PASSWORD_AUTH, may read the
 * customer id but not write it: the local dev pool, shaped like the CDKTF one (cdktf/constructs/auth.ts).
 * @throws DependencyError when Cognito fails.
 */
export async function ensureUserPool(client: CognitoIdentityProviderClient, names: { userPool: string; client: string }): Promise<UserPoolIds> {
  try {
    let userPoolId = await findUserPool(client, names.userPool);
    if (userPoolId === undefined) {
      const created = await client.send(
        new CreateUserPoolCommand({
          PoolName: names.userPool,
          Schema: [{ Name: CUSTOMER_ID_ATTRIBUTE, AttributeDataType: 'String', Mutable: false, StringAttributeConstraints: { MinLength: '1', MaxLength: '64' } }],
        }),
      );
      userPoolId = created.UserPool?.Id;
      if (userPoolId === undefined) throw new Error(`Cognito did not return an id for user pool ${names.userPool}`);
    }
    let clientId = await findClient(client, userPoolId, names.client);
    if (clientId === undefined) {
      const created = await client.send(
        new CreateUserPoolClientCommand({
          UserPoolId: userPoolId,
          ClientName: names.client,
          GenerateSecret: false,
          ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
          ReadAttributes: [`custom:${CUSTOMER_ID_ATTRIBUTE}`, 'email'],
          WriteAttributes: ['email'],
        }),
      );
      clientId = created.UserPoolClient?.ClientId;
      if (clientId === undefined) throw new Error(`Cognito did not return an id for app client ${names.client}`);
    }
    return { userPoolId, clientId };
  } catch (error) {
    throw asDependencyError('Cognito', `ensure user pool ${names.userPool}`, error);
  }
}

/**
 * Cognito's rule for a user name, in words. Source: Amazon Cognito user pools API Reference,
 * AdminCreateUser, `Username` (shape `UsernameType`): "Length Constraints: Minimum length of 1.
 * Maximum length of 128. Pattern: `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`" — letters, marks, symbols,
 * numbers and punctuation, so no spaces (Unicode separators) and no control characters.
 */
export const COGNITO_USERNAME_RULE = 'a user name of 1-128 letters, digits, punctuation or symbols (no spaces or control characters; Cognito\'s rule)';

/** Cognito's `UsernameType` pattern (see {@link COGNITO_USERNAME_RULE}), anchored. */
const COGNITO_USERNAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u;
/** Cognito's `UsernameType` maximum, in characters. */
const COGNITO_USERNAME_MAX_CHARS = 128;

/**
 * Checks a user name against Cognito's own rule ({@link COGNITO_USERNAME_RULE}) before any call,
 * so a name Cognito would refuse (or one moto would take but Cognito would not) is refused here.
 * @throws InvalidParameterError naming `parameter`.
 * @example
 * assertCognitoUsername('alice@example.com');        // ok
 * assertCognitoUsername('alice smith', '<user>');    // throws, naming <user>
 */
export function assertCognitoUsername(username: unknown, parameter = 'username'): asserts username is string {
  if (typeof username !== 'string' || !COGNITO_USERNAME.test(username) || [...username].length > COGNITO_USERNAME_MAX_CHARS) {
    throw invalidParameterError(parameter, COGNITO_USERNAME_RULE, username);
  }
}

/** A user pool's password policy: the parts of Cognito's `PasswordPolicyType` a password is checked against. */
export interface PasswordPolicy {
  /** @default 8 (Cognito's default) */
  minimumLength: number;
  /** @default true */
  requireUppercase: boolean;
  /** @default true */
  requireLowercase: boolean;
  /** @default true */
  requireNumbers: boolean;
  /** @default true */
  requireSymbols: boolean;
}

/**
 * The characters Cognito counts as symbols in a password. Source: Amazon Cognito Developer Guide,
 * "Adding user pool password requirements" (user-pool-settings-policies): `^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + -`.
 * Upper and lower case mean the basic Latin letters, numbers the digits 0-9 (the same page).
 */
export const COGNITO_PASSWORD_SYMBOLS = '^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+-' as const;

/**
 * Cognito's longest password, and no white space: `PasswordType`, "Maximum length of 256. Pattern: `[\S]+`"
 * (API Reference, AdminSetUserPassword `Password`).
 */
const COGNITO_PASSWORD_MAX_CHARS = 256;

/** Cognito's default policy (8 characters, upper, lower, digit, symbol): what a pool without its own has. */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { minimumLength: 8, requireUppercase: true, requireLowercase: true, requireNumbers: true, requireSymbols: true };

/**
 * A password policy in plain words, e.g. "at least 8 characters, with an upper-case letter (A-Z),
 * a lower-case letter (a-z), a digit (0-9) and a symbol such as ! - _ or @".
 * @example
 * describePasswordPolicy(DEFAULT_PASSWORD_POLICY);
 */
export function describePasswordPolicy(policy: PasswordPolicy): string {
  const needs = [
    policy.requireUppercase ? 'an upper-case letter (A-Z)' : undefined,
    policy.requireLowercase ? 'a lower-case letter (a-z)' : undefined,
    policy.requireNumbers ? 'a digit (0-9)' : undefined,
    policy.requireSymbols ? `a symbol (one of ${COGNITO_PASSWORD_SYMBOLS})` : undefined,
  ].filter((need): need is string => need !== undefined);
  const list = needs.length <= 1 ? needs.join('') : `${needs.slice(0, -1).join(', ')} and ${needs[needs.length - 1]}`;
  return `at least ${policy.minimumLength} and at most ${COGNITO_PASSWORD_MAX_CHARS} characters, no spaces${list === '' ? '' : `, with ${list}`}`;
}

/** What `password` lacks under `policy`, in words; empty when it meets it. Never contains the password. */
function passwordShortfalls(password: string, policy: PasswordPolicy): string[] {
  const length = [...password].length;
  return [
    length < policy.minimumLength ? `it has ${length} characters` : undefined,
    length > COGNITO_PASSWORD_MAX_CHARS ? `it has ${length} characters` : undefined,
    /\s/.test(password) ? 'it contains a space' : undefined,
    policy.requireUppercase && !/[A-Z]/.test(password) ? 'it has no upper-case letter' : undefined,
    policy.requireLowercase && !/[a-z]/.test(password) ? 'it has no lower-case letter' : undefined,
    policy.requireNumbers && !/[0-9]/.test(password) ? 'it has no digit' : undefined,
    policy.requireSymbols && ![...password].some((c) => COGNITO_PASSWORD_SYMBOLS.includes(c)) ? 'it has no symbol' : undefined,
  ].filter((problem): problem is string => problem !== undefined);
}

/**
 * Checks a password against a pool's policy before it is sent, so a user is never created with a
 * password Cognito then refuses. The message states the policy and what is missing, never the password.
 * @throws InvalidParameterError naming `parameter`.
 * @example
 * assertPasswordMeetsPolicy('short', DEFAULT_PASSWORD_POLICY, '--password'); // throws: … it has 5 characters, it has no upper-case letter …
 */
export function assertPasswordMeetsPolicy(password: string, policy: PasswordPolicy, parameter = 'password'): void {
  const shortfalls = passwordShortfalls(password, policy);
  if (shortfalls.length > 0) {
    throw new InvalidParameterError(`${parameter} does not meet the user pool's password policy (${describePasswordPolicy(policy)}): ${shortfalls.join(', ')}`, { context: { parameter } });
  }
}

/**
 * Reads a pool's password policy (`DescribeUserPool`); a pool without one has Cognito's default.
 * @throws DependencyError when Cognito fails.
 */
export async function readPasswordPolicy(client: CognitoIdentityProviderClient, userPoolId: string): Promise<PasswordPolicy> {
  try {
    const described = await client.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
    const policy = described.UserPool?.Policies?.PasswordPolicy;
    return {
      minimumLength: policy?.MinimumLength ?? DEFAULT_PASSWORD_POLICY.minimumLength,
      requireUppercase: policy?.RequireUppercase ?? DEFAULT_PASSWORD_POLICY.requireUppercase,
      requireLowercase: policy?.RequireLowercase ?? DEFAULT_PASSWORD_POLICY.requireLowercase,
      requireNumbers: policy?.RequireNumbers ?? DEFAULT_PASSWORD_POLICY.requireNumbers,
      requireSymbols: policy?.RequireSymbols ?? DEFAULT_PASSWORD_POLICY.requireSymbols,
    };
  } catch (error) {
    throw asDependencyError('Cognito', `DescribeUserPool ${userPoolId}`, error);
  }
}

/** A user as {@link findUser} reads it: the customer id it carries, if any. */
export interface PoolUser {
  username: string;
  /** `custom:customer_id`, undefined when the user has none. */
  customerId: string | undefined;
}

/**
 * Reads `username` from the pool, or undefined when there is no such user.
 * @throws DependencyError when Cognito fails.
 */
export async function findUser(client: CognitoIdentityProviderClient, userPoolId: string, username: string): Promise<PoolUser | undefined> {
  try {
    const user = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
    return { username, customerId: user.UserAttributes?.find((a) => a.Name === `custom:${CUSTOMER_ID_ATTRIBUTE}`)?.Value };
  } catch (error) {
    if (error instanceof UserNotFoundException) return undefined;
    throw asDependencyError('Cognito', `AdminGetUser ${username}`, error);
  }
}

/** What {@link ensureUser} found or did. */
export interface EnsuredUser {
  /** Whether this call created the user. */
  created: boolean;
  /** The customer id the user carries: the one passed when created here, the stored one otherwise. */
  customerId: string | undefined;
}

/**
 * Creates `username` in the pool with a permanent password and `custom:customer_id`, unless the
 * user exists already (an existing user keeps its customer: the attribute is immutable; compare
 * {@link EnsuredUser.customerId}). All or nothing: the user name and the password are checked
 * (Cognito's user-name rule, the pool's password policy) before the user is created, and a user
 * this call created is deleted again when its password cannot be set, so no user without a
 * password is left behind.
 * @throws InvalidParameterError for a user name Cognito refuses, or a password the pool's policy
 *   refuses (stated in words; nothing is left created).
 * @throws DependencyError when Cognito fails.
 */
export async function ensureUser(client: CognitoIdentityProviderClient, userPoolId: string, user: { username: string; password: string; customerId: string }): Promise<EnsuredUser> {
  assertCognitoUsername(user.username);
  const existing = await findUser(client, userPoolId, user.username);
  if (existing !== undefined) return { created: false, customerId: existing.customerId };
  const policy = await readPasswordPolicy(client, userPoolId);
  assertPasswordMeetsPolicy(user.password, policy);
  try {
    await client.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: user.username,
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: `custom:${CUSTOMER_ID_ATTRIBUTE}`, Value: user.customerId }],
      }),
    );
  } catch (error) {
    throw asDependencyError('Cognito', `AdminCreateUser ${user.username}`, error);
  }
  try {
    // A permanent password skips the FORCE_CHANGE_PASSWORD challenge of a temporary one.
    await client.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user.username, Password: user.password, Permanent: true }));
  } catch (error) {
    // Undo the create: a user without a password could never sign in, and would block the next try.
    await client.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: user.username })).catch((deleteError: unknown) => {
      throw asDependencyError('Cognito', `AdminDeleteUser ${user.username} (after its password was refused; delete it by hand)`, deleteError);
    });
    if (error instanceof InvalidPasswordException) {
      throw new InvalidParameterError(`password refused by the user pool (InvalidPasswordException); it needs ${describePasswordPolicy(policy)}. The user was not created`, {
        cause: error,
        context: { parameter: 'password' },
      });
    }
    throw asDependencyError('Cognito', `AdminSetUserPassword ${user.username} (the user was not created)`, error);
  }
  return { created: true, customerId: user.customerId };
}

/**
 * Signs in with USER_PASSWORD_AUTH and returns the ID token (the credential the API accepts).
 * @throws UnauthorizedError when the user name or password is wrong.
 * @throws DependencyError when Cognito fails.
 */
export async function signInForIdToken(client: CognitoIdentityProviderClient, clientId: string, username: string, password: string): Promise<string> {
  let token: string | undefined;
  try {
    const answer = await client.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: username, PASSWORD: password } }));
    token = answer.AuthenticationResult?.IdToken;
  } catch (error) {
    if (error instanceof NotAuthorizedException || error instanceof UserNotFoundException) {
      throw new UnauthorizedError(`sign-in refused for ${username}: wrong user name or password`, { cause: error });
    }
    throw asDependencyError('Cognito', 'InitiateAuth', error);
  }
  if (token === undefined) throw new UnauthorizedError(`sign-in for ${username} asked for a further challenge; only a plain password sign-in is supported`);
  return token;
}
