/**
 * The one place that turns accepted bytes into a sharp pipeline, with the settings every
 * decode must share, and that turns decoder failures into our error classes.
 */
import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { TooManyPixelsError, UndecodableImageError } from '../errors';
import { decodeBmp, type BmpHeader, type DecodedBmp } from './bmp';
import { FORMAT_DETAILS, type ImageFormat } from './formats';

// Process-wide libvips settings, applied once when the image module is first imported.
//
// Operation cache off: every upload is a different image, so libvips' cache (default 50 MB,
// 100 operations) never hits for us and only holds memory a Lambda needs for the next decode.
// Measured on the dev box, 18 decode+resize runs: RSS 270 MB with the cache, 246 MB without,
// and no slower.
sharp.cache(false);
// Concurrency (libvips threads per image) left at sharp's default. On glibc Linux without
// jemalloc (this build machine reports 1; Lambda's Node.js runtime is the same kind) sharp picks
// 1 to limit allocator fragmentation. The orchestrator runs several images at once, each on its
// own libuv worker (UV_THREADPOOL_SIZE, 4 by default), and that is what keeps the cores busy.
// Measured on 2 cores, 6000×4000 JPEG, default variants: concurrency 1 → 390 ms for one image
// alone, 197 ms per image with 4 in parallel; concurrency 2 → 416 ms alone, 360 ms per image
// with 4 in parallel. More threads per image only made the parallel case slower.

/**
 * How strict libvips is with damaged pixel data. `'error'` refuses truncated files (a JPEG
 * cut short, a PNG missing IDAT data) and decoder errors (bad PNG CRCs), while accepting files
 * that only raise warnings: `'warning'` (sharp's default) rejects everyday camera JPEGs with
 * "N extraneous bytes before marker", which decode perfectly well.
 */
export const FAIL_ON: NonNullable<SharpOptions['failOn']> = 'error';

/** libvips' name for each accepted format, as `metadata().format` reports it. */
export const SHARP_FORMAT: Readonly<Record<Exclude<ImageFormat, 'bmp'>, string>> = {
  jpeg: 'jpeg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
  tiff: 'tiff',
  avif: 'heif',
};

/** First line of a libvips message without the loader prefix; kept short for error text. */
function decoderReason(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const firstLine = raw.split('\n').find((line) => line.trim().length > 0) ?? 'unknown decoder error';
  let reason = firstLine.trim();
  // libvips stacks prefixes ("Input buffer has corrupt header: gifload_buffer: …"); drop them all.
  for (let previous = ''; previous !== reason; ) {
    previous = reason;
    reason = reason.replace(/^(vips\w*|\w+load(_buffer|_source)?|input buffer has corrupt header|source):\s*/i, '');
  }
  return reason.slice(0, 160) || 'unknown decoder error';
}

/**
 * Wraps a decoder failure: our message first, libvips' reason after it, the original as `cause`.
 * A pixel-limit refusal from libvips becomes {@link TooManyPixelsError}.
 */
export function decodeFailure(format: ImageFormat, error: unknown): UndecodableImageError | TooManyPixelsError {
  const label = FORMAT_DETAILS[format].label;
  const reason = decoderReason(error);
  if (/exceeds pixel limit/i.test(reason)) {
    return new TooManyPixelsError(`The ${label} image has more pixels than allowed`, { cause: error });
  }
  return new UndecodableImageError(`Could not decode the ${label} image: it is truncated or corrupt (${reason})`, { cause: error });
}

/** Where a pipeline reads from: the encoded bytes, or the BMP header we already checked. */
export type DecodeSource =
  | { format: Exclude<ImageFormat, 'bmp'>; bytes: Buffer; maxPixels: number }
  | { format: 'bmp'; bytes: Buffer; header: BmpHeader; decoded?: DecodedBmp };

/**
 * A sharp pipeline over the first frame/page of the image, refusing damaged data. BMP enters
 * sharp as raw RGBA, decoded here with bmp-ts (synchronously) unless the source carries pixels.
 *
 * @throws UndecodableImageError when a BMP cannot be decoded (other formats fail later, when
 *   the pipeline runs; wrap those with {@link decodeFailure}).
 */
export function openPipeline(source: DecodeSource): Sharp {
  if (source.format === 'bmp') {
    const decoded = source.decoded ?? decodeBmp(source.bytes, source.header);
    const pipeline = sharp(decoded.data, { raw: { width: decoded.width, height: decoded.height, channels: 4 } });
    return decoded.hasAlpha ? pipeline : pipeline.removeAlpha();
  }
  return sharp(source.bytes, { failOn: FAIL_ON, limitInputPixels: source.maxPixels });
}
