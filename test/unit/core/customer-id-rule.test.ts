/**
 * One customer-id rule (core/input-bounds.ts, `assertCustomerIdBounds`): every entry point that
 * takes a customer id accepts and refuses the same table of ids. API keys, stream events,
 * `ingest publish`, `ingest keys create`, `WATERMARK_CUSTOMERS`, `CUSTOMER_LIMITS` and the dashboard's filter.
 */
import { assertCustomerIdBounds, CUSTOMER_ID_RULE, generateApiKey, InvalidParameterError } from '../../../core';
import { ConfigError, ForbiddenSourceError } from '../../../core/errors';
import { ENV, loadConfig } from '../../../core/config';
import { assertEventBounds, type ImageEvent } from '../../../schemas';
import { assertPublishable } from '../../../kafka';
import { parseDashboardQuery } from '../../../local/dashboard/engine';
import { runIngest } from '../../helpers/ingest-cli';

const ACCEPTED = ['a', '7', 'dev', 'acme-eu.1', 'Customer_2', 'A.b-c_d', 'x'.repeat(64), `publish-${'0'.repeat(36)}`];
const REFUSED = ['', 'a:b', 'user@example.com', 'x'.repeat(65), '-lead', '.hidden', '_under', 'a b', 'a/b', 'ünïcode', 'tab\tid', 'line\n'];

const LOCAL = { [ENV.endpointS3]: 'http://127.0.0.1:5000' };
const config = loadConfig(LOCAL);

function event(customerId: string): ImageEvent {
  return { eventId: '0b0e5f5e-4b51-4a43-9f7c-3a4a3b2c1d0e', occurredAt: new Date(), customerId, attributes: {}, image: { kind: 'inline', data: Buffer.from('x') } };
}

/** Every entry point, as "accepts this id?" (true) or throws the error it refuses with. */
const ENTRY_POINTS: readonly [string, (id: string) => void][] = [
  ['assertCustomerIdBounds (REST, upload metadata)', (id) => assertCustomerIdBounds(id)],
  ['API keys (generateApiKey)', (id) => void generateApiKey(id)],
  ['stream events (assertEventBounds)', (id) => assertEventBounds(event(id))],
  ['publishers (assertPublishable)', (id) => assertPublishable({ customerId: id, image: { kind: 'bytes', data: Buffer.from('x') } }, config)],
  ['WATERMARK_CUSTOMERS', (id) => void loadConfig({ ...LOCAL, [ENV.watermarkCustomers]: JSON.stringify({ [id]: null }) })],
  ['CUSTOMER_LIMITS', (id) => void loadConfig({ ...LOCAL, [ENV.customerLimits]: JSON.stringify({ [id]: { dailyQuota: 5 } }) })],
  ['dashboard ?customer=', (id) => void parseDashboardQuery('24h', id)],
];

describe('one customer-id rule at every entry point', () => {
  const accepted = ENTRY_POINTS.flatMap(([where, check]) => ACCEPTED.map((id) => [where, id, check] as const));
  it.each(accepted)('%s accepts %j', (_where, id, check) => {
    expect(() => check(id)).not.toThrow();
  });

  // The dashboard's empty filter means "every customer", not an id: it is the one exception.
  const refused = ENTRY_POINTS.flatMap(([where, check]) => REFUSED.filter((id) => !(where.startsWith('dashboard') && id === '')).map((id) => [where, id, check] as const));
  it.each(refused)('%s refuses %j, stating the rule', (_where, id, check) => {
    let caught: unknown;
    try {
      check(id);
    } catch (error) {
      caught = error;
    }
    expect(caught instanceof InvalidParameterError || caught instanceof ConfigError).toBe(true);
    expect((caught as Error).message).toContain(CUSTOMER_ID_RULE);
  });

  it('the dashboard reads an empty filter as every customer', () => {
    expect(parseDashboardQuery('24h', '')).toEqual({ window: '24h', customerId: '' });
  });
});

describe('the command line applies the same rule, refusing before it connects to anything', () => {
  it.each(REFUSED)('ingest publish --customer=%j exits 2 naming --customer', async (id) => {
    const { code, stderr } = await runIngest(['publish', '--url', 'https://images.example.com/cat.jpg', `--customer=${id}`]);
    expect(code).toBe(2);
    expect(stderr).toContain(`for --customer but received`);
    expect(stderr).toContain(CUSTOMER_ID_RULE);
  });

  it.each(ACCEPTED)('ingest publish --customer=%j passes the customer check (then stops at the refused URL)', async (id) => {
    const { code, stderr } = await runIngest(['publish', '--url', 'https://10.0.0.1/cat.jpg', `--customer=${id}`]);
    expect(code).toBe(2);
    expect(stderr).not.toContain('--customer');
    expect(stderr).toContain(new ForbiddenSourceError('Refusing to fetch https://10.0.0.1/cat.jpg: address 10.0.0.1 is private (RFC 1918)').message);
  });

  it.each(REFUSED.filter((id) => id !== ''))('ingest dashboard --customer=%j exits 2 before reading anything', async (id) => {
    const { code, stderr } = await runIngest(['dashboard', `--customer=${id}`]);
    expect(code).toBe(2);
    expect(stderr).toContain('for customer but received');
    expect(stderr).toContain(CUSTOMER_ID_RULE);
  });

  it.each(REFUSED)('ingest keys create %j exits 2 before touching the secret', async (id) => {
    const { code, stderr } = await runIngest(['keys', 'create', '--', id]);
    expect(code).toBe(2);
    expect(stderr).toContain('for <customerId> but received');
    expect(stderr).toContain(CUSTOMER_ID_RULE);
  });
});
