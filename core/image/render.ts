import sharp from 'sharp';
import { DEFAULT_ENCODING, type EncoderSettings } from '../config';
import { invalidParameterError } from '../errors';
import { readBmpHeader } from './bmp';
import { decodeFailure, openPipeline, type DecodeSource } from './decode';
import { intermediateResizeOptions, jpegOptions, webpOptions } from './encoding';
import { IMAGE_FORMATS, type ImageFormat } from './formats';
import { DEFAULT_IMAGE_LIMITS, asBuffer, inspect, type ImageInfo, type ImageLimits } from './inspect';
import { estimateDecodeBytes, processDecodeBudget } from './decode-budget';
import { DEFAULT_VARIANTS, VARIANT_OUTPUT, validateVariantSpecs, type VariantSpec } from './variants';
import { overlayFor, type PreparedWatermark } from './watermark';

/** One processed copy, ready to store under `variantKey(imageId, name, extension)` (core/keys.ts). */
export interface RenderedVariant {
  /** The spec's name, e.g. `thumbnail`. */
  name: string;
  format: VariantSpec['format'];
  /** Width of the encoded copy, in pixels. */
  width: number;
  /** Height of the encoded copy, in pixels. */
  height: number;
  /** Size of {@link data} in bytes. */
  bytes: number;
  /** e.g. `image/jpeg`. */
  contentType: string;
  /** e.g. `jpg`, without the dot. */
  extension: string;
  /** The encoded image: upright, sRGB, no EXIF/XMP/ICC/GPS. */
  data: Buffer;
}

/**
 * The size an `inside` variant of a `width`×`height` image gets: the same arithmetic sharp uses
 * for `fit: 'inside', withoutEnlargement: true`, applied to the original size so that cutting
 * from the intermediate cannot make a variant a pixel off from a direct resize.
 */
export function insideSize(width: number, height: number, box: { width: number; height: number }): { width: number; height: number } {
  if (width <= box.width && height <= box.height) return { width, height };
  if (box.width / width <= box.height / height) {
    return { width: box.width, height: Math.max(1, Math.round((height * box.width) / width)) };
  }
  return { width: Math.max(1, Math.round((width * box.height) / height)), height: box.height };
}

/**
 * The size of the one intermediate image all variants are cut from: the smallest that still
 * gives every variant all the pixels it would get from the original, never larger than the
 * original. `cover` needs the box covered, `inside` needs it filled along one side.
 */
export function intermediateSize(width: number, height: number, specs: readonly VariantSpec[]): { width: number; height: number } {
  let scale = 0;
  for (const spec of specs) {
    const x = spec.width / width;
    const y = spec.height / height;
    scale = Math.max(scale, spec.fit === 'cover' ? Math.max(x, y) : Math.min(x, y));
  }
  if (scale >= 1) return { width, height };
  // Rounding like sharp makes the largest `inside` variant exactly the intermediate, and still
  // covers every `cover` box: side × scale ≥ box side, an integer, so the rounding is too.
  return {
    width: Math.min(width, Math.max(1, Math.round(width * scale))),
    height: Math.min(height, Math.max(1, Math.round(height * scale))),
  };
}

/**
 * Decodes once into an upright, sRGB, 8-bit raw intermediate at {@link intermediateSize}.
 *
 * Why one raw intermediate rather than one sharp `.clone()` per variant: clones share the input
 * but each runs its own decode. Measured on 2 cores with the default four variants (ms per image):
 * 6000×4000 JPEG 12.6 MiB: 558 with clones in parallel, 800 with separate pipelines in sequence,
 * 391 with the intermediate; 3000×2000 PNG: 441 / 579 / 356; 3000×2000 WebP: 697 / 1119 / 485.
 * The resize to the intermediate lets libjpeg/libwebp shrink on load (e.g. 1/2 scale for a
 * 6000-wide JPEG and a 1600 box), which is where large inputs save the most. Raw pixels also
 * carry no metadata at all, so no EXIF, GPS, XMP or ICC can leak into a variant.
 */
