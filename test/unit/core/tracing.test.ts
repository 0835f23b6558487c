/**
 * X-Ray tracing through the Telemetry port (docs/tracing.md), over in-memory ports of the
 * project's own. The X-Ray SDK's own UDP emitter sends to a daemon stand-in on 127.0.0.1
 * (test/helpers/xray-daemon.ts), which parses what arrives for the checks. The root segment stands in for Lambda's facade segment, as in
 * Powertools' own tracer tests; `AWS_EXECUTION_ENV` makes Powertools believe it runs in Lambda.
 */
import { randomUUID } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import AWSXRay from 'aws-xray-sdk-core';
import { createAwsClients, destroyAwsClients, createTelemetry, loadConfig, subsegmentName, type Telemetry } from '../../../core';
import { ImagePipeline, type IngestRequest } from '../../../core/runtime';
import { InMemoryBlobStore, InMemoryMetadataStore, InMemoryNotifier } from '../../helpers/in-memory-ports';
import { makeJpeg } from '../../helpers/images';
import { startXRayDaemonStandIn, type SegmentDocument, type XRayDaemonStandIn } from '../../helpers/xray-daemon';

const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', LOG_LEVEL: 'SILENT' });
const STAGES = ['hash', 'metadata', 'storeRaw', 'process', 'storeVariants', 'notify'] as const;

let daemon: XRayDaemonStandIn;
let addSubsegmentSpy: jest.SpyInstance;
let jpeg: Buffer;
/** What Lambda sets and Powertools reads to decide it runs in Lambda, on demand; dummy credentials so SDK calls get as far as the network. */
const LAMBDA_ENV = {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
} as const;
const savedEnv = Object.fromEntries(Object.keys(LAMBDA_ENV).map((name) => [name, process.env[name]]));

beforeAll(async () => {
  jpeg = await makeJpeg({ width: 320, height: 240 });
  daemon = await startXRayDaemonStandIn();
});

afterAll(() => daemon.close());

beforeEach(async () => {
  await daemon.take();
  addSubsegmentSpy = jest.spyOn(AWSXRay.Segment.prototype, 'addNewSubsegment');
  Object.assign(process.env, LAMBDA_ENV);
});

