/**
 * The usage-plan key adapter (core/adapters/api-gateway/usage-plan-keys.ts) against moto's API
 * Gateway: enrolling a customer creates its API key (value = its usage identifier) and puts it
 * in the plan; doing it again changes nothing; a key made earlier (as the CDKTF app makes them)
 * is reused; bad input and a missing plan are typed errors that leave nothing behind.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import {
  CreateApiKeyCommand,
  CreateRestApiCommand,
  CreateUsagePlanCommand,
  DeleteRestApiCommand,
  DeleteUsagePlanCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import { ConfigError, ENV, InvalidParameterError, loadConfig, usageIdentifierKeyFor, usagePlanKeyName } from '../../core';
import { ApiGatewayUsagePlanKeys, createApiGatewayClient } from '../../core/adapters/api-gateway/usage-plan-keys';
import { INGEST_CLI } from '../helpers/ingest-process';

const runId = randomUUID().slice(0, 8);
const run = promisify(execFile);
let motoUrl: string;
let client: APIGatewayClient;
let restApiId: string;
let usagePlanId: string;

beforeAll(async () => {
  const local = loadConfig();
  // moto serves API Gateway on the same port as S3, SNS, SQS and Secrets Manager.
  motoUrl = local.endpoints.secretsManager as string;
  client = createApiGatewayClient(loadConfig({ ...process.env, [ENV.endpointApiGateway]: motoUrl }));
  restApiId = (await client.send(new CreateRestApiCommand({ name: `limits-test-${runId}` }))).id as string;
  usagePlanId = (await client.send(new CreateUsagePlanCommand({ name: `limits-default-${runId}`, throttle: { rateLimit: 20, burstLimit: 40 }, quota: { limit: 10_000, period: 'DAY' } }))).id as string;
});

afterAll(async () => {
  await client.send(new DeleteUsagePlanCommand({ usagePlanId })).catch(() => undefined);
  await client.send(new DeleteRestApiCommand({ restApiId })).catch(() => undefined);
  client.destroy();
});

async function planKeys(): Promise<{ id?: string; value?: string; name?: string }[]> {
  return (await client.send(new GetUsagePlanKeysCommand({ usagePlanId, limit: 500 }))).items ?? [];
}

async function keysNamed(name: string): Promise<{ id?: string; value?: string }[]> {
  const items = (await client.send(new GetApiKeysCommand({ nameQuery: name, includeValues: true, limit: 500 }))).items ?? [];
  return items.filter((k) => k.name === name);
}

describe('ApiGatewayUsagePlanKeys against moto', () => {
  it('creates the customer\'s key with its usage identifier as value and puts it in the plan, once', async () => {
    const customerId = `plan-new-${runId}`;
    const registry = new ApiGatewayUsagePlanKeys(client, usagePlanId);

    const first = await registry.enrol(customerId);
    const second = await registry.enrol(customerId);

    expect(first).toMatchObject({ createdKey: true, attached: true });
    expect(second).toEqual({ apiKeyId: first.apiKeyId, createdKey: false, attached: false });
    const keys = await keysNamed(usagePlanKeyName(customerId));
    expect(keys).toEqual([expect.objectContaining({ id: first.apiKeyId, value: usageIdentifierKeyFor(customerId) })]);
    expect((await planKeys()).filter((k) => k.id === first.apiKeyId)).toHaveLength(1);
  });

  it('reuses a key made earlier (as the CDKTF app makes them) and only attaches it', async () => {
    const customerId = `plan-existing-${runId}`;
    const made = await client.send(new CreateApiKeyCommand({ name: usagePlanKeyName(customerId), value: usageIdentifierKeyFor(customerId), enabled: true }));

    const enrolled = await new ApiGatewayUsagePlanKeys(client, usagePlanId).enrol(customerId);

    expect(enrolled).toEqual({ apiKeyId: made.id, createdKey: false, attached: true });
    expect(await keysNamed(usagePlanKeyName(customerId))).toHaveLength(1);
    expect((await planKeys()).map((k) => k.id)).toContain(made.id);
  });

  it('refuses a customer id outside the bounds before calling API Gateway', async () => {
    await expect(new ApiGatewayUsagePlanKeys(client, usagePlanId).enrol('bad id!')).rejects.toBeInstanceOf(InvalidParameterError);
    expect(await keysNamed(usagePlanKeyName('bad id!'))).toEqual([]);
  });

  it('a usage plan that does not exist is a ConfigError naming USAGE_PLAN_ID, and no key is made', async () => {
    const customerId = `plan-missing-${runId}`;
    const enrolling = new ApiGatewayUsagePlanKeys(client, `missing${runId}`).enrol(customerId);
    await expect(enrolling).rejects.toBeInstanceOf(ConfigError);
    await expect(enrolling).rejects.toThrow(/^USAGE_PLAN_ID names usage plan "missing/);
    expect(await keysNamed(usagePlanKeyName(customerId))).toEqual([]);
  });

  it('`ingest keys create` enrols a new customer in USAGE_PLAN_ID, and leaves an override customer to its own plan', async () => {
    const plain = `plan-cli-${runId}`;
    const special = `plan-cli-override-${runId}`;
    const env = { ...process.env, [ENV.usagePlanId]: usagePlanId, [ENV.endpointApiGateway]: motoUrl, [ENV.customerLimits]: JSON.stringify({ [special]: { dailyQuota: 5 } }) };

    const created = await run(process.execPath, [INGEST_CLI, 'keys', 'create', plain], { env, timeout: 60_000 });
    const skipped = await run(process.execPath, [INGEST_CLI, 'keys', 'create', special], { env, timeout: 60_000 });

    expect(created.stdout.trim()).toMatch(/^ik_[A-Za-z0-9_-]{43}$/);
    expect(skipped.stdout.trim()).toMatch(/^ik_[A-Za-z0-9_-]{43}$/);
    const [plainKey] = await keysNamed(usagePlanKeyName(plain));
    expect(plainKey?.value).toBe(usageIdentifierKeyFor(plain));
    expect(created.stderr).toContain(`usage plan ${usagePlanId}: API Gateway key ${plainKey?.id} added`);
    expect((await planKeys()).map((k) => k.id)).toContain(plainKey?.id);
    expect(await keysNamed(usagePlanKeyName(special))).toEqual([]);
  });
});
