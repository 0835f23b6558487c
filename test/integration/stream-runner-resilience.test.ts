/**
 * Issue 20 on the real local stack: the local event-source runner under slow work and crashes,
 * its readiness report, and what a record reads — finished events answered before any fetch, S3
 * `versionId`, `Retry-After`. Every test names its own topics, groups, buckets and customers.
 */
import { randomUUID } from 'node:crypto';
import net, { type Socket } from 'node:net';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { logLevel, type ISocketFactory, type Producer } from 'kafkajs';
import sharp from 'sharp';
import { UnauthorizedError, canonicalSourceUrl, destroyAwsClients, loadConfig, rawKey, type Config } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { startHttpAdapter } from '../../local/http-adapter';
import { RuntimeHealth, StartInterruptedError, startRuntime } from '../../local/runtime';
import { encodeImageEvent, type ImageEvent } from '../../schemas';
import { createMskHandler, createStreamConsumer, type MskHandlerFunction } from '../../stream-consumer';
import { createLocalStreamComponent, createStreamRunner, type StreamRunnerHealth } from '../../local/stream-runner';
import { claimCheckKey } from '../../core/keys';
import { makeJpeg } from '../helpers/images';
import { mskEventOf } from '../helpers/msk-events';
import { useStreamTestBed } from '../helpers/stream-test-bed';
import { openNotificationInbox, waitForFinalRecord } from '../helpers/notifications';
import { unusedLoopbackPort } from '../helpers/loopback-server';
import { waitUntil } from '../helpers/wait';

const quietKafka = { logLevel: logLevel.NOTHING };
const bed = useStreamTestBed('runner-resilience-test');
let producer: Producer;

beforeAll(async () => {
  producer = bed.kafka.client.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
});

function newEvent(customerId: string, image: ImageEvent['image']): ImageEvent {
  return { eventId: randomUUID(), occurredAt: new Date(), customerId, attributes: {}, image };
}

/**
 * Broker connections that the test can cut: `cut()` destroys every open socket and makes new
 * ones dial a closed local port (ECONNREFUSED) until `heal()` — the consumer loses the broker
 * mid-batch while the shared broker itself keeps running. `cutOnRequest(apiKey)` cuts at the
 * moment the client sends the first request with that Kafka API key (e.g. 11, JoinGroup);
 * `holdRequests(apiKey, n)` swallows the next `n` such requests (the broker never sees them, so
 * no answer comes); `open()` counts sockets not yet closed.
 */
async function cuttableConnections(): Promise<{ socketFactory: ISocketFactory; cut(): void; heal(): void; cutOnRequest(apiKey: number): void; holdRequests(apiKey: number, count: number): void; open(): number }> {
  const deadPort = await unusedLoopbackPort();
  const open = new Set<Socket>();
  let refusing = false;
  let cutAtApiKey: number | undefined;
  let held = { apiKey: -1, count: 0 };
  const cut = (): void => {
    refusing = true;
    // As a reset arrives: the socket errors (kafkajs listens for 'error' and 'end', not 'close').
    for (const socket of open) socket.destroy(Object.assign(new Error('connection reset (cut by the test)'), { code: 'ECONNRESET' }));
  };
  return {
    socketFactory: ({ host, port, onConnect }) => {
      const socket = refusing ? net.connect({ host: '127.0.0.1', port: deadPort }, onConnect) : net.connect({ host, port }, onConnect);
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      // A Kafka request starts with its size (int32) and API key (int16); kafkajs writes each whole.
      const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
      socket.write = ((chunk: unknown, ...rest: unknown[]) => {
        const apiKey = Buffer.isBuffer(chunk) && chunk.length >= 6 ? chunk.readInt16BE(4) : undefined;
        if (cutAtApiKey !== undefined && apiKey === cutAtApiKey) {
          cutAtApiKey = undefined;
          cut();
          return false;
        }
        if (held.count > 0 && apiKey === held.apiKey) {
          held = { ...held, count: held.count - 1 };
          return true;
        }
        return write(chunk, ...rest);
      }) as Socket['write'];
      return socket;
    },
    cut,
    heal() {
      refusing = false;
    },
    cutOnRequest(apiKey) {
      cutAtApiKey = apiKey;
    },
    holdRequests(apiKey, count) {
      held = { apiKey, count };
    },
    open: () => open.size,
  };
}

