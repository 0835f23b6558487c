import sharp from 'sharp';
import { DEFAULT_ENCODING, SHARP_DEFAULT_ENCODING, type EncoderSettings } from '../../../core/config';
import { DEFAULT_VARIANTS, type VariantSpec } from '../../../core/image/variants';
import { inspectImage, renderVariants } from '../../../core/image';
import { makeJpeg } from '../../helpers/images';

const LARGE = DEFAULT_VARIANTS.find((v) => v.name === 'large') as VariantSpec;
const WEBP = DEFAULT_VARIANTS.find((v) => v.name === 'large-webp') as VariantSpec;

async function renderWith(bytes: Buffer, specs: readonly VariantSpec[], encoding: EncoderSettings) {
  return renderVariants(bytes, await inspectImage(bytes), specs, undefined, encoding);
}

describe('renderVariants: encoder settings reach the encoders', () => {
  let photo: Buffer;

  beforeAll(async () => {
    photo = await makeJpeg({ width: 2000, height: 1500 });
  });

  it('gives the same variant dimensions under every setting the study compares', async () => {
    const settings: EncoderSettings[] = [
      SHARP_DEFAULT_ENCODING,
      DEFAULT_ENCODING,
      { ...SHARP_DEFAULT_ENCODING, webpEffort: 0, resizeKernel: 'linear', fastShrinkOnLoad: false, jpegMozjpeg: true },
    ];
    for (const encoding of settings) {
      const variants = await renderWith(photo, DEFAULT_VARIANTS, encoding);
      expect(variants.map((v) => [v.name, v.width, v.height])).toEqual([
        ['thumbnail', 200, 200],
        ['medium', 800, 600],
        ['large', 1600, 1200],
        ['large-webp', 1600, 1200],
      ]);
    }
  });

  it('applies JPEG chroma subsampling and the mozjpeg preset (progressive scans)', async () => {
    const [subsampled] = await renderWith(photo, [LARGE], { ...SHARP_DEFAULT_ENCODING, jpegChromaSubsampling: '4:2:0' });
    const [full] = await renderWith(photo, [LARGE], { ...SHARP_DEFAULT_ENCODING, jpegChromaSubsampling: '4:4:4' });
    const [moz] = await renderWith(photo, [LARGE], { ...SHARP_DEFAULT_ENCODING, jpegMozjpeg: true });

    expect((await sharp(subsampled?.data).metadata()).chromaSubsampling).toBe('4:2:0');
    expect((await sharp(full?.data).metadata()).chromaSubsampling).toBe('4:4:4');
    expect((await sharp(subsampled?.data).metadata()).isProgressive).toBe(false);
    expect((await sharp(moz?.data).metadata()).isProgressive).toBe(true);
  });

  it('applies WebP effort: the same pixels encode to different bytes at effort 0 and 6', async () => {
    const [fast] = await renderWith(photo, [WEBP], { ...SHARP_DEFAULT_ENCODING, webpEffort: 0 });
    const [slow] = await renderWith(photo, [WEBP], { ...SHARP_DEFAULT_ENCODING, webpEffort: 6 });

    expect(fast?.data.equals(slow?.data as Buffer)).toBe(false);
  });

  it('applies WebP alpha quality and keeps the alpha plane', async () => {
    // A smooth alpha ramp: lossy alpha has levels to drop (a two-level mask would encode alike).
    const width = 400;
    const height = 300;
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.set([200, 40, 40, Math.round(((i % width) / width) * 255)], i * 4);
    const png = await sharp(rgba, { raw: { width, height, channels: 4 } }).png().toBuffer();
    const [lossless] = await renderWith(png, [WEBP], { ...SHARP_DEFAULT_ENCODING, webpAlphaQuality: 100 });
    const [lossy] = await renderWith(png, [WEBP], { ...SHARP_DEFAULT_ENCODING, webpAlphaQuality: 10 });

    expect((await sharp(lossy?.data).metadata()).hasAlpha).toBe(true);
    expect(lossless?.data.equals(lossy?.data as Buffer)).toBe(false);
  });

  it('applies the intermediate resize kernel', async () => {
    const [lanczos] = await renderWith(photo, [LARGE], { ...SHARP_DEFAULT_ENCODING, resizeKernel: 'lanczos3' });
    const [nearest] = await renderWith(photo, [LARGE], { ...SHARP_DEFAULT_ENCODING, resizeKernel: 'nearest' });

    expect(lanczos?.data.equals(nearest?.data as Buffer)).toBe(false);
  });
});
