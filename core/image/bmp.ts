/**
 * BMP support. libvips (and so sharp) has no BMP loader in the prebuilt binaries, so BMP is
 * decoded with bmp-ts and handed to sharp as raw pixels.
 *
 * The header is read here, not by bmp-ts, for three reasons: the pixel limit must be checked
 * before bmp-ts allocates `width × height × 4` bytes; a truncated file must be refused before
 * bmp-ts reads past the end; and bmp-ts 1.0.9 has quirks we have to steer around (see
 * {@link prepareForDecoder}).
 */
import { decode } from 'bmp-ts';
import { UndecodableImageError, UnsupportedImageError } from '../errors';
import { BMP_INFO_HEADER_SIZES } from './formats';

const FILE_HEADER_SIZE = 14;
const INFO_HEADER_SIZE = 40;
const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHA_BITFIELDS = 6;
const COMPRESSION_NAMES: Readonly<Record<number, string>> = { 1: 'RLE8', 2: 'RLE4', 4: 'embedded JPEG', 5: 'embedded PNG' };

/** Colour masks as bmp-ts will apply them (16- and 32-bit pixels only). */
interface ChannelMasks {
  red: number;
  green: number;
  blue: number;
  alpha: number;
}

/** What the BMP header declares; everything needed to check limits before decoding. */
export interface BmpHeader {
  width: number;
  /** Always positive; {@link topDown} tells the row order. */
  height: number;
  topDown: boolean;
  bitsPerPixel: number;
  compression: number;
  headerSize: number;
  /** Where the pixel array starts, from the file header. */
  dataOffset: number;
  /** Where bmp-ts will start reading pixels: it ignores `dataOffset` and reads on from the colour table. */
  decoderDataOffset: number;
  /** Masks bmp-ts must use; `undefined` for paletted and 24-bit images. */
  masks: ChannelMasks | undefined;
  /** True when the masks we will hand bmp-ts differ from the ones in the file. */
  masksNeedPatch: boolean;
  /** True when the header declares an alpha channel (the pixels may still all be 0, see decodeBmp). */
  declaresAlpha: boolean;
}

/** Raw pixels ready for `sharp(data, { raw: { width, height, channels: 4 } })`. */
export interface DecodedBmp {
  /** RGBA, 8 bits per channel, rows top to bottom. */
  data: Buffer;
  width: number;
  height: number;
  /** False when the image has no alpha (then every alpha byte is 255). */
  hasAlpha: boolean;
}

function undecodable(message: string, cause?: unknown): UndecodableImageError {
  return new UndecodableImageError(`Could not decode the BMP image: ${message}`, cause === undefined ? {} : { cause });
}

/**
 * Reads and checks the BMP header without touching the pixel data.
 *
 * @throws UnsupportedImageError for valid BMP variants we do not decode (RLE, embedded JPEG/PNG,
 *   unusual bit depths).
 * @throws UndecodableImageError when the header is inconsistent.
 */
