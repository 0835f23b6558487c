import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { BrowserContext, Page } from 'playwright-core';
import { CUSTOMER_ID_CLAIM } from '../../authorizer';
import { loadConfig, type Config } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { DIRECT_UPLOAD_MAX_BYTES, IngestApi, UploadProcessor, withCors } from '../../ingest-api';
import { loginToDevPool } from '../../local/commands/login';
import { gatewayAuthorizer, startHttpAdapter } from '../../local/http-adapter';
import { ensureBucket, ensureUploadNotifications } from '../../local/stack/bootstrap';
import { projectRoot } from '../../local/stack/paths';
import { startUploadPage } from '../../local/upload-page/server';
import { startUploadPoller } from '../../local/upload-poller';
import { launchChromium } from '../helpers/chromium';
import { makeJpeg, makeJpegOfExactSize, makePdf } from '../helpers/images';
import { freshRsaKey, jwtClaims, motoSigningKey, signRs256 } from '../helpers/jwt';
import { freePorts } from '../helpers/tcp-ports';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';

// The upload page in real headless Chromium (Debian's package, driven by playwright-core),
// against the local adapter and upload poller started here and the shared local stack. The
// page lives on its own origin, so every API call and the presigned S3 POST are cross-origin
// and pass only if the CORS rules of the API and of the bucket are right.
// The raw bucket and upload queue are this test's own, so its bucket CORS rule (this page's
// origin) does not touch the shared bucket's. The credential field takes an API key or an ID
// token of the local dev user pool (moto's Cognito), made here through `ingest login`'s code path.

const OUTPUT_DIR = join(projectRoot(), 'test-output');
const SCREENSHOT = join(OUTPUT_DIR, 'upload-page.png');
const LARGE_BYTES = 6.5 * 1024 * 1024;
/** The credential field, found by its label as a person finds it. */
const CREDENTIAL_LABEL = 'API key or ID token';

const suffix = randomUUID().slice(0, 8);
/** The customer of this file's dev-pool user: its ID token's `custom:customer_id`. */
const tokenCustomerId = `page-token-${suffix}`;
let config: Config;
let runtime: PipelineRuntime;
let apiKey: string;
let idToken: string;
let apiUrl: string;
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
  if (config.auth.signIn === undefined) throw new Error('the global setup did not pass the dev user pool (COGNITO_USER_POOL_ID) to this worker');
  runtime = createPipelineRuntime(config, 'upload-page-test');
  await ensureBucket(runtime.clients, bucket, config.limits.retentionDays);
  await ensureUploadNotifications(runtime.clients, config);
  stops.push(async () => {
    const { QueueUrl } = await runtime.clients.sqs.send(new GetQueueUrlCommand({ QueueName: config.local.uploadQueue }));
    await runtime.clients.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    await emptyAndDeleteBucket(bucket);
  });
  apiKey = await registerKey(`page-${suffix}`);
  idToken = await loginToDevPool(config, { username: `page-user-${suffix}`, customerId: tokenCustomerId });

  const api = new IngestApi(runtime);
  const adapter = await startHttpAdapter({ host: '127.0.0.1', port: 0, maxImageBytes: config.limits.maxImageBytes, authorizer: gatewayAuthorizer(config, runtime.secrets), handler: withCors(config.cors, (e) => api.handle(e)), cors: config.cors });
  stops.push(adapter.stop);
  apiUrl = adapter.url;
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

/** A new tab on the upload page, once it has read config.json. */
async function openPage(): Promise<Page> {
  const page = await context.newPage();
  await page.goto(pageUrl);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
  return page;
}

/** Every object key in this file's own raw bucket (a few dozen at most). */
async function rawKeys(): Promise<string[]> {
  const listed = await runtime.clients.s3.send(new ListObjectsV2Command({ Bucket: config.rawBucket }));
  return (listed.Contents ?? []).map((o) => o.Key as string);
}

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
    await page.getByLabel(CREDENTIAL_LABEL, { exact: true }).fill(apiKey);
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
    const page = await openPage();
    await page.getByLabel(CREDENTIAL_LABEL, { exact: true }).fill(apiKey);
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

