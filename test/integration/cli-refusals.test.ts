/**
 * The `ingest` command line refuses bad input locally, against the real local stack: exit 2, one
 * line naming the option or value and the rule, and nothing sent or stored.
 *
 * - `ingest import` / `ingest upload` against the real REST API (the local adapter and the
 *   import worker, started here on a port and an import queue of this file's own): the URLs the
 *   CLI refuses are the ones the API refuses at submission (400 URL_NOT_ALLOWED), no request
 *   reaches the API and no record is made; an accepted URL goes through and ends PROCESSED.
 * - `ingest login` against moto's Cognito (the dev user pool): a refused user name, customer id or
 *   password leaves no user behind, even when Cognito refuses the password after the user was
 *   created; a --customer that differs from an existing user's is refused and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminDeleteUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DeleteQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { destroyAwsClients, loadConfig, type Config } from '../../core';
import { DEFAULT_PASSWORD_POLICY, describePasswordPolicy, ensureUserPool, findUser } from '../../core/adapters/cognito/user-pool';
import { DEFAULT_NAMES } from '../../core/config/env';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';
import { createPipelineRuntime, imageIdForKey, type PipelineRuntime } from '../../core/runtime';
import { UrlImportWorker } from '../../import-worker';
import { IngestApi } from '../../ingest-api';
import { gatewayAuthorizer, startHttpAdapter } from '../../local/http-adapter';
import { startImportPoller } from '../../local/import-poller';
import { ensureImportQueue } from '../../local/stack/bootstrap';
import { makeJpeg } from '../helpers/images';
import { runIngest } from '../helpers/ingest-cli';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server';

let dir: string;
let server: LoopbackServer;
let config: Config;
let runtime: PipelineRuntime;
let customerId: string;
let apiKey: string;
let api: string;
let apiRequests = 0;
let stopAdapter: () => Promise<void> = async () => undefined;
let stopPoller: () => Promise<void> = async () => undefined;
let userPoolId: string;
const usersToDelete = new Set<string>();
/** The FETCH_* settings of this file's API, given to the CLI as well (as `ingest start` and `ingest import` share a shell). */
let fetchEnv: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-refusals-'));
  server = await startLoopbackServer();
  const queueName = `cli-refusals-${randomUUID()}`;
  fetchEnv = { FETCH_ALLOW_LOOPBACK: 'true', FETCH_ALLOWED_PORTS: String(server.port) };
  config = loadConfig({ ...process.env, ...fetchEnv, IMPORT_QUEUE: queueName, LOG_LEVEL: 'ERROR' });
  runtime = createPipelineRuntime(config, 'cli-refusals-test');
  await ensureImportQueue(runtime.clients, queueName);
  customerId = `cli-refusals-${randomUUID().slice(0, 8)}`;
  apiKey = (await createApiKey(runtime.clients.secrets, config.apiKeySecretId, customerId)).key;
  const ingestApi = new IngestApi(runtime);
  const adapter = await startHttpAdapter({
    host: '127.0.0.1',
    port: 0,
    maxImageBytes: config.limits.maxImageBytes,
    authorizer: gatewayAuthorizer(config, runtime.secrets),
    handler: (event) => {
      apiRequests += 1;
      return ingestApi.handle(event);
    },
  });
  api = adapter.url;
  stopAdapter = adapter.stop;
  const worker = new UrlImportWorker(runtime);
  stopPoller = (await startImportPoller({ sqs: runtime.clients.sqs, queueName, handler: (event) => worker.handle(event), log: runtime.telemetry, region: config.region, waitSeconds: 1 })).stop;
  userPoolId = (await ensureUserPool(runtime.clients.cognito, { userPool: DEFAULT_NAMES.userPool, client: DEFAULT_NAMES.userPoolClient })).userPoolId;
});

