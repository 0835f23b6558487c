/**
 * The processed copies ("variants") the pipeline makes of every image: their shape, the default
 * set of the design brief, the output format table and the one validator. Imports no sharp, so
 * config and the CDKTF app can read and check variant lists without loading the native module.
 */
import { ConfigError, InvalidParameterError, invalidParameterError } from '../errors';

/** Output formats of a variant. */
export const VARIANT_FORMATS = ['jpeg', 'webp'] as const;
/** How a variant fits its box: `cover` crops to exactly width×height; `inside` fits within it keeping the aspect ratio. */
export const VARIANT_FITS = ['cover', 'inside'] as const;

/** How one processed copy is made. */
export interface VariantSpec {
  /** Unique; part of the S3 key (`processed/<hash>/<imageId>/<name>.<ext>`): 1–64 letters, digits, `-`, `_`. */
  name: string;
  /** Box width in pixels, 1–{@link MAX_VARIANT_SIDE}. */
  width: number;
  /** Box height in pixels, 1–{@link MAX_VARIANT_SIDE}. */
  height: number;
  /** `cover` crops to exactly width×height; `inside` fits within the box keeping aspect ratio. */
  fit: (typeof VARIANT_FITS)[number];
  format: (typeof VARIANT_FORMATS)[number];
  /** Encoder quality, 1–100. */
  quality: number;
}

/** Content type and file extension of each output format. */
export const VARIANT_OUTPUT: Readonly<Record<VariantSpec['format'], { contentType: string; extension: string }>> = {
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  webp: { contentType: 'image/webp', extension: 'webp' },
} as const;

/** WebP's hard limit on a side; no variant of a web pipeline needs more. */
export const MAX_VARIANT_SIDE = 16383;

/**
 * Most variants one image gets. Each is one more encode, S3 PUT and item attribute per image
 * (`make capacity` counts 4), so a list past this is a mistake, not a need.
 */
export const MAX_VARIANTS = 16;

/** Quality a variant list entry gets when it names none, per format (the defaults' values). */
export const DEFAULT_VARIANT_QUALITY: Readonly<Record<VariantSpec['format'], number>> = { jpeg: 85, webp: 80 } as const;

/** The default variant set of the design brief: thumbnail, medium and large JPEGs at quality 85, plus a WebP large copy. */
export const DEFAULT_VARIANTS: readonly VariantSpec[] = [
  { name: 'thumbnail', width: 200, height: 200, fit: 'cover', format: 'jpeg', quality: 85 },
  { name: 'medium', width: 800, height: 600, fit: 'inside', format: 'jpeg', quality: 85 },
  { name: 'large', width: 1600, height: 1600, fit: 'inside', format: 'jpeg', quality: 85 },
  { name: 'large-webp', width: 1600, height: 1600, fit: 'inside', format: 'webp', quality: 80 },
] as const;

/** Names go into S3 keys: keep them to characters that need no escaping. */
const VARIANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const SPEC_MEMBERS: ReadonlySet<string> = new Set(['name', 'width', 'height', 'fit', 'format', 'quality']);

/**
 * Checks a list of complete variant specs: at most {@link MAX_VARIANTS} entries, unique safe names,
 * integer sides within 1–{@link MAX_VARIANT_SIDE}, a known fit and format, quality 1–100. An
 * empty list is valid here (render nothing); a configured list must not be empty
 * ({@link parseVariantList}, {@link formatVariantList}).
 *
 * @param parameter what the errors call the list, e.g. `specs` or `images.variants`.
 * @throws InvalidParameterError naming the first bad entry and member (`specs[1].format`).
 * @example
 * validateVariantSpecs([{ name: 'thumb', width: 200, height: 200, fit: 'cover', format: 'jpeg', quality: 85 }]);
 */
