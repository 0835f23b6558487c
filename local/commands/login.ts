import { assertCustomerId } from '../../core';
import { createAwsClients, destroyAwsClients } from '../../core/adapters/aws-clients';
import { ensureUser, ensureUserPool, signInForIdToken } from '../../core/adapters/cognito/user-pool';
import { DEFAULT_NAMES } from '../../core/config/env';
import type { Command } from '../cli';
import { useLocalStack } from '../stack';

/**
 * The password `ingest login` gives a dev-pool user it creates when none is passed. The dev pool
 * lives in moto on 127.0.0.1 only; it meets Cognito's default password policy (8+ characters,
 * upper, lower, digit, symbol) so the same command works against a pool with that policy.
 */
export const DEV_USER_PASSWORD = 'Dev-pool-password-1' as const;

/**
 * Signs `username` in to the local dev user pool (creating the pool, and the user with its
 * customer, when missing) and returns the ID token: the code path of `ingest login`, shared with
 * the tests.
 * @throws UnauthorizedError when the user exists with another password.
 * @throws DependencyError when Cognito (moto) cannot be reached.
 * @throws InvalidParameterError when `customerId` is not a valid customer id.
 * @example
 * const token = await loginToDevPool(config, { username: 'alice', customerId: 'acme' });
 */
export async function loginToDevPool(
  config: ReturnType<typeof useLocalStack>,
  user: { username: string; customerId?: string; password?: string },
): Promise<string> {
  const customerId = user.customerId ?? user.username;
  assertCustomerId(customerId);
  const password = user.password ?? DEV_USER_PASSWORD;
  const clients = createAwsClients(config);
  try {
    const pool = await ensureUserPool(clients.cognito, { userPool: DEFAULT_NAMES.userPool, client: DEFAULT_NAMES.userPoolClient });
    await ensureUser(clients.cognito, pool.userPoolId, { username: user.username, password, customerId });
    return await signInForIdToken(clients.cognito, pool.clientId, user.username, password);
  } finally {
    destroyAwsClients(clients);
  }
}

/** `ingest login <user> [--customer <id>] [--password …]`: prints an ID token for the dev user pool. */
export const loginCommand: Command = {
  usage: 'ingest login <user> [--customer ID] [--password PASSWORD]',
  positionals: [1, 1],
  summary: 'sign in to the local dev user pool and print an ID token (TOKEN=$(ingest login alice))',
  help:
    'Signs <user> in to the local Cognito dev user pool (moto) and prints only the ID token, for `Authorization: Bearer <token>`. ' +
    'A missing user is created first with custom:customer_id = --customer (default: the user name) and a permanent password (--password, default ' +
    `${DEV_USER_PASSWORD}); an existing user keeps its customer. Tokens last an hour.`,
  options: { customer: { type: 'string' }, password: { type: 'string' } },
  async run({ positionals, values }) {
    const [username] = positionals;
    const config = useLocalStack();
    const token = await loginToDevPool(config, {
      username: username as string,
      customerId: values.customer as string | undefined,
      password: values.password as string | undefined,
    });
    process.stdout.write(`${token}\n`);
    return 0;
  },
};
