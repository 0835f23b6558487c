/**
 * The one mapping from {@link EncoderSettings} to sharp's options, shared by the renderer and
 * the benchmark's bare-sharp ceiling so both always encode alike.
 */
import type { JpegOptions, ResizeOptions, WebpOptions } from 'sharp';
import type { EncoderSettings } from '../config';

/**
 * sharp's JPEG options for a variant of `quality` under `settings`.
 * @example sharp(raw).jpeg(jpegOptions(85, config.encoding))
 */
export function jpegOptions(quality: number, settings: EncoderSettings): JpegOptions {
  return {
    quality,
    chromaSubsampling: settings.jpegChromaSubsampling,
    trellisQuantisation: settings.jpegTrellisQuantisation,
    mozjpeg: settings.jpegMozjpeg,
  };
}

/**
 * sharp's WebP options for a variant of `quality` under `settings`.
 * @example sharp(raw).webp(webpOptions(80, config.encoding))
 */
export function webpOptions(quality: number, settings: EncoderSettings): WebpOptions {
  return { quality, effort: settings.webpEffort, alphaQuality: settings.webpAlphaQuality };
}

/**
 * The resize options of the decode to the shared intermediate: kernel and shrink-on-load.
 * @example sharp(bytes).resize({ width, height, fit: 'fill', ...intermediateResizeOptions(config.encoding) })
 */
export function intermediateResizeOptions(settings: EncoderSettings): Pick<ResizeOptions, 'kernel' | 'fastShrinkOnLoad'> {
  return { kernel: settings.resizeKernel, fastShrinkOnLoad: settings.fastShrinkOnLoad };
}
