/**
 * `make soak`: a bounded workload through both ingestion paths while a seeded chaos driver kills,
 * stops and freezes things, then a checker that reads everything back with its own clients.
 * See docs/soak.md. Settings (read here only, as a tool's flags): SOAK_EVENTS (default 2000),
 * SOAK_SEED (default 1), SOAK_FAULTS (default max(3, SOAK_EVENTS / 200)), SOAK_MAX_SECONDS
 * (default 1800: the whole run's bound), INGEST_LOCAL_DIR (where Kafka's jars and moto's venv are).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { Kafka, logLevel } from 'kafkajs';
import { createAwsClients, destroyAwsClients, loadConfig, localStackEnvironment, type Config } from '../core';
import { claimCheckKey } from '../core/keys';
import { createPipelineRuntime, createReconciler } from '../core/runtime';
import { bootstrapStack } from '../local/stack/bootstrap';
import { projectRoot, stackPaths } from '../local/stack/paths';
import { ImageEventPublisher } from '../kafka';
import { SerialIdempotentProducer } from '../kafka/serial-producer';
import { DEAD_LETTER_HEADERS } from '../stream-consumer/dead-letter';
import { makeJpeg, seededUint32 } from '../test/helpers/images';
import { freePorts } from '../test/helpers/tcp-ports';
import { planFaults, runChaos, type FiredFault } from './chaos';
import { expectAccepted, retryRest } from './rest-client';
import { countRecords, judgeImage, readRecords, readRecordsById, type CheckedRecord } from './checker';
import { beginShutdown, installExitGuards, killAllChildren } from './processes';
import { ManagedProcess, motoProcess, SoakKafkaCluster, waitFor, type SoakInstall } from './stack';
import { readTopicToEnd, waitForGroupCaughtUp, type CaughtUp, type TopicRead } from './topic-reads';

/** The ways an image enters the pipeline. */
export const SOAK_PATHS = ['event-inline', 'event-s3', 'event-url', 'rest-direct', 'rest-presigned'] as const;
export type SoakPath = (typeof SOAK_PATHS)[number];
/** Path of each slot of ten: 4 inline, 1 S3 reference, 1 URL, 3 REST direct, 1 presigned. */
const PATH_MIX: readonly SoakPath[] = ['event-inline', 'event-inline', 'event-inline', 'event-inline', 'event-s3', 'event-url', 'rest-direct', 'rest-direct', 'rest-direct', 'rest-presigned'];

