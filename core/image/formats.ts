/**
 * Format detection from the bytes themselves: magic numbers and container boxes. The file
 * name and the declared Content-Type are never consulted, because both are caller-supplied.
 */

/** The image formats the pipeline accepts, as detected from content. */
export const IMAGE_FORMATS = ['jpeg', 'png', 'gif', 'webp', 'tiff', 'avif', 'bmp'] as const;

/** One of {@link IMAGE_FORMATS}. */
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** How a detected format is named, served and stored. */
export interface FormatDetails {
  /** Human name used in messages, e.g. `JPEG`. */
  label: string;
  /** Media type to serve the raw object with. */
  contentType: string;
  /** File extension (no dot) for the raw object's key. */
  extension: string;
}

/** Label, media type and key extension of every accepted format. */
export const FORMAT_DETAILS: Readonly<Record<ImageFormat, FormatDetails>> = {
  jpeg: { label: 'JPEG', contentType: 'image/jpeg', extension: 'jpg' },
  png: { label: 'PNG', contentType: 'image/png', extension: 'png' },
  gif: { label: 'GIF', contentType: 'image/gif', extension: 'gif' },
  webp: { label: 'WebP', contentType: 'image/webp', extension: 'webp' },
  tiff: { label: 'TIFF', contentType: 'image/tiff', extension: 'tiff' },
  avif: { label: 'AVIF', contentType: 'image/avif', extension: 'avif' },
  bmp: { label: 'BMP', contentType: 'image/bmp', extension: 'bmp' },
} as const;

const FORMAT_LABELS = IMAGE_FORMATS.map((format) => FORMAT_DETAILS[format].label);

/** "JPEG, PNG, GIF, WebP, TIFF, AVIF or BMP", for messages that say what was expected. */
export const EXPECTED_FORMATS_TEXT = `${FORMAT_LABELS.slice(0, -1).join(', ')} or ${FORMAT_LABELS.at(-1) ?? ''}`;

/** What the first bytes say: an accepted format, or a description of what was found instead. */
export type Identification = { format: ImageFormat } | { format: undefined; description: string };

/** BITMAPINFOHEADER and its V2–V5 successors: the DIB header sizes bmp-ts can parse. */
export const BMP_INFO_HEADER_SIZES: ReadonlySet<number> = new Set([40, 52, 56, 108, 124]);
/** OS/2 1.x core header (12) and OS/2 2.x headers (16, 64): valid bitmaps we do not decode. */
const BMP_OS2_HEADER_SIZES: ReadonlySet<number> = new Set([12, 16, 64]);

const AVIF_BRANDS: ReadonlySet<string> = new Set(['avif', 'avis']);
const HEIF_BRANDS: ReadonlySet<string> = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'mif2']);

function startsWith(bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
  if (bytes.length < at + signature.length) return false;
  return signature.every((value, i) => bytes[at + i] === value);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  const stop = Math.min(end, bytes.length);
  if (start >= stop) return '';
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, stop - start).toString('latin1');
}

function readUInt32BE(bytes: Uint8Array, at: number): number {
  return (((bytes[at] ?? 0) << 24) | ((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)) >>> 0;
}

function readUInt32LE(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16) | ((bytes[at + 3] ?? 0) << 24)) >>> 0;
}

/** Brands of an ISO-BMFF `ftyp` box at offset 0 (major first), or undefined when there is none. */
function readFtypBrands(bytes: Uint8Array): string[] | undefined {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const boxSize = readUInt32BE(bytes, 0);
  // A size of 0 ("to end of file") or 1 (64-bit size) is legal for other boxes, never for ftyp.
  if (boxSize < 16 || boxSize > bytes.length) return undefined;
  const brands = [ascii(bytes, 8, 12)];
  for (let at = 16; at + 4 <= boxSize; at += 4) brands.push(ascii(bytes, at, at + 4));
  return brands;
}