/**
 * A runner on a fresh topic and group whose broker connections the test controls, with the
 * restart limit, join timeout and onFatal given; its log lines are kept in `lines`.
 */
async function runnerOnCutConnections(name: string, restartAttempts: number, joinTimeoutMs = 60_000, onFatal?: (error: Error) => void) {
  const topic = await bed.kafka.createTopic(name, 1);
  const groupId = `${name}-${randomUUID()}`;
  const config = loadConfig({ ...process.env, STREAM_RESTART_ATTEMPTS: String(restartAttempts), LOG_LEVEL: 'ERROR' });
  const runtime = createPipelineRuntime(config, `${name}-test`);
  const consumer = createStreamConsumer(runtime, { kafka: quietKafka });
  bed.defer(async () => {
    await consumer.close();
    destroyAwsClients(runtime.clients);
  });
  const connections = await cuttableConnections();
  const lines: string[] = [];
  const runner = createStreamRunner({
    config,
    handler: createMskHandler(consumer),
    secrets: runtime.secrets,
    topic,
    groupId,
    log: (line) => lines.push(line),
    restartBackoff: { initialMs: 200, maxMs: 400 },
    joinTimeoutMs,
    onFatal,
    kafka: { ...quietKafka, socketFactory: connections.socketFactory, connectionTimeoutMs: 1_000, retry: { retries: 1, initialRetryTime: 100 } },
  });
  return { topic, groupId, connections, lines, runner, runtime };
}