export function readBmpHeader(bytes: Buffer): BmpHeader {
  if (bytes.length < FILE_HEADER_SIZE + INFO_HEADER_SIZE) throw undecodable('the header is truncated');
  const headerSize = bytes.readUInt32LE(14);
  if (!BMP_INFO_HEADER_SIZES.has(headerSize)) {
    throw new UnsupportedImageError(`Unsupported image format: a BMP with a ${headerSize}-byte DIB header is not supported`);
  }
  if (bytes.length < FILE_HEADER_SIZE + headerSize) throw undecodable('the header is truncated');

  const dataOffset = bytes.readUInt32LE(10);
  const width = bytes.readInt32LE(18);
  const signedHeight = bytes.readInt32LE(22);
  const bitsPerPixel = bytes.readUInt16LE(28);
  const compression = bytes.readUInt32LE(30);
  const colorsUsed = bytes.readUInt32LE(46);

  if (width <= 0 || signedHeight === 0 || signedHeight === -0x80000000) {
    throw undecodable(`the header declares invalid dimensions ${width}×${signedHeight}`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) {
    throw new UnsupportedImageError(`Unsupported image format: a BMP with ${bitsPerPixel} bits per pixel is not supported`);
  }
  const compressionName = COMPRESSION_NAMES[compression];
  if (compressionName !== undefined) {
    // bmp-ts 1.0.9 writes RLE runs to the wrong byte offsets, so its output would be garbage.
    throw new UnsupportedImageError(`Unsupported image format: a BMP with ${compressionName} compression is not supported`);
  }
  const usesBitfields = compression === BI_BITFIELDS || compression === BI_ALPHA_BITFIELDS;
  if (compression !== BI_RGB && !usesBitfields) throw undecodable(`unknown compression method ${compression}`);
  if (usesBitfields && bitsPerPixel !== 16 && bitsPerPixel !== 32) {
    throw undecodable(`bit-field compression needs 16 or 32 bits per pixel, not ${bitsPerPixel}`);
  }

  // Mirror bmp-ts's header walk exactly, so we know where it will read the pixels from.
  let position = FILE_HEADER_SIZE + INFO_HEADER_SIZE;
  const readsRgbMasks = headerSize > INFO_HEADER_SIZE || usesBitfields;
  const readsAlphaMask = headerSize > 52 || compression === BI_ALPHA_BITFIELDS;
  const fileMasks = { red: 0, green: 0, blue: 0, alpha: 0 };
  if (readsRgbMasks) {
    if (bytes.length < position + 12) throw undecodable('the colour masks are truncated');
    fileMasks.red = bytes.readUInt32LE(position);
    fileMasks.green = bytes.readUInt32LE(position + 4);
    fileMasks.blue = bytes.readUInt32LE(position + 8);
    position += 12;
  }
  if (readsAlphaMask) {
    if (bytes.length < position + 4) throw undecodable('the colour masks are truncated');
    fileMasks.alpha = bytes.readUInt32LE(position);
    position += 4;
  }
  position = Math.max(position, FILE_HEADER_SIZE + headerSize);

  let masks: ChannelMasks | undefined;
  let masksNeedPatch = false;
  if (bitsPerPixel === 16 || bitsPerPixel === 32) {
    const defaults =
      bitsPerPixel === 32
        ? { red: 0x00ff0000, green: 0x0000ff00, blue: 0x000000ff, alpha: 0 }
        : { red: 0x7c00, green: 0x03e0, blue: 0x001f, alpha: 0 };
    if (usesBitfields) {
      masks = fileMasks;
      if (masks.red === 0 || masks.green === 0 || masks.blue === 0) throw undecodable('a colour mask is empty');
    } else {
      // BI_RGB means "the default layout" whatever the V2+ header's mask fields hold (often 0),
      // but bmp-ts reads those fields anyway; we hand it a copy with the defaults written in.
      masks = defaults;
      masksNeedPatch = readsRgbMasks || readsAlphaMask;
    }
  }

  if (colorsUsed > 0 && bitsPerPixel <= 8 && colorsUsed > 1 << bitsPerPixel) {
    throw undecodable(`the colour table declares ${colorsUsed} entries for ${bitsPerPixel}-bit pixels`);
  }
  const paletteEntries = bitsPerPixel <= 8 || colorsUsed > 0 ? (colorsUsed === 0 ? 1 << bitsPerPixel : colorsUsed) : 0;
  const decoderDataOffset = position + paletteEntries * 4;
  if (decoderDataOffset > dataOffset || dataOffset > bytes.length) {
    throw undecodable('the colour table overlaps the pixel data or the pixel data offset is out of range');
  }

  return {
    width,
    height: Math.abs(signedHeight),
    topDown: signedHeight < 0,
    bitsPerPixel,
    compression,
    headerSize,
    dataOffset,
    decoderDataOffset,
    masks,
    masksNeedPatch,
    declaresAlpha: masks !== undefined && masks.alpha !== 0,
  };
}

/**
 * Returns bytes bmp-ts will decode correctly: the original when it can, otherwise a copy with
 * the gap before the pixel array removed (bmp-ts ignores the file's data offset) and/or the
 * default masks written into the header.
 */
function prepareForDecoder(bytes: Buffer, header: BmpHeader): Buffer {
  if (header.decoderDataOffset === header.dataOffset && !header.masksNeedPatch) return bytes;
  const prepared = Buffer.concat([bytes.subarray(0, header.decoderDataOffset), bytes.subarray(header.dataOffset)]);
  if (header.masksNeedPatch && header.masks !== undefined) {
    const at = FILE_HEADER_SIZE + INFO_HEADER_SIZE;
    prepared.writeUInt32LE(header.masks.red >>> 0, at);
    prepared.writeUInt32LE(header.masks.green >>> 0, at + 4);
    prepared.writeUInt32LE(header.masks.blue >>> 0, at + 8);
    if (header.headerSize > 52) prepared.writeUInt32LE(header.masks.alpha >>> 0, at + 12);
  }
  return prepared;
}

/**
 * Decodes a BMP whose header was checked by {@link readBmpHeader} into RGBA pixels.
 *
 * bmp-ts returns ABGR (byte 0 alpha, then blue, green, red) unless asked for RGBA, and its
 * 1/4/8-bit paths ignore that request, so we always take ABGR and reorder here. Its alpha
 * byte is 0 for paletted and 24-bit pixels (no alpha) and 255 for 16/32-bit pixels without an
 * alpha mask. A 32-bit file that declares an alpha mask but stores 0 everywhere is treated
 * as opaque, as browsers do: such files come from writers that never filled the alpha byte.
 *
 * @throws UndecodableImageError when the file is shorter than the pixel array it declares, or
 *   bmp-ts fails on the pixel data.
 */
export function decodeBmp(bytes: Buffer, header: BmpHeader): DecodedBmp {
  // Checked here rather than in readBmpHeader so that a huge declared size is reported as
  // too many pixels (the caller checks that in between), not as a truncated file.
  const rowBytes = Math.floor((header.bitsPerPixel * header.width + 31) / 32) * 4;
  const pixelBytes = rowBytes * header.height;
  if (header.dataOffset + pixelBytes > bytes.length) {
    throw undecodable(
      `the file is truncated: ${header.width}×${header.height} pixels need ${pixelBytes} bytes of pixel data, ${bytes.length - header.dataOffset} present`,
    );
  }
  let abgr: Buffer;
  try {
    const decoded = decode(prepareForDecoder(bytes, header));
    abgr = decoded.data;
  } catch (error) {
    throw undecodable('the pixel data is corrupt', error);
  }
  const pixelCount = header.width * header.height;
  if (abgr.length !== pixelCount * 4) throw undecodable('the decoder returned an unexpected amount of pixel data');

  let hasAlpha = false;
  if (header.declaresAlpha) {
    for (let i = 0; i < abgr.length; i += 4) {
      if (abgr[i] !== 0) {
        hasAlpha = true;
        break;
      }
    }
  }
  // Reorder in place: a second full-size buffer would double the memory of large bitmaps.
  for (let i = 0; i < abgr.length; i += 4) {
    const alpha = hasAlpha ? (abgr[i] as number) : 255;
    const blue = abgr[i + 1] as number;
    abgr[i] = abgr[i + 3] as number;
    abgr[i + 1] = abgr[i + 2] as number;
    abgr[i + 2] = blue;
    abgr[i + 3] = alpha;
  }
  return { data: abgr, width: header.width, height: header.height, hasAlpha };
}
