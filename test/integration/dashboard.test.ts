/**
 * The operations dashboard end to end on the real local stack, in a real headless Chromium:
 * a known mix ingested through both paths (REST and Kafka; processed and failed with known
 * codes; two customers) reaches the page through the table's change stream, the analytics
 * bucket and the embedded engine. Its own table, analytics bucket, topics and customers.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { logLevel } from 'kafkajs';
import type { BrowserContext, Page } from 'playwright-core';
import { createAwsClients, destroyAwsClients, loadConfig, type AwsClients, type Config } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { IngestApi } from '../../ingest-api';
import { createDashboardComponent, loadDashboard } from '../../local/dashboard';
import { gatewayAuthorizer, startHttpAdapter } from '../../local/http-adapter';
import { ensureBucket, ensureTable } from '../../local/stack/bootstrap';
import { projectRoot } from '../../local/stack/paths';
import { ImageEventPublisher } from '../../kafka';
import { createLocalStreamComponent } from '../../local/stream-runner';
import { launchChromium } from '../helpers/chromium';
import { makeJpeg, makeSvg, makeTruncatedJpeg } from '../helpers/images';
import { waitForFinalRecord } from '../helpers/notifications';
import { connectTestKafka } from '../helpers/kafka';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';

const quietKafka = { logLevel: logLevel.NOTHING };
const run = randomUUID().slice(0, 8);
const restCustomer = `dash-rest-${run}`;
const kafkaCustomer = `dash-kafka-${run}`;
const outputDir = join(projectRoot(), 'test-output', 'dashboard');
const cleanups: (() => Promise<unknown>)[] = [];
let config: Config;
let clients: AwsClients;
let runtime: PipelineRuntime;

/** Registers an API key for a customer of this test file only. */
async function registerKey(customer: string): Promise<string> {
  return (await createApiKey(clients.secrets, config.apiKeySecretId, customer)).key;
}

