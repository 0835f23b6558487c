/**
 * Image validation, metadata and processed copies: pure functions on bytes, no AWS.
 *
 * Typical use by the pipeline:
 * ```ts
 * const info = await inspectImage(bytes, config.limits);   // typed errors for bad images
 * // … store raw bytes and a RECEIVED record using info …
 * const variants = await renderVariants(bytes, info, config.variants);
 * ```
 * Importing this module sets sharp's process-wide settings (operation cache off); see
 * `decode.ts` for why.
 */
export { detectImageFormat, FORMAT_DETAILS, IMAGE_FORMATS } from './formats';
export type { FormatDetails, ImageFormat } from './formats';
export type { CaptureDetails } from './exif';
export { DEFAULT_IMAGE_LIMITS, inspectImage } from './inspect';
export type { ImageInfo, ImageLimits } from './inspect';
export { intermediateResizeOptions, jpegOptions, webpOptions } from './encoding';
export { processImage, renderVariants } from './render';
export { DEFAULT_VARIANTS, DEFAULT_VARIANT_QUALITY, MAX_VARIANTS, MAX_VARIANT_SIDE, VARIANT_FITS, VARIANT_FORMATS, VARIANT_OUTPUT, formatVariantList, parseVariantList, validateVariantSpecs } from './variants';
export type { VariantSpec } from './variants';
export { DECODER_OVERHEAD_BYTES, DEFAULT_DECODE_BUDGET_BYTES, DecodeBudget, estimateDecodeBytes, processDecodeBudget } from './decode-budget';
export type { DecodeShape } from './decode-budget';
export type { ProcessImageOptions, RenderedVariant } from './render';
export { MAX_WATERMARK_IMAGE_BYTES, MAX_WATERMARK_MARGIN, MAX_WATERMARK_TEXT_LENGTH, NO_WATERMARK, WATERMARK_DEFAULTS, WATERMARK_POSITIONS, parseWatermarkConfig, parseWatermarkSettings, pngAlphaProblem, watermarkFor, watermarkS3Objects } from './watermark-settings';
export type { WatermarkConfig, WatermarkImageSource, WatermarkMark, WatermarkParseOptions, WatermarkPosition, WatermarkSettings } from './watermark-settings';
export { WatermarkResolver, WatermarkUnavailableError, applyOpacity, decodeOverlay, overlayFor, watermarkBox } from './watermark';
export type { PreparedWatermark, WatermarkBox, WatermarkOverlay } from './watermark';