export function validateVariantSpecs(specs: unknown, parameter = 'specs'): readonly VariantSpec[] {
  if (!Array.isArray(specs)) throw invalidParameterError(parameter, 'array of variant specs', specs);
  if (specs.length > MAX_VARIANTS) throw invalidParameterError(parameter, `list of at most ${MAX_VARIANTS} variant specs`, `${specs.length} entries`);
  const seen = new Set<string>();
  specs.forEach((spec: Partial<VariantSpec> | null, i) => {
    const at = `${parameter}[${i}]`;
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalidParameterError(at, 'variant spec object', spec);
    if (typeof spec.name !== 'string' || !VARIANT_NAME.test(spec.name)) {
      throw invalidParameterError(`${at}.name`, 'name of 1-64 letters, digits, "-" or "_"', spec.name);
    }
    if (seen.has(spec.name)) throw invalidParameterError(`${at}.name`, 'unique variant name', spec.name);
    seen.add(spec.name);
    for (const side of ['width', 'height'] as const) {
      const value = spec[side];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_VARIANT_SIDE) {
        throw invalidParameterError(`${at}.${side}`, `integer between 1 and ${MAX_VARIANT_SIDE}`, value);
      }
    }
    if (!(VARIANT_FITS as readonly unknown[]).includes(spec.fit)) throw invalidParameterError(`${at}.fit`, '"cover" or "inside"', spec.fit);
    if (!(VARIANT_FORMATS as readonly unknown[]).includes(spec.format)) throw invalidParameterError(`${at}.format`, '"jpeg" or "webp"', spec.format);
    const quality = spec.quality;
    if (typeof quality !== 'number' || !Number.isInteger(quality) || quality < 1 || quality > 100) {
      throw invalidParameterError(`${at}.quality`, 'integer between 1 and 100', quality);
    }
  });
  return specs as readonly VariantSpec[];
}

/**
 * Reads a variant list written as JSON (the `IMAGE_VARIANTS` environment variable): an array of
 * objects with `name`, `width`, `height`, `format`, and optionally `fit` (default `inside`) and
 * `quality` (default 85 for JPEG, 80 for WebP). Unknown members are refused, so a typo such as
 * `"heigth"` fails instead of being ignored.
 *
 * @param variable the variable's name, used in every message.
 * @throws ConfigError naming the variable and the bad entry (index, and name when it has one).
 * @example
 * parseVariantList('IMAGE_VARIANTS', '[{"name":"thumb","width":150,"height":150,"fit":"cover","format":"webp"}]');
 * // [{ name: 'thumb', width: 150, height: 150, fit: 'cover', format: 'webp', quality: 80 }]
 */
export function parseVariantList(variable: string, text: string): readonly VariantSpec[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${variable} must be a JSON array of variants like [{"name":"thumbnail","width":200,"height":200,"fit":"cover","format":"jpeg","quality":85}], but it is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(`${variable} must be a JSON array of variants, got ${describeJson(parsed)}`);
  // Unset means the defaults; an empty list would silently stop making processed copies.
  if (parsed.length === 0) throw new ConfigError(`${variable} must list at least one variant, got an empty array (unset it for the defaults)`);
  const specs = parsed.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return entry;
    const unknown = Object.keys(entry).find((key) => !SPEC_MEMBERS.has(key));
    if (unknown !== undefined) {
      throw new ConfigError(`${variable}[${i}]${nameOf(entry)} has an unknown member "${unknown.slice(0, 40)}"; expected ${[...SPEC_MEMBERS].join(', ')}`);
    }
    const given = entry as Partial<VariantSpec>;
    const format = given.format;
    const quality = given.quality ?? (format === 'jpeg' || format === 'webp' ? DEFAULT_VARIANT_QUALITY[format] : undefined);
    return { ...given, fit: given.fit ?? 'inside', quality };
  });
  try {
    return validateVariantSpecs(specs, variable);
  } catch (error) {
    if (!(error instanceof InvalidParameterError)) throw error;
    const index = /\[(\d+)\]/.exec(error.message)?.[1];
    const entry = index === undefined ? undefined : specs[Number(index)];
    throw new ConfigError(`${variable} is invalid${entry === undefined ? '' : nameOf(entry)}: ${error.message}`, { cause: error });
  }
}

/**
 * The `IMAGE_VARIANTS` value for a variant list: complete JSON objects, so what a deployment
 * sets is exactly what the runtime reads back.
 * @throws InvalidParameterError when the list is empty or not valid.
 */
export function formatVariantList(specs: readonly VariantSpec[], parameter = 'variants'): string {
  if (specs.length === 0) throw invalidParameterError(parameter, `list of 1 to ${MAX_VARIANTS} variant specs`, 'an empty list');
  return JSON.stringify(validateVariantSpecs(specs, parameter).map(({ name, width, height, fit, format, quality }) => ({ name, width, height, fit, format, quality })));
}

function nameOf(entry: unknown): string {
  const name = typeof entry === 'object' && entry !== null ? (entry as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name.length > 0 ? ` (variant "${name.slice(0, 64)}")` : '';
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
