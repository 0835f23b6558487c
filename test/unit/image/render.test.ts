import sharp from 'sharp';
import { DEFAULT_VARIANTS, type VariantSpec } from '../../../core/image/variants';
import { InvalidParameterError, UndecodableImageError } from '../../../core/errors';
import { inspectImage, processImage, renderVariants, type RenderedVariant } from '../../../core/image';
import {
  COLOURS,
  colourDistance,
  makeAnimatedGif,
  makeAvif,
  makeBmp,
  makeCameraJpeg,
  makeJpeg,
  makePng,
  makePngWithAlpha,
  makeTiff,
  makeTruncatedJpeg,
  makeWebp,
  samplePixel,
} from '../../helpers/images';

async function render(bytes: Buffer, specs: readonly VariantSpec[] = DEFAULT_VARIANTS): Promise<RenderedVariant[]> {
  return renderVariants(bytes, await inspectImage(bytes), specs);
}

function byName(variants: RenderedVariant[], name: string): RenderedVariant {
  const variant = variants.find((v) => v.name === name);
  if (variant === undefined) throw new Error(`no variant named ${name}`);
  return variant;
}

/** Mean absolute difference per channel between two images of the same size, decoded. */
async function meanDifference(a: Buffer, b: Buffer): Promise<number> {
  const [left, right] = await Promise.all([a, b].map((image) => sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
  if (left === undefined || right === undefined) throw new Error('decode failed');
  expect([left.info.width, left.info.height]).toEqual([right.info.width, right.info.height]);
  let total = 0;
  for (let i = 0; i < left.data.length; i++) total += Math.abs((left.data[i] as number) - (right.data[i] as number));
  return total / left.data.length;
}

const TOLERANCE = 24;

describe('renderVariants: the default variant set', () => {
  let source: Buffer;
  let variants: RenderedVariant[];

  beforeAll(async () => {
    source = await makeJpeg({ width: 2000, height: 1500 });
    variants = await render(source);
  });

  it('makes thumbnail 200×200 (cover), medium within 800×600, large and WebP within 1600×1600', () => {
    expect(variants.map((v) => [v.name, v.format, v.width, v.height])).toEqual([
      ['thumbnail', 'jpeg', 200, 200],
      ['medium', 'jpeg', 800, 600],
      ['large', 'jpeg', 1600, 1200],
      ['large-webp', 'webp', 1600, 1200],
    ]);
  });

  it('reports what the bytes really are: format, dimensions, size, media type and extension', async () => {
    for (const variant of variants) {
      const metadata = await sharp(variant.data).metadata();
      expect([metadata.format, metadata.width, metadata.height]).toEqual([variant.format, variant.width, variant.height]);
      expect(variant.bytes).toBe(variant.data.length);
      expect([variant.contentType, variant.extension]).toEqual(variant.format === 'jpeg' ? ['image/jpeg', 'jpg'] : ['image/webp', 'webp']);
    }
  });

  it('looks like a direct resize of the original (the shared intermediate costs no visible quality)', async () => {
    const direct = await sharp(source).resize({ width: 800, height: 600, fit: 'inside' }).jpeg({ quality: 85 }).toBuffer();

    expect(await meanDifference(byName(variants, 'medium').data, direct)).toBeLessThan(3);
  });
});

describe('renderVariants: orientation and metadata', () => {
  let variants: RenderedVariant[];

  beforeAll(async () => {
    // Stored 320×240 with orientation 6; red square in the stored top-left corner.
    variants = await render(await makeCameraJpeg({ width: 320, height: 240, orientation: 6 }));
  });

  it('turns a rotated phone photo upright: dimensions swap and the marker lands top-right', async () => {
    const medium = byName(variants, 'medium');
    expect([medium.width, medium.height]).toEqual([240, 320]);

    expect(colourDistance(await samplePixel(medium.data, medium.width - 10, 10), COLOURS.red)).toBeLessThan(TOLERANCE);
    expect(colourDistance(await samplePixel(medium.data, 10, 10), COLOURS.grey)).toBeLessThan(TOLERANCE);
    expect(colourDistance(await samplePixel(medium.data, medium.width - 10, medium.height - 10), COLOURS.grey)).toBeLessThan(TOLERANCE);
  });

  it('keeps a large rotated photo upright through the downscaled intermediate', async () => {
    const large = await render(await makeCameraJpeg({ width: 2000, height: 1500, orientation: 6 }));

    expect(large.map((v) => [v.name, v.width, v.height])).toEqual([
      ['thumbnail', 200, 200],
      ['medium', 450, 600],
      ['large', 1200, 1600],
      ['large-webp', 1200, 1600],
    ]);
    const variant = byName(large, 'large');
    expect(colourDistance(await samplePixel(variant.data, variant.width - 30, 30), COLOURS.red)).toBeLessThan(TOLERANCE);
    expect(colourDistance(await samplePixel(variant.data, 30, 30), COLOURS.grey)).toBeLessThan(TOLERANCE);
  });

  it('strips EXIF (GPS included), XMP, IPTC and ICC from every variant, and leaves no orientation tag', async () => {
    for (const variant of variants) {
      const metadata = await sharp(variant.data).metadata();
      expect(metadata.exif).toBeUndefined();
      expect(metadata.xmp).toBeUndefined();
      expect(metadata.iptc).toBeUndefined();
      expect(metadata.icc).toBeUndefined();
      expect(metadata.orientation).toBeUndefined();
      // GPS lives inside EXIF; the camera strings would also show up verbatim in any leftover block.
      expect(variant.data.includes(Buffer.from('Acme'))).toBe(false);
    }
  });
});

describe('renderVariants: alpha', () => {
  let variants: RenderedVariant[];

  beforeAll(async () => {
    // Left half opaque red, right half transparent.
    variants = await render(await makePngWithAlpha({ width: 400, height: 300 }));
  });

  it('flattens alpha onto white for JPEG variants', async () => {
    const medium = byName(variants, 'medium');
    const metadata = await sharp(medium.data).metadata();
    expect([metadata.channels, metadata.hasAlpha]).toEqual([3, false]);

    expect(colourDistance(await samplePixel(medium.data, 20, 150), COLOURS.red)).toBeLessThan(TOLERANCE);
    expect(colourDistance(await samplePixel(medium.data, 380, 150), COLOURS.white)).toBeLessThan(TOLERANCE);
  });

  it('keeps alpha in the WebP variant', async () => {
    const webp = byName(variants, 'large-webp');
    expect((await sharp(webp.data).metadata()).hasAlpha).toBe(true);

    expect((await samplePixel(webp.data, 20, 150)).a).toBe(255);
    expect((await samplePixel(webp.data, 380, 150)).a).toBe(0);
  });
});

describe('renderVariants: never enlarges', () => {
  it('keeps a 100×80 image at 100×80 in every variant, thumbnail included', async () => {
    const variants = await render(await makePng({ width: 100, height: 80 }));

    for (const variant of variants) {
      const metadata = await sharp(variant.data).metadata();
      expect([variant.name, metadata.width, metadata.height]).toEqual([variant.name, 100, 80]);
    }
  });

  it('crops a 300×150 thumbnail to 200×150 rather than scaling it up to cover 200×200', async () => {
    const [thumbnail] = await render(await makePng({ width: 300, height: 150 }), [DEFAULT_VARIANTS[0] as VariantSpec]);

    expect([thumbnail?.width, thumbnail?.height]).toEqual([200, 150]);
  });

  it('cuts a cover thumbnail from a panorama at full height', async () => {
    const [thumbnail, large] = await render(await makeJpeg({ width: 3000, height: 400 }), [
      DEFAULT_VARIANTS[0] as VariantSpec,
      DEFAULT_VARIANTS[2] as VariantSpec,
    ]);

    expect([thumbnail?.width, thumbnail?.height]).toEqual([200, 200]);
    expect([large?.width, large?.height]).toEqual([1600, 213]);
  });
});

describe('renderVariants: sizes agree with a direct sharp resize of the original', () => {
  const specs: VariantSpec[] = [
    { name: 'odd-box', width: 97, height: 61, fit: 'inside', format: 'jpeg', quality: 80 },
    { name: 'square', width: 300, height: 300, fit: 'inside', format: 'webp', quality: 80 },
    { name: 'tall-cover', width: 50, height: 120, fit: 'cover', format: 'jpeg', quality: 80 },
  ];

  it.each([
    [641, 479],
    [1003, 333],
    [333, 1003],
    [299, 301],
    [120, 40],
  ])('for a %d×%d image', async (width, height) => {
    const png = await makePng({ width, height });

    const variants = await render(png, specs);

    for (const [i, spec] of specs.entries()) {
      const direct = await sharp(png)
        .resize({ width: spec.width, height: spec.height, fit: spec.fit, withoutEnlargement: true })
        .toBuffer({ resolveWithObject: true });
      expect([spec.name, variants[i]?.width, variants[i]?.height]).toEqual([spec.name, direct.info.width, direct.info.height]);
    }
  });
});

describe('renderVariants: every accepted format', () => {
  const cases: Array<[string, () => Promise<Buffer> | Buffer]> = [
    ['WebP', () => makeWebp({ width: 300, height: 200 })],
    ['TIFF', () => makeTiff({ width: 300, height: 200 })],
    ['AVIF', () => makeAvif({ width: 300, height: 200 })],
  ];

  it.each(cases)('renders %s', async (_name, make) => {
    const variants = await render(await make());
    expect(variants.map((v) => [v.width, v.height])).toEqual([
      [200, 200],
      [300, 200],
      [300, 200],
      [300, 200],
    ]);
  });

  it('uses only the first frame of an animated GIF (red, not the blue second frame)', async () => {
    const variants = await render(await makeAnimatedGif({ width: 120, height: 90 }));

    for (const variant of variants) {
      expect([variant.width, variant.height]).toEqual([120, 90]);
      expect(colourDistance(await samplePixel(variant.data, 40, 40), COLOURS.red)).toBeLessThan(TOLERANCE);
    }
  });

  it.each([
    ['24-bit', 24 as const, false],
    ['24-bit top-down', 24 as const, true],
    ['32-bit', 32 as const, false],
    ['32-bit top-down', 32 as const, true],
  ])('keeps the colours of a %s BMP: red stays red, blue stays blue, top stays top', async (_name, bitsPerPixel, topDown) => {
    // Left half red, right half blue; at 32 bits the bottom half is transparent.
    const variants = await render(makeBmp({ width: 201, height: 101, bitsPerPixel, topDown }));
    const medium = byName(variants, 'medium');
    expect([medium.width, medium.height]).toEqual([201, 101]);

    expect(colourDistance(await samplePixel(medium.data, 20, 20), COLOURS.red)).toBeLessThan(TOLERANCE);
    expect(colourDistance(await samplePixel(medium.data, 180, 20), COLOURS.blue)).toBeLessThan(TOLERANCE);
    const bottomLeft = await samplePixel(medium.data, 20, 90);
    expect(colourDistance(bottomLeft, bitsPerPixel === 32 ? COLOURS.white : COLOURS.red)).toBeLessThan(TOLERANCE);
    if (bitsPerPixel === 32) {
      const webp = byName(variants, 'large-webp');
      expect((await samplePixel(webp.data, 20, 20)).a).toBe(255);
      expect((await samplePixel(webp.data, 20, 90)).a).toBe(0);
    }
  });
});

describe('renderVariants: colour management', () => {
  it('converts a CMYK JPEG to sRGB', async () => {
    const cmyk = await sharp({ create: { width: 64, height: 64, channels: 3, background: COLOURS.blue } }).toColourspace('cmyk').jpeg().toBuffer();
    expect((await inspectImage(cmyk)).colorSpace).toBe('cmyk');

    const [variant] = await render(cmyk, [DEFAULT_VARIANTS[1] as VariantSpec]);

    const metadata = await sharp(variant?.data).metadata();
    expect([metadata.space, metadata.channels]).toEqual(['srgb', 3]);
    const pixel = await samplePixel(variant?.data as Buffer, 32, 32);
    expect(pixel.b).toBeGreaterThan(pixel.r + 80);
  });

  it('converts a 16-bit PNG to an 8-bit JPEG of the same colour', async () => {
    const png16 = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 100, b: 50 } } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();

    const [variant] = await render(png16, [DEFAULT_VARIANTS[1] as VariantSpec]);

    expect(colourDistance(await samplePixel(variant?.data as Buffer, 16, 16), { r: 200, g: 100, b: 50 })).toBeLessThan(6);
  });
});

