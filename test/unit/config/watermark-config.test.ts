import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ConfigError } from '../../../core/errors';
import { ENV, loadConfig } from '../../../core/config';
import { NO_WATERMARK, pngAlphaProblem, watermarkFor, watermarkS3Objects } from '../../../core/image/watermark-settings';

/** A real-AWS environment with nothing else set: only the watermark variables vary. */
const AWS_ENV = { AWS_REGION: 'eu-west-1', SNS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:t', KAFKA_BROKERS: 'b-1:9096' };

let alphaPng: Buffer;
let opaquePng: Buffer;
let dir: string;

beforeAll(async () => {
  alphaPng = await sharp({ create: { width: 40, height: 20, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }).png().toBuffer();
  opaquePng = await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer();
  dir = mkdtempSync(join(tmpdir(), 'watermark-config-'));
  writeFileSync(join(dir, 'mark.png'), alphaPng);
  writeFileSync(join(dir, 'opaque.png'), opaquePng);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const dataUrl = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

function load(watermark?: unknown, customers?: unknown, extra: Record<string, string> = {}) {
  return loadConfig({
    ...AWS_ENV,
    ...extra,
    ...(watermark !== undefined ? { [ENV.watermark]: typeof watermark === 'string' ? watermark : JSON.stringify(watermark) } : {}),
    ...(customers !== undefined ? { [ENV.watermarkCustomers]: typeof customers === 'string' ? customers : JSON.stringify(customers) } : {}),
  });
}

/** The ConfigError message loadConfig throws (fails the test when it throws none). */
function configError(watermark?: unknown, customers?: unknown, extra: Record<string, string> = {}): string {
  let thrown: unknown;
  try {
    load(watermark, customers, extra);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return (thrown as ConfigError).message;
}

const TEXT = { variants: ['medium'], text: '© Example' };

describe('WATERMARK and WATERMARK_CUSTOMERS', () => {
  it('are off by default: no customer gets a watermark', () => {
    const config = load();
    expect(config.watermark.default).toBeUndefined();
    expect(config.watermark.customers.size).toBe(0);
    expect(watermarkFor(config.watermark, 'anyone')).toBeUndefined();
    expect(watermarkFor(NO_WATERMARK, 'anyone')).toBeUndefined();
  });

  it('read a text watermark, filling position, margin, opacity, widthRatio, font and colour', () => {
    expect(load(TEXT).watermark.default).toEqual({
      variants: ['medium'],
      mark: { kind: 'text', text: '© Example', font: 'sans bold', color: '#ffffff' },
      position: 'southeast',
      margin: 16,
      opacity: 0.5,
      widthRatio: 0.25,
    });
  });

  it('read an image from a data URL, a file and an S3 object; "center" means centre', () => {
    const fromData = load({ variants: ['thumbnail', 'large'], image: dataUrl(alphaPng), position: 'center', margin: 0, opacity: 1, widthRatio: 1 }).watermark.default;
    expect(fromData?.mark).toEqual({ kind: 'image', source: { kind: 'bytes', png: alphaPng, origin: 'data-url' } });
    expect(fromData).toMatchObject({ variants: ['thumbnail', 'large'], position: 'centre', margin: 0, opacity: 1, widthRatio: 1 });
    expect(load({ variants: ['medium'], image: join(dir, 'mark.png') }).watermark.default?.mark).toEqual({ kind: 'image', source: { kind: 'bytes', png: alphaPng, origin: 'file' } });
    const fromS3 = load({ variants: ['medium'], image: 's3://brand-assets/marks/logo.png' }).watermark;
    expect(fromS3.default?.mark).toEqual({ kind: 'image', source: { kind: 's3', bucket: 'brand-assets', key: 'marks/logo.png' } });
    expect(watermarkS3Objects(fromS3)).toEqual([{ bucket: 'brand-assets', key: 'marks/logo.png' }]);
  });

  it('let a customer turn it off, change members, or replace the mark; others keep the default', () => {
    const { watermark } = load(
      { ...TEXT, opacity: 0.4 },
      { 'cust-off': null, 'cust-moved': { position: 'northwest' }, 'cust-logo': { image: dataUrl(alphaPng), variants: ['large'] } },
    );
    expect(watermarkFor(watermark, 'cust-off')).toBeUndefined();
    expect(watermarkFor(watermark, 'cust-moved')).toMatchObject({ position: 'northwest', opacity: 0.4, mark: { kind: 'text', text: '© Example' } });
    // The customer's image replaces the default's text mark rather than clashing with it.
    expect(watermarkFor(watermark, 'cust-logo')).toMatchObject({ variants: ['large'], opacity: 0.4, mark: { kind: 'image' } });
    expect(watermarkFor(watermark, 'someone-else')).toMatchObject({ position: 'southeast', mark: { kind: 'text' } });
  });

  it('let a customer have a watermark when the deployment has none', () => {
    const { watermark } = load(undefined, { 'cust-only': TEXT });
    expect(watermarkFor(watermark, 'cust-only')).toMatchObject({ variants: ['medium'] });
    expect(watermarkFor(watermark, 'anyone-else')).toBeUndefined();
  });

  it('check variant names against IMAGE_VARIANTS, not the defaults', () => {
    const variants = JSON.stringify([{ name: 'preview', width: 400, height: 400, format: 'webp' }]);
    expect(load({ variants: ['preview'], text: 'x' }, undefined, { [ENV.imageVariants]: variants }).watermark.default?.variants).toEqual(['preview']);
    expect(configError(TEXT, undefined, { [ENV.imageVariants]: variants })).toBe('WATERMARK.variants[0] must name a configured variant (preview), got "medium"');
  });

  it.each([
    ['not JSON', '{variants', /^WATERMARK must be JSON like .* but it is not valid JSON/],
    ['an array', '[]', /^WATERMARK must be a JSON object/],
    ['an unknown member', { ...TEXT, opacty: 0.5 }, /^WATERMARK has an unknown member "opacty"/],
    ['no variants', { text: 'x' }, /^WATERMARK\.variants must be a non-empty array of variant names/],
    ['an empty variant list', { ...TEXT, variants: [] }, /^WATERMARK\.variants must be a non-empty array/],
    ['an unknown variant', { ...TEXT, variants: ['medium', 'huge'] }, /^WATERMARK\.variants\[1\] must name a configured variant \(thumbnail, medium, large, large-webp\), got "huge"/],
    ['a repeated variant', { ...TEXT, variants: ['medium', 'medium'] }, /^WATERMARK\.variants\[1\] repeats "medium"/],
    ['neither image nor text', { variants: ['medium'] }, /^WATERMARK must have exactly one of "image" or "text"/],
    ['both image and text', { ...TEXT, image: 's3://bucket-a/k.png' }, /^WATERMARK must have exactly one of "image" or "text"/],
    ['empty text', { ...TEXT, text: '  ' }, /^WATERMARK\.text must be 1-200 characters on one line/],
    ['text on two lines', { ...TEXT, text: 'a\nb' }, /^WATERMARK\.text must be 1-200 characters on one line/],
    ['a bad colour', { ...TEXT, color: 'white' }, /^WATERMARK\.color must be "#rrggbb", got "white"/],
    ['markup in the font', { ...TEXT, font: 'sans<b>' }, /^WATERMARK\.font must be a Pango font description/],
    ['a relative font file', { ...TEXT, fontFile: 'fonts/x.ttf' }, /^WATERMARK\.fontFile must be an absolute path/],
    ['a missing font file', { ...TEXT, fontFile: '/nonexistent/x.ttf' }, /^WATERMARK\.fontFile names a file that cannot be read \(ENOENT\)/],
    ['a font for an image mark', { variants: ['medium'], image: 's3://bucket-a/k.png', font: 'serif' }, /^WATERMARK\.font applies to a text watermark only/],
    ['an unknown position', { ...TEXT, position: 'top-left' }, /^WATERMARK\.position must be one of north, northeast, east, southeast, south, southwest, west, northwest, centre, got "top-left"/],
    ['a negative margin', { ...TEXT, margin: -1 }, /^WATERMARK\.margin must be an integer from 0 to 1000, got number -1/],
    ['a fractional margin', { ...TEXT, margin: 2.5 }, /^WATERMARK\.margin must be an integer/],
    ['opacity over 1', { ...TEXT, opacity: 1.5 }, /^WATERMARK\.opacity must be a number from 0 to 1, got number 1.5/],
    ['opacity as a string', { ...TEXT, opacity: '0.5' }, /^WATERMARK\.opacity must be a number from 0 to 1, got "0.5"/],
    ['a zero widthRatio', { ...TEXT, widthRatio: 0 }, /^WATERMARK\.widthRatio must be a number greater than 0 to 1, got number 0/],
    ['a widthRatio over 1', { ...TEXT, widthRatio: 1.2 }, /^WATERMARK\.widthRatio must be a number/],
    ['a relative image path', { variants: ['medium'], image: 'mark.png' }, /^WATERMARK\.image must be "s3:\/\/bucket\/key", an absolute file path or a "data:image\/png;base64," URL, got "mark.png"/],
    ['an S3 URI without a key', { variants: ['medium'], image: 's3://bucket-a/' }, /^WATERMARK\.image must be "s3:\/\/bucket\/key" with a valid bucket name and a key/],
    ['a JPEG data URL', { variants: ['medium'], image: 'data:image/jpeg;base64,AAAA' }, /^WATERMARK\.image must be a "data:image\/png;base64,…" URL/],
    ['a missing file', { variants: ['medium'], image: '/nonexistent/mark.png' }, /^WATERMARK\.image names a file that cannot be read \(ENOENT\)/],
  ])('refuse %s, naming the variable and member', (_name, value, message) => {
    expect(configError(value)).toMatch(message);
  });

  it('refuse a PNG without alpha and bytes that are not a PNG', () => {
    expect(configError({ variants: ['medium'], image: dataUrl(opaquePng) })).toMatch(/^WATERMARK\.image is a PNG without an alpha channel/);
    expect(configError({ variants: ['medium'], image: join(dir, 'opaque.png') })).toMatch(/^WATERMARK\.image is a PNG without an alpha channel/);
    expect(configError({ variants: ['medium'], image: dataUrl(Buffer.from('GIF89a not a png at all, padded to length')) })).toBe('WATERMARK.image is not a PNG');
  });

  it('accept a paletted PNG whose transparency is in a tRNS chunk', async () => {
    const paletted = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } } }).png({ palette: true }).toBuffer();
    expect(paletted[25]).toBe(3);
    expect(pngAlphaProblem(paletted)).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', /^WATERMARK_CUSTOMERS must be JSON like/],
    ['an array', '[]', /^WATERMARK_CUSTOMERS must be a JSON object keyed by customerId, got an array/],
    ['a bad customerId', { 'bad id!': null }, /^WATERMARK_CUSTOMERS\["bad id!"\] is not a valid customerId/],
    ['a string entry', { acme: 'off' }, /^WATERMARK_CUSTOMERS\["acme"\] must be null \(no watermark\) or a watermark object, got "off"/],
    ['a bad member in an entry', { acme: { opacity: 2 } }, /^WATERMARK_CUSTOMERS\["acme"\]\.opacity must be a number from 0 to 1, got number 2/],
    ['an unknown variant in an entry', { acme: { variants: ['nope'] } }, /^WATERMARK_CUSTOMERS\["acme"\]\.variants\[0\] must name a configured variant/],
  ])('refuse a customer map with %s, naming the customer and member', (_name, customers, message) => {
    expect(configError(TEXT, customers)).toMatch(message);
  });

  it('need a complete entry for a customer when the deployment has no watermark', () => {
    expect(configError(undefined, { acme: { position: 'north' } })).toMatch(/^WATERMARK_CUSTOMERS\["acme"\]\.variants must be a non-empty array/);
  });
});
