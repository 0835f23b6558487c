/**
 * Deterministic factories of real test images (and of things that only look like images), for
 * unit and integration tests. Same arguments, same bytes: pixels come from a seeded generator,
 * never from libvips' random noise, and every encoder used is deterministic.
 *
 * BMP files are written here byte by byte rather than with bmp-ts, so the decoder under test
 * is checked against an independent writer.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** An 8-bit sRGB colour, optionally with alpha (0 transparent … 255 opaque). */
export interface Rgba {
  r: number;
  g: number;
  b: number;
  a?: number;
}

/** Reference colours used by the factories (and so by assertions on their output). */
export const COLOURS = {
  red: { r: 255, g: 0, b: 0 },
  blue: { r: 0, g: 0, b: 255 },
  grey: { r: 128, g: 128, b: 128 },
  white: { r: 255, g: 255, b: 255 },
} as const satisfies Record<string, Rgba>;

/** Size of a factory image. */
export interface Dimensions {
  /** @default 320 */
  width?: number;
  /** @default 240 */
  height?: number;
}

const DEFAULT_WIDTH = 320;
const DEFAULT_HEIGHT = 240;

/** mulberry32: a tiny seeded PRNG (32-bit outputs), reproducible everywhere. Also builds the benchmark's corpus. */
export function seededUint32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** `length` bytes from a seeded generator: the same seed gives the same bytes. */
export function randomBytes(length: number, seed = 1): Buffer {
  const next = seededUint32(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = next() & 0xff;
  return out;
}

/**
 * Raw RGB pixels that compress like a grainy photograph: smooth gradients plus independent
 * per-channel grain of amplitude `grain` (0–255); more grain means more JPEG bytes per pixel.
 */
function photographicPixels(width: number, height: number, seed: number, grain: number): Buffer {
  const next = seededUint32(seed);
  const data = Buffer.alloc(width * height * 3);
  // A clamped view saturates at 0 and 255 instead of wrapping round.
  const clamped = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  const half = grain / 2;
  let i = 0;
  for (let y = 0; y < height; y++) {
    const green = 40 + (160 * y) / height;
    for (let x = 0; x < width; x++) {
      const n = next();
      clamped[i++] = 30 + (180 * x) / width + ((n & 0xff) * grain) / 256 - half;
      clamped[i++] = green + (((n >>> 8) & 0xff) * grain) / 256 - half;
      clamped[i++] = 90 + 60 * Math.sin((x + y) / 37) + (((n >>> 16) & 0xff) * grain) / 256 - half;
    }
  }
  return data;
}

function photographic(width: number, height: number, seed = 7, grain = 40): sharp.Sharp {
  return sharp(photographicPixels(width, height, seed, grain), { raw: { width, height, channels: 3 } });
}

/** A solid image with one square marker of another colour at the given corner. */
function withCornerMarker(width: number, height: number, background: Rgba, marker: Rgba, corner: 'top-left' | 'top-right'): sharp.Sharp {
  const size = Math.max(8, Math.round(Math.min(width, height) / 4));
  const channels = 3;
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inMarker = y < size && (corner === 'top-left' ? x < size : x >= width - size);
      const colour = inMarker ? marker : background;
      const at = (y * width + x) * channels;
      data[at] = colour.r;
      data[at + 1] = colour.g;
      data[at + 2] = colour.b;
    }
  }
  return sharp(data, { raw: { width, height, channels } });
}

/** A photographic-like JPEG (gradients and grain, no metadata). */
export async function makeJpeg({ width = DEFAULT_WIDTH, height = DEFAULT_HEIGHT }: Dimensions = {}, seed = 7): Promise<Buffer> {
  return photographic(width, height, seed).jpeg({ quality: 90 }).toBuffer();
}

/**
 * An RGBA PNG: the left half opaque red, the right half fully transparent (red with alpha 0,
 * so a flattening that ignored alpha would show red, not white).
 */
export async function makePngWithAlpha({ width = DEFAULT_WIDTH, height = DEFAULT_HEIGHT }: Dimensions = {}): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      data[at] = 255;
      data[at + 3] = x < width / 2 ? 255 : 0;
    }
  }
  return sharp(data, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

/** An opaque PNG, solid `colour`. */
export async function makePng({ width = DEFAULT_WIDTH, height = DEFAULT_HEIGHT }: Dimensions = {}, colour: Rgba = COLOURS.blue): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } }).png().toBuffer();
}

