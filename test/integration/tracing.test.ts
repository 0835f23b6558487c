/**
 * Tracing on the real local stack (moto for S3, DynamoDB and SNS), where no X-Ray daemon runs
 * (docs/tracing.md):
 * - configured on but outside Lambda, Powertools stays off and the pipeline works as before;
 * - in a simulated Lambda (the variables Lambda sets, a root segment standing in for its facade
 *   segment), one image is followed from `## ingest` through its stages into the S3, DynamoDB and
 *   SNS calls the real SDK clients made. The X-Ray SDK's own UDP emitter sends to a daemon
 *   stand-in on 127.0.0.1 (test/helpers/xray-daemon.ts) that parses what arrives; the AWS SDK
 *   clients and the servers are real.
 */
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import AWSXRay from 'aws-xray-sdk-core';
import { destroyAwsClients, loadConfig, subsegmentName } from '../../core';
import { createPipelineRuntime, type IngestRequest } from '../../core/runtime';
import { makeJpeg } from '../helpers/images';
import { startXRayDaemonStandIn, type SegmentDocument, type XRayDaemonStandIn } from '../helpers/xray-daemon';

jest.setTimeout(60_000);

const LAMBDA_ENV = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' } as const;
const savedEnv = Object.fromEntries(Object.keys(LAMBDA_ENV).map((name) => [name, process.env[name]]));
let daemon: XRayDaemonStandIn;

beforeAll(async () => {
  daemon = await startXRayDaemonStandIn();
});

afterAll(() => daemon.close());

beforeEach(async () => {
  AWSXRay.setDaemonAddress(daemon.address);
  await daemon.take();
});

afterEach(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const tracedConfig = () => loadConfig({ ...process.env, LOG_LEVEL: 'ERROR', POWERTOOLS_TRACE_ENABLED: 'true' });

async function request(): Promise<IngestRequest> {
  const imageId = randomUUID();
  return { imageId, source: 'kafka', customerId: `c-tracing-${randomUUID().slice(0, 8)}`, idempotencyKey: imageId, bytes: await makeJpeg({ width: 160, height: 120 }, 11) };
}

/** `[stage, service, operation]` for every SDK call under each stage subsegment of `ingest`. */
function sdkCallsByStage(ingest: SegmentDocument): string[][] {
  return (ingest.subsegments ?? []).flatMap((stage) => (stage.subsegments ?? []).map((call) => [stage.name, `${call.namespace}:${call.name}`, call.aws?.operation ?? '']));
}

test('configured on outside Lambda: Powertools stays off, the image is processed and nothing is emitted', async () => {
  const runtime = createPipelineRuntime(tracedConfig(), 'tracing-local');
  try {
    expect(runtime.config.tracing.enabled).toBe(true);
    expect(runtime.telemetry.tracing).toBe(false);

    const { record } = await runtime.pipeline.ingest(await request());

    expect(record.status).toBe('PROCESSED');
    expect(await daemon.take()).toEqual([]);
  } finally {
    destroyAwsClients(runtime.clients);
  }
});

test('in Lambda: one image is followed from ## ingest through its stages into the real S3, DynamoDB and SNS calls', async () => {
  Object.assign(process.env, LAMBDA_ENV);
  const runtime = createPipelineRuntime(tracedConfig(), 'tracing-lambda');
  const req = await request();
  const root = new AWSXRay.Segment('tracing-lambda');
  try {
    expect(runtime.telemetry.tracing).toBe(true);
    let status: string | undefined;
    await AWSXRay.getNamespace().runPromise(async () => {
      AWSXRay.setSegment(root);
      status = (await runtime.pipeline.ingest(req)).record.status;
    });
    root.close();

    expect(status).toBe('PROCESSED');
    const emitted = await daemon.take();
    expect(emitted.map((d) => d.name)).toEqual(['tracing-lambda']);
    expect(daemon.malformed).toEqual([]);
    const ingests = emitted[0]!.subsegments ?? [];
    expect(ingests.map((s) => s.name)).toEqual([subsegmentName('ingest')]);
    const ingest = ingests[0]!;
    expect(ingest.annotations).toEqual({ imageId: req.imageId, customerId: req.customerId, source: 'kafka', outcome: 'processed' });
    const calls = sdkCallsByStage(ingest);
    expect(calls).toEqual(
      expect.arrayContaining([
        [subsegmentName('metadata'), 'aws:DynamoDB', 'PutItem'],
        [subsegmentName('storeRaw'), 'aws:S3', 'PutObject'],
        [subsegmentName('storeVariants'), 'aws:S3', 'PutObject'],
        [subsegmentName('metadata'), 'aws:DynamoDB', 'UpdateItem'],
        [subsegmentName('notify'), 'aws:SNS', 'Publish'],
      ]),
    );
    const storedVariants = calls.filter(([stage, service]) => stage === subsegmentName('storeVariants') && service === 'aws:S3');
    expect(storedVariants).toHaveLength(runtime.config.variants.length);
  } finally {
    destroyAwsClients(runtime.clients);
  }
});

test('in Lambda with no daemon listening, the real UDP emitter drops the segment without throwing', async () => {
  // A port that was free a moment ago: nothing listens there.
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', () => resolve()));
  const silent = `127.0.0.1:${probe.address().port}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  AWSXRay.setDaemonAddress(silent);
  Object.assign(process.env, LAMBDA_ENV);
  const runtime = createPipelineRuntime(tracedConfig(), 'tracing-no-daemon');
  const root = new AWSXRay.Segment('tracing-no-daemon');
  try {
    let status: string | undefined;
    await AWSXRay.getNamespace().runPromise(async () => {
      AWSXRay.setSegment(root);
      status = (await runtime.pipeline.ingest(await request())).record.status;
    });

    expect(status).toBe('PROCESSED');
    expect(() => root.close()).not.toThrow();
    expect(root.isClosed()).toBe(true);
  } finally {
    destroyAwsClients(runtime.clients);
  }
});