afterAll(async () => {
  await stopPoller();
  await stopAdapter();
  if (runtime !== undefined) {
    for (const username of usersToDelete) await runtime.clients.cognito.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: username })).catch(() => undefined);
    for (const name of [config.importQueue.name, `${config.importQueue.name}-dlq`]) {
      const { QueueUrl } = await runtime.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      await runtime.clients.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    }
    destroyAwsClients(runtime.clients);
  }
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ingest import against the real API', () => {
  const refused: [string, (port: number) => string, string][] = [
    ['plain http to a public host', () => 'http://images.example.com/cat.jpg', 'scheme "http:" is not allowed'],
    ['a private IP literal', () => 'https://10.0.0.7/cat.jpg', 'address 10.0.0.7 is private (RFC 1918)'],
    ['the instance-metadata address', () => 'https://169.254.169.254/latest/meta-data/', '169.254.169.254 is'],
    ['credentials in the URL', () => 'https://user:secret@images.example.com/cat.jpg', 'embedded credentials'],
    ['a port not allowed', () => 'https://images.example.com:8443/cat.jpg', 'port 8443 is not allowed'],
    ['a loopback port other than FETCH_ALLOWED_PORTS', (port) => `http://127.0.0.1:${port + 1}/cat.jpg`, 'is not allowed'],
  ];

  it.each(refused)('%s: exit 2 locally, no request reaches the API, no record; the API itself refuses the same URL (400 URL_NOT_ALLOWED)', async (_what, urlFor, message) => {
    const url = urlFor(server.port);
    const key = `cli-refused-${randomUUID()}`;
    const before = apiRequests;

    const { code, stderr, stdout } = await runIngest(['import', url, '--api', api, '--key', apiKey, '--idempotency-key', key], fetchEnv);

    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr.startsWith('error: not sent (the API would refuse this URL): ')).toBe(true);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(apiRequests).toBe(before);
    expect(await runtime.metadata.get(imageIdForKey(customerId, key), new Date())).toBeUndefined();
    // The same URL sent straight to the API: refused there by the same rule.
    const direct = await fetch(`${api}/v1/images`, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ url }) });
    expect(direct.status).toBe(400);
    expect(((await direct.json()) as { code: string }).code).toBe('URL_NOT_ALLOWED');
  });

  it.each([['abc'], ['-1'], ['0'], ['86400']])('--timeout %j: exit 2 naming --timeout, nothing sent', async (value) => {
    const before = apiRequests;
    const { code, stderr } = await runIngest(['import', 'https://images.example.com/cat.jpg', '--api', api, '--key', apiKey, '--wait', `--timeout=${value}`], fetchEnv);
    expect(code).toBe(2);
    expect(stderr).toBe(`error: Expected a whole number of seconds from 1 to 3600 for --timeout but received "${value}" of type string\n`);
    expect(apiRequests).toBe(before);
  });

  it('a URL the API accepts goes through: 202, then PROCESSED with --wait (exit 0)', async () => {
    const jpeg = await makeJpeg({ width: 96, height: 64 });
    const path = server.route((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length }).end(jpeg));
    const before = apiRequests;

    const { code, stdout, stderr } = await runIngest(['import', server.url(path), '--api', api, '--key', apiKey, '--wait', '--timeout', '60'], fetchEnv);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toMatchObject({ status: 'PROCESSED', customerId, width: 96, height: 64 });
    expect(apiRequests).toBeGreaterThan(before);
  });
});

describe('ingest upload against the real API', () => {
  it('an empty (0-byte) file: exit 2 naming the file, no request reaches the API', async () => {
    const file = join(dir, 'empty.jpg');
    writeFileSync(file, '');
    const before = apiRequests;
    for (const flags of [[], ['--presigned']]) {
      const { code, stderr } = await runIngest(['upload', file, '--api', api, '--key', apiKey, ...flags]);
      expect({ flags, code, stderr }).toEqual({ flags, code: 2, stderr: `error: ${file} is empty (0 bytes); name an image file\n` });
    }
    expect(apiRequests).toBe(before);
  });

  it('--api that is not a URL: exit 2 naming --api, not a bare "Invalid URL"', async () => {
    const file = join(dir, 'small.jpg');
    writeFileSync(file, await makeJpeg({ width: 8, height: 8 }));
    const { code, stderr } = await runIngest(['upload', file, '--api', 'not a url', '--key', apiKey]);
    expect(code).toBe(2);
    expect(stderr).toBe('error: Expected an http or https URL without credentials, query or fragment (e.g. http://127.0.0.1:3000) for --api but received "not a url" of type string\n');
  });
});