/** An animated GIF of two frames: the first solid red, the second solid blue. */
export async function makeAnimatedGif({ width = DEFAULT_WIDTH, height = DEFAULT_HEIGHT }: Dimensions = {}): Promise<Buffer> {
  const frame = width * height * 3;
  const data = Buffer.alloc(frame * 2);
  for (let i = 0; i < frame; i += 3) data[i] = 255;
  for (let i = frame; i < frame * 2; i += 3) data[i + 2] = 255;
  return sharp(data, { raw: { width, height: height * 2, channels: 3, pageHeight: height } })
    .gif({ delay: [100, 100] })
    .toBuffer();
}

/** A lossy WebP, photographic-like. */
export async function makeWebp({ width = DEFAULT_WIDTH, height = DEFAULT_HEIGHT }: Dimensions = {}): Promise<Buffer> {
  return photographic(width, height).webp({ quality: 80 }).toBuffer();
}

/** A TIFF (LZW), photographic-like. */
export async function makeTiff({ width = DEFAULT_WIDTH, height = DEFAULT_HEIGHT }: Dimensions = {}): Promise<Buffer> {
  return photographic(width, height).tiff({ compression: 'lzw' }).toBuffer();
}

/** An AVIF (AV1 in HEIF, brands `avif`/`mif1`), photographic-like. */
export async function makeAvif({ width = DEFAULT_WIDTH, height = DEFAULT_HEIGHT }: Dimensions = {}): Promise<Buffer> {
  return photographic(width, height).avif({ quality: 50, effort: 0 }).toBuffer();
}

/** Options of {@link makeBmp}. */
export interface BmpOptions extends Dimensions {
  /**
   * 1 and 8: paletted (palette red, blue). 16: 5-5-5 BI_RGB. 24: BGR. 32: BGRA, with an alpha
   * mask when {@link bitfields} is on, otherwise BI_RGB (where the fourth byte means nothing).
   */
  bitsPerPixel: 1 | 8 | 16 | 24 | 32;
  /** Rows stored top to bottom (negative height) instead of the usual bottom-up. @default false */
  topDown?: boolean;
  /** DIB header: 40 (BITMAPINFOHEADER), 108 (V4) or 124 (V5). @default 108 at 32 bits, else 40 */
  headerSize?: 40 | 108 | 124;
  /**
   * 32 bits only: BI_BITFIELDS with RGBA masks in the header. Off means BI_RGB, with the V4/V5
   * mask fields left zero as some writers do. @default true when headerSize > 40
   */
  bitfields?: boolean;
  /** Unused bytes between the headers and the pixel array (the file's data offset skips them). @default 0 */
  gapBytes?: number;
}

/**
 * A BMP whose left half is red and right half blue, so a red/blue channel swap is visible.
 * At 32 bits the bottom half's alpha byte is 0 and the top half's 255 (transparent and opaque
 * with bit fields; meaningless, so opaque, with BI_RGB).
 */
