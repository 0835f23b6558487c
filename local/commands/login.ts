import { createAwsClients, destroyAwsClients } from '../../core/adapters/aws-clients';
import { assertCognitoUsername, assertPasswordMeetsPolicy, ensureUser, ensureUserPool, findUser, readPasswordPolicy, signInForIdToken } from '../../core/adapters/cognito/user-pool';
import { assertCustomerIdBounds } from '../../core/input-bounds';
import { DEFAULT_NAMES } from '../../core/config/env';
import type { Command } from '../cli';
import { useLocalStack } from '../stack';
import { RefusedInputError, refuseInput } from './input-checks';

/**
 * The password `ingest login` gives a dev-pool user it creates when none is passed. The dev pool
 * lives in moto on 127.0.0.1 only; it meets Cognito's default password policy (8+ characters,
 * upper, lower, digit, symbol) so the same command works against a pool with that policy.
 */
export const DEV_USER_PASSWORD = 'Dev-pool-password-1' as const;

/**
 * Signs `username` in to the local dev user pool (creating the pool, and the user with its
 * customer, when missing) and returns the ID token: the code path of `ingest login`, shared with
 * the tests. All or nothing: what is typed is checked before anything is created, and a user whose
 * password the pool refuses is not left behind.
 *
 * - the user name: Cognito's rule (`assertCognitoUsername`), before any call;
 * - `customerId`: the project's one customer-id rule (`assertCustomerIdBounds`), before any call;
 *   without it a new user's customer is the user name, which must then pass the same rule;
 * - an existing user keeps its customer (`custom:customer_id` is immutable): a `customerId` that
 *   differs from the stored one is refused, not silently ignored;
 * - a new user's password: the pool's password policy, read before the user is created.
 *
 * @throws RefusedInputError (exit 2) for any of the above; nothing is created or changed.
 * @throws UnauthorizedError when the user exists with another password.
 * @throws DependencyError when Cognito (moto) cannot be reached.
 * @example
 * const token = await loginToDevPool(config, { username: 'alice', customerId: 'acme' });
 */
export async function loginToDevPool(
  config: ReturnType<typeof useLocalStack>,
  user: { username: string; customerId?: string; password?: string },
): Promise<string> {
  const { username } = user;
  refuseInput(() => {
    assertCognitoUsername(username, '<user>');
    if (user.customerId !== undefined) assertCustomerIdBounds(user.customerId, '--customer');
  });
  const password = user.password ?? DEV_USER_PASSWORD;
  const clients = createAwsClients(config);
  try {
    const pool = await ensureUserPool(clients.cognito, { userPool: DEFAULT_NAMES.userPool, client: DEFAULT_NAMES.userPoolClient });
    const existing = await findUser(clients.cognito, pool.userPoolId, username);
    if (existing === undefined) {
      const customerId = user.customerId ?? username;
      refuseInput(() => {
        if (user.customerId === undefined) assertCustomerIdBounds(customerId, '<user> (a new user\'s customer id when --customer is not given; pass --customer)');
      });
      const policy = await readPasswordPolicy(clients.cognito, pool.userPoolId);
      refuseInput(() => assertPasswordMeetsPolicy(password, policy, user.password === undefined ? 'the development password' : '--password'));
      await refuseInput(() => ensureUser(clients.cognito, pool.userPoolId, { username, password, customerId }), user.password === undefined ? '' : '--password: ');
    } else if (user.customerId !== undefined && existing.customerId !== user.customerId) {
      throw new RefusedInputError(
        `user ${JSON.stringify(username)} already exists with customer ${JSON.stringify(existing.customerId ?? '(none)')}; --customer ${JSON.stringify(user.customerId)} cannot change it ` +
          '(custom:customer_id is immutable): leave out --customer to sign in as that customer, or choose another user name',
      );
    }
    return await signInForIdToken(clients.cognito, pool.clientId, username, password);
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
    `${DEV_USER_PASSWORD}), or not at all: a password the pool's policy refuses leaves no user behind. An existing user keeps its customer; ` +
    '--customer naming another one is refused. A user name with spaces or control characters (Cognito\'s rule), a --customer outside the customer-id rule, ' +
    'or a password the pool\'s policy refuses exits 2 with the rule and nothing is created. Tokens last an hour.',
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
