/**
 * Drawing a watermark on a variant: the box math, the overlay (a PNG or Pango-rendered text,
 * decoded once per process and cached), and the resolver that picks a customer's setting and
 * loads an S3-held mark through the BlobStore port. The source image is never decoded again:
 * the overlay is composited onto the variant's already-resized pixels (render.ts).
 */
import sharp from 'sharp';
import { DependencyError, PipelineError } from '../errors';
import type { BlobStore } from '../ports';
import { MAX_WATERMARK_IMAGE_BYTES, pngAlphaProblem, watermarkFor, type WatermarkConfig, type WatermarkPosition, type WatermarkSettings } from './watermark-settings';

/** A rectangle on a variant, in pixels. */
export interface WatermarkBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Where the mark goes on a `variantWidth`×`variantHeight` variant: `widthRatio` of the variant's
 * width (aspect ratio of the `markWidth`×`markHeight` mark kept), shrunk when needed so it fits
 * inside the margins, then placed at `position` with `margin` pixels from the edges it touches
 * (centred on the other axis). `undefined` when the variant is too small to hold any of it.
 */
export function watermarkBox(
  variant: { width: number; height: number },
  mark: { width: number; height: number },
  settings: Pick<WatermarkSettings, 'position' | 'margin' | 'widthRatio'>,
): WatermarkBox | undefined {
  const { margin, position } = settings;
  const roomWidth = variant.width - 2 * margin;
  const roomHeight = variant.height - 2 * margin;
  if (roomWidth < 1 || roomHeight < 1) return undefined;
  let width = Math.min(roomWidth, Math.max(1, Math.round(variant.width * settings.widthRatio)));
  let height = Math.max(1, Math.round((width * mark.height) / mark.width));
  if (height > roomHeight) {
    height = roomHeight;
    width = Math.max(1, Math.min(roomWidth, Math.round((height * mark.width) / mark.height)));
  }
  return { ...placement(position, variant, width, height, margin), width, height };
}

function placement(position: WatermarkPosition, variant: { width: number; height: number }, width: number, height: number, margin: number): { left: number; top: number } {
  const west = margin;
  const east = variant.width - margin - width;
  const north = margin;
  const south = variant.height - margin - height;
  const middleX = Math.floor((variant.width - width) / 2);
  const middleY = Math.floor((variant.height - height) / 2);
  const left = position.endsWith('west') ? west : position.endsWith('east') ? east : middleX;
  const top = position.startsWith('north') ? north : position.startsWith('south') ? south : middleY;
  return { left, top };
}

/** A mark decoded to raw RGBA (non-premultiplied), ready to scale per variant. */
export interface WatermarkOverlay {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * Multiplies every alpha byte of a raw RGBA buffer by `opacity` (0–1), in place.
 * @returns the same buffer.
 */
export function applyOpacity(rgba: Buffer, opacity: number): Buffer {
  if (opacity >= 1) return rgba;
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = Math.round(rgba[i]! * opacity);
  return rgba;
}

/** A customer's watermark, ready to draw: the settings and the decoded mark. */
export interface PreparedWatermark {
  settings: WatermarkSettings;
  overlay: WatermarkOverlay;
}

/**
 * The overlay of `mark` for a variant of the given size: the mark scaled into
 * {@link watermarkBox} with the opacity applied, as raw RGBA for sharp's `composite`.
 * @returns `undefined` when the variant is too small for the mark.
 */
export async function overlayFor(prepared: PreparedWatermark, variant: { width: number; height: number }): Promise<{ input: Buffer; raw: { width: number; height: number; channels: 4 }; left: number; top: number } | undefined> {
  const { overlay, settings } = prepared;
  const box = watermarkBox(variant, overlay, settings);
  if (box === undefined) return undefined;
  const scaled =
    box.width === overlay.width && box.height === overlay.height
      ? Buffer.from(overlay.data)
      : await sharp(overlay.data, { raw: { width: overlay.width, height: overlay.height, channels: 4 } })
          .resize({ width: box.width, height: box.height, fit: 'fill' })
          .raw()
          .toBuffer();
  return { input: applyOpacity(scaled, settings.opacity), raw: { width: box.width, height: box.height, channels: 4 }, left: box.left, top: box.top };
}

/** Pango markup needs `&`, `<`, `>`, quotes escaped. */
function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * The watermark cannot be drawn: its S3 object is missing or not a PNG with alpha, or the text
 * rendered nothing. Retried like a dependency (the image is not at fault) until fixed. Note that
 * Pango without any font draws hex boxes rather than nothing, which this cannot tell from text:
 * on Lambda (no system fonts) a text mark needs `fontFile`, which the CDKTF app insists on.
 */
export class WatermarkUnavailableError extends DependencyError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('watermark', message, options);
  }
}

