import { DEFAULT_VARIANTS, type VariantSpec } from '../../../core/image/variants';
import { UndecodableImageError, UnsupportedImageError } from '../../../core/errors';
import { inspectImage, renderVariants } from '../../../core/image';
import { COLOURS, colourDistance, makeBmp, samplePixel, type BmpOptions } from '../../helpers/images';

const MEDIUM = DEFAULT_VARIANTS[1] as VariantSpec;
const WEBP = DEFAULT_VARIANTS[3] as VariantSpec;
const TOLERANCE = 24;

/** Inspects a 64×48 BMP and renders its JPEG medium and WebP variants. */
async function renderBmp(options: BmpOptions) {
  const bmp = makeBmp({ width: 64, height: 48, ...options });
  const info = await inspectImage(bmp);
  const [medium, webp] = await renderVariants(bmp, info, [MEDIUM, WEBP]);
  if (medium === undefined || webp === undefined) throw new Error('variants missing');
  return { info, medium: medium.data, webp: webp.data };
}

describe('BMP decoding (bmp-ts, ABGR reordered to RGBA)', () => {
  it.each([
    ['1-bit paletted', { bitsPerPixel: 1 }],
    ['8-bit paletted', { bitsPerPixel: 8 }],
    ['16-bit 5-5-5', { bitsPerPixel: 16 }],
    ['24-bit', { bitsPerPixel: 24 }],
    ['24-bit with a V5 header', { bitsPerPixel: 24, headerSize: 124 }],
    ['32-bit BI_RGB (fourth byte ignored)', { bitsPerPixel: 32, headerSize: 40 }],
    ['32-bit V5 BI_RGB with zeroed mask fields', { bitsPerPixel: 32, headerSize: 124, bitfields: false }],
    ['24-bit with a gap before the pixel array', { bitsPerPixel: 24, gapBytes: 100 }],
    ['8-bit with a gap before the pixel array', { bitsPerPixel: 8, gapBytes: 7 }],
  ] as Array<[string, BmpOptions]>)('keeps the colours of a %s BMP, opaque', async (_name, options) => {
    const { info, medium } = await renderBmp(options);

    expect(info).toMatchObject({ format: 'bmp', width: 64, height: 48, hasAlpha: false });
    expect(colourDistance(await samplePixel(medium, 8, 8), COLOURS.red)).toBeLessThan(TOLERANCE);
    expect(colourDistance(await samplePixel(medium, 56, 8), COLOURS.blue)).toBeLessThan(TOLERANCE);
    expect(colourDistance(await samplePixel(medium, 8, 40), COLOURS.red)).toBeLessThan(TOLERANCE);
  });

  it.each([
    ['V4 BI_BITFIELDS', { bitsPerPixel: 32, headerSize: 108 }],
    ['V5 BI_BITFIELDS', { bitsPerPixel: 32, headerSize: 124 }],
    ['BITMAPINFOHEADER BI_ALPHA_BITFIELDS', { bitsPerPixel: 32, headerSize: 40, bitfields: true }],
  ] as Array<[string, BmpOptions]>)('keeps the alpha of a 32-bit %s BMP', async (_name, options) => {
    const { info, medium, webp } = await renderBmp(options);

    expect(info.hasAlpha).toBe(true);
    expect(colourDistance(await samplePixel(medium, 8, 40), COLOURS.white)).toBeLessThan(TOLERANCE);
    expect(await samplePixel(webp, 8, 8)).toMatchObject({ a: 255 });
    expect(await samplePixel(webp, 8, 40)).toMatchObject({ a: 0 });
  });

  it('treats a declared alpha channel that is 0 everywhere as opaque, as browsers do', async () => {
    const bmp = makeBmp({ width: 16, height: 16, bitsPerPixel: 32 });
    for (let at = bmp.readUInt32LE(10); at < bmp.length; at += 4) bmp[at + 3] = 0;

    const info = await inspectImage(bmp);
    const [medium] = await renderVariants(bmp, info, [MEDIUM]);

    expect(info.hasAlpha).toBe(false);
    expect(colourDistance(await samplePixel(medium?.data as Buffer, 2, 2), COLOURS.red)).toBeLessThan(TOLERANCE);
  });
});

describe('BMP refusals', () => {
  it('refuses a BMP whose pixel data is cut short, saying so', async () => {
    const bmp = makeBmp({ width: 64, height: 48, bitsPerPixel: 24 });

    await expect(inspectImage(bmp.subarray(0, bmp.length - 100))).rejects.toThrow(
      new UndecodableImageError('Could not decode the BMP image: the file is truncated: 64×48 pixels need 9216 bytes of pixel data, 9116 present'),
    );
  });

  it('refuses a BMP cut inside its header', async () => {
    const bmp = makeBmp({ width: 8, height: 8, bitsPerPixel: 32 });
    await expect(inspectImage(bmp.subarray(0, 60))).rejects.toThrow(UndecodableImageError);
  });

  it.each([
    [1, 'RLE8'],
    [2, 'RLE4'],
    [4, 'embedded JPEG'],
    [5, 'embedded PNG'],
  ])('refuses compression %d (%s) as unsupported', async (compression, name) => {
    const bmp = makeBmp({ width: 8, height: 8, bitsPerPixel: 8 });
    bmp.writeUInt32LE(compression, 30);

    await expect(inspectImage(bmp)).rejects.toThrow(new UnsupportedImageError(`Unsupported image format: a BMP with ${name} compression is not supported`));
  });

  it('refuses an OS/2 bitmap as unsupported, naming it', async () => {
    const bmp = makeBmp({ width: 8, height: 8, bitsPerPixel: 24 });
    bmp.writeUInt32LE(12, 14);

    await expect(inspectImage(bmp)).rejects.toThrow(/Unsupported image format: detected an OS\/2 bitmap/);
  });

  it.each([
    ['a zero width', (b: Buffer) => b.writeInt32LE(0, 18)],
    ['a negative width', (b: Buffer) => b.writeInt32LE(-8, 18)],
    ['a colour table larger than the bit depth allows', (b: Buffer) => b.writeUInt32LE(300, 46)],
    ['a pixel offset inside the colour table', (b: Buffer) => b.writeUInt32LE(40, 10)],
  ])('refuses a BMP header with %s as undecodable', async (_name, damage) => {
    const bmp = makeBmp({ width: 8, height: 8, bitsPerPixel: 8 });
    damage(bmp);

    await expect(inspectImage(bmp)).rejects.toThrow(UndecodableImageError);
  });

  it('refuses a 3-bit BMP as unsupported', async () => {
    const bmp = makeBmp({ width: 8, height: 8, bitsPerPixel: 8 });
    bmp.writeUInt16LE(3, 28);
    await expect(inspectImage(bmp)).rejects.toThrow(/a BMP with 3 bits per pixel is not supported/);
  });
});
