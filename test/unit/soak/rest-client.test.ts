/**
 * The soak's REST client retries as the API asks a client to: it waits the `Retry-After` a 503
 * names, replays the same request, and gives up only when its budget is spent.
 */
import { REST_RETRY_BUDGET_MS, RetriableAnswer, expectAccepted, retryRest } from '../../../soak/rest-client';
import { DEFAULT_NOTIFICATION_LEASE_MS } from '../../../core/pipeline';
import { startLoopbackServer, type LoopbackServer } from '../../helpers/loopback-server';

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopbackServer();
});
afterAll(() => server.close());

const post = async (url: string): Promise<string> => {
  const response = await fetch(url, { method: 'POST', body: 'x' });
  expectAccepted(response);
  return response.text();
};

describe('retryRest', () => {
  it('replays after each 503 with Retry-After until the request is accepted', async () => {
    let answered = 0;
    const path = server.route((_req, res) => {
      answered += 1;
      if (answered <= 2) res.writeHead(503, { 'Retry-After': '1' }).end();
      else res.writeHead(201).end('created');
    });

    await expect(retryRest(() => post(server.url(path)), { budgetMs: 10_000 })).resolves.toBe('created');
    expect(server.hits(path)).toBe(3);
  });

  it('gives up with the last answer once waiting again would pass its budget', async () => {
    const path = server.route((_req, res) => res.writeHead(503, { 'Retry-After': '1' }).end());

    const failure = retryRest(() => post(server.url(path)), { budgetMs: 1_500 });

    await expect(failure).rejects.toBeInstanceOf(RetriableAnswer);
    await expect(failure).rejects.toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect(server.hits(path)).toBe(2);
  });

  it('waits out a notification lease a killed adapter left behind (a replay answers 503 until it ends)', () => {
    expect(REST_RETRY_BUDGET_MS).toBeGreaterThan(DEFAULT_NOTIFICATION_LEASE_MS);
  });
});

describe('expectAccepted', () => {
  it.each([
    [503, '5', 5],
    [429, '12', 12],
    [500, null, undefined],
    [503, 'Wed, 21 Oct 2026 07:28:00 GMT', undefined],
  ])('refuses %s (Retry-After %s) as retriable with its seconds', (status, header, seconds) => {
    const response = new Response(null, { status, headers: header === null ? {} : { 'Retry-After': header } });
    expect(() => expectAccepted(response)).toThrow(expect.objectContaining({ status, retryAfterSeconds: seconds }));
  });

  it.each([201, 202])('accepts %s', (status) => {
    expect(() => expectAccepted(new Response(null, { status }))).not.toThrow();
  });
});
