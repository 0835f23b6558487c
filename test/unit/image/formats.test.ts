import { UnsupportedImageError } from '../../../core/errors';
import { FORMAT_DETAILS, IMAGE_FORMATS, detectImageFormat, inspectImage } from '../../../core/image';
import {
  makeAnimatedGif,
  makeAvif,
  makeBmp,
  makeHeicHeader,
  makeHtml,
  makeJpeg,
  makePdf,
  makePng,
  makeSvg,
  makeTiff,
  makeWebp,
  randomBytes,
} from '../../helpers/images';

/** An ISO-BMFF `ftyp` box with the given major and compatible brands, then `rest`. */
function ftyp(major: string, compatible: string[], rest: Buffer = Buffer.alloc(0)): Buffer {
  const box = Buffer.alloc(16 + 4 * compatible.length);
  box.writeUInt32BE(box.length, 0);
  box.write(`ftyp${major}`, 4, 'latin1');
  compatible.forEach((brand, i) => box.write(brand, 16 + 4 * i, 'latin1'));
  return Buffer.concat([box, rest]);
}

describe('detectImageFormat', () => {
  it.each([
    ['jpeg', () => makeJpeg({ width: 16, height: 16 })],
    ['png', () => makePng({ width: 16, height: 16 })],
    ['gif', () => makeAnimatedGif({ width: 16, height: 16 })],
    ['webp', () => makeWebp({ width: 16, height: 16 })],
    ['tiff', () => makeTiff({ width: 16, height: 16 })],
    ['avif', () => makeAvif({ width: 16, height: 16 })],
    ['bmp', () => makeBmp({ width: 16, height: 16, bitsPerPixel: 24 })],
  ])('recognises %s from its first bytes', async (format, make) => {
    expect(detectImageFormat(await make())).toBe(format);
  });

  it('recognises AVIF by a compatible brand when the major brand is generic', () => {
    expect(detectImageFormat(ftyp('mif1', ['mif1', 'miaf', 'avif']))).toBe('avif');
    expect(detectImageFormat(ftyp('avis', ['msf1']))).toBe('avif');
  });

  it('accepts a real AVIF whose major brand is mif1 (avif only among the compatible brands)', async () => {
    const avif = await makeAvif({ width: 24, height: 16 });
    avif.write('mif1', 8, 'latin1');
    expect(avif.subarray(16, 32).toString('latin1')).toContain('avif');

    await expect(inspectImage(avif)).resolves.toMatchObject({ format: 'avif', width: 24, height: 16 });
  });

  it('does not take HEIC, MP4 or a cut-off ftyp box for AVIF', () => {
    expect(detectImageFormat(makeHeicHeader())).toBeUndefined();
    expect(detectImageFormat(ftyp('isom', ['isom', 'mp41']))).toBeUndefined();
    const declaresMoreThanPresent = ftyp('avif', ['avif']);
    declaresMoreThanPresent.writeUInt32BE(4096, 0);
    expect(detectImageFormat(declaresMoreThanPresent)).toBeUndefined();
  });

  it('recognises BigTIFF in both byte orders', () => {
    expect(detectImageFormat(Buffer.from([0x49, 0x49, 0x2b, 0x00, 8, 0, 0, 0]))).toBe('tiff');
    expect(detectImageFormat(Buffer.from([0x4d, 0x4d, 0x00, 0x2b, 0, 8, 0, 0]))).toBe('tiff');
  });

  it('needs more than "BM" to call something a bitmap', () => {
    expect(detectImageFormat(Buffer.from('BM and some text that happens to start like a bitmap'))).toBeUndefined();
  });

  it('never looks further than the bytes: markup, documents and noise are not images', () => {
    for (const bytes of [makeSvg(), makeHtml(), makePdf(), randomBytes(100), Buffer.alloc(0), Buffer.from([0xff, 0xd8])]) {
      expect(detectImageFormat(bytes)).toBeUndefined();
    }
  });

  it('has a label, media type and extension for every format', () => {
    for (const format of IMAGE_FORMATS) {
      expect(FORMAT_DETAILS[format].contentType).toMatch(/^image\/[a-z]+$/);
      expect(FORMAT_DETAILS[format].extension).toMatch(/^[a-z]+$/);
    }
  });
});

describe('what an unsupported input is said to be', () => {
  it.each([
    ['an SVG with a UTF-8 byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), makeSvg()]), 'an SVG document'],
    ['an XML document', Buffer.from('<?xml version="1.0"?><note/>'), 'an XML document'],
    ['a WAV file', Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), Buffer.alloc(32)]), 'a RIFF container that is not WebP'],
    ['an MP4 file', ftyp('isom', ['isom', 'avc1']), 'an ISO-BMFF media file (brands isom, avc1)'],
    ['JPEG 2000', Buffer.from([0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]), 'JPEG 2000'],
    ['a truncated JPEG signature', Buffer.from([0xff, 0xd8]), 'unrecognised binary data'],
  ])('%s', async (_name, bytes, described) => {
    await expect(inspectImage(bytes)).rejects.toThrow(
      new UnsupportedImageError(`Unsupported image format: detected ${described}; expected JPEG, PNG, GIF, WebP, TIFF, AVIF or BMP`),
    );
  });

  it('does not repeat unprintable brand bytes from the input', async () => {
    await expect(inspectImage(ftyp('isom', ['\u0001\u0002\u0003\u0004']))).rejects.toThrow(/detected an ISO-BMFF media file \(brands isom\);/);
  });
});
