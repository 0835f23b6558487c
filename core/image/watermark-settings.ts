/**
 * Watermark settings: their shape, the one parser of the `WATERMARK` and `WATERMARK_CUSTOMERS`
 * variables, and the per-customer lookup. Imports no sharp (like variants.ts), so config and the
 * CDKTF app can check settings without loading the native module. Rendering is in watermark.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ConfigError, InvalidParameterError } from '../errors';
import { assertCustomerIdBounds, CUSTOMER_ID_RULE } from '../input-bounds';
import type { VariantSpec } from './variants';

/** Where a watermark goes on a variant: sharp's nine gravities (`centre` also spelt `center`). */
export const WATERMARK_POSITIONS = ['north', 'northeast', 'east', 'southeast', 'south', 'southwest', 'west', 'northwest', 'centre'] as const;
/** A watermark position. */
export type WatermarkPosition = (typeof WATERMARK_POSITIONS)[number];

/** Largest watermark PNG accepted (file, data URL or S3 object): a logo, not a photo. */
export const MAX_WATERMARK_IMAGE_BYTES = 1024 * 1024;
/** Longest watermark text, in characters. */
export const MAX_WATERMARK_TEXT_LENGTH = 200;
/** Largest margin, in pixels. */
export const MAX_WATERMARK_MARGIN = 1000;

/** Defaults of the optional members. */
export const WATERMARK_DEFAULTS = {
  position: 'southeast',
  margin: 16,
  opacity: 0.5,
  widthRatio: 0.25,
  font: 'sans bold',
  color: '#ffffff',
} as const;

/** The PNG a watermark image comes from: bytes already read (file or data URL), or an S3 object read on first use. */
export type WatermarkImageSource = { kind: 'bytes'; png: Buffer; origin: 'file' | 'data-url' } | { kind: 's3'; bucket: string; key: string };

/** What is drawn: a PNG with alpha, or a line of text. */
export type WatermarkMark =
  | { kind: 'image'; source: WatermarkImageSource }
  | {
      kind: 'text';
      /** The text, plain (not Pango markup). */
      text: string;
      /** Pango font description, e.g. `sans bold` or `DejaVu Serif italic`. @default 'sans bold' */
      font: string;
      /** A TTF/OTF file to load the font from (a Lambda bundle has no system fonts). */
      fontFile?: string;
      /** Text colour, `#rrggbb`. @default '#ffffff' */
      color: string;
    };

/** One complete watermark setting. */
export interface WatermarkSettings {
  /** Names of the variants (from `IMAGE_VARIANTS`) that get the watermark; never the raw image. */
  variants: readonly string[];
  mark: WatermarkMark;
  /** @default 'southeast' */
  position: WatermarkPosition;
  /** Distance from the edges the position touches, in pixels of the variant. @default 16 */
  margin: number;
  /** 0 (invisible) to 1 (as drawn); multiplies the mark's own alpha. @default 0.5 */
  opacity: number;
  /** The mark's width as a fraction of the variant's width (0 < r ≤ 1), aspect ratio kept. @default 0.25 */
  widthRatio: number;
}

/**
 * The watermark configuration of a deployment: the default (or none) and per-customer
 * overrides, where `null` turns the watermark off for that customer.
 */
export interface WatermarkConfig {
  /** @default undefined (no watermark) */
  default: WatermarkSettings | undefined;
  /** customerId → that customer's setting, or `null` for none. @default empty */
  customers: ReadonlyMap<string, WatermarkSettings | null>;
}

/** No watermark anywhere: the default configuration. */
export const NO_WATERMARK: WatermarkConfig = { default: undefined, customers: new Map() };

const MEMBERS = ['variants', 'image', 'text', 'font', 'fontFile', 'color', 'position', 'margin', 'opacity', 'widthRatio'] as const;
const MARK_MEMBERS = ['image', 'text', 'font', 'fontFile', 'color'] as const;
const DATA_URL = /^data:image\/png;base64,([A-Za-z0-9+/]+={0,2})$/;
const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.{1,1024})$/;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Checks that bytes are a PNG that can be transparent: colour type 4 or 6 (grey or RGB with
 * alpha) in IHDR, or a `tRNS` chunk before the image data (PNG spec, W3C 2nd ed., §11.2.2, §11.3.2.1).
 * @returns the problem, or `undefined` when the PNG is fine.
 */