async function decodeIntermediate(source: DecodeSource, info: ImageInfo, specs: readonly VariantSpec[], encoding: EncoderSettings) {
  const target = intermediateSize(info.width, info.height, specs);
  let pipeline = openPipeline(source).autoOrient();
  // libvips decodes every GIF as RGBA: dropping an alpha channel the image does not use makes
  // the intermediate a quarter smaller and spares the resizes premultiplying it.
  if (!info.hasAlpha) pipeline = pipeline.removeAlpha();
  if (target.width !== info.width || target.height !== info.height) {
    pipeline = pipeline.resize({ width: target.width, height: target.height, fit: 'fill', ...intermediateResizeOptions(encoding) });
  }
  try {
    // srgb also converts CMYK and embedded ICC profiles (e.g. Display P3) and 16-bit input.
    return await pipeline.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw decodeFailure(source.format, error);
  }
}

async function encodeVariant(
  intermediate: { data: Buffer; info: sharp.OutputInfo },
  original: ImageInfo,
  spec: VariantSpec,
  encoding: EncoderSettings,
  watermark?: PreparedWatermark,
): Promise<RenderedVariant> {
  const { width, height, channels } = intermediate.info;
  let pipeline = sharp(intermediate.data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
  if (spec.fit === 'inside') {
    const target = insideSize(original.width, original.height, spec);
    if (target.width !== width || target.height !== height) pipeline = pipeline.resize({ ...target, fit: 'fill' });
  } else {
    // Without enlargement, a box larger than the image is cropped to the image, not filled.
    pipeline = pipeline.resize({ width: spec.width, height: spec.height, fit: 'cover', position: 'centre', withoutEnlargement: true });
  }
  // JPEG has no alpha: composite onto white, as a browser shows a transparent PNG on a page.
  if (spec.format === 'jpeg') pipeline = pipeline.flatten({ background: '#ffffff' });
  try {
    if (watermark !== undefined) pipeline = await withWatermark(pipeline, watermark);
    pipeline = spec.format === 'jpeg' ? pipeline.jpeg(jpegOptions(spec.quality, encoding)) : pipeline.webp(webpOptions(spec.quality, encoding));
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    return {
      name: spec.name,
      format: spec.format,
      width: info.width,
      height: info.height,
      bytes: data.length,
      contentType: VARIANT_OUTPUT[spec.format].contentType,
      extension: VARIANT_OUTPUT[spec.format].extension,
      data,
    };
  } catch (error) {
    // The pixels are already decoded, so this is our bug or the machine's, not the image's.
    throw new Error(`Encoding variant "${spec.name}" as ${spec.format} failed`, { cause: error });
  }
}

/**
 * The variant's pixels with the watermark on top. sharp composites after resizing, but the box
 * depends on the variant's final size, so the resized (and flattened) variant is taken to raw
 * pixels first: one more pass over a variant-sized buffer, never another decode of the source.
 */
async function withWatermark(pipeline: sharp.Sharp, watermark: PreparedWatermark): Promise<sharp.Sharp> {
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const base = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  const overlay = await overlayFor(watermark, info);
  return overlay === undefined ? base : base.composite([overlay]);
}

async function renderFrom(
  source: DecodeSource,
  info: ImageInfo,
  specs: readonly VariantSpec[],
  encoding: EncoderSettings,
  watermark?: PreparedWatermark,
): Promise<RenderedVariant[]> {
  if (specs.length === 0) return [];
  const intermediate = await decodeIntermediate(source, info, specs, encoding);
  // One variant at a time: the orchestrator already processes several images at once, and
  // the libuv pool sharp runs on is shared with fs, zlib and crypto. Encoding the four
  // defaults in parallel saved ~5% on one image (370 vs 391 ms), not worth starving others.
  const variants: RenderedVariant[] = [];
  const marked = new Set(watermark?.settings.variants ?? []);
  for (const spec of specs) variants.push(await encodeVariant(intermediate, info, spec, encoding, marked.has(spec.name) ? watermark : undefined));
  return variants;
}

function validateInfo(bytes: Buffer, info: ImageInfo): void {
  if (typeof info !== 'object' || info === null) throw invalidParameterError('info', 'ImageInfo from inspectImage', info);
  if (!(IMAGE_FORMATS as readonly string[]).includes(info.format)) throw invalidParameterError('info.format', 'detected image format', info.format);
  if (info.bytes !== bytes.length) {
    throw invalidParameterError('info.bytes', `ImageInfo of these ${bytes.length} bytes`, info.bytes);
  }
  for (const side of ['width', 'height'] as const) {
    if (!Number.isSafeInteger(info[side]) || info[side] < 1) throw invalidParameterError(`info.${side}`, 'positive integer', info[side]);
  }
}

/**
 * Makes the processed copies of an image that {@link inspectImage} accepted: decodes once, then
 * derives every variant. Each copy is upright (EXIF orientation applied), sRGB, stripped of all
 * metadata (GPS included), flattened onto white when JPEG, and never enlarged: a `cover`
 * variant of a smaller image is cropped to at most the box, an `inside` variant keeps the
 * original size.
 *
 * @param bytes The same bytes that were inspected.
 * @param info The result of `inspectImage(bytes)`.
 * @param specs What to make; names must be unique.
 * @param limits `maxDecodeBytes`: the process decode memory this render waits for (default 256 MiB).
 * @param encoding Encoder settings (WebP effort, JPEG subsampling, resize kernel …).
 * @default specs DEFAULT_VARIANTS (thumbnail 200×200 cover, medium 800×600, large 1600×1600,
 *   JPEG q85, plus large-webp)
 * @default encoding DEFAULT_ENCODING
 * @throws UndecodableImageError when the pixel data turns out to be damaged.
 * @throws InvalidParameterError when `info` does not describe `bytes` or a spec is malformed.
 * @example
 * const info = await inspectImage(body, config.limits);
 * const variants = await renderVariants(body, info, config.variants);
 * for (const v of variants) await blobs.put({ bucket, key: variantKey(imageId, v.name, v.extension) }, v.data, { contentType: v.contentType });
 */
export async function renderVariants(
  bytes: Uint8Array,
  info: ImageInfo,
  specs: readonly VariantSpec[] = DEFAULT_VARIANTS,
  limits?: Pick<ImageLimits, 'maxDecodeBytes'>,
  encoding: EncoderSettings = DEFAULT_ENCODING,
): Promise<RenderedVariant[]> {
  const buffer = asBuffer(bytes);
  validateInfo(buffer, info);
  const checkedSpecs = validateVariantSpecs(specs);
  // Rendering alone decodes too: it waits for its share of the process's decode memory.
  const size = intermediateSize(info.width, info.height, checkedSpecs);
  const estimate = estimateDecodeBytes({ format: info.format, width: info.width, height: info.height, channels: 4, intermediatePixels: size.width * size.height });
  const release = await processDecodeBudget(limits?.maxDecodeBytes ?? DEFAULT_IMAGE_LIMITS.maxDecodeBytes).reserve(estimate);
  const source: DecodeSource =
    info.format === 'bmp'
      ? { format: 'bmp', bytes: buffer, header: readBmpHeader(buffer) }
      : // The inspected pixel count is an exact bound for the same bytes; libvips enforces it again.
        { format: info.format as Exclude<ImageFormat, 'bmp'>, bytes: buffer, maxPixels: info.width * info.height };
  try {
    return await renderFrom(source, info, checkedSpecs, encoding);
  } finally {
    release();
  }
}

/** Options of {@link processImage}. */
export interface ProcessImageOptions extends ImageLimits {
  /** @default DEFAULT_VARIANTS */
  variants?: readonly VariantSpec[];
  /** @default DEFAULT_ENCODING */
  encoding?: EncoderSettings;
  /** The input's SHA-256 (hex) when the caller already computed it; otherwise it is computed. */
  sha256?: string;
  /**
   * A watermark drawn on the variants its settings name (never the raw image), composited on
   * the variant's pixels from the same single decode. @default undefined (none)
   */
  watermark?: PreparedWatermark;
}

/**
 * {@link inspectImage} and {@link renderVariants} in one call with a single decode: the pixel
 * check that inspection does on its own is left to the rendering decode, which is just as
 * strict. Use it when nothing has to be recorded between inspecting and rendering.
 *
 * @throws ImageTooLargeError, UnsupportedImageError, TooManyPixelsError, DecodeBudgetError,
 *   UndecodableImageError as {@link inspectImage} does.
 * @example
 * const { info, variants } = await processImage(body, { ...config.limits, variants: config.variants });
 */
export async function processImage(
  bytes: Uint8Array,
  options: ProcessImageOptions = {},
): Promise<{ info: ImageInfo; variants: RenderedVariant[] }> {
  const specs = validateVariantSpecs(options.variants ?? DEFAULT_VARIANTS);
  const intermediatePixels = (width: number, height: number): number => {
    const size = intermediateSize(width, height, specs);
    return size.width * size.height;
  };
  const { info, source, release } = await inspect(bytes, options, false, options.sha256, intermediatePixels);
  try {
    return { info, variants: await renderFrom(source, info, specs, options.encoding ?? DEFAULT_ENCODING, options.watermark) };
  } finally {
    release();
  }
}

