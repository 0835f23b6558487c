import sharp from 'sharp';
import { DependencyError } from '../../../core/errors';
import { processImage } from '../../../core/image';
import { DEFAULT_VARIANTS } from '../../../core/image/variants';
import { WatermarkResolver, WatermarkUnavailableError, applyOpacity, decodeOverlay, watermarkBox, type PreparedWatermark } from '../../../core/image/watermark';
import { WATERMARK_POSITIONS, type WatermarkConfig, type WatermarkSettings } from '../../../core/image/watermark-settings';
import { InMemoryBlobStore } from '../../helpers/in-memory-ports';
import { colourDistance, makeJpeg, samplePixel, type Rgba } from '../../helpers/images';

const VARIANT = { width: 800, height: 600 };
const MARK = { width: 200, height: 50 };

function settings(overrides: Partial<WatermarkSettings> = {}): WatermarkSettings {
  return { variants: ['medium'], mark: { kind: 'text', text: 'x', font: 'sans bold', color: '#ffffff' }, position: 'southeast', margin: 16, opacity: 0.5, widthRatio: 0.25, ...overrides };
}

async function redMarkPng(width = 40, height = 20): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }).png().toBuffer();
}

describe('watermarkBox', () => {
  it.each([
    ['northwest', 16, 16],
    ['north', 300, 16],
    ['northeast', 584, 16],
    ['west', 16, 275],
    ['centre', 300, 275],
    ['east', 584, 275],
    ['southwest', 16, 534],
    ['south', 300, 534],
    ['southeast', 584, 534],
  ] as const)('puts a 200×50 mark at %s of an 800×600 variant, 16 px from the edges it touches', (position, left, top) => {
    expect(watermarkBox(VARIANT, MARK, { position, margin: 16, widthRatio: 0.25 })).toEqual({ left, top, width: 200, height: 50 });
  });


  it('sizes the mark as a fraction of the variant width, keeping its aspect ratio', () => {
    expect(watermarkBox({ width: 200, height: 200 }, MARK, { position: 'northwest', margin: 0, widthRatio: 0.5 })).toEqual({ left: 0, top: 0, width: 100, height: 25 });
    expect(watermarkBox({ width: 1600, height: 1067 }, { width: 37, height: 11 }, { position: 'southeast', margin: 10, widthRatio: 0.1 })).toEqual({ left: 1430, top: 1009, width: 160, height: 48 });
  });

  it('shrinks a mark that would not fit inside the margins, first on width, then on height', () => {
    // widthRatio 1 with a 20 px margin: at most 760 wide.
    expect(watermarkBox(VARIANT, MARK, { position: 'northwest', margin: 20, widthRatio: 1 })).toEqual({ left: 20, top: 20, width: 760, height: 190 });
    // A tall mark on a wide strip: height limited to 100 - 2×10 = 80, width follows.
    expect(watermarkBox({ width: 800, height: 100 }, { width: 50, height: 100 }, { position: 'centre', margin: 10, widthRatio: 0.5 })).toEqual({ left: 380, top: 10, width: 40, height: 80 });
  });

  it('gives no box when the margins leave no room', () => {
    expect(watermarkBox({ width: 30, height: 30 }, MARK, { position: 'centre', margin: 15, widthRatio: 0.5 })).toBeUndefined();
  });
});

describe('applyOpacity', () => {
  it('multiplies only the alpha bytes', () => {
    expect([...applyOpacity(Buffer.from([10, 20, 30, 255, 1, 2, 3, 100]), 0.5)]).toEqual([10, 20, 30, 128, 1, 2, 3, 50]);
    expect([...applyOpacity(Buffer.from([10, 20, 30, 255]), 0)]).toEqual([10, 20, 30, 0]);
    expect([...applyOpacity(Buffer.from([10, 20, 30, 200]), 1)]).toEqual([10, 20, 30, 200]);
  });
});