async function emptyAndDeleteBucket(bucket: string): Promise<void> {
  const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const objects = (listed.Contents ?? []).map((o) => ({ Key: o.Key as string }));
  if (objects.length > 0) await clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
  await clients.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

beforeAll(async () => {
  const base = loadConfig();
  const kit = await connectTestKafka({ clientId: 'dashboard-test' });
  cleanups.push(() => kit.close());
  config = loadConfig({
    ...process.env,
    IMAGES_TABLE: `i14-dashboard-${run}`,
    ANALYTICS_BUCKET: `i14-dashboard-${run}`,
    IMAGE_TOPIC: await kit.createTopic('i14-dashboard'),
    DEAD_LETTER_TOPIC: await kit.createTopic('i14-dashboard-dlq'),
    CONSUMER_GROUP_ID: `i14-dashboard-${run}`,
    LOG_LEVEL: 'WARN',
  });
  expect(config.rawBucket).toBe(base.rawBucket);
  clients = createAwsClients(config);
  await ensureTable(clients, config);
  cleanups.push(() => clients.dynamodb.send(new DeleteTableCommand({ TableName: config.table.name })));
  await ensureBucket(clients, config.analyticsBucket, 7);
  cleanups.push(() => emptyAndDeleteBucket(config.analyticsBucket));
  runtime = createPipelineRuntime(config, 'dashboard-test');
  cleanups.push(async () => destroyAwsClients(runtime.clients));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  destroyAwsClients(clients);
});

/** Text of a figure on the page. */
const figure = (page: Page, visual: string, column: string): Promise<string | null> => page.locator(`#visual-${visual} [data-figure="${column}"]`).textContent();

/** Rows of a chart's data table, as objects. */
async function tableRows(page: Page, visual: string): Promise<Record<string, string>[]> {
  return page.locator(`table[data-table="${visual}"] tr`).evaluateAll((rows) =>
    rows.slice(1).map((row) => Object.fromEntries([...row.querySelectorAll('td')].map((td) => [td.getAttribute('data-column'), td.textContent ?? '']))),
  );
}

test('a known mix through REST and Kafka shows up on the dashboard page in headless Chromium, and in `ingest dashboard`', async () => {
  // Arrange: the pipeline's two paths and the dashboard, as `ingest start` runs them.
  const api = new IngestApi(runtime);
  const adapter = await startHttpAdapter({ host: '127.0.0.1', port: 0, maxImageBytes: config.limits.maxImageBytes, authorizer: gatewayAuthorizer(config, runtime.secrets), handler: (event) => api.handle(event) });
  cleanups.push(() => adapter.stop());
  const runner = await createLocalStreamComponent(config, { kafka: quietKafka, log: () => undefined }).start();
  cleanups.push(() => runner.stop());
  const dashboardLog: string[] = [];
  const dashboard = await createDashboardComponent(config, { port: 0, log: (line) => dashboardLog.push(line) }).start();
  cleanups.push(() => dashboard.stop());
  const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(dashboard.description)?.[0];
  expect(url).toBeDefined();

  // Act: REST — 2 processed, 1 UNDECODABLE_IMAGE; Kafka — 3 processed, 1 UNSUPPORTED_IMAGE, 1 UNDECODABLE_IMAGE.
  // 8 images: 5 processed, 3 failed (failure rate 37.5 %).
  const key = await registerKey(restCustomer);
  const jpeg = await makeJpeg({ width: 160, height: 120 });
  const restIds: string[] = [];
  for (const [body, type, expected] of [
    [jpeg, 'image/jpeg', 201],
    [await makeJpeg({ width: 120, height: 90 }, 3), 'image/jpeg', 201],
    [await makeTruncatedJpeg({ width: 200, height: 150 }), 'image/jpeg', 422],
  ] as const) {
    const response = await fetch(`${adapter.url}/v1/images`, { method: 'POST', body, headers: { Authorization: `Bearer ${key}`, 'Content-Type': type } });
    expect(response.status).toBe(expected);
    restIds.push(((await response.json()) as { imageId: string }).imageId);
  }
  const publisher = await ImageEventPublisher.connect({ config, blobs: runtime.blobs, secrets: runtime.secrets, kafkaOptions: quietKafka });
  cleanups.push(() => publisher.disconnect());
  const kafkaIds: string[] = [];
  for (const data of [jpeg, jpeg, await makeJpeg({ width: 64, height: 64 }, 9), Buffer.from(makeSvg()), await makeTruncatedJpeg()]) {
    kafkaIds.push((await publisher.publish({ customerId: kafkaCustomer, image: { kind: 'bytes', data } })).eventId);
  }
  for (const id of [...restIds, ...kafkaIds]) expect((await waitForFinalRecord(runtime.metadata, id, 60_000))?.status).toMatch(/PROCESSED|FAILED/);

  // Assert: the page, in a real browser, shows those counts once the change records have flowed.
  mkdirSync(outputDir, { recursive: true });
  const { context, userDataDir } = await launchChromium();
  cleanups.push(async () => {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });
  const page = await (context as BrowserContext).newPage();
  await page.setViewportSize({ width: 1400, height: 1100 });
  const external: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(url as string)) external.push(request.url());
  });
  // The change records flow stream -> forwarder -> analytics bucket -> engine; wait (bounded) until the
  // figures the page fetches include every final record, then load the page.
  let latest: { changeRecords: number; visuals: Record<string, Record<string, unknown>[]> } | undefined;
  for (let attempt = 0; attempt < 60; attempt += 1) {
    latest = (await (await fetch(`${url}api/dashboard?window=24h`)).json()) as typeof latest;
    // Every record final in the figures: a record's last change can arrive after its first.
    const totals = latest?.visuals.totals?.[0];
    if (totals?.images === 8 && totals.failed === 3 && totals.processed === 5) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  expect({ totals: latest?.visuals.totals, changeRecords: latest?.changeRecords }).toEqual({ totals: [{ images: 8, processed: 5, failed: 3, failure_rate: 0.375 }], changeRecords: expect.any(Number) });
  await page.goto(url as string);
  await page.locator('body[data-generated-at]').waitFor({ timeout: 20_000 });
  expect(dashboardLog).toEqual([]);
  expect(await figure(page, 'totals', 'images')).toBe('8');
  expect(await figure(page, 'totals', 'processed')).toBe('5');
  expect(await figure(page, 'totals', 'failed')).toBe('3');
  expect(await figure(page, 'totals', 'failure_rate')).toBe('37.5 %');
  expect(await figure(page, 'stuck_now', 'stuck')).toBe('0');
  expect(await tableRows(page, 'failures_by_code')).toEqual([
    { error_code: 'UNDECODABLE_IMAGE', failures: '2' },
    { error_code: 'UNSUPPORTED_IMAGE', failures: '1' },
  ]);
  expect(await tableRows(page, 'top_customers')).toEqual([
    { customer_id: kafkaCustomer, images: '5', failed: '2' },
    { customer_id: restCustomer, images: '3', failed: '1' },
  ]);
  const byPath = await tableRows(page, 'images_by_path');
  expect(Object.fromEntries(['api', 'kafka'].map((s) => [s, byPath.filter((r) => r.source === s).reduce((n, r) => n + Number(r.images), 0)]))).toEqual({ api: 3, kafka: 5 });
  // Charts drew on their canvases (Chart.js came from node_modules, not the network).
  expect(Number(await page.locator('#visual-images_by_path canvas').getAttribute('width'))).toBeGreaterThan(0);
  expect(await page.evaluate('typeof window.Chart')).toBe('function');
  expect(external).toEqual([]);
  await page.screenshot({ path: join(outputDir, 'dashboard.png'), fullPage: true });

  // The customer filter narrows the page.
  await page.selectOption('#customer', restCustomer);
  await page.locator('#visual-totals [data-figure="images"]', { hasText: /^3$/ }).waitFor({ timeout: 20_000 });
  expect(await figure(page, 'totals', 'failed')).toBe('1');
  await page.screenshot({ path: join(outputDir, 'dashboard-one-customer.png'), fullPage: true });

  // `ingest dashboard --json` prints the same figures (same engine over the same bucket).
  const { engine } = await loadDashboard(config, clients);
  try {
    const data = await engine.query({ window: '24h', customerId: '' });
    expect(data.visuals.totals).toEqual([{ images: 8, processed: 5, failed: 3, failure_rate: 0.375 }]);
  } finally {
    engine.close();
  }
  const bad = await fetch(`${url}api/dashboard?window=2h`);
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { detail: string }).detail).toMatch(/for window but received "2h"/);
});
