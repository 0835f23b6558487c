/**
 * The per-customer limits in config (core/limits/settings.ts through loadConfig): defaults,
 * the three default variables, overrides merged over the default, and errors that name the
 * variable, the customer and the field.
 */
import { ConfigError } from '../../../core/errors';
import { DEFAULT_CUSTOMER_LIMITS, ENV, limitsFor, loadConfig } from '../../../core';

/** A real-AWS environment with nothing else set: only the limit variables vary. */
const AWS_ENV = { AWS_REGION: 'eu-west-1', SNS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:t', KAFKA_BROKERS: 'b-1:9096' };

function load(extra: Record<string, string>) {
  return loadConfig({ ...AWS_ENV, ...extra });
}

function configError(extra: Record<string, string>): string {
  let thrown: unknown;
  try {
    load(extra);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return (thrown as Error).message;
}

describe('customer limits in config', () => {
  it('default to 20 requests/s, a burst of 40 and 10,000 a day, with no overrides and no usage plan', () => {
    const config = load({});
    expect(config.customerLimits.default).toEqual({ ratePerSecond: 20, burst: 40, dailyQuota: 10_000 });
    expect(DEFAULT_CUSTOMER_LIMITS).toEqual({ ratePerSecond: 20, burst: 40, dailyQuota: 10_000 });
    expect(config.customerLimits.customers.size).toBe(0);
    expect(config.usagePlans.defaultPlanId).toBeUndefined();
  });

  it('reads the default from its three variables (decimal rates allowed) and the usage plan id', () => {
    const config = load({ [ENV.customerRateLimit]: '0.5', [ENV.customerBurstLimit]: '3', [ENV.customerDailyQuota]: '100', [ENV.usagePlanId]: 'abc123' });
    expect(config.customerLimits.default).toEqual({ ratePerSecond: 0.5, burst: 3, dailyQuota: 100 });
    expect(config.usagePlans.defaultPlanId).toBe('abc123');
  });

  it('merges each override over the default, member by member', () => {
    const config = load({ [ENV.customerBurstLimit]: '5', [ENV.customerLimits]: JSON.stringify({ acme: { dailyQuota: 50_000 }, 'big.co': { ratePerSecond: 100, burst: 200, dailyQuota: 1_000_000 } }) });
    expect(limitsFor(config.customerLimits, 'acme')).toEqual({ ratePerSecond: 20, burst: 5, dailyQuota: 50_000 });
    expect(limitsFor(config.customerLimits, 'big.co')).toEqual({ ratePerSecond: 100, burst: 200, dailyQuota: 1_000_000 });
    expect(limitsFor(config.customerLimits, 'someone-else')).toEqual({ ratePerSecond: 20, burst: 5, dailyQuota: 10_000 });
  });

  it.each([
    ['a rate of 0', { [ENV.customerRateLimit]: '0' }, /^CUSTOMER_RATE_LIMIT must be a number greater than 0 and at most 10000, got number 0$/],
    ['a word for the burst', { [ENV.customerBurstLimit]: 'many' }, /^CUSTOMER_BURST_LIMIT must be an integer from 1 to 5000, got "many"$/],
    ['a fractional quota', { [ENV.customerDailyQuota]: '1.5' }, /^CUSTOMER_DAILY_QUOTA must be an integer from 1 to 2147483647, got number 1.5$/],
    ['JSON that is not JSON', { [ENV.customerLimits]: '{acme:1}' }, /^CUSTOMER_LIMITS must be JSON like .* but it is not valid JSON/],
    ['an array', { [ENV.customerLimits]: '[]' }, /^CUSTOMER_LIMITS must be a JSON object keyed by customer id, got an array$/],
    ['a bad customer id', { [ENV.customerLimits]: '{"bad id!":{"burst":1}}' }, /^CUSTOMER_LIMITS\["bad id!"\] is not a valid customer id: Expected 1-64 letters/],
    ['a number instead of an object', { [ENV.customerLimits]: '{"acme":5}' }, /^CUSTOMER_LIMITS\["acme"\] must be an object with any of ratePerSecond, burst, dailyQuota, got number 5$/],
    ['an unknown member', { [ENV.customerLimits]: '{"acme":{"rps":5}}' }, /^CUSTOMER_LIMITS\["acme"\] has an unknown member "rps"/],
    ['a burst over API Gateway\'s', { [ENV.customerLimits]: '{"acme":{"burst":5001}}' }, /^CUSTOMER_LIMITS\["acme"\]\.burst must be an integer from 1 to 5000, got number 5001$/],
    ['a string rate', { [ENV.customerLimits]: '{"acme":{"ratePerSecond":"10"}}' }, /^CUSTOMER_LIMITS\["acme"\]\.ratePerSecond must be a number greater than 0/],
  ])('refuses %s, naming the variable, customer and field', (_name, extra, message) => {
    expect(configError(extra)).toMatch(message);
  });
});
