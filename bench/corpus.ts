/**
 * The benchmark's images, generated from a fixed seed so every run measures the same work:
 * photographic-like JPEGs of about 1, 3 and 12 megapixels, RGBA PNGs, and the 10 MiB
 * ~24-megapixel JPEGs of the memory phase.
 *
 * Everything is built from raw pixels by a seeded generator and encoded by libvips, whose
 * encoders are deterministic, so the same seed gives the same bytes on every run.
 */
import sharp from 'sharp';
import { seededUint32 } from '../test/helpers/images';
import { MAX_IMAGE_BYTES } from '../core/constants';

/** One image of the corpus. */
export interface CorpusImage {
  /** e.g. `jpeg-3mp`. */
  name: string;
  format: 'jpeg' | 'png';
  width: number;
  height: number;
  bytes: Buffer;
}

/**
 * Pixels that compress and resample like a photograph: broad gradients, a few soft shapes that
 * give edges for the resampler, and per-channel grain of amplitude `grain` (0–255).
 * With `alpha` a fourth channel fades from opaque to transparent with a hard-edged hole, so
 * flattening onto white has real work to do.
 */
function photographicPixels(width: number, height: number, seed: number, grain: number, alpha: boolean): Buffer {
  const next = seededUint32(seed);
  const channels = alpha ? 4 : 3;
  const data = Buffer.alloc(width * height * channels);
  const clamped = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  const blobs = Array.from({ length: 6 }, () => ({
    x: (next() / 2 ** 32) * width,
    y: (next() / 2 ** 32) * height,
    r2: ((0.05 + (next() / 2 ** 32) * 0.2) * Math.min(width, height)) ** 2,
    shade: 60 + (next() % 120),
  }));
  const half = grain / 2;
  let i = 0;
  for (let y = 0; y < height; y++) {
    const green = 40 + (160 * y) / height;
    for (let x = 0; x < width; x++) {
      let lift = 0;
      for (const b of blobs) if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r2) lift = b.shade - 90;
      const n = next();
      clamped[i++] = 30 + (180 * x) / width + lift + ((n & 0xff) * grain) / 256 - half;
      clamped[i++] = green + lift / 2 + (((n >>> 8) & 0xff) * grain) / 256 - half;
      clamped[i++] = 90 + 60 * Math.sin((x + y) / 37) - lift / 2 + (((n >>> 16) & 0xff) * grain) / 256 - half;
      if (alpha) {
        const hole = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (Math.min(width, height) / 6) ** 2;
        clamped[i++] = hole ? 0 : 255 - (200 * x) / width;
      }
    }
  }
  return data;
}

async function jpeg(name: string, width: number, height: number, seed: number, grain: number, quality: number): Promise<CorpusImage> {
  const bytes = await sharp(photographicPixels(width, height, seed, grain, false), { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
  return { name, format: 'jpeg', width, height, bytes };
}

async function pngWithAlpha(name: string, width: number, height: number, seed: number): Promise<CorpusImage> {
  // No grain keeps an RGBA PNG small enough to travel inline in a Kafka event (≤ ~1 MB).
  const bytes = await sharp(photographicPixels(width, height, seed, 0, true), { raw: { width, height, channels: 4 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
  return { name, format: 'png', width, height, bytes };
}

/**
 * The throughput corpus, one of each kind; every image fits inline in a Kafka message of the
 * default 1 MB limit, so the stream phase publishes inline events as the brief asks. The grain
 * is set per size so that a 12-megapixel photo still fits: a smooth, well-exposed scene.
 *
 * @param seed Changes every pixel; keep the default to compare runs.
 * @default seed 20240607
 */
export async function throughputCorpus(seed = 20240607): Promise<CorpusImage[]> {
  return Promise.all([
    jpeg('jpeg-1mp', 1224, 816, seed, 64, 85),
    jpeg('jpeg-3mp', 2112, 1408, seed + 1, 40, 85),
    jpeg('jpeg-12mp', 4240, 2832, seed + 2, 14, 80),
    pngWithAlpha('png-alpha-0.5mp', 800, 600, seed + 3),
  ]);
}

/**
 * JPEGs of about 24 megapixels (6000×4000) and just under `maxBytes`: the largest uploads the
 * pipeline accepts, for the memory phase. Quality steps down until the file fits.
 *
 * @default count 2, maxBytes 10 MiB
 */
export async function largeJpegs(count = 2, maxBytes = MAX_IMAGE_BYTES, seed = 777): Promise<CorpusImage[]> {
  const out: CorpusImage[] = [];
  for (let k = 0; k < count; k++) {
    const width = 6000;
    const height = 4000;
    const pixels = photographicPixels(width, height, seed + k, 90, false);
    let chosen: Buffer | undefined;
    for (const quality of [93, 91, 89, 87, 85, 80, 75]) {
      const bytes = await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality }).toBuffer();
      if (bytes.length <= maxBytes - 64 * 1024) {
        chosen = bytes;
        break;
      }
    }
    if (chosen === undefined) throw new Error(`could not make a 6000×4000 JPEG under ${maxBytes} bytes`);
    out.push({ name: `jpeg-24mp-${k}`, format: 'jpeg', width, height, bytes: chosen });
  }
  return out;
}
