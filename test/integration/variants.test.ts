/**
 * A non-default `IMAGE_VARIANTS` list on the real stand-ins (moto for S3 and DynamoDB): the
 * pipeline makes exactly the configured copies, under the hashed key layout, and nothing else.
 */
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { ENV, destroyAwsClients, keyHashPrefix, loadConfig, variantKey } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { makeJpeg } from '../helpers/images';

jest.setTimeout(60_000);

const VARIANTS = '[{"name":"square","width":64,"height":64,"fit":"cover","format":"webp","quality":70},{"name":"banner","width":300,"height":100,"format":"jpeg"}]';

let runtime: PipelineRuntime;

beforeAll(() => {
  runtime = createPipelineRuntime(loadConfig({ ...process.env, LOG_LEVEL: 'ERROR', [ENV.imageVariants]: VARIANTS }), 'variants-test');
});

afterAll(() => destroyAwsClients(runtime.clients));

it('makes exactly the configured variants: their keys, formats and sizes, nothing of the default set', async () => {
  const imageId = randomUUID();
  const customerId = `variants-${randomUUID().slice(0, 8)}`;
  const result = await runtime.pipeline.ingest({ imageId, source: 'kafka', customerId, bytes: await makeJpeg({ width: 640, height: 480 }, 11) });
  expect(result.record.status).toBe('PROCESSED');

  // The record names exactly the two configured variants.
  const stored = await runtime.metadata.get(imageId, new Date());
  expect(Object.keys(stored?.variants ?? {}).sort()).toEqual(['banner', 'square']);
  expect(stored?.variants?.square).toMatchObject({ key: variantKey(imageId, 'square', 'webp'), format: 'webp', width: 64, height: 64 });
  expect(stored?.variants?.banner).toMatchObject({ key: variantKey(imageId, 'banner', 'jpg'), format: 'jpeg', width: 133, height: 100 });

  // And the bucket holds exactly those two objects for the image, under its hash prefix.
  const prefix = `processed/${keyHashPrefix(imageId)}/${imageId}/`;
  const listed = await runtime.clients.s3.send(new ListObjectsV2Command({ Bucket: runtime.config.processedBucket, Prefix: prefix }));
  expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([`${prefix}banner.jpg`, `${prefix}square.webp`]);

  // Decoded, each copy is what its spec asks for (4:3 into 300×100 inside → 133×100).
  for (const [name, format, width, height] of [['square', 'webp', 64, 64], ['banner', 'jpeg', 133, 100]] as const) {
    const body = await runtime.blobs.get({ bucket: runtime.config.processedBucket, key: stored?.variants?.[name]?.key as string }, 1024 * 1024);
    const meta = await sharp(body).metadata();
    expect([name, meta.format, meta.width, meta.height]).toEqual([name, format, width, height]);
  }
});
