/**
 * Per-customer admission limits: their shape, the defaults, and the one parser of the override
 * variable. Imported by `loadConfig`, the local limiter and the CDKTF usage plans alike, so the
 * numbers enforced locally and on AWS come from one place.
 */
import { assertCustomerIdBounds } from '../input-bounds';
import { ConfigError, InvalidParameterError } from '../errors';

/** One customer's limits, in API Gateway usage-plan terms. */
export interface CustomerLimits {
  /**
   * Steady-state requests per second: the token bucket's refill rate (usage plan
   * `throttle.rateLimit`, a decimal number in API Gateway).
   */
  ratePerSecond: number;
  /** Most requests at once: the token bucket's capacity (usage plan `throttle.burstLimit`, an integer). */
  burst: number;
  /** Requests per UTC day (usage plan `quota.limit` with `period: DAY`). */
  dailyQuota: number;
}

/**
 * The defaults of every customer without an override: 20 requests/s, a burst of 40 and
 * 10,000 requests a day.
 */
export const DEFAULT_CUSTOMER_LIMITS: Readonly<CustomerLimits> = { ratePerSecond: 20, burst: 40, dailyQuota: 10_000 } as const;

/**
 * Upper bounds of each number: API Gateway's default account-level throttle (10,000 requests/s,
 * burst 5,000; "Amazon API Gateway quotas") — a plan above it is never reached — and the quota
 * limit's type (a 32-bit integer in the UsagePlan API's `QuotaSettings.limit`).
 */
export const CUSTOMER_LIMIT_BOUNDS = {
  ratePerSecond: { min: 0, max: 10_000 },
  burst: { min: 1, max: 5_000 },
  dailyQuota: { min: 1, max: 2_147_483_647 },
} as const;

/** The limits of a deployment: the default, and overrides keyed by customer id. */
export interface LimitsConfig {
  /** @default DEFAULT_CUSTOMER_LIMITS */
  default: CustomerLimits;
  /** customerId → that customer's complete limits (override members merged over the default). @default empty */
  customers: ReadonlyMap<string, CustomerLimits>;
}

const MEMBERS = ['ratePerSecond', 'burst', 'dailyQuota'] as const;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.slice(0, 60)}"`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/**
 * Checks one limit value. `ratePerSecond` is any number above 0 (API Gateway takes decimals);
 * `burst` and `dailyQuota` are whole numbers.
 * @param where how the error names the value, e.g. `CUSTOMER_LIMITS["acme"].burst`.
 * @throws ConfigError naming `where`, what was expected and what arrived.
 */
export function checkLimitValue(where: string, member: keyof CustomerLimits, value: unknown): number {
  const { min, max } = CUSTOMER_LIMIT_BOUNDS[member];
  if (member === 'ratePerSecond') {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= min || value > max) throw new ConfigError(`${where} must be a number greater than ${min} and at most ${max}, got ${describe(value)}`);
    return value;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${where} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  return value;
}

/**
 * Reads the per-customer overrides: a JSON object keyed by customer id whose values hold any of
 * `ratePerSecond`, `burst` and `dailyQuota`; members left out take the default's value.
 *
 * @param variable the variable (or prop) named in every message.
 * @param text its value; `undefined` means no overrides.
 * @param defaults the limits of customers without an override (already checked).
 * @throws ConfigError naming the variable, the customer and the member.
 * @example
 * parseCustomerLimits('CUSTOMER_LIMITS', '{"acme":{"dailyQuota":50000}}', DEFAULT_CUSTOMER_LIMITS);
 * // { default: {20, 40, 10000}, customers: Map { 'acme' => {20, 40, 50000} } }
 */
export function parseCustomerLimits(variable: string, text: string | undefined, defaults: CustomerLimits): LimitsConfig {
  const customers = new Map<string, CustomerLimits>();
  if (text === undefined) return { default: defaults, customers };
  let map: unknown;
  try {
    map = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${variable} must be JSON like {"customer-1":{"ratePerSecond":50,"burst":100,"dailyQuota":50000}}, but it is not valid JSON (${(error as Error).message})`);
  }
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new ConfigError(`${variable} must be a JSON object keyed by customer id, got ${describe(map)}`);
  for (const [customerId, entry] of Object.entries(map)) {
    const where = `${variable}["${customerId.slice(0, 64)}"]`;
    try {
      assertCustomerIdBounds(customerId, `the customer id of ${where}`);
    } catch (error) {
      if (error instanceof InvalidParameterError) throw new ConfigError(`${where} is not a valid customer id: ${error.message}`, { cause: error });
      throw error;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigError(`${where} must be an object with any of ${MEMBERS.join(', ')}, got ${describe(entry)}`);
    const own = entry as Record<string, unknown>;
    const unknown = Object.keys(own).find((key) => !(MEMBERS as readonly string[]).includes(key));
    if (unknown !== undefined) throw new ConfigError(`${where} has an unknown member "${unknown.slice(0, 40)}"; expected ${MEMBERS.join(', ')}`);
    const limits = { ...defaults };
    for (const member of MEMBERS) {
      if (own[member] !== undefined) limits[member] = checkLimitValue(`${where}.${member}`, member, own[member]);
    }
    customers.set(customerId, limits);
  }
  return { default: defaults, customers };
}

/**
 * One customer's limits: its override when it has one, otherwise the default.
 * @example
 * limitsFor(config.customerLimits, 'acme').burst; // 40 unless acme has an override
 */
export function limitsFor(config: LimitsConfig, customerId: string): CustomerLimits {
  return config.customers.get(customerId) ?? config.default;
}

/**
 * The name of a customer's API Gateway API key (the key's value is
 * `usageIdentifierKeyFor(customerId)`): shared by the CDKTF override plans and the adapter that
 * enrols later customers, so either finds a key the other made.
 * @example
 * usagePlanKeyName('acme'); // 'image-pipeline-customer-acme'
 */
export function usagePlanKeyName(customerId: string): string {
  return `image-pipeline-customer-${customerId}`;
}