/** Writes `step()` every `everyMs` until the client goes away or `maxWrites` writes were made. */
function dribble(socket: Socket, everyMs: number, maxWrites: number, step: () => void): void {
  let writes = 0;
  const timer = setInterval(() => {
    writes += 1;
    if (socket.destroyed || writes > maxWrites) clearInterval(timer);
    else step();
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

describe('the local runner under slow sources', () => {
  it('a trickling body, a never-ending chunked body and a connection held open after a short body end FAILED at the deadline while the partition’s next event and the other partition are processed, with no crash', async () => {
    const topic = await bed.kafka.createTopic('runner-slow', 2);
    const groupId = `runner-slow-${randomUUID()}`;
    // One record at a time, 3 s fetch deadline, 500 ms heartbeats: the session timeout is the
    // broker minimum of 6 s, and partition 0's first handler call (three slow records in a row)
    // runs past it — membership survives only through heartbeats during the batch.
    const config = loadConfig({
      ...process.env,
      FETCH_ALLOW_LOOPBACK: 'true',
      FETCH_ALLOWED_PORTS: String(bed.server.port),
      FETCH_TIMEOUT_MS: '3000',
      FETCH_DEADLINE_MS: '3000',
      RECORD_CONCURRENCY: '1',
      BATCH_SIZE: '10',
      LOG_LEVEL: 'ERROR',
    });
    const runtime = createPipelineRuntime(config, 'runner-slow-test');
    bed.defer(async () => destroyAwsClients(runtime.clients));
    const jpeg = await makeJpeg({ width: 90, height: 60 });
    const trickle = bed.server.route((req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(jpeg.length) });
      let sent = 0;
      dribble(req.socket, 250, 200, () => res.write(jpeg.subarray(sent, ++sent)));
    });
    const endless = bed.server.route((req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.write(jpeg.subarray(0, 64));
      dribble(req.socket, 100, 500, () => res.write(Buffer.alloc(16, 0x20)));
    });
    const heldOpen = bed.server.route((req) => {
      // A close-delimited HTTP/1.1 response (no length, not chunked) whose connection never closes.
      req.socket.write(`HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\nconnection: close\r\n\r\n`);
      req.socket.write(jpeg.subarray(0, 100));
    });
    const customerId = `runner-slow-${randomUUID()}`;
    const slow = [trickle, endless, heldOpen].map((path) => newEvent(customerId, { kind: 'url', url: bed.server.url(path) }));
    const next = newEvent(customerId, { kind: 'inline', data: jpeg });
    const other = newEvent(customerId, { kind: 'inline', data: await makeJpeg({ width: 91, height: 61 }) });
    await producer.send({
      topic,
      acks: -1,
      messages: [...slow, next].map((e) => ({ partition: 0, value: encodeImageEvent(e) })).concat([{ partition: 1, value: encodeImageEvent(other) }]),
    });
    const lines: string[] = [];
    const runner = createLocalStreamComponent(config, { topic, groupId, log: (line) => lines.push(line), kafka: quietKafka, heartbeatIntervalMs: 500 });

    const started = await runner.start();
    bed.defer(() => started.stop());

    expect(started.description).toContain('session timeout 6000 ms');
    for (const event of slow) {
      const record = await waitForFinalRecord(runtime.metadata, event.eventId, 60_000);
      expect(record).toMatchObject({ status: 'FAILED', error: { code: 'SOURCE_FETCH_FAILED' } });
      expect(record?.error?.message).toContain('total deadline of 3000 ms exceeded');
    }
    expect((await waitForFinalRecord(runtime.metadata, next.eventId, 30_000))?.status).toBe('PROCESSED');
    expect((await waitForFinalRecord(runtime.metadata, other.eventId, 30_000))?.status).toBe('PROCESSED');
    const end = await bed.kafka.endOffsets(topic);
    expect(await bed.kafka.waitForCommittedOffsets(groupId, topic, end, 30_000)).toEqual(end);
    // Partition 0's four records went to the handler in one call, committed in one go.
    expect(lines.some((l) => / partition=0 offsets=0-3 records=4 ms=\d+ committed=4$/.test(l))).toBe(true);
    expect(lines.filter((l) => /crashed|rebalancing|heartbeat failed|state=restarting/.test(l))).toEqual([]);
    expect(((await started.health?.()) as StreamRunnerHealth).state).toBe('consuming');
  });
});

describe('the local runner when its consumer dies', () => {
  it('a consumer killed mid-batch is restarted with backoff and finishes the work once', async () => {
    const topic = await bed.kafka.createTopic('runner-killed', 1);
    const groupId = `runner-killed-${randomUUID()}`;
    // A 1 s fetch deadline and 500 ms heartbeats make the session timeout 6 s: the member left
    // behind by the kill (it could not leave) expires that soon, and the restarted one joins.
    const config = loadConfig({ ...process.env, FETCH_TIMEOUT_MS: '1000', FETCH_DEADLINE_MS: '1000', STREAM_RESTART_ATTEMPTS: '8', LOG_LEVEL: 'ERROR' });
    const inbox = await openNotificationInbox(bed.clients, config, 'runner-killed');
    bed.defer(() => inbox.close());
    const runtime = createPipelineRuntime(config, 'runner-killed-test');
    const consumer = createStreamConsumer(runtime, { kafka: quietKafka });
    bed.defer(async () => {
      await consumer.close();
      destroyAwsClients(runtime.clients);
    });
    const connections = await cuttableConnections();
    const processed = createMskHandler(consumer);
    const invokedOffsets: number[] = [];
    let killed = false;
    // The real handler, then — once — the broker connections are cut before the runner commits.
    const handler: MskHandlerFunction = async (event) => {
      const response = await processed(event);
      invokedOffsets.push(...Object.values(event.records).flat().map((r) => r.offset));
      if (!killed) {
        killed = true;
        connections.cut();
      }
      return response;
    };
    const lines: string[] = [];
    const runner = createStreamRunner({
      config,
      handler,
      secrets: runtime.secrets,
      topic,
      groupId,
      log: (line) => lines.push(line),
      heartbeatIntervalMs: 500,
      restartBackoff: { initialMs: 500, maxMs: 2_000 },
      kafka: { ...quietKafka, socketFactory: connections.socketFactory, retry: { retries: 1, initialRetryTime: 100 } },
    });
    const started = await runner.start();
    bed.defer(() => started.stop());
    const event = newEvent(inbox.customerId, { kind: 'inline', data: await makeJpeg({ width: 120, height: 80 }) });

    await producer.send({ topic, acks: -1, messages: [{ value: encodeImageEvent(event) }] });

    await waitUntil(() => lines.some((l) => l.includes('state=restarting')), { what: 'the runner to report state=restarting', timeoutMs: 60_000 });
    connections.heal();
    await waitUntil(() => lines.some((l) => l.includes('consumer restarted')), { what: 'the runner to report "consumer restarted"', timeoutMs: 60_000 });
    expect(await bed.kafka.waitForCommittedOffsets(groupId, topic, { 0: '1' }, 30_000)).toEqual({ 0: '1' });
    expect((await runtime.metadata.get(event.eventId, new Date()))?.status).toBe('PROCESSED');
    // Delivered again after the restart (nothing was committed before the kill), done once.
    expect(invokedOffsets.filter((o) => o === 0).length).toBeGreaterThanOrEqual(2);
    await inbox.waitFor(1, 30_000);
    expect((await inbox.settle(2000)).map((n) => `${n.type}:${n.imageId}`)).toEqual([`image.processed:${event.eventId}`]);
    expect(lines.some((l) => l.includes('consumer crashed'))).toBe(true);
    expect(((await started.health?.()) as StreamRunnerHealth).state).toBe('consuming');
  });

  it('a runner that cannot restart its consumer says so: /readyz answers 503 with state stopped, and onFatal is called', async () => {
    const fatal: Error[] = [];
    const health = new RuntimeHealth();
    const { topic, groupId, connections, runner } = await runnerOnCutConnections('runner-stopped', 2, 5_000, (error) => fatal.push(error));
    const adapter = await startHttpAdapter({
      host: '127.0.0.1',
      port: 0,
      maxImageBytes: 1024,
      // Only /readyz is asked here; no credential is accepted.
      authorizer: { cacheTtlSeconds: 0, authorize: () => Promise.reject(new UnauthorizedError('no credentials in this test')) },
      handler: async () => ({ statusCode: 404, body: '' }),
      readiness: () => health.report(),
    });
    bed.defer(() => adapter.stop());
    const stopRuntime = await startRuntime([runner], () => undefined, health);
    bed.defer(() => stopRuntime());
    await producer.send({ topic, acks: -1, messages: [{ value: encodeImageEvent(newEvent(`runner-stopped-${randomUUID()}`, { kind: 'inline', data: await makeJpeg() })) }] });
    expect(await bed.kafka.waitForCommittedOffsets(groupId, topic, { 0: '1' }, 30_000)).toEqual({ 0: '1' });
    const ready = await fetch(`${adapter.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      components: { 'stream-runner': { state: 'consuming', topic, groupId, partitions: [{ partition: 0, committed: '1', end: '1', lag: 0 }] } },
    });

    connections.cut();

    await waitUntil(() => fatal.length > 0, { what: 'onFatal to be called', timeoutMs: 60_000 });
    const stopped = await fetch(`${adapter.url}/readyz`);
    expect(stopped.status).toBe(503);
    const report = (await stopped.json()) as { ready: boolean; components: Record<string, StreamRunnerHealth> };
    expect(report.ready).toBe(false);
    expect(report.components['stream-runner']).toMatchObject({ ready: false, state: 'stopped', restarts: 2, lastError: expect.any(String), lagError: expect.any(String) });
    expect(fatal).toHaveLength(1);
    expect(fatal[0]?.message).toMatch(/could not restart its consumer \(group runner-stopped-\S+\) after 2 attempts/);
  });
});

describe('the local runner when its first join fails', () => {
  it('a broker that refuses the first connections is retried with backoff: start() resolves once the group is joined, and the runner consumes', async () => {
    const { topic, groupId, connections, lines, runner, runtime } = await runnerOnCutConnections('runner-late-broker', 8);
    connections.cut();
    const starting = runner.start();
    await waitUntil(() => lines.some((l) => l.includes('state=restarting')), { what: 'the runner to report state=restarting', timeoutMs: 30_000 });
    connections.heal();
    const started = await starting;
    bed.defer(() => started.stop());
    const event = newEvent(`runner-late-broker-${randomUUID()}`, { kind: 'inline', data: await makeJpeg() });
    await producer.send({ topic, acks: -1, messages: [{ value: encodeImageEvent(event) }] });
    expect(await bed.kafka.waitForCommittedOffsets(groupId, topic, { 0: '1' }, 30_000)).toEqual({ 0: '1' });
    expect((await runtime.metadata.get(event.eventId, new Date()))?.status).toBe('PROCESSED');
    expect(lines.some((l) => l.includes('consumer restarted'))).toBe(true);
    expect(((await started.health?.()) as StreamRunnerHealth).state).toBe('consuming');
  });

  it('a consumer that connects but loses the broker before it joins fails that attempt with kafkajs’s reason, not after the join timeout', async () => {
    const { connections, lines, runner } = await runnerOnCutConnections('runner-lost-join', 0);
    // Connect, metadata and FindCoordinator get through; the broker is lost as the JoinGroup
    // request (API key 11) leaves, and every reconnect is refused.
    connections.cutOnRequest(11);
    await expect(runner.start()).rejects.toThrow(/^the stream runner could not join group runner-lost-join-\S+: the first join and 0 retries failed; last: stream-runner could not join group runner-lost-join-\S+: /);
    expect(lines.some((l) => l.includes('consumer crashed'))).toBe(true);
    expect(lines.some((l) => l.includes('state=stopped'))).toBe(true);
    await waitUntil(() => connections.open() === 0, { what: 'every broker connection to close', timeoutMs: 10_000 });
  });

  it('a join the broker never answers ends at the join timeout and is retried: start() resolves on the next attempt, and the runner consumes', async () => {
    const { topic, groupId, connections, lines, runner } = await runnerOnCutConnections('runner-hung-join', 3, 3_000);
    // The first JoinGroup request (API key 11) is swallowed: kafkajs would wait for its answer
    // for the whole rebalance timeout (60 s); the attempt must end at the 3 s join timeout.
    connections.holdRequests(11, 1);
    const started = await runner.start();
    bed.defer(async () => {
      await started.stop();
      // The abandoned first consumer still waits for its JoinGroup answer: cutting the
      // connections ends that wait, so nothing of this test outlives it.
      connections.cut();
      await waitUntil(() => connections.open() === 0, { what: 'every broker connection to close', timeoutMs: 30_000 });
    });
    expect(lines.filter((l) => l.includes('restart failed'))).toEqual([]);
    expect(lines.filter((l) => l.includes('state=restarting'))).toEqual([
      expect.stringMatching(/ \(attempt 1 of 3\) after: stream-runner did not join group runner-hung-join-\S+ within 3000 ms$/),
    ]);
    expect(lines.some((l) => l.includes('consumer restarted (attempt 1)'))).toBe(true);
    await producer.send({ topic, acks: -1, messages: [{ value: encodeImageEvent(newEvent(`runner-hung-join-${randomUUID()}`, { kind: 'inline', data: await makeJpeg() })) }] });
    expect(await bed.kafka.waitForCommittedOffsets(groupId, topic, { 0: '1' }, 30_000)).toEqual({ 0: '1' });
  });

  it('an abort during the first join’s retries (Ctrl-C in ingest start) ends start() with StartInterruptedError and leaves no consumer connected', async () => {
    const { connections, lines, runner } = await runnerOnCutConnections('runner-interrupted', 8);
    connections.cut();
    const interrupted = new AbortController();
    const starting = runner.start(interrupted.signal);
    await waitUntil(() => lines.some((l) => l.includes('state=restarting')), { what: 'the runner to report state=restarting', timeoutMs: 30_000 });
    interrupted.abort();
    await expect(starting).rejects.toBeInstanceOf(StartInterruptedError);
    await waitUntil(() => connections.open() === 0, { what: 'every broker connection to close', timeoutMs: 10_000 });
  });

  it('a broker that never answers: start() rejects after the restart attempts with the last reason, and leaves no consumer connected', async () => {
    const { connections, lines, runner } = await runnerOnCutConnections('runner-no-broker', 2);
    connections.cut();
    await expect(runner.start()).rejects.toThrow(/^the stream runner could not join group runner-no-broker-\S+: the first join and 2 retries failed; last: \S/);
    expect(lines.filter((l) => l.includes('restart failed'))).toHaveLength(2);
    expect(lines.some((l) => l.includes('state=stopped'))).toBe(true);
    await waitUntil(() => connections.open() === 0, { what: 'every broker connection to close', timeoutMs: 10_000 });
  });
});

describe('what a record reads', () => {
  let config: Config;
  let runtime: PipelineRuntime;
  let handler: MskHandlerFunction;
  let versioned: string;
  let offset = 0;

  const deliver = async (event: ImageEvent): Promise<unknown> =>
    handler(mskEventOf([{ topic: 'runner-reads-under-test', partition: 0, offset: offset++, value: encodeImageEvent(event) }]));

  beforeAll(async () => {
    versioned = `stream-test-versions-${randomUUID()}`;
    await bed.clients.s3.send(new CreateBucketCommand({ Bucket: versioned }));
    await bed.clients.s3.send(new PutBucketVersioningCommand({ Bucket: versioned, VersioningConfiguration: { Status: 'Enabled' } }));
    bed.defer(async () => {
      const { Versions = [], DeleteMarkers = [] } = await bed.clients.s3.send(new ListObjectVersionsCommand({ Bucket: versioned }));
      for (const v of [...Versions, ...DeleteMarkers]) await bed.clients.s3.send(new DeleteObjectCommand({ Bucket: versioned, Key: v.Key, VersionId: v.VersionId }));
      await bed.clients.s3.send(new DeleteBucketCommand({ Bucket: versioned }));
    });
    const base = loadConfig();
    config = loadConfig({ ...process.env, FETCH_ALLOW_LOOPBACK: 'true', FETCH_ALLOWED_PORTS: String(bed.server.port), ALLOWED_SOURCE_BUCKETS: `${base.rawBucket},${versioned}`, LOG_LEVEL: 'ERROR' });
    runtime = createPipelineRuntime(config, 'runner-reads-test');
    const consumer = createStreamConsumer(runtime, { kafka: quietKafka });
    bed.defer(async () => {
      await consumer.close();
      destroyAwsClients(runtime.clients);
    });
    handler = createMskHandler(consumer);
  });

  it('a redelivered finished event makes no request to its URL and no S3 read', async () => {
    const inbox = await openNotificationInbox(bed.clients, config, 'runner-redelivered');
    bed.defer(() => inbox.close());
    const jpeg = await makeJpeg({ width: 70, height: 50 });
    const path = bed.server.route((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
    // S3 references are claim checks under the event customer's prefix.
    const key = claimCheckKey(inbox.customerId, `${randomUUID()}.jpg`);
    await bed.clients.s3.send(new PutObjectCommand({ Bucket: config.rawBucket, Key: key, Body: jpeg }));
    const byUrl = newEvent(inbox.customerId, { kind: 'url', url: bed.server.url(path) });
    const byS3 = newEvent(inbox.customerId, { kind: 's3', bucket: config.rawBucket, key });
    await deliver(byUrl);
    await deliver(byS3);
    expect(bed.server.hits(path)).toBe(1);
    // Gone from S3: a read would now end FAILED (SOURCE_NOT_FOUND) — if it happened.
    await bed.clients.s3.send(new DeleteObjectCommand({ Bucket: config.rawBucket, Key: key }));

    const responses = [await deliver(byUrl), await deliver(byS3)];

    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(bed.server.hits(path)).toBe(1);
    expect((await runtime.metadata.get(byUrl.eventId, new Date()))?.status).toBe('PROCESSED');
    expect((await runtime.metadata.get(byS3.eventId, new Date()))?.status).toBe('PROCESSED');
    await inbox.waitFor(2, 30_000);
    expect((await inbox.settle(2000)).map((n) => n.type)).toEqual(['image.processed', 'image.processed']);
  });

  it('a redelivered final event that was never announced is announced once, still without a request to its URL', async () => {
    const inbox = await openNotificationInbox(bed.clients, config, 'runner-unannounced');
    bed.defer(() => inbox.close());
    const path = bed.server.route((_req, res) => res.writeHead(500).end());
    const event = newEvent(inbox.customerId, { kind: 'url', url: bed.server.url(path) });
    // What a worker that crashed between the final write and the publish leaves behind: the
    // record as the pipeline writes it for a URL event, with its canonical sourceUrl.
    const now = new Date();
    await runtime.metadata.create({
      imageId: event.eventId,
      status: 'FAILED',
      source: 'kafka',
      customerId: inbox.customerId,
      idempotencyKey: event.eventId,
      bytes: 0,
      sha256: '',
      raw: { bucket: config.rawBucket, key: rawKey(event.eventId, now) },
      error: { code: 'SOURCE_FETCH_FAILED', message: 'HTTP 500' },
      sourceUrl: canonicalSourceUrl(bed.server.url(path)),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: Math.floor(now.getTime() / 1000) + 7 * 86_400,
    });

    const responses = [await deliver(event), await deliver(event)];

    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(bed.server.hits(path)).toBe(0);
    await inbox.waitFor(1, 30_000);
    expect((await inbox.settle(2000)).map((n) => [n.type, n.imageId, n.error?.code])).toEqual([['image.failed', event.eventId, 'SOURCE_FETCH_FAILED']]);
    expect((await runtime.metadata.get(event.eventId, new Date()))?.notifiedAt).toEqual(expect.any(String));
  });

  it('an S3 reference reads exactly its versionId: an older version is processed as it was, a missing one ends FAILED like a missing key', async () => {
    const customerId = `runner-version-${randomUUID()}`;
    // In a named source bucket, an event reads only its customer's folder.
    const key = `${customerId}/${randomUUID()}.jpg`;
    const first = await bed.clients.s3.send(new PutObjectCommand({ Bucket: versioned, Key: key, Body: await makeJpeg({ width: 80, height: 40 }) }));
    const second = await bed.clients.s3.send(new PutObjectCommand({ Bucket: versioned, Key: key, Body: await makeJpeg({ width: 40, height: 80 }) }));
    expect(first.VersionId).not.toEqual(second.VersionId);
    const older = newEvent(customerId, { kind: 's3', bucket: versioned, key, versionId: first.VersionId });
    const missing = newEvent(customerId, { kind: 's3', bucket: versioned, key, versionId: `${first.VersionId}-gone` });
    const deleted = newEvent(customerId, { kind: 's3', bucket: versioned, key, versionId: first.VersionId });
    await deliver(older);
    await bed.clients.s3.send(new DeleteObjectCommand({ Bucket: versioned, Key: key, VersionId: first.VersionId }));

    await deliver(missing);
    await deliver(deleted);

    const olderRecord = await runtime.metadata.get(older.eventId, new Date());
    expect(olderRecord).toMatchObject({ status: 'PROCESSED', width: 80, height: 40 });
    expect((await sharp(await runtime.blobs.get(olderRecord!.raw, 1 << 20)).metadata()).width).toBe(80);
    for (const event of [missing, deleted]) {
      const record = await runtime.metadata.get(event.eventId, new Date());
      expect(record).toMatchObject({ status: 'FAILED', error: { code: 'SOURCE_NOT_FOUND' } });
      expect(record?.error?.message).toBe(`s3://${versioned}/${key} (version ${(event.image as { versionId: string }).versionId}) does not exist`);
    }
  });

  it('honours Retry-After on 503 and 429 within the deadline, and says so when the source asks for more time than is left', async () => {
    const customerId = `runner-retry-after-${randomUUID()}`;
    const jpeg = await makeJpeg({ width: 60, height: 60 });
    const requestTimes: number[] = [];
    const busy = bed.server.route((_req, res, hit) => {
      requestTimes.push(Date.now());
      if (hit === 1) res.writeHead(503, { 'retry-after': '2' }).end();
      else res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
    });
    const tooLong = bed.server.route((_req, res) => res.writeHead(429, { 'retry-after': '120' }).end());
    const waited = newEvent(customerId, { kind: 'url', url: bed.server.url(busy) });
    const refused = newEvent(customerId, { kind: 'url', url: bed.server.url(tooLong) });

    await deliver(waited);
    await deliver(refused);

    expect((await runtime.metadata.get(waited.eventId, new Date()))?.status).toBe('PROCESSED');
    expect(requestTimes).toHaveLength(2);
    // The server's own log: the second request came no sooner than the 2 s it asked for.
    expect((requestTimes[1] as number) - (requestTimes[0] as number)).toBeGreaterThanOrEqual(2000);
    const failed = await runtime.metadata.get(refused.eventId, new Date());
    expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'SOURCE_FETCH_FAILED' } });
    expect(failed?.error?.message).toMatch(/failed after 1 attempt: HTTP 429; the source asked to be retried in 120 s \(Retry-After\); no time left for another attempt within the 30000 ms deadline$/);
    expect(bed.server.hits(tooLong)).toBe(1);
  });
});