/** The chaos driver's fault kinds. */
export const FAULT_KINDS = ['kill-stream-runner', 'kill-rest-adapter', 'kill-partition-leader', 'freeze-moto-aws', 'freeze-moto-dynamodb', 'poison-events'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Settings of one soak run. */
export interface SoakOptions {
  events: number;
  seed: number;
  faults: number;
  /** Faults to inject, in order (the seed picks when); default: seeded picks, every kind before any repeats. */
  faultKinds?: FaultKind[];
  maxSeconds: number;
  /** Where Kafka's jars and moto's venv live (the stack's INGEST_LOCAL_DIR). */
  localDir: string;
  /** Where results.json goes; undefined writes none. */
  resultsFile?: string;
  log?: (line: string) => void;
}

/** The checker's counts. */
export interface SoakResults {
  events: number;
  seed: number;
  wallSeconds: number;
  faults: Record<string, number>;
  /** Every fault injected, in order, with its time and kind. */
  faultLog: FiredFault<FaultKind>[];
  acknowledged: { events: number; rest: number; byPath: Record<string, number> };
  finalWithOneNotification: number;
  /** Notifications SQS delivered to the checker again (same SNS MessageId): not the pipeline's duplicates. */
  checkerRedeliveries: number;
  /**
   * Images whose one notification SNS accepted more than once (distinct SNS MessageIds, the same
   * notification id): a crash after the publish and before `markNotified`. A FIFO topic drops
   * these; a subscriber of a standard topic dedupes them on the notification id (docs/notifications.md).
   */
  republished: number;
  recoveredByReconciler: number;
  lost: number;
  duplicated: number;
  stuck: number;
  /** Images that ended FAILED for a policy reason: the soak's pipeline refused the soak's own source (a setup error). */
  setupFailures: number;
  /** Final records by status (and FAILED by error code). */
  finalByStatus: Record<string, number>;
  poison: {
    injected: number;
    deadLetteredWithReason: number;
    /** The stream runner's group had committed every image-topic record when the dead-letter topic was read. */
    streamGroupCaughtUp: boolean;
    /** The dead-letter topic was read up to its end offsets. */
    deadLetterTopicReadToEnd: boolean;
    /** Records on the dead-letter topic (every reason, not only the soak's poison). */
    deadLetterRecords: number;
  };
  problems: { imageId: string; path: string; problem: string }[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `attempt` up to `times` times, `pauseMs` apart; returns its first result or throws the last error. */
async function retry<T>(times: number, pauseMs: number, attempt: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < times; i++) {
    try {
      return await attempt();
    } catch (error) {
      last = error;
      await sleep(pauseMs);
    }
  }
  throw last;
}

/** The ports of the soak's own stand-ins and servers. */
export interface SoakPorts {
  brokers: string[];
  broker1: number;
  controller1: number;
  dynamoDb: number;
  moto: number;
  api: number;
  uploadPage: number;
  dashboard: number;
  /** The loopback server the URL path's events point at. */
  images: number;
}

/**
 * The environment of the soak's pipeline processes: its own stand-ins' ports, and a fetcher
 * that may take the URL path's images from the soak's loopback server (`FETCH_ALLOW_LOOPBACK`
 * plus that server's port in `FETCH_ALLOWED_PORTS`: without the port every URL event ends
 * FAILED, "port not allowed", and the URL path is never exercised).
 */
export function soakPipelineVariables(ports: SoakPorts, stateDir: string, logLevel = 'WARN'): Record<string, string> {
  return {
    INGEST_LOCAL_DIR: stateDir,
    KAFKA_PORT: String(ports.broker1),
    KAFKA_CONTROLLER_PORT: String(ports.controller1),
    KAFKA_BROKERS: ports.brokers.join(','),
    DYNAMODB_PORT: String(ports.dynamoDb),
    MOTO_PORT: String(ports.moto),
    API_PORT: String(ports.api),
    UPLOAD_PAGE_PORT: String(ports.uploadPage),
    DASHBOARD_PORT: String(ports.dashboard),
    FETCH_ALLOW_LOOPBACK: 'true',
    FETCH_ALLOWED_PORTS: String(ports.images),
    STREAM_RESTART_ATTEMPTS: '50',
    // 4 write shards instead of 32: the sharded read is still exercised (5 keys a status/day), and a
    // reconciler run is 30 Queries instead of 198; each costs a pass over the whole table on moto.
    STATUS_INDEX_SHARDS: String(SOAK_STATUS_SHARDS),
    // The soak measures delivery under faults, not admission: its one customer must never meet
    // the per-customer daily quota (10,000 by default) or rate, whatever SOAK_EVENTS is.
    CUSTOMER_RATE_LIMIT: '1000',
    CUSTOMER_BURST_LIMIT: '2000',
    CUSTOMER_DAILY_QUOTA: '100000000',
    LOG_LEVEL: logLevel,
  };
}

/** The customer every soak image belongs to. */
export const SOAK_CUSTOMER = 'soak';

/**
 * Where the S3-reference path puts an image before publishing its event: a claim check under
 * the customer's own prefix in the raw bucket, the only place the source resolver takes an
 * event's S3 reference from (any other key ends FAILED, FORBIDDEN_SOURCE).
 */
export function soakS3Source(config: Pick<Config, 'rawBucket'>, eventId: string): { bucket: string; key: string } {
  return { bucket: config.rawBucket, key: claimCheckKey(SOAK_CUSTOMER, eventId) };
}

/** `byStatusDay` write shards of the soak's table (docs/soak.md: the reconciler's Queries on moto). */
export const SOAK_STATUS_SHARDS = 4;

/** Least time between the starts of two faults. */
const FAULT_MIN_GAP_MS = 10_000;

/** Runs the soak end to end and returns the checker's results; every process it starts, it stops. */
export async function runSoak(options: SoakOptions): Promise<SoakResults> {
  const log = options.log ?? ((line: string) => void process.stdout.write(`${new Date().toISOString()} ${line}\n`));
  const started = Date.now();
  const hardDeadline = started + options.maxSeconds * 1000;
  const rand = seededUint32(options.seed);
  const random = (): number => rand() / 4294967296;
  const dir = mkdtempSync(join(tmpdir(), 'ingest-soak-'));
  const install: SoakInstall = {
    kafkaLib: join(options.localDir, 'kafka', 'lib'),
    motoPython: join(options.localDir, 'moto-venv', 'bin', 'python'),
    motoServer: join(projectRoot(), 'local', 'python', 'moto_server.py'),
  };
  const [b1, c1, b2, c2, b3, c3, dynamoPort, motoPort, apiPort, pagePort, dashPort] = await freePorts(11) as number[] as [number, number, number, number, number, number, number, number, number, number, number];
  const cluster = new SoakKafkaCluster(dir, install, [
    { broker: b1, controller: c1 },
    { broker: b2, controller: c2 },
    { broker: b3, controller: c3 },
  ]);
  // Images, and a loopback server for the URL path (up first: the pipeline is told its port).
  const images = new Map<number, Buffer>();
  const imageServer: Server = createServer((req, res) => {
    const i = Number(/^\/img\/(\d+)\.jpg$/.exec(req.url ?? '')?.[1] ?? -1);
    const bytes = images.get(i);
    if (bytes === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': bytes.length }).end(bytes);
  });
  await new Promise<void>((r) => imageServer.listen(0, '127.0.0.1', () => r()));
  const imagePort = (imageServer.address() as { port: number }).port;
  const soakVars = soakPipelineVariables(
    { brokers: cluster.brokers, broker1: b1, controller1: c1, dynamoDb: dynamoPort, moto: motoPort, api: apiPort, uploadPage: pagePort, dashboard: dashPort, images: imagePort },
    dir,
    process.env.SOAK_LOG_LEVEL ?? 'WARN',
  );
  const env: NodeJS.ProcessEnv = { ...process.env, ...localStackEnvironment(soakVars), ...soakVars };
  const config: Config = loadConfig(env);
  // The AWS SDK's default credential chain reads the process environment: the stand-ins' dummy keys.
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const) process.env[name] ??= env[name];

  const motoDynamo = motoProcess(dir, install, 'dynamodb', dynamoPort);
  const motoAws = motoProcess(dir, install, 'aws', motoPort);
  let stopping = false;
  /** Set once the checker's results meet the soak's goal; a run that fails or throws keeps its directory. */
  let passed = false;
  const pipeline = (role: 'stream' | 'rest'): ManagedProcess => {
    const p: ManagedProcess = new ManagedProcess(`soak-${role}`, process.execPath, [join(projectRoot(), 'dist', 'soak', 'pipeline.js'), role], {
      cwd: projectRoot(),
      env,
      logFile: join(dir, `${role}.log`),
      // A process that dies on its own (not by the chaos driver) is restarted too, and counted.
      onUnexpectedExit: () => {
        if (stopping || p.running) return;
        setTimeout(() => !stopping && !p.running && p.start(), 1000);
      },
    });
    return p;
  };
  const stream = pipeline('stream');
  const rest = pipeline('rest');
  const faults: Record<string, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0]));
  const clients = createAwsClients(config, { maxAttempts: 3, requestTimeoutMs: 10_000 });
  const runtime = createPipelineRuntime(config, 'soak-checker');
  let publisher: ImageEventPublisher | undefined;
  let poisonProducer: SerialIdempotentProducer | undefined;

  try {
    log(`soak: ${options.events} images, seed ${options.seed}, ${options.faults} faults, stand-ins in ${dir}`);
    motoDynamo.start();
    motoAws.start();
    await cluster.start();
    log(`soak: 3-broker KRaft cluster up on ${cluster.brokers.join(', ')} (RF 3, min.insync.replicas 2, unclean election off)`);
    await retry(30, 2000, () => cluster.createTopics([{ topic: config.kafka.imageTopic, numPartitions: config.kafka.partitions }, { topic: config.kafka.deadLetterTopic, numPartitions: 1 }], config.kafka.maxMessageBytes));
    mkdirSync(dir, { recursive: true });
    const resources = await retry(60, 1000, () => bootstrapStack(config, clients, stackPaths(config)));
    const apiKey = resources.devApiKey;
    stream.start();
    rest.start();
    await waitFor('the soak REST adapter', async () => {
      const r = await fetch(`http://127.0.0.1:${apiPort}/healthz`);
      if (r.status !== 200) throw new Error(`status ${r.status}`);
    }, 120_000);

    const image = async (i: number): Promise<Buffer> => {
      const cached = images.get(i);
      if (cached) return cached;
      const made = await makeJpeg({ width: 48 + (i % 32), height: 40 + (i % 16) }, options.seed * 100_000 + i);
      images.set(i, made);
      return made;
    };

    publisher = await retry(30, 2000, () => ImageEventPublisher.connect({ config, blobs: runtime.blobs, secrets: runtime.secrets }));
    const accepted = new Map<string, SoakPath>();
    const byPath: Record<string, number> = Object.fromEntries(SOAK_PATHS.map((p) => [p, 0]));
    const order = Array.from({ length: options.events }, (_, i) => PATH_MIX[Math.floor(random() * PATH_MIX.length)] as SoakPath);

    const submit = async (i: number, path: SoakPath): Promise<void> => {
      const bytes = await image(i);
      if (path.startsWith('event-')) {
        const eventId = randomUUID();
        await retry(8, 2000, async () => {
          if (path === 'event-inline') await publisher!.publish({ eventId, customerId: SOAK_CUSTOMER, image: { kind: 'bytes', data: bytes }, contentType: 'image/jpeg' });
          else if (path === 'event-s3') {
            const source = soakS3Source(config, eventId);
            await runtime.blobs.put(source, bytes, { contentType: 'image/jpeg', metadata: {} });
            await publisher!.publish({ eventId, customerId: SOAK_CUSTOMER, image: { kind: 's3', ...source } });
          } else await publisher!.publish({ eventId, customerId: SOAK_CUSTOMER, image: { kind: 'url', url: `http://127.0.0.1:${imagePort}/img/${i}.jpg` } });
        });
        accepted.set(eventId, path);
      } else if (path === 'rest-direct') {
        const key = randomUUID();
        const imageId = await retryRest(async () => {
          const r = await fetch(`http://127.0.0.1:${apiPort}/v1/images`, { method: 'POST', body: bytes, headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'image/jpeg', 'Idempotency-Key': key }, signal: AbortSignal.timeout(60_000) });
          expectAccepted(r);
          return ((await r.json()) as { imageId: string }).imageId;
        });
        accepted.set(imageId, path);
      } else {
        const created = await retryRest(async () => {
          const r = await fetch(`http://127.0.0.1:${apiPort}/v1/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ fileName: `soak-${i}.jpg` }), signal: AbortSignal.timeout(60_000) });
          expectAccepted(r);
          return (await r.json()) as { imageId: string; upload: { url: string; fields: Record<string, string> } };
        });
        accepted.set(created.imageId, path);
        await retry(15, 2000, async () => {
          const form = new FormData();
          for (const [name, value] of Object.entries(created.upload.fields)) form.append(name, value);
          form.append('Content-Type', 'image/jpeg');
          form.append('file', new Blob([bytes]), `soak-${i}.jpg`);
          const r = await fetch(created.upload.url, { method: 'POST', body: form, signal: AbortSignal.timeout(60_000) });
          if (r.status >= 300) throw new Error(`S3 answered ${r.status}`);
        });
      }
      byPath[path] = (byPath[path] ?? 0) + 1;
    };

    // The chaos driver: seeded kinds and moments, each fault bounded in time.
    const kinds: FaultKind[] = options.faultKinds ?? (() => {
      const picked: FaultKind[] = [];
      while (picked.length < options.faults) {
        const round = [...FAULT_KINDS];
        for (let k = round.length - 1; k > 0; k--) {
          const j = Math.floor(random() * (k + 1));
          [round[k], round[j]] = [round[j] as FaultKind, round[k] as FaultKind];
        }
        picked.push(...round);
      }
      return picked.slice(0, options.faults);
    })();
    const poisonKeys = new Set<string>();
    const fault = async (kind: FaultKind): Promise<void> => {
      log(`chaos: ${kind} (${Math.min(submitted, order.length)} of ${order.length} images taken up)`);
      faults[kind] = (faults[kind] ?? 0) + 1;
      if (kind === 'kill-stream-runner' || kind === 'kill-rest-adapter') {
        const target = kind === 'kill-stream-runner' ? stream : rest;
        await target.stop('SIGKILL');
        await sleep(500 + random() * 2500);
        target.start();
      } else if (kind === 'kill-partition-leader') {
        const leader = await cluster.leaderOf(config.kafka.imageTopic, 0);
        const node = cluster.nodes[leader - 1] as ManagedProcess;
        log(`chaos: partition 0 leader is node ${leader}; SIGKILL`);
        await node.stop('SIGKILL');
        await sleep(3000 + random() * 7000);
        node.start();
        await cluster.waitHealthy(120_000);
      } else if (kind === 'freeze-moto-aws' || kind === 'freeze-moto-dynamodb') {
        const target = kind === 'freeze-moto-aws' ? motoAws : motoDynamo;
        target.signal('SIGSTOP');
        await sleep(2000 + random() * 6000);
        target.signal('SIGCONT');
      } else {
        // The same producer discipline as the pipeline's own (kafka/serial-producer.ts).
        poisonProducer ??= new SerialIdempotentProducer(() =>
          new Kafka({ clientId: 'soak-poison', brokers: cluster.brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
        );
        const messages = Array.from({ length: 3 }, () => ({ key: `poison-${randomUUID()}`, value: Buffer.from(`not avro ${random()}`) }));
        await retry(5, 2000, () => poisonProducer!.send({ topic: config.kafka.imageTopic, acks: -1, messages }));
        for (const m of messages) poisonKeys.add(m.key);
      }
    };

    // The checker's notification reader, from the start: the queue never holds the whole run's
    // notifications (moto's SQS work per request grows with the queue).
    // Per image: distinct notification ids (what a deduping subscriber acts on) and SNS publishes (MessageIds).
    const notes = new Map<string, Set<string>>();
    const published = new Map<string, Set<string>>();
    const publishDetails = new Map<string, string[]>();
    let redeliveries = 0;
    const drain = async (): Promise<void> => {
      for (let n = 0; n < 200; n++) {
        const got = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: resources.notificationQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        const messages = got.Messages ?? [];
        if (messages.length === 0) return;
        for (const m of messages) {
          const envelope = JSON.parse(m.Body ?? '{}') as { Message?: string; MessageId?: string; Timestamp?: string; imageId?: string };
          const body = (envelope.Message !== undefined ? JSON.parse(envelope.Message) : envelope) as { imageId?: string; status?: string; notificationId?: string };
          if (body.imageId === undefined) continue;
          // One SNS MessageId is one publish; the same MessageId again is SQS redelivering to us.
          const ids = published.get(body.imageId) ?? new Set<string>();
          if (envelope.MessageId !== undefined && ids.has(envelope.MessageId)) redeliveries++;
          else {
            ids.add(envelope.MessageId ?? m.MessageId ?? randomUUID());
            publishDetails.set(body.imageId, [...(publishDetails.get(body.imageId) ?? []), `${envelope.Timestamp ?? '?'} ${body.status ?? '?'} ${body.notificationId ?? 'no-id'}`]);
            published.set(body.imageId, ids);
            // A notification without an id counts as its own notification.
            const distinct = notes.get(body.imageId) ?? new Set<string>();
            distinct.add(body.notificationId ?? randomUUID());
            notes.set(body.imageId, distinct);
          }
        }
        await clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: resources.notificationQueueUrl, Entries: messages.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle })) }));
      }
    };
    let submitted = 0;
    let workloadDone = false;
    const workloadStarted = Date.now();
    const concurrency = 6;
    const workers = Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = submitted++;
        if (i >= order.length || Date.now() > hardDeadline) return;
        if (i > 0 && i % Math.max(1, Math.floor(order.length / 10)) === 0) log(`soak: ${i} of ${order.length} submitted after ${Math.round((Date.now() - workloadStarted) / 1000)} s`);
        try {
          await submit(i, order[i] as SoakPath);
        } catch (error) {
          log(`soak: image ${i} (${order[i]}) not accepted: ${(error as Error).message}`);
        }
      }
    });
    // The chaos driver: seeded moments (their own seeded stream), one fault at a time, spread over the workload.
    const plan = planFaults(kinds, order.length, (() => {
      const planRand = seededUint32(options.seed * 7919 + 17);
      return () => planRand() / 4294967296;
    })());
    log(`chaos: plan ${plan.map((p) => `${p.kind}@${p.atImage}`).join(', ')}`);
    const chaos = runChaos({
      plan,
      progress: () => Math.min(submitted, order.length),
      workloadDone: () => workloadDone,
      stopped: () => stopping,
      minGapMs: FAULT_MIN_GAP_MS,
      fire: async (kind) => {
        try {
          await fault(kind);
        } catch (error) {
          log(`chaos: ${kind} failed: ${(error as Error).message}`);
          throw error;
        }
      },
    });
    const drainer = (async () => {
      while (!workloadDone) {
        await drain().catch(() => undefined);
        await sleep(2000);
      }
    })();
    await Promise.all(workers);
    workloadDone = true;
    await drainer;
    const faultLog = await chaos;
    log(`soak: workload done in ${Math.round((Date.now() - started) / 1000)} s; ${accepted.size} accepted; settling`);

    // Settling reads no table: a notification is published only after the final write, so an
    // image with one is final. The table is read once, at the end (soak/checker.ts says why).
    const settled = (): boolean => [...accepted.keys()].every((id) => (notes.get(id)?.size ?? 0) >= 1);
    const settleUntil = Math.min(hardDeadline - 60_000, Date.now() + 240_000);
    while (Date.now() < settleUntil) {
      await drain().catch(() => undefined);
      if (settled()) break;
      await sleep(3000);
    }
    // The reconciler once, with a short threshold, for anything left RECEIVED or unannounced.
    const reconciled = await createReconciler(runtime, { receivedAfterMs: 5_000, notificationLeaseMs: 5_000 }).run();
    const recoveredByReconciler = reconciled.counts.recovered + reconciled.counts.failedAbandoned + reconciled.counts.notifiedLate;
    log(`soak: reconciler scanned ${reconciled.scanned}: recovered ${reconciled.counts.recovered}, failed-abandoned ${reconciled.counts.failedAbandoned}, notified-late ${reconciled.counts.notifiedLate}, errors ${reconciled.counts.errors}`);
    for (let n = 0; n < 10; n++) {
      await sleep(1000);
      await drain().catch(() => undefined);
    }
    const records: Map<string, CheckedRecord> = await readRecordsById(clients.dynamodb, config.table.name, accepted.keys());
    const inTable = await countRecords(clients.dynamodb, config.table.name);
    // More records than accepted images found: list the table to name the others (duplicates).
    if (inTable > records.size) for (const [id, record] of await readRecords(clients.dynamodb, config.table.name)) if (!accepted.has(id)) records.set(id, record);

    // Poison: first the stream runner's group must have committed every image-topic record (a
    // poison record has no notification, so settling did not wait for it), then the dead-letter
    // topic is read to its end (soak/topic-reads.ts says why both).
    const deadLettered = new Set<string>();
    const checkerKafka = new Kafka({ clientId: 'soak-checker', brokers: cluster.brokers, logLevel: logLevel.NOTHING });
    const checkerAdmin = checkerKafka.admin();
    let consumed: CaughtUp = { caughtUp: false, partitions: [] };
    let deadLetterRead: TopicRead = { complete: false, records: 0 };
    try {
      await retry(10, 2000, () => checkerAdmin.connect());
      consumed = await waitForGroupCaughtUp(checkerAdmin, config.kafka.imageTopic, config.kafka.consumerGroupId, Math.max(30_000, Math.min(180_000, hardDeadline - 30_000 - Date.now())));
      log(`soak: stream group ${consumed.caughtUp ? 'has committed every image-topic record' : `has not caught up (lag ${consumed.partitions.map((p) => `${p.partition}:${p.lag}`).join(' ')})`}`);
      deadLetterRead = await retry(3, 2000, () =>
        readTopicToEnd(checkerKafka, checkerAdmin, config.kafka.deadLetterTopic, 120_000, (message) => {
          const key = message.key?.toString() ?? '';
          if (poisonKeys.has(key) && (message.headers?.[DEAD_LETTER_HEADERS.reason]?.toString() ?? '') !== '') deadLettered.add(key);
        }),
      );
      log(`soak: dead-letter topic ${deadLetterRead.complete ? 'read to its end' : 'NOT read to its end'}: ${deadLetterRead.records} records`);
    } catch (error) {
      log(`soak: the checker could not read Kafka: ${(error as Error).message}`);
    } finally {
      await checkerAdmin.disconnect().catch(() => undefined);
    }

    const problems: SoakResults['problems'] = [];
    const republishes: SoakResults['problems'] = [];
    let ok = 0;
    for (const [id, path] of accepted) {
      const record = records.get(id);
      const details = `published ${(publishDetails.get(id) ?? []).join(', ')}`;
      const verdict = judgeImage(record, notes.get(id)?.size ?? 0, published.get(id)?.size ?? 0);
      if (verdict.kind === 'ok') {
        ok++;
        if (verdict.republished) republishes.push({ imageId: id, path, problem: `re-published: ${published.get(id)?.size ?? 0} SNS publishes of one notification id; ${details}` });
      } else problems.push({ imageId: id, path, problem: verdict.kind === 'duplicated' ? `${verdict.detail}; ${details}` : verdict.detail });
    }
    const finalByStatus: Record<string, number> = {};
    for (const record of records.values()) {
      const key = record.status === 'FAILED' ? `FAILED ${record.errorCode ?? '?'}` : record.status;
      finalByStatus[key] = (finalByStatus[key] ?? 0) + 1;
    }
    // Every poison record not found on the dead-letter topic, by key, so a failed run can be traced in the kept logs.
    // Only when the group committed past every record and the topic was read to its end is a
    // missing key a record the consumer skipped; otherwise the check itself is incomplete.
    for (const key of poisonKeys) {
      if (deadLettered.has(key)) continue;
      const settledPoison = consumed.caughtUp && deadLetterRead.complete;
      problems.push({ imageId: key, path: 'poison', problem: settledPoison ? 'lost poison: the stream group committed past it and the dead-letter topic, read to its end, does not hold it with a reason' : `poison record not found on the dead-letter topic (check incomplete: ${consumed.caughtUp ? '' : 'the stream group had not committed every image-topic record; '}${deadLetterRead.complete ? '' : 'the dead-letter topic was not read to its end'})` });
    }
    // A record nobody was answered for (a retry that made a second image) is a duplicate too.
    for (const [id] of records) if (!accepted.has(id)) problems.push({ imageId: id, path: 'unknown', problem: 'duplicated: a record no client was answered for' });
    const results: SoakResults = {
      events: options.events,
      seed: options.seed,
      wallSeconds: Math.round((Date.now() - started) / 1000),
      faults,
      faultLog,
      acknowledged: {
        events: (byPath['event-inline'] ?? 0) + (byPath['event-s3'] ?? 0) + (byPath['event-url'] ?? 0),
        rest: (byPath['rest-direct'] ?? 0) + (byPath['rest-presigned'] ?? 0),
        byPath,
      },
      finalWithOneNotification: ok,
      checkerRedeliveries: redeliveries,
      republished: republishes.length,
      recoveredByReconciler,
      lost: problems.filter((p) => p.problem.startsWith('lost')).length,
      duplicated: problems.filter((p) => p.problem.startsWith('duplicated')).length,
      stuck: problems.filter((p) => p.problem.startsWith('stuck')).length,
      setupFailures: problems.filter((p) => p.problem.startsWith('setup failure')).length,
      finalByStatus,
      poison: { injected: poisonKeys.size, deadLetteredWithReason: deadLettered.size, streamGroupCaughtUp: consumed.caughtUp, deadLetterTopicReadToEnd: deadLetterRead.complete, deadLetterRecords: deadLetterRead.records },
      problems: [...problems, ...republishes].slice(0, 50),
    };
    if (options.resultsFile !== undefined) writeFileSync(options.resultsFile, `${JSON.stringify(results, null, 2)}\n`);
    passed = soakPassed(results);
    return results;
  } finally {
    // From here no restart starts anything (a chaos restart still sleeping is dropped).
    stopping = true;
    beginShutdown();
    await publisher?.disconnect().catch(() => undefined);
    await poisonProducer?.disconnect().catch(() => undefined);
    await new Promise((r) => imageServer.close(r));
    destroyAwsClients(clients);
    destroyAwsClients(runtime.clients);
    await Promise.all([stream.stop(), rest.stop()]);
    await Promise.all(cluster.nodes.map((n) => n.stop()));
    await Promise.all([motoDynamo.stop(), motoAws.stop()]);
    // Anything still alive (a process a stop did not reach) goes now.
    killAllChildren();
    // A failed run (or one that threw) keeps its configs and every process's log for the post-mortem.
    if (process.env.SOAK_KEEP_DIR === undefined && passed) rmSync(dir, { recursive: true, force: true });
    else log(`soak: kept ${dir} (configs, data and logs of every process)`);
  }
}

/** The checker's table, one line per count. */
export function formatTable(r: SoakResults): string {
  const rows: [string, string | number][] = [
    ['images requested', r.events],
    ['events acknowledged by the broker (acks=all)', r.acknowledged.events],
    ['REST requests answered 201/202', r.acknowledged.rest],
    ...Object.entries(r.acknowledged.byPath).map(([p, n]) => [`  ${p}`, n] as [string, number]),
    ['faults injected', Object.values(r.faults).reduce((a, b) => a + b, 0)],
    ...Object.entries(r.faults).map(([k, n]) => [`  ${k}`, n] as [string, number]),
    ['final with exactly one notification', r.finalWithOneNotification],
    ['  of which repaired by the reconciler', r.recoveredByReconciler],
    ['  of which re-published, same notification id', r.republished],
    ['SQS redeliveries to the checker (same SNS MessageId)', r.checkerRedeliveries],
    ['lost', r.lost],
    ['duplicated', r.duplicated],
    ['stuck', r.stuck],
    ['setup failures (FAILED for a policy reason)', r.setupFailures],
    ['records by final status', Object.entries(r.finalByStatus).map(([k, n]) => `${k} ${n}`).join(', ')],
    ['poison injected / dead-lettered with reason', `${r.poison.injected} / ${r.poison.deadLetteredWithReason}`],
    ['  stream group committed every image-topic record', r.poison.streamGroupCaughtUp ? 'yes' : 'no'],
    ['  dead-letter topic read to its end (records)', `${r.poison.deadLetterTopicReadToEnd ? 'yes' : 'no'} (${r.poison.deadLetterRecords})`],
    ['wall time (s)', r.wallSeconds],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const faultLines = r.faultLog.map((f, i) => `  ${String(i + 1).padStart(2)}. ${f.at} +${f.atSeconds}s image ${f.atImage} ${f.kind}, ${f.seconds} s${f.afterWorkload ? ' (after the workload)' : ''}${f.error !== undefined ? ` FAILED: ${f.error}` : ''}`);
  return [...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`), 'faults in order (time, seconds since the workload started, images taken up, kind, duration):', ...faultLines].join('\n');
}

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

/** SOAK_FAULT_KINDS: a comma-separated list of fault kinds to inject in that order, or undefined. */
function faultKindsSetting(): FaultKind[] | undefined {
  const raw = process.env.SOAK_FAULT_KINDS;
  if (raw === undefined || raw === '') return undefined;
  const kinds = raw.split(',').map((k) => k.trim());
  for (const kind of kinds) if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new Error(`SOAK_FAULT_KINDS: expected a comma-separated list of ${FAULT_KINDS.join(', ')}, got "${kind}"`);
  return kinds as FaultKind[];
}

async function main(): Promise<number> {
  // Interrupted (Ctrl-C, the time limit of `make test`, a hang-up): every process started is killed
  // (and each dies with the soak by the kernel's parent-death signal if the soak itself is SIGKILLed).
  installExitGuards();
  const events = intSetting('SOAK_EVENTS', 2000);
  const faultKinds = faultKindsSetting();
  const results = await runSoak({
    events,
    seed: intSetting('SOAK_SEED', 1),
    faults: faultKinds?.length ?? intSetting('SOAK_FAULTS', Math.max(3, Math.ceil(events / 200))),
    faultKinds,
    maxSeconds: intSetting('SOAK_MAX_SECONDS', 1800),
    localDir: resolve(projectRoot(), process.env.INGEST_LOCAL_DIR ?? '.local'),
    resultsFile: join(projectRoot(), 'soak', 'results.json'),
  });
  process.stdout.write(`\n${formatTable(results)}\n`);
  for (const p of results.problems) process.stdout.write(`  ${p.path} ${p.imageId}: ${p.problem}\n`);
  return soakPassed(results) ? 0 : 1;
}

/** The soak's goal: nothing lost, duplicated, stuck or refused by its own setup, and every poison record dead-lettered. */
export function soakPassed(results: SoakResults): boolean {
  return results.lost + results.duplicated + results.stuck + results.setupFailures === 0 && results.poison.deadLetteredWithReason === results.poison.injected;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`soak: ${error.stack ?? error.message}\n`);
      process.exit(2);
    },
  );
}