export function makeBmp({
  width = DEFAULT_WIDTH,
  height = DEFAULT_HEIGHT,
  bitsPerPixel,
  topDown = false,
  headerSize = bitsPerPixel === 32 ? 108 : 40,
  bitfields = bitsPerPixel === 32 && headerSize > 40,
  gapBytes = 0,
}: BmpOptions): Buffer {
  const paletted = bitsPerPixel <= 8;
  const paletteBytes = paletted ? 2 * 4 : 0;
  const masksAfterHeader = bitfields && headerSize === 40 ? 16 : 0;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 32) * 4;
  const dataOffset = 14 + headerSize + masksAfterHeader + paletteBytes + gapBytes;
  const file = Buffer.alloc(dataOffset + rowBytes * height);

  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(dataOffset, 10);
  file.writeUInt32LE(headerSize, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(topDown ? -height : height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(bitsPerPixel, 28);
  file.writeUInt32LE(bitfields ? 6 - (headerSize > 40 ? 3 : 0) : 0, 30); // BI_BITFIELDS in V4/V5, BI_ALPHA_BITFIELDS in V1
  file.writeUInt32LE(rowBytes * height, 34);
  file.writeInt32LE(2835, 38); // 72 DPI
  file.writeInt32LE(2835, 42);
  file.writeUInt32LE(paletted ? 2 : 0, 46);
  if (bitfields) {
    file.writeUInt32LE(0x00ff0000, 54);
    file.writeUInt32LE(0x0000ff00, 58);
    file.writeUInt32LE(0x000000ff, 62);
    file.writeUInt32LE(0xff000000, 66);
  }
  if (headerSize > 40) file.write('BGRs', 70, 'latin1'); // LCS_sRGB, a little-endian DWORD
  if (paletted) {
    const palette = 14 + headerSize;
    for (const [i, colour] of [COLOURS.red, COLOURS.blue].entries()) {
      file[palette + i * 4] = colour.b;
      file[palette + i * 4 + 1] = colour.g;
      file[palette + i * 4 + 2] = colour.r;
    }
  }

  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const left = x < width / 2;
      const colour = left ? COLOURS.red : COLOURS.blue;
      if (bitsPerPixel === 1) {
        if (!left) file[row + (x >> 3)] = (file[row + (x >> 3)] as number) | (0x80 >> (x & 7));
      } else if (bitsPerPixel === 8) {
        file[row + x] = left ? 0 : 1;
      } else if (bitsPerPixel === 16) {
        file.writeUInt16LE(((colour.r >> 3) << 10) | ((colour.g >> 3) << 5) | (colour.b >> 3), row + x * 2);
      } else {
        const at = row + x * (bitsPerPixel / 8);
        file[at] = colour.b;
        file[at + 1] = colour.g;
        file[at + 2] = colour.r;
        if (bitsPerPixel === 32) file[at + 3] = y < height / 2 ? 255 : 0;
      }
    }
  }
  return file;
}

/** What {@link makeCameraJpeg} writes into EXIF (GPS: 48°51'24"N 2°21'0"E). */
export const CAMERA_EXIF = {
  make: 'Acme Optical',
  model: 'Acme X100',
  dateTimeOriginal: '2021:06:15 14:30:00',
  offsetTimeOriginal: '+02:00',
} as const;

/** Options of {@link makeCameraJpeg}. */
export interface CameraJpegOptions extends Dimensions {
  /** EXIF orientation (1–8). 6 = the camera was turned: display rotated 90° clockwise. @default 6 */
  orientation?: number;
}

/**
 * A JPEG as a phone writes it: stored landscape (320×240 by default) with EXIF orientation 6,
 * Make/Model, DateTimeOriginal + OffsetTimeOriginal and GPS position tags. The pixels are grey
 * with a red square in the stored top-left corner; displayed upright (rotated 90° clockwise)
 * the image is portrait and the square is in the top-right corner.
 */
export async function makeCameraJpeg({ width = DEFAULT_WIDTH, height = DEFAULT_HEIGHT, orientation = 6 }: CameraJpegOptions = {}): Promise<Buffer> {
  return withCornerMarker(width, height, COLOURS.grey, COLOURS.red, 'top-left')
    .jpeg({ quality: 92 })
    .withExif({
      IFD0: { Make: CAMERA_EXIF.make, Model: CAMERA_EXIF.model },
      // libvips numbers the EXIF sub-IFD 2 and the GPS IFD 3.
      IFD2: { DateTimeOriginal: CAMERA_EXIF.dateTimeOriginal, OffsetTimeOriginal: CAMERA_EXIF.offsetTimeOriginal },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 0/1' },
    })
    .withMetadata({ orientation })
    .toBuffer();
}

/** Inserts an APP1 segment with `payload` right after SOI. */
export function withApp1Segment(jpeg: Buffer, payload: Buffer): Buffer {
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, payload, jpeg.subarray(2)]);
}

/** A valid JPEG whose EXIF block is damaged (TIFF header present, IFD offset points nowhere). */
export async function makeJpegWithMalformedExif(dimensions: Dimensions = {}): Promise<Buffer> {
  const damaged = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from([0x49, 0x49, 0x2a, 0x00, 0xff, 0xff, 0xff, 0x7f, 0, 0])]);
  return withApp1Segment(await makeJpeg(dimensions), damaged);
}

