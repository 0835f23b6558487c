/**
 * Sign-in tokens beside API keys, on the real local stack: moto's Cognito issues the ID tokens
 * (through `ingest login`'s own code path), the local adapter runs the same `authorize` code as
 * the Lambda REQUEST authorizer over real HTTP, and the pipeline stores into moto's DynamoDB and S3.
 * Every user, customer and idempotency key here is this file's own.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CUSTOMER_ID_CLAIM } from '../../authorizer';
import { KEY_PREFIXES, keyHashPrefix, loadConfig, type Config, type SignInConfig } from '../../core';
import { ensureUser, ensureUserPool, signInForIdToken } from '../../core/adapters/cognito/user-pool';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';
import { DEFAULT_NAMES } from '../../core/config/env';
import { createPipelineRuntime, imageIdForKey, type PipelineRuntime } from '../../core/runtime';
import { IngestApi } from '../../ingest-api';
import { gatewayAuthorizer, startHttpAdapter } from '../../local/http-adapter';
import { DEV_USER_PASSWORD, loginToDevPool } from '../../local/commands/login';
import { projectRoot } from '../../local/stack/paths';
import { makeJpeg } from '../helpers/images';
import { freshRsaKey, jwtClaims, motoSigningKey, signRs256 } from '../helpers/jwt';

let config: Config;
let signIn: SignInConfig;
let runtime: PipelineRuntime;
let baseUrl: string;
let stopAdapter: () => Promise<void>;
const run = randomUUID().slice(0, 8);
const customerId = `authz-${run}`;
const username = `authz-user-${run}`;
let apiKey: string;
let idToken: string;

beforeAll(async () => {
  config = loadConfig();
  if (config.auth.signIn === undefined) throw new Error('the global setup did not pass the dev user pool (COGNITO_USER_POOL_ID) to this worker');
  signIn = config.auth.signIn;
  runtime = createPipelineRuntime(config, 'authorizer-test');
  apiKey = (await createApiKey(runtime.clients.secrets, config.apiKeySecretId, customerId)).key;
  // `ingest login <user> --customer <id>`'s code path: creates the user in the dev pool, signs in.
  idToken = await loginToDevPool(config, { username, customerId });
  const api = new IngestApi(runtime);
  const adapter = await startHttpAdapter({
    host: '127.0.0.1',
    port: 0,
    maxImageBytes: config.limits.maxImageBytes,
    authorizer: gatewayAuthorizer(config, runtime.secrets),
    handler: (event) => api.handle(event),
  });
  baseUrl = adapter.url;
  stopAdapter = adapter.stop;
});

afterAll(async () => {
  await stopAdapter();
});

describe('ingest login', () => {
  it('prints only the ID token on stdout (TOKEN=$(ingest login …) works), and the token is accepted', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(projectRoot(), 'bin', 'ingest.js'), 'login', `${username}-cli`, '--customer', customerId], { timeout: 60_000 });
    expect(stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    const token = stdout.trim();
    expect(jwtClaims(token)).toMatchObject({ 'cognito:username': `${username}-cli`, [CUSTOMER_ID_CLAIM]: customerId });
    const response = await fetch(`${baseUrl}/v1/images?limit=1`, { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
  });
});

describe('either credential works on every /v1 route', () => {
  it('the ID token is the dev pool\'s: its issuer, this app client, token_use id, and the customer claim', () => {
    expect(jwtClaims(idToken)).toMatchObject({ iss: signIn.issuer, aud: signIn.clientId, token_use: 'id', [CUSTOMER_ID_CLAIM]: customerId });
  });

  it.each([
    ['an API key', () => apiKey],
    ['a Cognito ID token from ingest login', () => idToken],
  ])('%s: POST /v1/images, GET /v1/images/{id}, GET /v1/images, POST /v1/uploads, all as the customer', async (_name, credential) => {
    const auth = { Authorization: `Bearer ${credential()}` };
    const created = await fetch(`${baseUrl}/v1/images`, { method: 'POST', body: await makeJpeg({ width: 64, height: 48 }), headers: { ...auth, 'Content-Type': 'image/jpeg' } });
    expect(created.status).toBe(201);
    const record = (await created.json()) as { imageId: string; customerId: string };
    expect(record.customerId).toBe(customerId);

    const one = await fetch(`${baseUrl}/v1/images/${record.imageId}`, { headers: auth });
    expect(one.status).toBe(200);
    expect(((await one.json()) as { customerId: string }).customerId).toBe(customerId);

    const list = await fetch(`${baseUrl}/v1/images?limit=50`, { headers: auth });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: { imageId: string }[] }).items.map((i) => i.imageId)).toContain(record.imageId);

    const upload = await fetch(`${baseUrl}/v1/uploads`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ fileName: 'a.jpg' }) });
    expect(upload.status).toBe(201);
  });
});

/** Sends an image with its own idempotency key and returns the answer and the image id it would have had. */
async function postWith(headers: Record<string, string>): Promise<{ response: Response; imageId: string }> {
  const idempotencyKey = `authz-refused-${randomUUID()}`;
  const response = await fetch(`${baseUrl}/v1/images`, {
    method: 'POST',
    body: await makeJpeg({ width: 32, height: 24 }),
    headers: { ...headers, 'Content-Type': 'image/jpeg', 'Idempotency-Key': idempotencyKey },
  });
  return { response, imageId: imageIdForKey(customerId, idempotencyKey) };
}