describe('the credential field: an API key or a Cognito ID token', () => {
  it('says so, and a dev-pool ID token pasted as "  Bearer <token> " uploads a JPEG that is PROCESSED as the token\'s custom:customer_id', async () => {
    // Arrange: the token of this file's dev-pool user, pasted the way it is often copied (the
    // whole header value, with blanks around it).
    expect(jwtClaims(idToken)[CUSTOMER_ID_CLAIM]).toBe(tokenCustomerId);
    const jpeg = await makeJpeg({ width: 320, height: 240 }, 31);
    const page = await openPage();
    const field = page.getByLabel(CREDENTIAL_LABEL, { exact: true });

    // Act
    await field.fill(`  Bearer ${idToken} \t`);
    await page.setInputFiles('#files', [{ name: 'token.jpg', mimeType: 'image/jpeg', buffer: jpeg }]);
    const uploaded = await finished(page, 'token.jpg');
    const imageId = (await page.locator('li.upload[data-file-name="token.jpg"]').getAttribute('data-image-id')) ?? '';

    // Assert: the field names both credentials and is not offered to autofill.
    expect(await field.getAttribute('autocomplete')).toBe('off');
    expect(await field.getAttribute('placeholder')).toMatch(/ik_….*ID token/);
    expect(uploaded).toMatchObject({ status: 'PROCESSED', route: 'direct', progress: 100 });
    expect(uploaded.text).toContain(`id ${imageId}`);
    // The stored record belongs to the token's customer, not to any API key's.
    const record = await runtime.metadata.get(imageId, new Date());
    expect(record).toMatchObject({ imageId, status: 'PROCESSED', source: 'api', customerId: tokenCustomerId });
    await page.close();
  });

  it('a wrong token (the dev user\'s claims, signed by a key the pool never published) shows the 401 problem on the page, and nothing is stored', async () => {
    // Arrange: claims naming a customer of its own, so "nothing stored" can be asked of that customer.
    const forgedCustomerId = `page-forged-${suffix}`;
    const { kid } = motoSigningKey(config.local.dataDir);
    const forged = signRs256({ ...jwtClaims(idToken), [CUSTOMER_ID_CLAIM]: forgedCustomerId }, freshRsaKey(kid).privateKey, kid);
    const jpeg = await makeJpeg({ width: 320, height: 240 }, 32);
    const rawBefore = await rawKeys();
    const page = await openPage();

    // Act
    await page.getByLabel(CREDENTIAL_LABEL, { exact: true }).fill(forged);
    await page.setInputFiles('#files', [{ name: 'forged.jpg', mimeType: 'image/jpeg', buffer: jpeg }]);
    const refused = await finished(page, 'forged.jpg');

    // Assert: the API's problem, as the page shows it.
    expect(refused.status).toBe('ERROR');
    const problem = page.locator('li.upload[data-file-name="forged.jpg"] .problem');
    await expect(problem.locator('.problem-title').textContent()).resolves.toBe('Unauthorized');
    await expect(problem.locator('.problem-detail').textContent()).resolves.toBe("the token's signature does not verify with the user pool's keys");
    // Nothing stored: no record for the token's customer, no new raw object in this file's bucket.
    expect((await runtime.metadata.listByCustomer(forgedCustomerId, { limit: 10 }, new Date())).items).toEqual([]);
    expect((await rawKeys()).filter((key) => !rawBefore.includes(key))).toEqual([]);
    await page.close();
  });

  it.each([
    ['"Bearer" alone', ' Bearer ', 'Credential missing', 'paste your API key (ik_…) or Cognito ID token (eyJ…, from ingest login) into the "API key or ID token" field first'],
    ['two keys with a space between', 'ik_one ik_two', 'Credential not valid', 'the API key or ID token has a space at position 7, which no key or token contains; paste exactly one key or token'],
    ['the placeholder\'s "ik_…" copied', 'ik_…', 'Credential not valid', 'the API key or ID token has the character "…" at position 4, which no key or token contains; paste exactly one key or token'],
  ])('%s is refused on the page with what to paste, and no request is sent', async (_name, typed, title, detail) => {
    // Arrange
    const page = await openPage();
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(`${apiUrl}/`)) sent.push(`${request.method()} ${request.url()}`);
    });
    const fileName = `refused-${randomUUID().slice(0, 8)}.jpg`;

    // Act
    await page.getByLabel(CREDENTIAL_LABEL, { exact: true }).fill(typed);
    await page.setInputFiles('#files', [{ name: fileName, mimeType: 'image/jpeg', buffer: await makeJpeg({ width: 32, height: 24 }) }]);
    const refused = await finished(page, fileName);

    // Assert
    expect(refused.status).toBe('ERROR');
    const problem = page.locator(`li.upload[data-file-name="${fileName}"] .problem`);
    await expect(problem.locator('.problem-title').textContent()).resolves.toBe(title);
    await expect(problem.locator('.problem-detail').textContent()).resolves.toBe(detail);
    expect(sent).toEqual([]);
    await page.close();
  });
});