/** The first 60% of a photographic JPEG: a valid header, then the data stops. */
export async function makeTruncatedJpeg(dimensions: Dimensions = {}): Promise<Buffer> {
  const whole = await makeJpeg(dimensions);
  return Buffer.from(whole.subarray(0, Math.floor(whole.length * 0.6)));
}

/** An SVG document (which sharp could render, and must not be given). */
export function makeSvg(): Buffer {
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">' +
      '<rect width="100" height="100" fill="red"/><script>alert(1)</script></svg>\n',
  );
}

/** An HTML page. */
export function makeHtml(): Buffer {
  return Buffer.from('<!DOCTYPE html>\n<html><head><title>not an image</title></head><body><img src="x.png"></body></html>\n');
}

/** The start of a PDF document. */
export function makePdf(): Buffer {
  return Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
}

/**
 * The start of a HEIC file: an ISO-BMFF `ftyp` box with brands heic/mif1 and no avif brand,
 * then an (empty) `meta` box. Enough for content sniffing, which is what it is for.
 */
export function makeHeicHeader(): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypheic', 4, 'latin1');
  ftyp.writeUInt32BE(0, 12);
  ftyp.write('mif1heic', 16, 'latin1');
  const meta = Buffer.alloc(12);
  meta.writeUInt32BE(12, 0);
  meta.write('meta', 4, 'latin1');
  return Buffer.concat([ftyp, meta]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

let crcTable: Uint32Array | undefined;
function crc32(bytes: Buffer): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (crcTable[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const pixelBombs = new Map<string, Buffer>();

/**
 * A complete, valid PNG that is small on disk but huge decoded: 1-bit greyscale, all black,
 * 20000×20000 (400 megapixels) by default. ~50 KB of file; a decoder would need ≥ 400 MB.
 * Cached per size, since building it deflates ~50 MB of zeros.
 */
export function makePixelBombPng({ width = 20_000, height = 20_000 }: Dimensions = {}): Buffer {
  const key = `${width}x${height}`;
  const cached = pixelBombs.get(key);
  if (cached !== undefined) return cached;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  // Each row: filter byte 0 + ceil(width / 8) zero bytes; all zeros, so one zeroed buffer.
  const scanlines = Buffer.alloc((1 + Math.ceil(width / 8)) * height);
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(scanlines, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
  pixelBombs.set(key, png);
  return png;
}

/** Size of the smallest COM segment (marker + length, no payload). */
const MIN_COM_SEGMENT = 4;
/** Largest COM segment: marker (2) + length field covering itself (2) + 65533 bytes. */
const MAX_COM_SEGMENT = 2 + 0xffff;

/**
 * Pads a JPEG to exactly `size` bytes with comment (COM) segments, which every decoder skips.
 * They go after SOI and the APPn segments, where a writer would put them.
 *
 * @throws RangeError when the padding needed is 1–3 bytes (no segment is that small) or negative.
 */
export function padJpegToSize(jpeg: Buffer, size: number): Buffer {
  const deficit = size - jpeg.length;
  if (deficit === 0) return jpeg;
  if (deficit < MIN_COM_SEGMENT) throw new RangeError(`Cannot pad a ${jpeg.length}-byte JPEG to ${size} bytes (needs ${deficit})`);
  let at = 2;
  while (jpeg[at] === 0xff && (jpeg[at + 1] as number) >= 0xe0 && (jpeg[at + 1] as number) <= 0xef) at += 2 + jpeg.readUInt16BE(at + 2);

  const count = Math.ceil(deficit / MAX_COM_SEGMENT);
  const segments: Buffer[] = [];
  let left = deficit;
  for (let i = 0; i < count; i++) {
    // Spread evenly so the last segment never ends up under the 4-byte minimum.
    const length = Math.ceil(left / (count - i));
    const segment = Buffer.alloc(length, 0x20);
    segment[0] = 0xff;
    segment[1] = 0xfe;
    segment.writeUInt16BE(length - 2, 2);
    segments.push(segment);
    left -= length;
  }
  return Buffer.concat([jpeg.subarray(0, at), ...segments, jpeg.subarray(at)]);
}

/** Unpadded pictures by seed and size bucket; see makeJpegOfExactSize. */
const exactSizeBases = new Map<string, Buffer>();

/**
 * A photographic-like JPEG of exactly `size` bytes: as large a grainy picture as fits, padded
 * with comment segments. For byte-limit boundary tests (e.g. exactly 10 MiB, and one byte more).
 * Sizes from 64 KiB up share one picture per 4 KiB bucket, so N and N + 1 bytes usually differ
 * only in padding (and the second call is fast); the result depends only on the arguments.
 *
 * @throws RangeError when `size` is too small to hold a JPEG.
 */
export async function makeJpegOfExactSize(size: number, seed = 11): Promise<Buffer> {
  const budget = size >= 65_536 ? size - (size % 4096) : size;
  const key = `${seed}:${budget}`;
  let base = exactSizeBases.get(key);
  if (base === undefined) {
    base = await largestJpegWithin(budget, seed);
    exactSizeBases.set(key, base);
  }
  return padJpegToSize(base, size);
}

/** The largest grainy picture (4:3) whose JPEG leaves at least one COM segment of room in `budget`. */
async function largestJpegWithin(budget: number, seed: number): Promise<Buffer> {
  // Heavy grain, quality 100 and no chroma subsampling: ~2.6 bytes per pixel, so 10 MiB is a
  // ~4-megapixel picture that builds in well under a second.
  const encode = (width: number, height: number) =>
    photographic(width, height, seed, 120).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
  const sample = await encode(256, 192);
  const bytesPerPixel = sample.length / (256 * 192);
  // Aim a little under, then shrink until the picture leaves room for at least one COM segment.
  let pixels = Math.max(64, ((budget - 1000) * 0.97) / bytesPerPixel);
  for (let attempt = 0; attempt < 8; attempt++) {
    const width = Math.max(8, Math.round(Math.sqrt((pixels * 4) / 3)));
    const height = Math.max(8, Math.round((width * 3) / 4));
    const jpeg = await encode(width, height);
    if (jpeg.length <= budget - MIN_COM_SEGMENT) return jpeg;
    if (width === 8 && height === 8) break;
    pixels *= ((budget - MIN_COM_SEGMENT) / jpeg.length) * 0.97;
  }
  throw new RangeError(`Cannot make a JPEG of exactly ${budget} bytes`);
}

/** The colour of one pixel of any image sharp can decode (alpha included when present). */
export async function samplePixel(image: Buffer, x: number, y: number): Promise<Rgba> {
  const { data, info } = await sharp(image).extract({ left: x, top: y, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
  const [r = 0, g = 0, b = 0, a] = info.channels >= 3 ? [...data] : [data[0], data[0], data[0], data[1]];
  return info.hasAlpha ? { r, g, b, a: a ?? 255 } : { r, g, b };
}

/** Largest per-channel difference between two colours (alpha ignored). */
export function colourDistance(a: Rgba, b: Rgba): number {
  return Math.max(Math.abs(a.r - b.r), Math.abs(a.g - b.g), Math.abs(a.b - b.b));
}

/**
 * A GIF of a few dozen bytes whose screen and only frame declare `width`×`height`: libvips
 * decodes every GIF frame as RGBA, so 10000×10000 asks for 400 MB (the decompression bomb of
 * issue 12, fault 3).
 */
export function makeGifBomb({ width = 10_000, height = 10_000 }: Dimensions = {}): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt16LE(width, 0);
  size.writeUInt16LE(height, 2);
  return Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    size,
    Buffer.from([0x80, 0x00, 0x00]), // global colour table of 2 entries
    Buffer.from([0, 0, 0, 0xff, 0xff, 0xff]),
    Buffer.from([0x2c, 0, 0, 0, 0]), // image descriptor at 0,0
    size,
    Buffer.from([0x00, 0x02, 0x02, 0x4c, 0x01, 0x00, 0x3b]), // LZW min code 2, one tiny sub-block, trailer
  ]);
}

/**
 * A PNG header declaring `width`×`height` 16-bit RGBA (8 bytes per pixel decoded), followed by
 * one empty IDAT: well under any pixel limit for 9000×9000, yet 648 MB decoded.
 */
export function makeDeepPngHeader({ width = 9000, height = 9000 }: Dimensions = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 16; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(16))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
