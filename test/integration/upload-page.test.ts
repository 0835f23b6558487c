import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { BrowserContext, Page } from 'playwright-core';
import { loadConfig, type Config } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { DIRECT_UPLOAD_MAX_BYTES, IngestApi, UploadProcessor, withCors } from '../../ingest-api';
import { gatewayAuthorizer, startHttpAdapter } from '../../local/http-adapter';
import { ensureBucket, ensureUploadNotifications } from '../../local/stack/bootstrap';
import { projectRoot } from '../../local/stack/paths';
import { startUploadPage } from '../../local/upload-page/server';
import { startUploadPoller } from '../../local/upload-poller';
import { launchChromium } from '../helpers/chromium';
import { makeJpeg, makeJpegOfExactSize, makePdf } from '../helpers/images';
import { freePorts } from '../helpers/tcp-ports';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';

// The upload page in real headless Chromium (Debian's package, driven by playwright-core),
// against the local adapter and upload poller started here and the shared local stack. The
// page lives on its own origin, so every API call and the presigned S3 POST are cross-origin
// and pass only if the CORS rules of the API and of the bucket are right.
// The raw bucket and upload queue are this test's own, so its bucket CORS rule (this page's
// origin) does not touch the shared bucket's.

const OUTPUT_DIR = join(projectRoot(), 'test-output');
const SCREENSHOT = join(OUTPUT_DIR, 'upload-page.png');
const LARGE_BYTES = 6.5 * 1024 * 1024;

let config: Config;
let runtime: PipelineRuntime;
let apiKey: string;
let pageUrl: string;
let context: BrowserContext;
let userDataDir: string;
const stops: (() => Promise<void>)[] = [];

/** Registers an API key for a customer of this test file only. */
async function registerKey(customer: string): Promise<string> {
  return (await createApiKey(runtime.clients.secrets, config.apiKeySecretId, customer)).key;
}