describe('renderVariants: arguments', () => {
  it('refuses an ImageInfo that belongs to other bytes', async () => {
    const a = await makePng({ width: 20, height: 20 });
    const b = await makeJpeg({ width: 40, height: 40 });

    await expect(renderVariants(b, await inspectImage(a))).rejects.toThrow(InvalidParameterError);
  });

  it.each([
    ['a duplicate name', [DEFAULT_VARIANTS[0], DEFAULT_VARIANTS[0]], /unique variant name for specs\[1\]\.name/],
    ['a name unsafe in an S3 key', [{ ...DEFAULT_VARIANTS[0], name: '../x' }], /for specs\[0\]\.name but received "\.\.\/x"/],
    ['a zero width', [{ ...DEFAULT_VARIANTS[0], width: 0 }], /integer between 1 and 16383 for specs\[0\]\.width/],
    ['an unknown fit', [{ ...DEFAULT_VARIANTS[0], fit: 'fill' }], /"cover" or "inside" for specs\[0\]\.fit/],
    ['an unknown format', [{ ...DEFAULT_VARIANTS[0], format: 'png' }], /"jpeg" or "webp" for specs\[0\]\.format/],
    ['quality 0', [{ ...DEFAULT_VARIANTS[0], quality: 0 }], /integer between 1 and 100 for specs\[0\]\.quality/],
  ])('refuses a spec list with %s', async (_name, specs, message) => {
    const png = await makePng({ width: 20, height: 20 });
    await expect(renderVariants(png, await inspectImage(png), specs as VariantSpec[])).rejects.toThrow(message);
  });

  it('makes nothing for an empty spec list', async () => {
    const png = await makePng({ width: 20, height: 20 });
    await expect(renderVariants(png, await inspectImage(png), [])).resolves.toEqual([]);
  });
});