describe('processImage with a watermark (composited on the one decode)', () => {
  const GREY: Rgba = { r: 128, g: 128, b: 128 };
  let photo: Buffer;
  beforeAll(async () => {
    // A flat grey 1000×750 image: the medium variant is 800×600, so every pixel is predictable.
    photo = await sharp({ create: { width: 1000, height: 750, channels: 3, background: GREY } }).jpeg({ quality: 95 }).toBuffer();
  });

  async function prepared(overrides: Partial<WatermarkSettings> = {}): Promise<PreparedWatermark> {
    const s = settings({ mark: { kind: 'image', source: { kind: 'bytes', png: await redMarkPng(), origin: 'data-url' } }, ...overrides });
    return { settings: s, overlay: await decodeOverlay(s) };
  }

  it('draws the mark at its box on the chosen variant only, with its opacity, and leaves the rest unchanged', async () => {
    const watermark = await prepared({ opacity: 1, position: 'southeast', margin: 16, widthRatio: 0.25 });
    const plain = await processImage(photo, { variants: DEFAULT_VARIANTS });
    const marked = await processImage(photo, { variants: DEFAULT_VARIANTS, watermark });
    const medium = marked.variants.find((v) => v.name === 'medium')!;
    expect([medium.width, medium.height]).toEqual([800, 600]);
    // Box: 200×100 at (584, 484). Inside: red; outside (corner and just left of the box): grey.
    expect(colourDistance(await samplePixel(medium.data, 684, 534), { r: 255, g: 0, b: 0 })).toBeLessThan(30);
    expect(colourDistance(await samplePixel(medium.data, 100, 100), GREY)).toBeLessThan(6);
    expect(colourDistance(await samplePixel(medium.data, 570, 534), GREY)).toBeLessThan(6);
    expect(colourDistance(await samplePixel(medium.data, 684, 595), GREY)).toBeLessThan(6);
    // The other variants are the same as without a watermark.
    for (const name of ['thumbnail', 'large', 'large-webp']) {
      const a = plain.variants.find((v) => v.name === name)!;
      const b = marked.variants.find((v) => v.name === name)!;
      expect(b.data.equals(a.data)).toBe(true);
    }
  });

  it('blends by opacity: half-opaque red over grey is half-way between them', async () => {
    const marked = await processImage(photo, { variants: [DEFAULT_VARIANTS[1]!], watermark: await prepared({ opacity: 0.5, position: 'northwest', margin: 0 }) });
    const pixel = await samplePixel(marked.variants[0]!.data, 50, 25);
    expect(colourDistance(pixel, { r: 192, g: 64, b: 64 })).toBeLessThan(20);
  });

  it('draws nothing visible at opacity 0', async () => {
    const plain = await processImage(photo, { variants: [DEFAULT_VARIANTS[1]!] });
    const marked = await processImage(photo, { variants: [DEFAULT_VARIANTS[1]!], watermark: await prepared({ opacity: 0 }) });
    expect(colourDistance(await samplePixel(marked.variants[0]!.data, 684, 534), await samplePixel(plain.variants[0]!.data, 684, 534))).toBeLessThan(3);
  });

  it('keeps a WebP variant of an RGBA source transparent outside the mark', async () => {
    const rgba = await sharp({ create: { width: 400, height: 300, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0 } } }).png().toBuffer();
    const { variants } = await processImage(rgba, { variants: [DEFAULT_VARIANTS[3]!], watermark: await prepared({ variants: ['large-webp'], opacity: 1, position: 'northwest', margin: 0, widthRatio: 0.5 }) });
    const { data, info } = await sharp(variants[0]!.data).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    expect(data[(10 * info.width + 10) * 4 + 3]).toBeGreaterThan(240); // inside the 200×100 mark
    expect(data[(250 * info.width + 350) * 4 + 3]).toBeLessThan(10); // outside
  });

  it('renders a text mark with Pango into visible, non-empty pixels', async () => {
    const overlay = await decodeOverlay(settings({ mark: { kind: 'text', text: '© Example', font: 'sans bold', color: '#ff0000' } }));
    expect(overlay.width).toBeGreaterThan(overlay.height);
    let opaque = 0;
    for (let i = 3; i < overlay.data.length; i += 4) if (overlay.data[i]! > 200) opaque += 1;
    expect(opaque).toBeGreaterThan(100);
    const photoJpeg = await makeJpeg({ width: 800, height: 600 });
    const plain = await processImage(photoJpeg, { variants: [DEFAULT_VARIANTS[1]!] });
    const marked = await processImage(photoJpeg, { variants: [DEFAULT_VARIANTS[1]!], watermark: { settings: settings({ opacity: 1 }), overlay } });
    expect(marked.variants[0]!.data.equals(plain.variants[0]!.data)).toBe(false);
  });
});

describe('WatermarkResolver', () => {
  const BUCKET = 'brand-assets';
  const KEY = 'marks/logo.png';

  function resolverFor(config: WatermarkConfig, blobs = new InMemoryBlobStore()) {
    return { resolver: new WatermarkResolver(config, blobs), blobs };
  }

  it('gives each customer its setting, none when overridden off, and reads an S3 mark once', async () => {
    const s3 = settings({ mark: { kind: 'image', source: { kind: 's3', bucket: BUCKET, key: KEY } } });
    const text = settings({ position: 'north' });
    const blobs = new InMemoryBlobStore();
    await blobs.put({ bucket: BUCKET, key: KEY }, await redMarkPng(), { contentType: 'image/png' });
    let gets = 0;
    const counting = { get: async (...args: Parameters<InMemoryBlobStore['get']>) => ((gets += 1), blobs.get(...args)) };
    const resolver = new WatermarkResolver({ default: s3, customers: new Map([['off', null], ['texty', text]]) }, counting);
    expect(await resolver.forCustomer('off')).toBeUndefined();
    expect((await resolver.forCustomer('texty'))?.settings.position).toBe('north');
    const [a, b] = await Promise.all([resolver.forCustomer('c1'), resolver.forCustomer('c2')]);
    expect(a?.overlay).toMatchObject({ width: 40, height: 20 });
    expect(b).toBe(a);
    expect(gets).toBe(1);
  });

  it('fails retriably when the S3 mark is missing or not a PNG with alpha, and tries again next time', async () => {
    const s3 = settings({ mark: { kind: 'image', source: { kind: 's3', bucket: BUCKET, key: KEY } } });
    const { resolver, blobs } = resolverFor({ default: s3, customers: new Map() });
    await expect(resolver.forCustomer('c1')).rejects.toThrow(WatermarkUnavailableError);
    await blobs.put({ bucket: BUCKET, key: KEY }, Buffer.from('not a png, but long enough to be read as one'), { contentType: 'image/png' });
    const error = await resolver.forCustomer('c1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toBe(`the watermark image s3://${BUCKET}/${KEY} is not a PNG`);
    await blobs.put({ bucket: BUCKET, key: KEY }, await redMarkPng(), { contentType: 'image/png' });
    expect((await resolver.forCustomer('c1'))?.overlay.width).toBe(40);
  });
});
