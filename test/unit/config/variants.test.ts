import { ConfigError, InvalidParameterError } from '../../../core/errors';
import { ENV, loadConfig } from '../../../core/config';
import { DEFAULT_VARIANTS, MAX_VARIANTS, MAX_VARIANT_SIDE, formatVariantList, parseVariantList, validateVariantSpecs, type VariantSpec } from '../../../core/image/variants';

/** A real-AWS environment with nothing else set: only IMAGE_VARIANTS varies. */
const AWS_ENV = { AWS_REGION: 'eu-west-1', SNS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:t', KAFKA_BROKERS: 'b-1:9096' };

function load(value: string) {
  return loadConfig({ ...AWS_ENV, [ENV.imageVariants]: value });
}

/** The ConfigError `loadConfig` throws for a value (fails the test when it throws none). */
function configError(value: string): ConfigError {
  let thrown: unknown;
  try {
    load(value);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

const entry = (fields: Record<string, unknown>) => JSON.stringify([{ name: 'thumb', width: 150, height: 150, format: 'jpeg', ...fields }]);

describe('IMAGE_VARIANTS', () => {
  it('is the design brief default set when unset or blank', () => {
    expect(loadConfig(AWS_ENV).variants).toEqual(DEFAULT_VARIANTS);
    expect(load('  ').variants).toEqual(DEFAULT_VARIANTS);
    expect(DEFAULT_VARIANTS.map((v) => `${v.name} ${v.width}x${v.height} ${v.fit} ${v.format} q${v.quality}`)).toEqual([
      'thumbnail 200x200 cover jpeg q85',
      'medium 800x600 inside jpeg q85',
      'large 1600x1600 inside jpeg q85',
      'large-webp 1600x1600 inside webp q80',
    ]);
  });

  it('reads a JSON list, filling fit (inside) and quality (85 JPEG, 80 WebP) when left out', () => {
    const config = load('[{"name":"square","width":300,"height":300,"fit":"cover","format":"webp","quality":70},{"name":"wide","width":1200,"height":400,"format":"jpeg"},{"name":"tiny-webp","width":64,"height":64,"format":"webp"}]');
    expect(config.variants).toEqual([
      { name: 'square', width: 300, height: 300, fit: 'cover', format: 'webp', quality: 70 },
      { name: 'wide', width: 1200, height: 400, fit: 'inside', format: 'jpeg', quality: 85 },
      { name: 'tiny-webp', width: 64, height: 64, fit: 'inside', format: 'webp', quality: 80 },
    ]);
  });

  it('round-trips what the CDKTF app writes', () => {
    const custom: VariantSpec[] = [{ name: 'a', width: 10, height: 20, fit: 'cover', format: 'jpeg', quality: 50 }];
    expect(load(formatVariantList(custom)).variants).toEqual(custom);
    expect(load(formatVariantList(DEFAULT_VARIANTS)).variants).toEqual(DEFAULT_VARIANTS);
  });

  it.each([
    ['bad JSON', '[{"name":"thumb",', /^IMAGE_VARIANTS must be a JSON array of variants like .* but it is not valid JSON/],
    ['JSON that is not an array', '{"name":"thumb"}', /^IMAGE_VARIANTS must be a JSON array of variants, got an object$/],
    ['an empty list', '[]', /^IMAGE_VARIANTS must list at least one variant, got an empty array/],
    ['an entry that is not an object', '["thumb"]', /^IMAGE_VARIANTS is invalid: Expected variant spec object for IMAGE_VARIANTS\[0\] but received "thumb"/],
    ['an unknown format', entry({ format: 'png' }), /^IMAGE_VARIANTS is invalid \(variant "thumb"\): Expected "jpeg" or "webp" for IMAGE_VARIANTS\[0\]\.format but received "png"/],
    ['a zero width', entry({ width: 0 }), /\(variant "thumb"\): Expected integer between 1 and 16383 for IMAGE_VARIANTS\[0\]\.width but received 0/],
    ['a negative width', entry({ width: -200 }), /for IMAGE_VARIANTS\[0\]\.width but received -200/],
    ['a huge width', entry({ width: MAX_VARIANT_SIDE + 1 }), /for IMAGE_VARIANTS\[0\]\.width but received 16384/],
    ['a fractional height', entry({ height: 1.5 }), /for IMAGE_VARIANTS\[0\]\.height but received 1\.5/],
    ['a width given as a string', entry({ width: '200' }), /for IMAGE_VARIANTS\[0\]\.width but received "200"/],
    ['a missing height', JSON.stringify([{ name: 'thumb', width: 150, format: 'jpeg' }]), /for IMAGE_VARIANTS\[0\]\.height but received undefined/],
    ['an unknown fit', entry({ fit: 'fill' }), /Expected "cover" or "inside" for IMAGE_VARIANTS\[0\]\.fit but received "fill"/],
    ['quality 0', entry({ quality: 0 }), /for IMAGE_VARIANTS\[0\]\.quality but received 0/],
    ['quality 101', entry({ quality: 101 }), /for IMAGE_VARIANTS\[0\]\.quality but received 101/],
    ['a name unsafe in an S3 key', entry({ name: '../x' }), /for IMAGE_VARIANTS\[0\]\.name but received "\.\.\/x"/],
    ['a misspelt member', entry({ heigth: 100 }), /^IMAGE_VARIANTS\[0\] \(variant "thumb"\) has an unknown member "heigth"/],
  ])('refuses %s with a ConfigError naming the variable and the entry', (_label, value, message) => {
    expect(configError(value).message).toMatch(message);
  });

  it('names the duplicate entry by index and name', () => {
    const value = JSON.stringify([
      { name: 'thumb', width: 100, height: 100, format: 'jpeg' },
      { name: 'big', width: 1000, height: 1000, format: 'jpeg' },
      { name: 'thumb', width: 120, height: 120, format: 'webp' },
    ]);
    expect(configError(value).message).toBe('IMAGE_VARIANTS is invalid (variant "thumb"): Expected unique variant name for IMAGE_VARIANTS[2].name but received "thumb" of type string');
  });

  it(`refuses more than ${MAX_VARIANTS} variants`, () => {
    const many = Array.from({ length: MAX_VARIANTS + 1 }, (_, i) => ({ name: `v${i}`, width: 100 + i, height: 100, format: 'jpeg' }));
    expect(many).toHaveLength(17);
    expect(configError(JSON.stringify(many)).message).toMatch(/^IMAGE_VARIANTS is invalid: Expected list of at most 16 variant specs for IMAGE_VARIANTS but received "17 entries"/);
    expect(load(JSON.stringify(many.slice(0, MAX_VARIANTS))).variants).toHaveLength(MAX_VARIANTS);
  });

  it('keeps the bad value out of the message beyond the entry it names', () => {
    const secretish = `[${JSON.stringify({ name: 'ok', width: 1, height: 1, format: 'jpeg' })},{"name":"x","width":1,"height":1,"format":"gif","note":"${'z'.repeat(500)}"}]`;
    const message = configError(secretish).message;
    expect(message).toMatch(/IMAGE_VARIANTS\[1\] \(variant "x"\) has an unknown member "note"/);
    expect(message.length).toBeLessThan(300);
  });
});

describe('validateVariantSpecs and formatVariantList', () => {
  it('use the uniform InvalidParameterError for programmatic lists, naming the parameter', () => {
    expect(() => validateVariantSpecs([{ ...DEFAULT_VARIANTS[0], format: 'avif' }], 'images.variants')).toThrow(InvalidParameterError);
    expect(() => validateVariantSpecs([{ ...DEFAULT_VARIANTS[0], format: 'avif' }], 'images.variants')).toThrow(/for images\.variants\[0\]\.format but received "avif"/);
    expect(() => formatVariantList([], 'images.variants')).toThrow(/Expected list of 1 to 16 variant specs for images\.variants but received "an empty list"/);
    expect(validateVariantSpecs([])).toEqual([]);
  });
});
