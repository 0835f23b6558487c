/**
 * The factories in test/helpers/images.ts are test infrastructure other suites rely on:
 * these tests prove they make what they say, so a passing suite cannot rest on a broken fixture.
 */
import sharp from 'sharp';
import exifReader from 'exif-reader';
import {
  makeCameraJpeg,
  makeJpeg,
  makeJpegOfExactSize,
  makePixelBombPng,
  makeTruncatedJpeg,
  padJpegToSize,
  randomBytes,
} from '../../helpers/images';

describe('makeJpegOfExactSize / padJpegToSize', () => {
  it.each([2_000, 70_000, 200_003, 1024 * 1024])('makes a decodable JPEG of exactly %d bytes', async (size) => {
    const jpeg = await makeJpegOfExactSize(size);

    expect(jpeg.length).toBe(size);
    const { info } = await sharp(jpeg, { failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true });
    expect(info.width).toBeGreaterThan(8);
  });

  it('fills most of the size with picture, not padding', async () => {
    const jpeg = await makeJpegOfExactSize(1024 * 1024);
    const { width, height } = await sharp(jpeg).metadata();
    // ~2.6 bytes per pixel for this grain: at least 0.3 megapixels of real image data.
    expect(width * height).toBeGreaterThan(300_000);
  });

  it('is deterministic', async () => {
    const [a, b] = [await makeJpegOfExactSize(123_456, 5), await makeJpegOfExactSize(123_456, 5)];
    expect(a.equals(b)).toBe(true);
  });

  it('pads across several comment segments when more than 64 KiB is missing', async () => {
    const small = await makeJpeg({ width: 16, height: 16 });

    const padded = padJpegToSize(small, small.length + 200_000);

    expect(padded.length).toBe(small.length + 200_000);
    const segments = padded.toString('latin1').split('\xff\xfe').length - 1;
    expect(segments).toBe(4);
    expect((await sharp(padded, { failOn: 'warning' }).metadata()).width).toBe(16);
  });

  it('refuses what no segment can pad (1-3 bytes) and shrinking', async () => {
    const small = await makeJpeg({ width: 16, height: 16 });
    expect(() => padJpegToSize(small, small.length + 3)).toThrow(RangeError);
    expect(() => padJpegToSize(small, small.length - 1)).toThrow(RangeError);
    expect(padJpegToSize(small, small.length)).toBe(small);
  });
});

describe('other factories', () => {
  it('makeCameraJpeg writes orientation, camera, capture time and GPS tags', async () => {
    const metadata = await sharp(await makeCameraJpeg()).metadata();
    const exif = exifReader(metadata.exif as Buffer);

    expect(metadata.orientation).toBe(6);
    expect(exif.Image).toMatchObject({ Make: 'Acme Optical', Model: 'Acme X100' });
    expect(exif.GPSInfo).toMatchObject({ GPSLatitudeRef: 'N', GPSLatitude: [48, 51, 24], GPSLongitudeRef: 'E' });
  });

  it('makePixelBombPng declares 400 megapixels in under 200 KB', () => {
    const bomb = makePixelBombPng();
    expect(bomb.readUInt32BE(16)).toBe(20_000);
    expect(bomb.readUInt32BE(20)).toBe(20_000);
    expect(bomb.length).toBeLessThan(200_000);
  });

  it('makeTruncatedJpeg keeps a readable header but loses data', async () => {
    const truncated = await makeTruncatedJpeg({ width: 100, height: 50 });
    expect((await sharp(truncated).metadata()).width).toBe(100);
    await expect(sharp(truncated, { failOn: 'truncated' }).raw().toBuffer()).rejects.toThrow(/premature end/);
  });

  it('randomBytes is seeded', () => {
    expect(randomBytes(64, 9).equals(randomBytes(64, 9))).toBe(true);
    expect(randomBytes(64, 9).equals(randomBytes(64, 10))).toBe(false);
  });
});