/** No metadata record and no raw or processed object for `imageId`. */
async function expectNothingStored(imageId: string): Promise<void> {
  const item = await runtime.clients.documents.send(new GetCommand({ TableName: config.table.name, Key: { imageId } }));
  expect(item.Item).toBeUndefined();
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  const raw = await runtime.clients.s3.send(new ListObjectsV2Command({ Bucket: config.rawBucket, Prefix: `${KEY_PREFIXES.raw}${keyHashPrefix(imageId)}/${today}/${imageId}` }));
  expect(raw.KeyCount ?? 0).toBe(0);
  const processed = await runtime.clients.s3.send(new ListObjectsV2Command({ Bucket: config.processedBucket, Prefix: `${KEY_PREFIXES.processed}${keyHashPrefix(imageId)}/${imageId}/` }));
  expect(processed.KeyCount ?? 0).toBe(0);
}

async function expectUnauthorized(response: Response, detail: string): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(await response.json()).toMatchObject({ status: 401, title: 'Unauthorized', code: 'UNAUTHORIZED', detail });
}

describe('refused tokens: 401 with a problem body, nothing stored', () => {
  it('an expired token (signed with moto\'s own key, so only its expiry is wrong)', async () => {
    // The test signs this token itself: moto ships the private key it signs every pool's tokens
    // with, so a token with the dev pool's claims but an exp an hour ago verifies in all but expiry.
    const { privateKey, kid } = motoSigningKey(config.local.dataDir);
    const now = Math.floor(Date.now() / 1000);
    const expired = signRs256({ ...jwtClaims(idToken), iat: now - 7200, auth_time: now - 7200, exp: now - 3600 }, privateKey, kid);
    const { response, imageId } = await postWith({ Authorization: `Bearer ${expired}` });
    await expectUnauthorized(response, 'the token has expired: sign in again');
    await expectNothingStored(imageId);
  });

  it('a wrongly signed token (valid claims, signed by a fresh key of the test\'s own under moto\'s kid)', async () => {
    // Signed in the test with a key the pool never published; the kid is the pool's, so the
    // verifier finds a key and the signature check itself fails.
    const { kid } = motoSigningKey(config.local.dataDir);
    const forged = signRs256(jwtClaims(idToken), freshRsaKey(kid).privateKey, kid);
    const { response, imageId } = await postWith({ Authorization: `Bearer ${forged}` });
    await expectUnauthorized(response, "the token's signature does not verify with the user pool's keys");
    await expectNothingStored(imageId);
  });

  it('a token for another app client of the same pool (wrong audience)', async () => {
    const other = await ensureUserPool(runtime.clients.cognito, { userPool: DEFAULT_NAMES.userPool, client: 'image-pipeline-authorizer-test-other-client' });
    expect(other.userPoolId).toBe(signIn.userPoolId);
    const token = await signInForIdToken(runtime.clients.cognito, other.clientId, username, DEV_USER_PASSWORD);
    const { response, imageId } = await postWith({ Authorization: `Bearer ${token}` });
    await expectUnauthorized(response, "the token was not issued for this API's app client");
    await expectNothingStored(imageId);
  });

  it('a token from another user pool (wrong issuer), same user name and customer', async () => {
    const other = await ensureUserPool(runtime.clients.cognito, { userPool: 'image-pipeline-authorizer-test-other-pool', client: 'image-pipeline-authorizer-test' });
    expect(other.userPoolId).not.toBe(signIn.userPoolId);
    await ensureUser(runtime.clients.cognito, other.userPoolId, { username, password: DEV_USER_PASSWORD, customerId });
    const token = await signInForIdToken(runtime.clients.cognito, other.clientId, username, DEV_USER_PASSWORD);
    const { response, imageId } = await postWith({ Authorization: `Bearer ${token}` });
    await expectUnauthorized(response, "the token was not issued by this API's user pool");
    await expectNothingStored(imageId);
  });

  it('a malformed token', async () => {
    const { response, imageId } = await postWith({ Authorization: 'Bearer eyJhbGciOi.not-json.x' });
    await expectUnauthorized(response, 'the token is not a well-formed JWT');
    await expectNothingStored(imageId);
  });

  it('the API key sent only as x-api-key: refused, pointing at Authorization: Bearer', async () => {
    const { response, imageId } = await postWith({ 'x-api-key': apiKey });
    await expectUnauthorized(response, 'the x-api-key header is no longer accepted: send the key as "Authorization: Bearer <key>"');
    await expectNothingStored(imageId);
  });
});