export function pngAlphaProblem(png: Buffer): string | undefined {
  if (png.length > MAX_WATERMARK_IMAGE_BYTES) return `is ${png.length} bytes; the limit is ${MAX_WATERMARK_IMAGE_BYTES}`;
  if (png.length < 33 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') return 'is not a PNG';
  const colourType = png[25];
  if (colourType === 4 || colourType === 6) return undefined;
  // Walk the chunks up to IDAT looking for tRNS; each chunk is length(4) type(4) data CRC(4).
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'tRNS') return undefined;
    if (type === 'IDAT' || type === 'IEND') break;
    at += 12 + length;
  }
  return 'is a PNG without an alpha channel (colour type 4 or 6, or a tRNS chunk): a watermark needs transparency';
}

function fail(where: string, problem: string): never {
  throw new ConfigError(`${where} ${problem}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the member is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.slice(0, 60)}"`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function parseImage(where: string, value: unknown): WatermarkImageSource {
  if (typeof value !== 'string' || value.length === 0) fail(where, `must be "s3://bucket/key", an absolute file path or a "data:image/png;base64," URL, got ${describe(value)}`);
  const s3 = S3_URI.exec(value);
  if (s3 !== null) return { kind: 's3', bucket: s3[1]!, key: s3[2]! };
  if (value.startsWith('s3://')) fail(where, `must be "s3://bucket/key" with a valid bucket name and a key, got ${describe(value)}`);
  let png: Buffer;
  let origin: 'file' | 'data-url';
  if (value.startsWith('data:')) {
    const match = DATA_URL.exec(value);
    if (match === null) fail(where, 'must be a "data:image/png;base64,…" URL with standard base64');
    png = Buffer.from(match[1]!, 'base64');
    origin = 'data-url';
  } else {
    if (!isAbsolute(value)) fail(where, `must be "s3://bucket/key", an absolute file path or a "data:image/png;base64," URL, got ${describe(value)}`);
    try {
      png = readFileSync(value);
    } catch (error) {
      fail(where, `names a file that cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): "${value}"`);
    }
    origin = 'file';
  }
  const problem = pngAlphaProblem(png);
  if (problem !== undefined) fail(where, problem);
  return { kind: 'bytes', png, origin };
}

/** How much of the machine the parser may look at. */
export interface WatermarkParseOptions {
  /**
   * Check that `fontFile` exists here. `false` when the settings are for another machine (the
   * CDKTF app checks settings for a Lambda whose font lives in a layer under `/opt`).
   * @default true
   */
  checkFontFile?: boolean;
}

function parseMark(where: string, entry: Record<string, unknown>, options: WatermarkParseOptions): WatermarkMark {
  const hasImage = entry.image !== undefined;
  const hasText = entry.text !== undefined;
  if (hasImage === hasText) fail(where, 'must have exactly one of "image" or "text"');
  if (hasImage) {
    const textOnly = ['font', 'fontFile', 'color'].find((member) => entry[member] !== undefined);
    if (textOnly !== undefined) fail(`${where}.${textOnly}`, 'applies to a text watermark only');
    return { kind: 'image', source: parseImage(`${where}.image`, entry.image) };
  }
  const text = entry.text;
  if (typeof text !== 'string' || text.trim().length === 0 || text.length > MAX_WATERMARK_TEXT_LENGTH || /[\u0000-\u001f\u007f]/.test(text)) {
    fail(`${where}.text`, `must be 1-${MAX_WATERMARK_TEXT_LENGTH} characters on one line, got ${describe(text)}`);
  }
  const font = entry.font ?? WATERMARK_DEFAULTS.font;
  if (typeof font !== 'string' || !/^[\w ,.-]{1,100}$/.test(font)) fail(`${where}.font`, `must be a Pango font description like "sans bold", got ${describe(font)}`);
  const color = entry.color ?? WATERMARK_DEFAULTS.color;
  if (typeof color !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(color)) fail(`${where}.color`, `must be "#rrggbb", got ${describe(color)}`);
  const fontFile = entry.fontFile;
  if (fontFile !== undefined) {
    if (typeof fontFile !== 'string' || !isAbsolute(fontFile)) fail(`${where}.fontFile`, `must be an absolute path to a TTF/OTF file, got ${describe(fontFile)}`);
  }
  if (fontFile !== undefined && options.checkFontFile !== false) {
    let isFile = false;
    try {
      isFile = statSync(fontFile).isFile();
    } catch (error) {
      fail(`${where}.fontFile`, `names a file that cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): "${fontFile}"`);
    }
    if (!isFile) fail(`${where}.fontFile`, `is not a file: "${String(fontFile)}"`);
  }
  return { kind: 'text', text, font, ...(fontFile !== undefined ? { fontFile: fontFile as string } : {}), color };
}

function parseNumber(where: string, value: unknown, fallback: number, min: number, max: number, integer: boolean, minExclusive = false): number {
  if (value === undefined) return fallback;
  const ok = typeof value === 'number' && Number.isFinite(value) && (!integer || Number.isInteger(value)) && (minExclusive ? value > min : value >= min) && value <= max;
  if (!ok) fail(where, `must be ${integer ? 'an integer' : 'a number'} ${minExclusive ? `greater than ${min}` : `from ${min}`} to ${max}, got ${describe(value)}`);
  return value as number;
}

/**
 * Checks one watermark object (the JSON of `WATERMARK`, or a customer's entry already merged
 * over it) against the configured variants.
 * @param where how errors name it, e.g. `WATERMARK` or `WATERMARK_CUSTOMERS["acme"]`.
 * @param options see {@link WatermarkParseOptions}.
 * @throws ConfigError naming `where` and the member.
 */
export function parseWatermarkSettings(where: string, value: unknown, variants: readonly VariantSpec[], options: WatermarkParseOptions = {}): WatermarkSettings {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, `must be a JSON object like ${exampleSettings(variants)}, got ${describe(value)}`);
  const entry = value as Record<string, unknown>;
  const unknown = Object.keys(entry).find((key) => !(MEMBERS as readonly string[]).includes(key));
  if (unknown !== undefined) fail(where, `has an unknown member "${unknown.slice(0, 40)}"; expected ${MEMBERS.join(', ')}`);
  const names = entry.variants;
  const known = variants.map((v) => v.name);
  if (!Array.isArray(names) || names.length === 0) fail(`${where}.variants`, `must be a non-empty array of variant names from IMAGE_VARIANTS (${known.join(', ')}), got ${describe(names)}`);
  names.forEach((name: unknown, i) => {
    if (typeof name !== 'string' || !known.includes(name)) fail(`${where}.variants[${i}]`, `must name a configured variant (${known.join(', ')}), got ${describe(name)}`);
    if (names.indexOf(name) !== i) fail(`${where}.variants[${i}]`, `repeats "${name}"`);
  });
  const rawPosition = entry.position ?? WATERMARK_DEFAULTS.position;
  const position = rawPosition === 'center' ? 'centre' : rawPosition;
  if (!(WATERMARK_POSITIONS as readonly unknown[]).includes(position)) fail(`${where}.position`, `must be one of ${WATERMARK_POSITIONS.join(', ')}, got ${describe(rawPosition)}`);
  return {
    variants: names as string[],
    mark: parseMark(where, entry, options),
    position: position as WatermarkPosition,
    margin: parseNumber(`${where}.margin`, entry.margin, WATERMARK_DEFAULTS.margin, 0, MAX_WATERMARK_MARGIN, true),
    opacity: parseNumber(`${where}.opacity`, entry.opacity, WATERMARK_DEFAULTS.opacity, 0, 1, false),
    widthRatio: parseNumber(`${where}.widthRatio`, entry.widthRatio, WATERMARK_DEFAULTS.widthRatio, 0, 1, false, true),
  };
}

/**
 * The examples messages show, built from the configured variants so that each one parses as it
 * is printed: a customer entry names its own `variants`, so it stands without `WATERMARK` too.
 */
export function watermarkExamples(variants: readonly VariantSpec[]): { deployment: string; customers: string } {
  const variant = JSON.stringify(variants[0]?.name ?? 'medium');
  return {
    deployment: exampleSettings(variants),
    customers: `{"customer-1":null,"customer-2":{"variants":[${variant}],"text":"© Customer 2"}}`,
  };
}

function exampleSettings(variants: readonly VariantSpec[]): string {
  return `{"variants":[${JSON.stringify(variants[0]?.name ?? 'medium')}],"text":"© Example"}`;
}

function parseJson(variable: string, text: string, example: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${variable} must be JSON like ${example}, but it is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Reads the watermark variables: `WATERMARK` (the deployment's setting, a JSON object) and
 * `WATERMARK_CUSTOMERS` (a JSON object keyed by customerId; each value is `null` for no
 * watermark, or an object merged over `WATERMARK` member by member — a customer giving `text`
 * or `image` replaces the default's mark). Unset means no watermark.
 *
 * @param variables the two variables' names, used in every message.
 * @param variants the configured variant list the `variants` members must name.
 * @param options `checkFontFile: false` when checking settings for another machine.
 * @throws ConfigError naming the variable, the customer and the member.
 * @example
 * parseWatermarkConfig({ deployment: 'WATERMARK', customers: 'WATERMARK_CUSTOMERS' },
 *   '{"variants":["medium"],"text":"© Example","position":"southeast"}', '{"acme":null}', DEFAULT_VARIANTS);
 */
export function parseWatermarkConfig(
  variables: { deployment: string; customers: string },
  deploymentText: string | undefined,
  customersText: string | undefined,
  variants: readonly VariantSpec[],
  options: WatermarkParseOptions = {},
): WatermarkConfig {
  const examples = watermarkExamples(variants);
  const base = deploymentText === undefined ? undefined : parseJson(variables.deployment, deploymentText, examples.deployment);
  const fallback = base === undefined ? undefined : parseWatermarkSettings(variables.deployment, base, variants, options);
  const customers = new Map<string, WatermarkSettings | null>();
  if (customersText !== undefined) {
    const map = parseJson(variables.customers, customersText, examples.customers);
    if (typeof map !== 'object' || map === null || Array.isArray(map)) fail(variables.customers, `must be a JSON object keyed by customerId, got ${describe(map)}; write it like ${examples.customers}`);
    for (const [customerId, entry] of Object.entries(map)) {
      const where = `${variables.customers}["${customerId.slice(0, 128)}"]`;
      if (!isValidCustomerId(customerId)) fail(where, `is not a valid customerId (${CUSTOMER_ID_RULE})`);
      if (entry === null || entry === false) {
        customers.set(customerId, null);
        continue;
      }
      if (typeof entry !== 'object' || Array.isArray(entry)) fail(where, `must be null (no watermark) or a watermark object, got ${describe(entry)}`);
      const own = entry as Record<string, unknown>;
      const ownMark = own.image !== undefined || own.text !== undefined;
      const inherited = base === undefined ? {} : Object.fromEntries(Object.entries(base as Record<string, unknown>).filter(([k]) => !(ownMark && (MARK_MEMBERS as readonly string[]).includes(k))));
      customers.set(customerId, parseWatermarkSettings(where, { ...inherited, ...own }, variants, options));
    }
  }
  return { default: fallback, customers };
}

/** The one customer-id rule (core/input-bounds.ts), as a yes/no. */
function isValidCustomerId(customerId: string): boolean {
  try {
    assertCustomerIdBounds(customerId);
    return true;
  } catch (error) {
    if (error instanceof InvalidParameterError) return false;
    throw error;
  }
}

/**
 * The watermark setting of one customer: its override when it has one (`undefined` when the
 * override is `null`), otherwise the deployment's.
 */
export function watermarkFor(config: WatermarkConfig, customerId: string): WatermarkSettings | undefined {
  const own = config.customers.get(customerId);
  if (own === null) return undefined;
  return own ?? config.default;
}

/**
 * The S3 objects the settings read (`s3://` images), for least-privilege grants.
 */
export function watermarkS3Objects(config: WatermarkConfig): { bucket: string; key: string }[] {
  const all = [config.default, ...config.customers.values()];
  const found = new Map<string, { bucket: string; key: string }>();
  for (const s of all) {
    if (s?.mark.kind === 'image' && s.mark.source.kind === 's3') found.set(`${s.mark.source.bucket}/${s.mark.source.key}`, { bucket: s.mark.source.bucket, key: s.mark.source.key });
  }
  return [...found.values()];
}
