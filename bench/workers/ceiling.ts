/**
 * The ceiling: bare sharp making the pipeline's variant set (same sizes, fits, formats,
 * qualities, flattening, and the same encoder settings from config) from the in-memory corpus,
 * with no S3, DynamoDB, Kafka or validation.
 *
 * Usage (by bench/run.js only): `node ceiling.js <corpus file>...`
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { loadConfig } from '../../core/config';
import type { VariantSpec } from '../../core/image/variants';
import { intermediateResizeOptions, jpegOptions, webpOptions } from '../../core/image';
import { toDriver, type CeilingRequest, type CeilingStrategy, type DriverMessage } from '../protocol';

// The pipeline's setting (core/image/decode.ts). It also keeps a repeated corpus image from
// being served out of libvips' operation cache, which would flatter the ceiling.
sharp.cache(false);

// The same variants and encoder settings the pipeline loads, so the CPU ratio to it stays honest.
const { variants: specs, encoding } = loadConfig();

/** The smallest intermediate that still gives every variant all its pixels. */
function intermediateScale(width: number, height: number): number {
  let scale = 0;
  for (const s of specs) {
    const x = s.width / width;
    const y = s.height / height;
    scale = Math.max(scale, s.fit === 'cover' ? Math.max(x, y) : Math.min(x, y));
  }
  return Math.min(1, scale);
}

function encode(pipeline: sharp.Sharp, spec: VariantSpec): Promise<Buffer> {
  const sized = pipeline.resize({ width: spec.width, height: spec.height, fit: spec.fit, withoutEnlargement: true });
  return spec.format === 'jpeg'
    ? sized.flatten({ background: '#ffffff' }).jpeg(jpegOptions(spec.quality, encoding)).toBuffer()
    : sized.webp(webpOptions(spec.quality, encoding)).toBuffer();
}

async function decodeOnce(bytes: Buffer): Promise<number> {
  const meta = await sharp(bytes).metadata();
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  const scale = intermediateScale(width, height);
  let pipeline = sharp(bytes).autoOrient();
  if (scale < 1) {
    pipeline = pipeline.resize({ width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), fit: 'fill', ...intermediateResizeOptions(encoding) });
  }
  const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  let total = 0;
  for (const spec of specs) {
    total += (await encode(sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }), spec)).length;
  }
  return total;
}

async function clones(bytes: Buffer): Promise<number> {
  const input = sharp(bytes).autoOrient();
  const outputs = await Promise.all(specs.map((spec) => encode(input.clone(), spec)));
  return outputs.reduce((sum, b) => sum + b.length, 0);
}

const STRATEGIES: Record<CeilingStrategy, (bytes: Buffer) => Promise<number>> = { 'decode-once': decodeOnce, clone: clones };

async function run(corpus: Buffer[], request: CeilingRequest): Promise<void> {
  const make = STRATEGIES[request.strategy];
  let next = 0;
  let outputBytes = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < request.images) {
      const index = next++;
      outputBytes += await make(corpus[index % corpus.length] as Buffer);
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, worker));
  toDriver({ type: 'ceiling-done', images: request.images, wallMs: performance.now() - started, outputBytes });
}

function main(): void {
  const corpus = process.argv.slice(2).map((file) => readFileSync(file));
  if (corpus.length === 0) throw new Error('no corpus files given');
  process.on('message', (message: DriverMessage) => {
    if (message.type === 'stop') process.exit(0);
    if (message.type === 'ceiling') run(corpus, message).catch((error: Error) => toDriver({ type: 'failed', message: error.stack ?? error.message }));
  });
  toDriver({ type: 'ready', sharpConcurrency: sharp.concurrency() });
}

main();
