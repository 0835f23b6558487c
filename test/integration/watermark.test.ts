/**
 * Watermarks on the real stand-ins (moto for S3 and DynamoDB): the mark is an S3 object read by
 * the runtime's own S3 adapter, images go through the pipeline, and the stored copies are
 * compared pixel by pixel with an un-watermarked render of the same bytes.
 */
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { ENV, destroyAwsClients, loadConfig } from '../../core';
import { watermarkBox, type WatermarkBox } from '../../core/image/watermark';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { makeJpeg } from '../helpers/images';

jest.setTimeout(90_000);

const RUN = randomUUID().slice(0, 8);
const MARK_KEY = `watermark-test/${RUN}/logo.png`;
const MARK = { width: 40, height: 20 };
const SETTINGS = { position: 'southeast', margin: 16, widthRatio: 0.25 } as const;
const CUSTOMER = { marked: `wm-default-${RUN}`, off: `wm-off-${RUN}`, moved: `wm-moved-${RUN}` };

let marked: PipelineRuntime;
let reference: PipelineRuntime;
let photo: Buffer;

beforeAll(async () => {
  const base = { ...process.env, LOG_LEVEL: 'ERROR' };
  reference = createPipelineRuntime(loadConfig(base), 'watermark-reference');
  // An opaque red mark with an alpha channel, held in S3 like a deployment's logo.
  const png = await sharp({ create: { ...MARK, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }).png().toBuffer();
  await reference.blobs.put({ bucket: reference.config.rawBucket, key: MARK_KEY }, png, { contentType: 'image/png' });
  marked = createPipelineRuntime(
    loadConfig({
      ...base,
      [ENV.watermark]: JSON.stringify({ variants: ['medium'], image: `s3://${reference.config.rawBucket}/${MARK_KEY}`, ...SETTINGS, opacity: 1 }),
      [ENV.watermarkCustomers]: JSON.stringify({ [CUSTOMER.off]: null, [CUSTOMER.moved]: { position: 'northwest' } }),
    }),
    'watermark-test',
  );
  photo = await makeJpeg({ width: 1000, height: 750 }, 23);
});

afterAll(async () => {
  await reference?.blobs.delete({ bucket: reference.config.rawBucket, key: MARK_KEY });
  destroyAwsClients(reference.clients);
  destroyAwsClients(marked.clients);
});

/** Ingests `photo` for a customer; returns the raw object and every stored variant's bytes. */
async function ingest(runtime: PipelineRuntime, customerId: string) {
  const imageId = randomUUID();
  const { record } = await runtime.pipeline.ingest({ imageId, source: 'api', customerId, bytes: photo });
  expect(record.status).toBe('PROCESSED');
  const stored = await runtime.metadata.get(imageId, new Date());
  const variants: Record<string, Buffer> = {};
  for (const [name, v] of Object.entries(stored?.variants ?? {})) variants[name] = await runtime.blobs.get({ bucket: runtime.config.processedBucket, key: v.key }, 16 * 1024 * 1024);
  const raw = await runtime.blobs.get(stored!.raw, 16 * 1024 * 1024);
  return { raw, variants };
}

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

async function pixels(image: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Mean absolute channel difference of two same-sized images over the pixels `where` selects. */
function meanDifference(a: Pixels, b: Pixels, where: (x: number, y: number) => boolean): number {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let sum = 0;
  let count = 0;
  for (let y = 0; y < a.height; y += 1) {
    for (let x = 0; x < a.width; x += 1) {
      if (!where(x, y)) continue;
      for (let c = 0; c < a.channels; c += 1) sum += Math.abs(a.data[(y * a.width + x) * a.channels + c]! - b.data[(y * b.width + x) * b.channels + c]!);
      count += a.channels;
    }
  }
  return sum / count;
}

/** Red-ness of the box: mean of (R − (G+B)/2) inside it. */
function redness(p: Pixels, box: WatermarkBox): number {
  let sum = 0;
  for (let y = box.top; y < box.top + box.height; y += 1) {
    for (let x = box.left; x < box.left + box.width; x += 1) {
      const i = (y * p.width + x) * p.channels;
      sum += p.data[i]! - (p.data[i + 1]! + p.data[i + 2]!) / 2;
    }
  }
  return sum / (box.width * box.height);
}

const inside = (box: WatermarkBox, pad = 0) => (x: number, y: number) => x >= box.left - pad && x < box.left + box.width + pad && y >= box.top - pad && y < box.top + box.height + pad;
// JPEG codes 16×16 macroblocks (4:2:0): blocks touching the box may change, so "outside" skips 16 px around it.
const outside = (box: WatermarkBox) => (x: number, y: number) => !inside(box, 16)(x, y);

let plain: Awaited<ReturnType<typeof ingest>>;
beforeAll(async () => {
  plain = await ingest(reference, CUSTOMER.marked);
});

it('puts the S3-held mark at its box on the chosen variant only; the other variants and the raw object have none', async () => {
  const result = await ingest(marked, CUSTOMER.marked);
  const medium = await pixels(result.variants.medium!);
  const before = await pixels(plain.variants.medium!);
  expect([medium.width, medium.height]).toEqual([800, 600]);
  const box = watermarkBox(medium, MARK, SETTINGS)!;
  expect(box).toEqual({ left: 584, top: 484, width: 200, height: 100 });

  // Inside the box: the render differs from the plain one and is red; outside: unchanged within encoder noise.
  expect(meanDifference(medium, before, inside(box))).toBeGreaterThan(40);
  expect(redness(medium, box)).toBeGreaterThan(200);
  expect(meanDifference(medium, before, outside(box))).toBeLessThan(0.5);

  // Every other variant decodes to exactly the plain render, and the raw object is the upload.
  expect(Object.keys(result.variants).sort()).toEqual(['large', 'large-webp', 'medium', 'thumbnail']);
  for (const name of ['thumbnail', 'large', 'large-webp']) {
    expect([name, meanDifference(await pixels(result.variants[name]!), await pixels(plain.variants[name]!), () => true)]).toEqual([name, 0]);
  }
  expect(result.raw.equals(photo)).toBe(true);
  expect(plain.raw.equals(photo)).toBe(true);
});

it('a customer override turns it off: that customer gets the plain copies', async () => {
  const result = await ingest(marked, CUSTOMER.off);
  for (const name of ['thumbnail', 'medium', 'large', 'large-webp']) {
    expect([name, meanDifference(await pixels(result.variants[name]!), await pixels(plain.variants[name]!), () => true)]).toEqual([name, 0]);
  }
});

it('a customer override moves it: the mark is at northwest for that customer, and the south-east corner is untouched', async () => {
  const result = await ingest(marked, CUSTOMER.moved);
  const medium = await pixels(result.variants.medium!);
  const before = await pixels(plain.variants.medium!);
  const northwest = watermarkBox(medium, MARK, { ...SETTINGS, position: 'northwest' })!;
  const southeast = watermarkBox(medium, MARK, SETTINGS)!;
  expect(northwest).toEqual({ left: 16, top: 16, width: 200, height: 100 });
  expect(redness(medium, northwest)).toBeGreaterThan(200);
  expect(meanDifference(medium, before, outside(northwest))).toBeLessThan(0.5);
  expect(meanDifference(medium, before, inside(southeast))).toBeLessThan(0.5);
});
