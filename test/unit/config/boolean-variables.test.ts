/**
 * Every boolean variable loadConfig reads goes through one strict reader: exactly `true` or
 * `false`. A spelling it would have to guess at (`yes`, `1`, ` true`, `TRUE`) is refused at start-up
 * with the variable's name, never read silently one way or the other.
 */
import { ConfigError } from '../../../core/errors';
import { ENV, loadConfig, type Config } from '../../../core/config';

const AWS_ENV = { [ENV.snsTopicArn]: 'arn:aws:sns:eu-west-1:111122223333:images', [ENV.region]: 'eu-west-1' };

/** Each boolean variable, and where loadConfig puts its value. */
const BOOLEAN_VARIABLES: readonly [string, (config: Config) => boolean][] = [
  [ENV.tracingEnabled, (c) => c.tracing.enabled],
  [ENV.fetchAllowLoopback, (c) => c.fetch.allowLoopback],
  [ENV.s3ForcePathStyle, (c) => c.s3ForcePathStyle],
  [ENV.kafkaSsl, (c) => c.kafka.ssl],
  [ENV.corsAllowCredentials, (c) => c.cors.allowCredentials],
  [ENV.jpegTrellisQuantisation, (c) => c.encoding.jpegTrellisQuantisation],
  [ENV.jpegMozjpeg, (c) => c.encoding.jpegMozjpeg],
  [ENV.fastShrinkOnLoad, (c) => c.encoding.fastShrinkOnLoad],
];

/** Spellings other tools read as a boolean, each refused here. */
const REFUSED = ['yes', 'no', '1', '0', 'on', ' true', 'true ', 'TRUE', 'False', 't', '"true"'];

describe('loadConfig: boolean variables', () => {
  it.each(BOOLEAN_VARIABLES)('%s reads true and false', (name, read) => {
    expect(read(loadConfig({ ...AWS_ENV, [name]: 'true' }))).toBe(true);
    expect(read(loadConfig({ ...AWS_ENV, [name]: 'false' }))).toBe(false);
  });

  it.each(BOOLEAN_VARIABLES)('%s unset or empty takes its default', (name, read) => {
    expect(read(loadConfig({ ...AWS_ENV, [name]: '' }))).toBe(read(loadConfig(AWS_ENV)));
  });

  const cases = BOOLEAN_VARIABLES.flatMap(([name]) => REFUSED.map((value) => [name, value] as const));
  it.each(cases)('%s=%j is refused with a message naming the variable and the value', (name, value) => {
    let caught: unknown;
    try {
      loadConfig({ ...AWS_ENV, [name]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toBe(`${name} must be true or false, got ${JSON.stringify(value)} (only the lower-case words true and false, without spaces)`);
  });
});