describe('processImage', () => {
  it('gives the same info as inspectImage and the same variants as renderVariants', async () => {
    const photo = await makeCameraJpeg({ width: 900, height: 700 });

    const { info, variants } = await processImage(photo);

    expect(info).toEqual(await inspectImage(photo));
    const separately = await renderVariants(photo, info);
    expect(variants.map((v) => [v.name, v.width, v.height])).toEqual(separately.map((v) => [v.name, v.width, v.height]));
    for (const [i, variant] of variants.entries()) {
      expect(await meanDifference(variant.data, (separately[i] as RenderedVariant).data)).toBe(0);
    }
  });

  it('still refuses a truncated JPEG, found by the rendering decode', async () => {
    await expect(processImage(await makeTruncatedJpeg({ width: 400, height: 300 }))).rejects.toThrow(UndecodableImageError);
  });

  it('applies the limits and the spec list it is given', async () => {
    const png = await makePngWithAlpha({ width: 50, height: 40 });

    const { info, variants } = await processImage(png, { maxPixels: 2000, variants: [DEFAULT_VARIANTS[3] as VariantSpec] });

    expect(info).toMatchObject({ format: 'png', hasAlpha: true });
    expect(variants.map((v) => v.name)).toEqual(['large-webp']);
    await expect(processImage(png, { maxPixels: 1999 })).rejects.toThrow(/50×40 = 2000 pixels/);
  });
});