describe('ingest login against the dev user pool (moto Cognito)', () => {
  /** A user name of this test's own, deleted after the file whether or not a test created it. */
  function newUser(): string {
    const username = `cli-refusals-${randomUUID().slice(0, 12)}`;
    usersToDelete.add(username);
    return username;
  }

  it.each([
    ['a space', 'alice smith'],
    ['a tab', 'alice\tsmith'],
    ['a line break', 'alice\nsmith'],
    ['129 characters', 'a'.repeat(129)],
  ])('a user name with %s: exit 2 with Cognito\'s rule, no user created', async (_what, username) => {
    const { code, stderr, stdout } = await runIngest(['login', username, '--customer', 'acme']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain('Expected a user name of 1-128 letters, digits, punctuation or symbols (no spaces or control characters; Cognito\'s rule) for <user>');
    expect(await findUser(runtime.clients.cognito, userPoolId, username)).toBeUndefined();
  });

  it('--customer outside the customer-id rule: exit 2 naming --customer, no user created', async () => {
    const username = newUser();
    const { code, stderr } = await runIngest(['login', username, '--customer', 'bad id']);
    expect(code).toBe(2);
    expect(stderr).toBe('error: Expected 1-64 letters, digits, "_", "." or "-", starting with a letter or digit for --customer but received "bad id" of type string\n');
    expect(await findUser(runtime.clients.cognito, userPoolId, username)).toBeUndefined();
  });

  it('a user name that cannot be a customer id, without --customer: exit 2 saying to pass --customer, no user created', async () => {
    const username = `${newUser()}@example.com`;
    usersToDelete.add(username);
    const { code, stderr } = await runIngest(['login', username]);
    expect(code).toBe(2);
    expect(stderr).toContain('pass --customer');
    expect(await findUser(runtime.clients.cognito, userPoolId, username)).toBeUndefined();
  });

  it('a password the pool\'s policy refuses: exit 2 stating the policy in words, no user created', async () => {
    const username = newUser();
    const { code, stderr } = await runIngest(['login', username, '--customer', 'acme', '--password', 'short']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `error: --password does not meet the user pool's password policy (${describePasswordPolicy(DEFAULT_PASSWORD_POLICY)}): it has 5 characters, it has no upper-case letter, it has no digit, it has no symbol\n`,
    );
    expect(stderr).not.toContain('InvalidPasswordException');
    expect(await findUser(runtime.clients.cognito, userPoolId, username)).toBeUndefined();
  });

  it('a password Cognito refuses after the user was created (InvalidPasswordException): the user is deleted again, exit 2 with the policy', async () => {
    // moto refuses passwords of 99 characters or more (its MaximumLength default); Cognito allows 256,
    // so this one passes the policy check and is refused by AdminSetUserPassword, after AdminCreateUser.
    const username = newUser();
    const password = `Aa1!${'x'.repeat(116)}`;
    const { code, stderr, stdout } = await runIngest(['login', username, '--customer', 'acme', '--password', password]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(`error: --password: password refused by the user pool (InvalidPasswordException); it needs ${describePasswordPolicy(DEFAULT_PASSWORD_POLICY)}. The user was not created\n`);
    expect(stderr).not.toContain(password);
    expect(await findUser(runtime.clients.cognito, userPoolId, username)).toBeUndefined();
  });

  it('--customer for an existing user whose customer differs: exit 2 naming both, nothing changed; without --customer it signs in as the stored customer', async () => {
    const username = newUser();
    const created = await runIngest(['login', username, '--customer', 'acme-a']);
    expect(created.code).toBe(0);

    const { code, stderr, stdout } = await runIngest(['login', username, '--customer', 'acme-b']);

    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(
      `error: user "${username}" already exists with customer "acme-a"; --customer "acme-b" cannot change it (custom:customer_id is immutable): ` +
        'leave out --customer to sign in as that customer, or choose another user name\n',
    );
    expect(await findUser(runtime.clients.cognito, userPoolId, username)).toEqual({ username, customerId: 'acme-a' });
    const again = await runIngest(['login', username]);
    const token = again.stdout.trim();
    expect(again.code).toBe(0);
    expect(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))).toMatchObject({ 'custom:customer_id': 'acme-a' });
    expect((await runIngest(['login', username, '--customer', 'acme-a'])).code).toBe(0);
  });
});