/** Brands are caller bytes: only printable ones are repeated in a message. */
function printableBrands(brands: readonly string[]): string {
  const shown = [...new Set(brands.filter((b) => /^[\x20-\x7e]{4}$/.test(b)).map((b) => b.trim()))].slice(0, 6);
  return shown.length > 0 ? ` (brands ${shown.join(', ')})` : '';
}

function describeText(bytes: Uint8Array): string | undefined {
  const head = ascii(bytes, 0, 1024).replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().toLowerCase();
  if (!head.startsWith('<')) return undefined;
  if (head.includes('<svg')) return 'an SVG document';
  if (/^<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]/.test(head)) return 'an HTML document';
  if (head.startsWith('<?xml')) return 'an XML document';
  return 'markup text';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Valid UTF-8 without control characters (other than whitespace) in the first kilobyte. */
function isText(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 1024);
  for (const b of sample) if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) || b === 0x7f) return false;
  // The sample may end inside a multi-byte character: allow up to 3 bytes of it to be cut off.
  const cut = sample.length < bytes.length ? 3 : 0;
  for (let drop = 0; drop <= cut; drop++) {
    try {
      utf8.decode(sample.subarray(0, sample.length - drop));
      return true;
    } catch {
      // try a shorter prefix
    }
  }
  return false;
}

/** What an unrecognised input looks like, for an error message that helps the sender. */
function describeUnsupported(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'empty input (0 bytes)';
  const brands = readFtypBrands(bytes);
  if (brands !== undefined) {
    return brands.some((b) => HEIF_BRANDS.has(b))
      ? `a HEIF/HEIC image without an AVIF brand${printableBrands(brands)}`
      : `an ISO-BMFF media file${printableBrands(brands)}`;
  }
  if (ascii(bytes, 0, 5) === '%PDF-') return 'a PDF document';
  if (ascii(bytes, 0, 4) === 'RIFF') return 'a RIFF container that is not WebP';
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 18 && BMP_OS2_HEADER_SIZES.has(readUInt32LE(bytes, 14))) {
    return 'an OS/2 bitmap (BMP with an OS/2 header)';
  }
  if (startsWith(bytes, [0xff, 0x4f, 0xff, 0x51]) || startsWith(bytes, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'JPEG 2000';
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'JPEG XL';
  const markup = describeText(bytes);
  if (markup !== undefined) return markup;
  if (isText(bytes)) return 'plain text';
  return 'unrecognised binary data';
}

/**
 * Identifies the format from the leading bytes only (no decoding).
 *
 * AVIF is an ISO-BMFF `ftyp` box whose major or compatible brands include `avif`/`avis`; a
 * HEIF file without those brands (HEIC) is not accepted, since the bundled libheif has no
 * HEVC decoder. BMP needs `BM` plus a known DIB header size, because two ASCII letters alone
 * would match plain text.
 */
export function identifyImage(bytes: Uint8Array): Identification {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { format: 'jpeg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { format: 'png' };
  const head6 = ascii(bytes, 0, 6);
  if (head6 === 'GIF87a' || head6 === 'GIF89a') return { format: 'gif' };
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return { format: 'webp' };
  // Classic TIFF (42) and BigTIFF (43), in either byte order.
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return { format: 'tiff' };
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return { format: 'tiff' };
  const brands = readFtypBrands(bytes);
  if (brands?.some((b) => AVIF_BRANDS.has(b))) return { format: 'avif' };
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 26 && BMP_INFO_HEADER_SIZES.has(readUInt32LE(bytes, 14))) {
    return { format: 'bmp' };
  }
  return { format: undefined, description: describeUnsupported(bytes) };
}

/**
 * The accepted image format the bytes start with, or `undefined` when they are not one.
 * Looks at magic numbers only: use it to name a raw object; use `inspectImage` to validate.
 *
 * @example
 * detectImageFormat(await readFile('photo.jpg')); // 'jpeg'
 * detectImageFormat(Buffer.from('<svg/>'));       // undefined
 */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  return identifyImage(bytes).format;
}