afterEach(() => {
  addSubsegmentSpy.mockRestore();
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Runs `work` with `root` as the current segment (Lambda's facade segment), closes it and returns what was emitted. */
async function underRoot(work: () => Promise<unknown>): Promise<{ documents: SegmentDocument[]; failure?: unknown }> {
  const root = new AWSXRay.Segment('unit-function');
  let failure: unknown;
  await AWSXRay.getNamespace().runPromise(async () => {
    AWSXRay.setSegment(root);
    try {
      await work();
    } catch (error) {
      failure = error;
    }
  });
  root.close();
  const documents = await daemon.take();
  expect(daemon.malformed).toEqual([]);
  return { documents, failure };
}

/** Every subsegment under `document`, depth first. */
function descendants(document: SegmentDocument): SegmentDocument[] {
  return (document.subsegments ?? []).flatMap((child) => [child, ...descendants(child)]);
}

function pipelineWith(telemetry: Telemetry): ImagePipeline {
  return new ImagePipeline({ config, blobs: new InMemoryBlobStore(), metadata: new InMemoryMetadataStore(), notifier: new InMemoryNotifier(), telemetry });
}

const request = (overrides: Partial<IngestRequest> = {}): IngestRequest => {
  const imageId = randomUUID();
  return { imageId, source: 'api', customerId: 'c-tracing', idempotencyKey: imageId, bytes: jpeg, ...overrides };
};

describe('tracing on (Lambda)', () => {
  it('turns POWERTOOLS_TRACE_ENABLED into config.tracing.enabled, off by default', () => {
    const local = { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' };
    expect(loadConfig(local).tracing.enabled).toBe(false);
    expect(loadConfig({ ...local, POWERTOOLS_TRACE_ENABLED: 'true' }).tracing.enabled).toBe(true);
    expect(() => loadConfig({ ...local, POWERTOOLS_TRACE_ENABLED: 'sometimes' })).toThrow('POWERTOOLS_TRACE_ENABLED must be true or false, got "sometimes"');
  });

  it('makes one ## ingest subsegment per image, annotated imageId, customerId, source and outcome, with every stage nested under it', async () => {
    const telemetry = createTelemetry({ serviceName: 'unit', logLevel: 'SILENT', tracing: true });
    expect(telemetry.tracing).toBe(true);
    const pipeline = pipelineWith(telemetry);
    const req = request();

    const { documents, failure } = await underRoot(() => pipeline.ingest(req));

    expect(failure).toBeUndefined();
    expect(documents).toHaveLength(1);
    const root = documents[0]!;
    expect(root.subsegments?.map((s) => s.name)).toEqual([subsegmentName('ingest')]);
    const ingest = root.subsegments![0]!;
    expect(ingest.annotations).toEqual({ imageId: req.imageId, customerId: 'c-tracing', source: 'api', outcome: 'processed' });
    const stageNames = (ingest.subsegments ?? []).map((s) => s.name);
    expect(stageNames.length).toBeGreaterThanOrEqual(STAGES.length);
    for (const stage of STAGES) expect(stageNames).toContain(subsegmentName(stage));
    // The metadata stage runs twice: the RECEIVED record and the PROCESSED transition.
    expect(stageNames.filter((n) => n === subsegmentName('metadata'))).toHaveLength(2);
    expect(descendants(root).some((s) => s.fault === true || s.error === true)).toBe(false);
  });

  it('annotates a rejected image outcome "failed" and a redelivery "duplicate"', async () => {
    const telemetry = createTelemetry({ serviceName: 'unit', logLevel: 'SILENT', tracing: true });
    const pipeline = pipelineWith(telemetry);
    const bad = request({ bytes: Buffer.from('not an image at all, just text') });
    const good = request();

    const { documents } = await underRoot(async () => {
      await pipeline.ingest(bad);
      await pipeline.ingest(good);
      await pipeline.ingest(good);
    });

    const ingests = documents[0]!.subsegments ?? [];
    expect(ingests).toHaveLength(3);
    expect(ingests.map((s) => [s.annotations?.imageId, s.annotations?.outcome])).toEqual([
      [bad.imageId, 'failed'],
      [good.imageId, 'processed'],
      [good.imageId, 'duplicate'],
    ]);
  });

  it('keeps concurrent images apart (a stream batch): each ## ingest holds its own stages', async () => {
    const telemetry = createTelemetry({ serviceName: 'unit', logLevel: 'SILENT', tracing: true });
    const pipeline = pipelineWith(telemetry);
    const requests = [request(), request(), request()];

    const { documents } = await underRoot(() => Promise.all(requests.map((r) => pipeline.ingest(r))));

    const ingests = documents[0]!.subsegments ?? [];
    expect(ingests).toHaveLength(requests.length);
    expect(ingests.map((s) => s.annotations?.imageId).sort()).toEqual(requests.map((r) => r.imageId).sort());
    for (const ingest of ingests) {
      const names = (ingest.subsegments ?? []).map((s) => s.name);
      // Exactly one image's stages: one hash, two metadata writes, one notify.
      expect({ id: ingest.annotations?.imageId, hash: names.filter((n) => n === subsegmentName('hash')).length, metadata: names.filter((n) => n === subsegmentName('metadata')).length, notify: names.filter((n) => n === subsegmentName('notify')).length }).toEqual({
        id: ingest.annotations?.imageId,
        hash: 1,
        metadata: 2,
        notify: 1,
      });
    }
  });

  it('records a dependency failure as an error on the stage and outcome "error" on the image', async () => {
    const telemetry = createTelemetry({ serviceName: 'unit', logLevel: 'SILENT', tracing: true });
    const notifier = new InMemoryNotifier();
    notifier.publish = () => Promise.reject(new Error('SNS is down'));
    const pipeline = new ImagePipeline({ config, blobs: new InMemoryBlobStore(), metadata: new InMemoryMetadataStore(), notifier, telemetry });
    const req = request();

    const { documents, failure } = await underRoot(() => pipeline.ingest(req));

    expect((failure as Error).message).toBe('SNS is down');
    const ingest = documents[0]!.subsegments![0]!;
    expect(ingest.annotations).toMatchObject({ imageId: req.imageId, outcome: 'error' });
    const notify = (ingest.subsegments ?? []).find((s) => s.name === subsegmentName('notify'));
    expect(notify?.cause?.exceptions?.[0]?.message).toBe('SNS is down');
  });

  it('wraps a handler in ## handler annotated ColdStart and Service, and records its error', async () => {
    const telemetry = createTelemetry({ serviceName: 'unit-handler', logLevel: 'SILENT', tracing: true });
    // Lambda's context is passed on with the event (the MSK handler reads its remaining time).
    const handler = telemetry.traceHandler(async (event: { fail: boolean }, context?: { getRemainingTimeInMillis(): number }) => {
      if (event.fail) throw new Error('handler failed');
      return `ok with ${context?.getRemainingTimeInMillis()} ms left`;
    });

    const { documents, failure } = await underRoot(async () => {
      expect(await handler({ fail: false }, { getRemainingTimeInMillis: () => 1234 })).toBe('ok with 1234 ms left');
      await handler({ fail: true });
    });

    expect((failure as Error).message).toBe('handler failed');
    const handlers = documents[0]!.subsegments ?? [];
    expect(handlers.map((s) => [s.name, s.annotations])).toEqual([
      [subsegmentName('handler'), { ColdStart: true, Service: 'unit-handler' }],
      [subsegmentName('handler'), { ColdStart: false, Service: 'unit-handler' }],
    ]);
    expect(handlers[1]?.cause?.exceptions?.[0]?.message).toBe('handler failed');
  });

  it('captures AWS SDK v3 calls as subsegments under the current one, failed calls included', async () => {
    const telemetry = createTelemetry({ serviceName: 'unit', logLevel: 'SILENT', tracing: true });
    // Nothing listens on port 1: the call fails fast, and the subsegment records the fault.
    const clients = createAwsClients(config, { maxAttempts: 1, connectionTimeoutMs: 1000, instrument: (client) => telemetry.captureAwsClient(client) });
    try {
      const { documents, failure } = await underRoot(() => telemetry.time('storeRaw', () => clients.s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' }))));

      expect(failure).toBeDefined();
      const stage = documents[0]!.subsegments![0]!;
      expect(stage.name).toBe(subsegmentName('storeRaw'));
      expect(stage.subsegments?.map((s) => [s.name, s.namespace, s.aws?.operation])).toEqual([['S3', 'aws', 'HeadObject']]);
    } finally {
      destroyAwsClients(clients);
    }
  });
});

describe('tracing off', () => {
  it('makes no segment, subsegment or client middleware: the same ingest leaves the root segment empty', async () => {
    const telemetry = createTelemetry({ serviceName: 'unit', logLevel: 'SILENT', tracing: false });
    const pipeline = pipelineWith(telemetry);
    const clients = createAwsClients(config, { instrument: (client) => telemetry.captureAwsClient(client) });

    const { documents, failure } = await underRoot(() => pipeline.ingest(request()));

    expect(failure).toBeUndefined();
    expect(telemetry.tracing).toBe(false);
    expect(addSubsegmentSpy).not.toHaveBeenCalled();
    expect(documents).toHaveLength(1);
    expect(documents[0]!.subsegments).toBeUndefined();
    expect(clients.s3.middlewareStack.identify().some((name) => name.includes('XRay'))).toBe(false);
    destroyAwsClients(clients);
  });

  it('stays off outside Lambda even when configured on (no AWS_EXECUTION_ENV): nothing recorded, nothing thrown', async () => {
    delete process.env.AWS_EXECUTION_ENV;
    const telemetry = createTelemetry({ serviceName: 'unit', logLevel: 'SILENT', tracing: true });
    const pipeline = pipelineWith(telemetry);

    const { documents, failure } = await underRoot(() => pipeline.ingest(request()));

    expect(failure).toBeUndefined();
    expect(telemetry.tracing).toBe(false);
    expect(addSubsegmentSpy).not.toHaveBeenCalled();
    expect(documents[0]!.subsegments).toBeUndefined();
  });

  it('in Lambda with no segment in context (no daemon, no trace header) the ingest still succeeds', async () => {
    const telemetry = createTelemetry({ serviceName: 'unit', logLevel: 'SILENT', tracing: true });
    const pipeline = pipelineWith(telemetry);
    const req = request();

    const { record } = await pipeline.ingest(req);

    expect(record.status).toBe('PROCESSED');
    expect(await daemon.take()).toEqual([]);
  });
});