async function emptyAndDeleteBucket(bucket: string): Promise<void> {
  for (let page = 0; page < 20; page++) {
    const listed = await runtime.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (keys.length === 0) break;
    await runtime.clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  await runtime.clients.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

beforeAll(async () => {
  const suffix = randomUUID().slice(0, 8);
  const [pagePort] = await freePorts(1);
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  const bucket = `upload-page-${suffix}`;
  config = loadConfig({
    ...process.env,
    RAW_BUCKET: bucket,
    ALLOWED_SOURCE_BUCKETS: bucket,
    UPLOAD_QUEUE: `upload-page-${suffix}`,
    CORS_ALLOWED_ORIGINS: pageOrigin,
  });
  runtime = createPipelineRuntime(config, 'upload-page-test');
  await ensureBucket(runtime.clients, bucket, config.limits.retentionDays);
  await ensureUploadNotifications(runtime.clients, config);
  stops.push(async () => {
    const { QueueUrl } = await runtime.clients.sqs.send(new GetQueueUrlCommand({ QueueName: config.local.uploadQueue }));
    await runtime.clients.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    await emptyAndDeleteBucket(bucket);
  });
  apiKey = await registerKey(`page-${suffix}`);

  const api = new IngestApi(runtime);
  const adapter = await startHttpAdapter({ host: '127.0.0.1', port: 0, maxImageBytes: config.limits.maxImageBytes, authorizer: gatewayAuthorizer(config, runtime.secrets), handler: withCors(config.cors, (e) => api.handle(e)), cors: config.cors });
  stops.push(adapter.stop);
  const uploads = new UploadProcessor(runtime);
  const poller = await startUploadPoller({ sqs: runtime.clients.sqs, queueName: config.local.uploadQueue, handler: (e) => uploads.handle(e), log: runtime.telemetry, waitSeconds: 1 });
  stops.push(poller.stop);
  const page = await startUploadPage({ host: '127.0.0.1', port: pagePort as number, apiUrl: adapter.url, directUploadMaxBytes: DIRECT_UPLOAD_MAX_BYTES, maxImageBytes: config.limits.maxImageBytes });
  stops.push(page.stop);
  pageUrl = page.url;

  ({ context, userDataDir } = await launchChromium());
  stops.push(async () => {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });
});

afterAll(async () => {
  // Browser first, then page, poller, adapter, and the bucket and queue last.
  for (const stop of stops.reverse()) await stop();
});

// Browser-side code is passed as strings: the project compiles without the DOM library.

/** The finished state of one file's list item, once it has left UPLOADING/RECEIVED. */
async function finished(page: Page, fileName: string): Promise<{ status: string; route: string; progress: number; progressEvents: number; text: string }> {
  const selector = `li.upload[data-file-name="${fileName}"]:not([data-status="UPLOADING"]):not([data-status="RECEIVED"])`;
  const item = await page.waitForSelector(selector, { timeout: 150_000 });
  return {
    status: (await item.getAttribute('data-status')) ?? '',
    route: (await item.getAttribute('data-route')) ?? '',
    // <progress>.value reflects its `value` attribute.
    progress: Number(await (await item.$('progress'))?.getAttribute('value')),
    progressEvents: Number((await item.getAttribute('data-progress-events')) ?? 0),
    text: await item.innerText(),
  };
}

/** Waits (bounded) until every variant image of a file has loaded, then returns their decoded sizes. */
async function loadedThumbnails(page: Page, fileName: string): Promise<Record<string, [number, number]>> {
  const images = JSON.stringify(`li.upload[data-file-name="${fileName}"] img`);
  // Polled from here, not with waitForFunction: that polls by eval inside the page, which the
  // page's Content-Security-Policy (script-src 'self') rightly forbids.
  const allLoaded = `(() => { const all = Array.from(document.querySelectorAll(${images})); return all.length > 0 && all.every((img) => img.complete && img.naturalWidth > 0); })()`;
  for (let attempt = 0; attempt < 60 && !(await page.evaluate(allLoaded)); attempt++) await new Promise((resolve) => setTimeout(resolve, 500));
  return (await page.evaluate(`Object.fromEntries(Array.from(document.querySelectorAll(${images})).map((img) => [img.dataset.variant, [img.naturalWidth, img.naturalHeight]]))`)) as Record<string, [number, number]>;
}

describe('the upload page in headless Chromium', () => {
  it('uploads a small JPEG directly and a 6.5 MiB one through a presigned POST, shows both processed with thumbnails, and explains a PDF named .jpg', async () => {
    // Arrange
    const small = await makeJpeg({ width: 640, height: 480 });
    const large = await makeJpegOfExactSize(LARGE_BYTES);
    expect(small.length).toBeLessThanOrEqual(DIRECT_UPLOAD_MAX_BYTES);
    expect(large.length).toBeGreaterThan(6 * 1024 * 1024);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(pageUrl);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });

    // Act: type the key, pick three files.
    await page.fill('#api-key', apiKey);
    await page.setInputFiles('#files', [
      { name: 'small.jpg', mimeType: 'image/jpeg', buffer: small },
      { name: 'large.jpg', mimeType: 'image/jpeg', buffer: large },
      { name: 'report.jpg', mimeType: 'image/jpeg', buffer: makePdf() },
    ]);
    const direct = await finished(page, 'small.jpg');
    const presigned = await finished(page, 'large.jpg');
    const pdf = await finished(page, 'report.jpg');
    const smallThumbnails = await loadedThumbnails(page, 'small.jpg');
    const largeThumbnails = await loadedThumbnails(page, 'large.jpg');
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Assert
    expect(direct).toMatchObject({ status: 'PROCESSED', route: 'direct', progress: 100 });
    expect(direct.text).toContain('source api');
    expect(presigned).toMatchObject({ status: 'PROCESSED', route: 'presigned', progress: 100 });
    expect(presigned.text).toContain('source upload');
    // Progress comes from XMLHttpRequest upload events, not from a bar set to 100 at the end.
    expect(direct.progressEvents).toBeGreaterThanOrEqual(1);
    expect(presigned.progressEvents).toBeGreaterThanOrEqual(1);
    for (const thumbnails of [smallThumbnails, largeThumbnails]) {
      expect(Object.keys(thumbnails).sort()).toEqual(['large', 'large-webp', 'medium', 'thumbnail']);
      expect(thumbnails.thumbnail).toEqual([200, 200]);
    }
    expect(smallThumbnails.medium).toEqual([640, 480]);

    expect(pdf.status).toBe('ERROR');
    const problem = page.locator('li.upload[data-file-name="report.jpg"] .problem');
    await expect(problem.locator('.problem-title').textContent()).resolves.toBe('Unsupported Media Type');
    await expect(problem.locator('.problem-detail').textContent()).resolves.toMatch(/PDF/);
    expect(pageErrors).toEqual([]);
  });

  it('takes a JPEG dropped on the drop zone', async () => {
    // Arrange: a File in a DataTransfer, as a real drag from the desktop delivers it.
    const jpeg = await makeJpeg({ width: 320, height: 240 }, 21);
    const page = await context.newPage();
    await page.goto(pageUrl);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    await page.fill('#api-key', apiKey);
    const dataTransfer = await page.evaluateHandle(
      `(() => { const bytes = Uint8Array.from(atob(${JSON.stringify(jpeg.toString('base64'))}), (c) => c.charCodeAt(0)); const transfer = new DataTransfer(); transfer.items.add(new File([bytes], 'dropped.jpg', { type: 'image/jpeg' })); return transfer; })()`,
    );

    // Act
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
    const dropped = await finished(page, 'dropped.jpg');

    // Assert
    expect(dropped).toMatchObject({ status: 'PROCESSED', route: 'direct', progress: 100 });
    expect((await loadedThumbnails(page, 'dropped.jpg')).thumbnail).toEqual([200, 200]);
    await page.close();
  });
});
