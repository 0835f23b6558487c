import { createHash } from 'node:crypto';
import sharp from 'sharp';
import {
  ImageTooLargeError,
  InvalidParameterError,
  PipelineError,
  TooManyPixelsError,
  UndecodableImageError,
  UnsupportedImageError,
} from '../../../core/errors';
import { DEFAULT_IMAGE_LIMITS, inspectImage, type ImageInfo } from '../../../core/image';
import { MAX_IMAGE_BYTES } from '../../../core/constants';
import {
  CAMERA_EXIF,
  makeAnimatedGif,
  makeAvif,
  makeBmp,
  makeCameraJpeg,
  makeHeicHeader,
  makeHtml,
  makeJpeg,
  makeJpegOfExactSize,
  makeJpegWithMalformedExif,
  makePdf,
  makePixelBombPng,
  makePng,
  makePngWithAlpha,
  makeSvg,
  makeTiff,
  makeTruncatedJpeg,
  makeWebp,
  randomBytes,
} from '../../helpers/images';

async function rejectionOf(promise: Promise<unknown>): Promise<PipelineError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PipelineError) return error;
    throw error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

describe('inspectImage: accepted formats, detected from content', () => {
  const cases: Array<[string, () => Promise<Buffer> | Buffer, Partial<ImageInfo>]> = [
    ['JPEG', () => makeJpeg({ width: 321, height: 123 }), { format: 'jpeg', width: 321, height: 123, hasAlpha: false, contentType: 'image/jpeg', extension: 'jpg' }],
    ['PNG with alpha', () => makePngWithAlpha({ width: 99, height: 77 }), { format: 'png', width: 99, height: 77, hasAlpha: true, contentType: 'image/png' }],
    ['GIF (animated; first frame)', () => makeAnimatedGif({ width: 64, height: 48 }), { format: 'gif', width: 64, height: 48, hasAlpha: false, contentType: 'image/gif' }],
    ['GIF with transparency', async () => sharp(await makePngWithAlpha({ width: 30, height: 20 })).gif().toBuffer(), { format: 'gif', width: 30, height: 20, hasAlpha: true }],
    ['WebP', () => makeWebp({ width: 200, height: 150 }), { format: 'webp', width: 200, height: 150, contentType: 'image/webp' }],
    ['TIFF', () => makeTiff({ width: 120, height: 90 }), { format: 'tiff', width: 120, height: 90, contentType: 'image/tiff' }],
    ['AVIF', () => makeAvif({ width: 96, height: 64 }), { format: 'avif', width: 96, height: 64, contentType: 'image/avif', extension: 'avif' }],
    ['BMP 24-bit', () => makeBmp({ width: 33, height: 21, bitsPerPixel: 24 }), { format: 'bmp', width: 33, height: 21, hasAlpha: false, contentType: 'image/bmp' }],
    ['BMP 32-bit with alpha', () => makeBmp({ width: 40, height: 30, bitsPerPixel: 32 }), { format: 'bmp', width: 40, height: 30, hasAlpha: true }],
  ];

  it.each(cases)('accepts %s with the right format and dimensions', async (_name, make, expected) => {
    const bytes = await make();

    const info = await inspectImage(bytes);

    expect(info).toMatchObject({ ...expected, bytes: bytes.length, orientation: 1, colorSpace: 'srgb' });
    expect(info.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('ignores what a caller might claim: a PNG is a PNG whatever it is called', async () => {
    // inspectImage takes bytes only; there is no name or Content-Type to be fooled by.
    const png = await makePng({ width: 10, height: 10 });
    const info = await inspectImage(new Uint8Array(png.buffer, png.byteOffset, png.byteLength));
    expect(info.format).toBe('png');
  });
});

describe('inspectImage: refused inputs', () => {
  const unsupported: Array<[string, () => Buffer, RegExp]> = [
    ['empty input', () => Buffer.alloc(0), /empty input/],
    ['random bytes', () => randomBytes(4096, 3), /unrecognised binary data/],
    ['an SVG', makeSvg, /SVG/],
    ['an HTML page', makeHtml, /HTML/],
    ['a PDF', makePdf, /PDF/],
    ['a HEIC that is not AVIF', makeHeicHeader, /HEIF\/HEIC .*heic/],
    ['plain text', () => Buffer.from('BM is not enough to be a bitmap, this is just text\n'.repeat(4)), /plain text/],
  ];

  it.each(unsupported)('refuses %s as unsupported, saying what was detected and expected', async (_name, make, detected) => {
    const error = await rejectionOf(inspectImage(make()));

    expect(error).toBeInstanceOf(UnsupportedImageError);
    expect(error.code).toBe('UNSUPPORTED_IMAGE');
    expect(error.message).toMatch(detected);
    expect(error.message).toMatch(/expected JPEG, PNG, GIF, WebP, TIFF, AVIF or BMP/);
  });

  it('refuses a truncated JPEG as undecodable, with our message first and libvips as the cause', async () => {
    const error = await rejectionOf(inspectImage(await makeTruncatedJpeg({ width: 400, height: 300 })));

    expect(error).toBeInstanceOf(UndecodableImageError);
    expect(error.message).toMatch(/^Could not decode the JPEG image: it is truncated or corrupt \(premature end of JPEG/);
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toMatch(/VipsJpeg/);
    expect(error.retriable).toBe(false);
  });

  it('refuses a truncated PNG, WebP, GIF, TIFF and AVIF as undecodable', async () => {
    const wholes = await Promise.all([makeJpeg(), makeWebp(), makeTiff(), makeAvif()]);
    const png = await sharp(randomBytes(200 * 150 * 3, 5), { raw: { width: 200, height: 150, channels: 3 } }).png().toBuffer();
    const gif = await sharp(randomBytes(200 * 150 * 3, 6), { raw: { width: 200, height: 150, channels: 3 } }).gif().toBuffer();

    for (const whole of [...wholes, png, gif]) {
      const error = await rejectionOf(inspectImage(whole.subarray(0, Math.floor(whole.length * 0.6))));
      expect(error).toBeInstanceOf(UndecodableImageError);
    }
  });

  it('refuses input over maxImageBytes before looking at it', async () => {
    const bytes = randomBytes(2048);

    const error = await rejectionOf(inspectImage(bytes, { maxImageBytes: 2047 }));

    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect((error as ImageTooLargeError).limitBytes).toBe(2047);
    expect(error.message).toBe('The image is 2048 bytes; the limit is 2047 bytes');
  });

  it('refuses an image with more pixels than maxPixels', async () => {
    const error = await rejectionOf(inspectImage(await makeJpeg({ width: 200, height: 100 }), { maxPixels: 19_999 }));

    expect(error).toBeInstanceOf(TooManyPixelsError);
    expect(error.message).toMatch(/200×100 = 20000 pixels; the limit is 19999/);
  });

  it('accepts an image of exactly maxPixels', async () => {
    await expect(inspectImage(await makeJpeg({ width: 200, height: 100 }), { maxPixels: 20_000 })).resolves.toMatchObject({ width: 200 });
  });

  it('refuses a pixel-bomb PNG from its header, without allocating the pixels', async () => {
    const bomb = makePixelBombPng({ width: 20_000, height: 20_000 });
    expect(bomb.length).toBeLessThan(200_000);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;

    const error = await rejectionOf(inspectImage(bomb));

    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(error).toBeInstanceOf(TooManyPixelsError);
    expect(error.message).toMatch(/20000×20000 = 400000000 pixels; the limit is 100000000/);
    // Decoding 400 megapixels would allocate at least 400 MB (1 byte per pixel); reading the
    // header allocates next to nothing.
    expect(rssGrowth).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a BMP pixel bomb from its header, before bmp-ts allocates anything', async () => {
    const header = makeBmp({ width: 8, height: 8, bitsPerPixel: 24 });
    header.writeInt32LE(30_000, 18);
    header.writeInt32LE(30_000, 22);

    const error = await rejectionOf(inspectImage(header));

    expect(error).toBeInstanceOf(TooManyPixelsError);
    expect(error.message).toMatch(/BMP image declares 30000×30000/);
  });

  it('rejects limits that are not positive integers, naming the parameter', async () => {
    const jpeg = await makeJpeg({ width: 8, height: 8 });
    await expect(inspectImage(jpeg, { maxPixels: 0 })).rejects.toThrow(InvalidParameterError);
    await expect(inspectImage(jpeg, { maxImageBytes: 1.5 })).rejects.toThrow(
      'Expected positive integer for maxImageBytes but received 1.5 of type number',
    );
    await expect(inspectImage('not bytes' as unknown as Buffer)).rejects.toThrow(/Expected Buffer or Uint8Array for bytes/);
  });
});

describe('inspectImage: the byte limit boundary (10 MiB)', () => {
  const limit = DEFAULT_IMAGE_LIMITS.maxImageBytes;
  let atLimit: Buffer;

  // Building and decoding ~4-megapixel pictures takes about a second; allow for a busy machine.
  jest.setTimeout(30_000);

  // Making a JPEG of an exact size encodes several times; give it room on a loaded machine.
  beforeAll(async () => {
    atLimit = await makeJpegOfExactSize(limit);
  }, 120_000);

  it('accepts a real JPEG of exactly 10 MiB', async () => {
    expect(atLimit.length).toBe(MAX_IMAGE_BYTES);

    const info = await inspectImage(atLimit);

    expect(info).toMatchObject({ format: 'jpeg', bytes: limit });
    expect(info.width * info.height).toBeGreaterThan(1_000_000);
  });

  it('refuses the same picture one byte larger', async () => {
    const oneOver = await makeJpegOfExactSize(limit + 1);
    expect(oneOver.length).toBe(limit + 1);
    await expect(inspectImage(oneOver)).rejects.toThrow(ImageTooLargeError);
  });
});

describe('inspectImage: orientation and EXIF', () => {
  it('reports displayed dimensions and the stored orientation of a rotated phone photo', async () => {
    const info = await inspectImage(await makeCameraJpeg({ width: 320, height: 240, orientation: 6 }));

    expect(info).toMatchObject({ width: 240, height: 320, orientation: 6 });
  });

  it('extracts capture time (with its UTC offset), camera make and model', async () => {
    const info = await inspectImage(await makeCameraJpeg());

    expect(info.capturedAt).toBe('2021-06-15T14:30:00+02:00');
    expect(info.cameraMake).toBe(CAMERA_EXIF.make);
    expect(info.cameraModel).toBe(CAMERA_EXIF.model);
  });

  it('omits EXIF fields, and still accepts the image, when the EXIF block is malformed', async () => {
    const info = await inspectImage(await makeJpegWithMalformedExif({ width: 50, height: 40 }));

    expect(info).toMatchObject({ format: 'jpeg', width: 50, height: 40, orientation: 1 });
    expect(info).not.toHaveProperty('capturedAt');
    expect(info).not.toHaveProperty('cameraMake');
    expect(info).not.toHaveProperty('cameraModel');
  });

  it('has no EXIF fields for an image without EXIF', async () => {
    const info = await inspectImage(await makePng({ width: 10, height: 10 }));
    expect(Object.keys(info).sort()).toEqual(
      ['bytes', 'colorSpace', 'contentType', 'extension', 'format', 'hasAlpha', 'height', 'orientation', 'sha256', 'width'].sort(),
    );
  });
});
