import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  NotAuthorizedException,
  UserNotFoundException,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { UnauthorizedError } from '../../errors';
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
 * Creates `username` in the pool with a permanent password and `custom:customer_id`, unless the
 * user exists already (an existing user keeps its customer: the attribute is immutable).
 * @returns whether the user was created.
 * @throws DependencyError when Cognito fails.
 */
export async function ensureUser(client: CognitoIdentityProviderClient, userPoolId: string, user: { username: string; password: string; customerId: string }): Promise<boolean> {
  try {
    try {
      await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: user.username }));
      return false;
    } catch (error) {
      if (!(error instanceof UserNotFoundException)) throw error;
    }
    await client.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: user.username,
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: `custom:${CUSTOMER_ID_ATTRIBUTE}`, Value: user.customerId }],
      }),
    );
    // A permanent password skips the FORCE_CHANGE_PASSWORD challenge of a temporary one.
    await client.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user.username, Password: user.password, Permanent: true }));
    return true;
  } catch (error) {
    throw asDependencyError('Cognito', `ensure user ${user.username}`, error);
  }
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
