/**
 * The soak's setup and checker, without its stand-ins: the pipeline's environment lets the URL
 * path fetch from the soak's loopback image server, and the checker counts an image its own
 * pipeline refused by policy as a setup failure instead of a good final image.
 */
import { loadConfig, localStackEnvironment } from '../../../core';
import { HttpsImageFetcher } from '../../../core/adapters/fetch/https-fetcher';
import { limitsFor } from '../../../core/limits';
import { assertAllowedS3Source } from '../../../core/sources/source-policy';
import { judgeImage } from '../../../soak/checker';
import { SOAK_CUSTOMER, soakPassed, soakPipelineVariables, soakS3Source, type SoakPorts, type SoakResults } from '../../../soak/run';
import { makeJpeg } from '../../helpers/images';
import { startLoopbackServer, type LoopbackServer } from '../../helpers/loopback-server';

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopbackServer();
});
afterAll(() => server.close());

function ports(images: number): SoakPorts {
  return { brokers: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], broker1: 1, controller1: 4, dynamoDb: 5, moto: 6, api: 7, uploadPage: 8, dashboard: 9, images };
}

/** The config the soak's pipeline processes load from the variables the soak gives them. */
function pipelineConfig(vars: Record<string, string>) {
  return loadConfig({ ...localStackEnvironment(vars), ...vars });
}

describe('the soak pipeline’s fetcher', () => {
  it('fetches an image from the soak’s loopback server on its own port', async () => {
    const jpeg = await makeJpeg({ width: 40, height: 30 }, 11);
    const path = server.route((_req, res) => res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(jpeg));
    const fetcher = HttpsImageFetcher.fromConfig(pipelineConfig(soakPipelineVariables(ports(server.port), '/tmp/unused')));

    const fetched = await fetcher.fetch(server.url(path), { maxBytes: 1024 * 1024 });

    expect(Buffer.compare(Buffer.from(fetched.bytes), jpeg)).toBe(0);
  });

  it('would refuse that port without it in FETCH_ALLOWED_PORTS (what made every soak URL event FAILED)', async () => {
    const path = server.route((_req, res) => res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(Buffer.alloc(10)));
    const { FETCH_ALLOWED_PORTS: _port, ...without } = soakPipelineVariables(ports(server.port), '/tmp/unused');
    const fetcher = HttpsImageFetcher.fromConfig(pipelineConfig(without));

    await expect(fetcher.fetch(server.url(path), { maxBytes: 1024 })).rejects.toMatchObject({ code: 'FORBIDDEN_SOURCE', message: expect.stringMatching(/port \d+ is not allowed/) });
    expect(server.hits(path)).toBe(0);
  });
});

describe('the soak’s S3-reference events', () => {
  it('name a claim check the source policy accepts for the soak’s customer (the old soak-src/ key ended FAILED, FORBIDDEN_SOURCE)', () => {
    const config = pipelineConfig(soakPipelineVariables(ports(1), '/tmp/unused'));
    expect(() => assertAllowedS3Source(config, SOAK_CUSTOMER, soakS3Source(config, '0f8fad5b-d9cb-469f-a165-70867728950e'))).not.toThrow();
    expect(() => assertAllowedS3Source(config, SOAK_CUSTOMER, { bucket: config.rawBucket, key: 'soak-src/0f8fad5b-d9cb-469f-a165-70867728950e.jpg' })).toThrow(/./);
  });
});

describe('the soak customer’s admission limits', () => {
  it('never refuse a 10,000-image run (the default daily quota is 10,000 and the default rate 20/s)', () => {
    const config = pipelineConfig(soakPipelineVariables(ports(1), '/tmp/unused'));
    const limits = limitsFor(config.customerLimits, SOAK_CUSTOMER);
    // Every image and every retry of a 10,000 run fits, with room for a 100,000 run.
    expect(limits.dailyQuota).toBeGreaterThanOrEqual(200_000);
    expect(limits.ratePerSecond).toBeGreaterThanOrEqual(100);
    expect(limits.burst).toBeGreaterThanOrEqual(100);
  });
});

describe('judgeImage', () => {
  const processed = { status: 'PROCESSED', count: 1, notifiedAt: '2026-11-30T10:00:00.000Z' };

  it('counts a URL event FAILED by policy as a setup failure, not as a good final image', () => {
    const verdict = judgeImage({ status: 'FAILED', count: 1, notifiedAt: processed.notifiedAt, errorCode: 'FORBIDDEN_SOURCE' }, 1, 1);
    expect(verdict).toMatchObject({ kind: 'setup-failure', detail: expect.stringContaining('FORBIDDEN_SOURCE') });
  });

  it('keeps an image FAILED for its own content a final image with one notification', () => {
    expect(judgeImage({ status: 'FAILED', count: 1, notifiedAt: processed.notifiedAt, errorCode: 'UNDECODABLE_IMAGE' }, 1, 1)).toEqual({ kind: 'ok', republished: false });
  });

  it('tells lost, duplicated, stuck and re-published apart', () => {
    expect(judgeImage(undefined, 0, 0).kind).toBe('lost');
    expect(judgeImage(processed, 2, 2).kind).toBe('duplicated');
    expect(judgeImage({ ...processed, count: 2 }, 1, 1).kind).toBe('duplicated');
    expect(judgeImage({ status: 'RECEIVED', count: 1 }, 0, 0).kind).toBe('stuck');
    expect(judgeImage(processed, 0, 0).kind).toBe('stuck');
    // One notification id published twice: a subscriber dedupes it; counted, not a duplicate.
    expect(judgeImage(processed, 1, 2)).toEqual({ kind: 'ok', republished: true });
  });
});

describe('soakPassed', () => {
  const clean = { lost: 0, duplicated: 0, stuck: 0, setupFailures: 0, poison: { injected: 27, deadLetteredWithReason: 27 } } as unknown as SoakResults;

  it('passes only when nothing is lost, duplicated, stuck or refused by setup and every poison record was dead-lettered', () => {
    expect(soakPassed(clean)).toBe(true);
    for (const bad of [{ lost: 1 }, { duplicated: 2 }, { stuck: 1 }, { setupFailures: 1 }, { poison: { injected: 27, deadLetteredWithReason: 26 } }]) {
      expect(soakPassed({ ...clean, ...bad } as SoakResults)).toBe(false);
    }
  });
});
