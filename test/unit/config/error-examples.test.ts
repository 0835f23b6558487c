/**
 * A config error that shows an example must show one that works: each example printed here is
 * taken out of the message and loaded back, with the same variant list in force (a watermark
 * example names a configured variant), and with and without `WATERMARK` set.
 */
import { ConfigError } from '../../../core/errors';
import { ENV, loadConfig } from '../../../core/config';
import { DEFAULT_VARIANTS } from '../../../core/image/variants';
import { watermarkExamples } from '../../../core/image/watermark-settings';

const AWS_ENV = { AWS_REGION: 'eu-west-1', SNS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:t', KAFKA_BROKERS: 'b-1:9096' };
/** A deployment whose only variant is not one of the defaults. */
const CARD_VARIANTS = { [ENV.imageVariants]: JSON.stringify([{ name: 'card', width: 320, height: 240, format: 'webp' }]) };

function messageOf(env: Record<string, string>): string {
  try {
    loadConfig({ ...AWS_ENV, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** The example after "like " in a message: a JSON value, or a quoted string. */
function exampleIn(message: string): string {
  const at = message.indexOf(' like ');
  expect(at).toBeGreaterThan(0);
  const rest = message.slice(at + ' like '.length);
  if (rest.startsWith('"')) return JSON.parse(rest.slice(0, rest.indexOf('"', 1) + 1)) as string;
  // The longest prefix that parses as JSON is the example.
  for (let end = rest.length; end > 0; end -= 1) {
    try {
      JSON.parse(rest.slice(0, end));
      return rest.slice(0, end);
    } catch {
      // shorter
    }
  }
  throw new Error(`no JSON example in: ${message}`);
}

describe('config error messages show examples that load', () => {
  const variantSets: [string, Record<string, string>][] = [
    ['the default variants', {}],
    ['a custom variant list', CARD_VARIANTS],
  ];
  const cases: [string, string, string, Record<string, string>][] = [];
  for (const [variantsName, variants] of variantSets) {
    cases.push(
      [ENV.watermarkCustomers, 'not JSON', variantsName, { ...variants, [ENV.watermarkCustomers]: '{' }],
      [ENV.watermarkCustomers, 'an array', variantsName, { ...variants, [ENV.watermarkCustomers]: '[]' }],
      [ENV.watermark, 'not JSON', variantsName, { ...variants, [ENV.watermark]: '{' }],
      [ENV.watermark, 'an array', variantsName, { ...variants, [ENV.watermark]: '[]' }],
    );
  }
  cases.push(
    [ENV.imageVariants, 'not JSON', 'the default variants', { [ENV.imageVariants]: '[' }],
    [ENV.customerLimits, 'not JSON', 'the default variants', { [ENV.customerLimits]: '{' }],
    [ENV.corsAllowedOrigins, 'an origin with a path', 'the default variants', { [ENV.corsAllowedOrigins]: 'https://app.example.com/x' }],
    [ENV.region, 'a bad region', 'the default variants', { [ENV.region]: 'mars' }],
  );

  it.each(cases)('%s given %s (%s): the example in the message loads as printed', (name, _bad, _variants, env) => {
    const message = messageOf(env);
    expect(message).not.toContain('undefined');
    const example = exampleIn(message);
    const withExample = { ...env, [name]: example };
    expect(() => loadConfig({ ...AWS_ENV, ...withExample })).not.toThrow();
    if (name === ENV.watermarkCustomers) {
      // A customer entry stands on its own, and also over a deployment watermark.
      const variants = env[ENV.imageVariants] === undefined ? DEFAULT_VARIANTS : loadConfig({ ...AWS_ENV, [ENV.imageVariants]: env[ENV.imageVariants] }).variants;
      expect(() => loadConfig({ ...AWS_ENV, ...withExample, [ENV.watermark]: watermarkExamples(variants).deployment })).not.toThrow();
    }
  });

  it('a customer entry with a missing member says it is missing, not "undefined undefined"', () => {
    const message = messageOf({ [ENV.watermarkCustomers]: JSON.stringify({ acme: { text: '© Acme' } }) });
    expect(message).toBe(
      'WATERMARK_CUSTOMERS["acme"].variants must be a non-empty array of variant names from IMAGE_VARIANTS (thumbnail, medium, large, large-webp), got nothing (the member is missing)',
    );
  });
});