/** Resolution the text is rendered at before being scaled to each variant's box. */
const TEXT_DPI = 300;

/**
 * Decodes a PNG mark, or renders a text mark with Pango (sharp's `text` input), to raw RGBA.
 * @throws WatermarkUnavailableError when the PNG cannot be decoded or the text renders empty.
 */
export async function decodeOverlay(settings: WatermarkSettings, png?: Buffer): Promise<WatermarkOverlay> {
  const { mark } = settings;
  const input =
    mark.kind === 'image'
      ? sharp(png ?? (mark.source.kind === 'bytes' ? mark.source.png : Buffer.alloc(0)), { limitInputPixels: 4096 * 4096 })
      : sharp({
          text: {
            text: `<span foreground="${mark.color}">${escapeMarkup(mark.text)}</span>`,
            font: mark.font,
            ...(mark.fontFile !== undefined ? { fontfile: mark.fontFile } : {}),
            dpi: TEXT_DPI,
            rgba: true,
          },
        });
  try {
    const { data, info } = await input.ensureAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (mark.kind === 'text' && !data.some((byte, i) => i % 4 === 3 && byte > 0)) {
      throw new WatermarkUnavailableError('the watermark text rendered empty: no usable font was found (set "fontFile")');
    }
    return { data, width: info.width, height: info.height };
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    throw new WatermarkUnavailableError(`the watermark ${mark.kind} could not be drawn`, { cause: error });
  }
}

/**
 * Picks each customer's watermark ({@link watermarkFor}) and prepares it once per process: PNG
 * decoding or text rendering, and for an `s3://` image one GET through the BlobStore port.
 * A failed preparation is not cached, so the next image retries it.
 *
 * @example
 * const watermarks = new WatermarkResolver(config.watermark, blobs);
 * const watermark = await watermarks.forCustomer(record.customerId); // undefined: none
 * await processImage(bytes, { ...config.limits, variants: config.variants, watermark });
 */
export class WatermarkResolver {
  private readonly prepared = new Map<WatermarkSettings, Promise<PreparedWatermark>>();

  constructor(
    private readonly config: WatermarkConfig,
    private readonly blobs: Pick<BlobStore, 'get'>,
  ) {}

  /**
   * The prepared watermark of a customer, or `undefined` when it gets none.
   * @throws DependencyError when an S3-held mark cannot be read (retriable);
   *   WatermarkUnavailableError when the mark is not a usable PNG or the text renders empty.
   */
  async forCustomer(customerId: string): Promise<PreparedWatermark | undefined> {
    const settings = watermarkFor(this.config, customerId);
    if (settings === undefined) return undefined;
    let pending = this.prepared.get(settings);
    if (pending === undefined) {
      pending = this.prepare(settings);
      this.prepared.set(settings, pending);
      pending.catch(() => this.prepared.delete(settings));
    }
    return pending;
  }

  private async prepare(settings: WatermarkSettings): Promise<PreparedWatermark> {
    const { mark } = settings;
    let png: Buffer | undefined;
    if (mark.kind === 'image' && mark.source.kind === 's3') {
      const location = { bucket: mark.source.bucket, key: mark.source.key };
      try {
        png = await this.blobs.get(location, MAX_WATERMARK_IMAGE_BYTES);
      } catch (error) {
        throw new WatermarkUnavailableError(`the watermark image s3://${location.bucket}/${location.key} could not be read`, { cause: error });
      }
      const problem = pngAlphaProblem(png);
      if (problem !== undefined) throw new WatermarkUnavailableError(`the watermark image s3://${location.bucket}/${location.key} ${problem}`);
    }
    return { settings, overlay: await decodeOverlay(settings, png) };
  }
}
