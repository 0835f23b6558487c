/**
 * Tracing on the real local stack (moto for S3, DynamoDB and SNS), where no X-Ray daemon runs
 * (docs/tracing.md):
 * - configured on but outside Lambda, Powertools stays off and the pipeline works as before;
 * - in a simulated Lambda (the variables Lambda sets, a root segment standing in for its facade
 *   segment), one image is followed from `## ingest` through its stages into the S3, DynamoDB and
 *   SNS calls the real SDK clients made. The X-Ray segment emitter is replaced by an in-memory
 *   capture; the AWS SDK clients and the servers are real.
 */
import { randomUUID } from 'node:crypto';
import AWSXRay from 'aws-xray-sdk-core';
// The SDK's UDP emitter (not re-exported by the package's index): every segment leaves through its `send`.
import SegmentEmitter = require('aws-xray-sdk-core/dist/lib/segment_emitter');
import { destroyAwsClients, loadConfig, subsegmentName } from '../../core';
import { createPipelineRuntime, type IngestRequest } from '../../core/runtime';
import { makeJpeg } from '../helpers/images';

jest.setTimeout(60_000);

interface SegmentDocument {
  name: string;
  annotations?: Record<string, string | number | boolean>;
  subsegments?: SegmentDocument[];
  namespace?: string;
  fault?: boolean;
  aws?: { operation?: string };
}

const LAMBDA_ENV = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' } as const;
const savedEnv = Object.fromEntries(Object.keys(LAMBDA_ENV).map((name) => [name, process.env[name]]));
let emitted: SegmentDocument[] = [];
let sendSpy: jest.SpyInstance;

beforeEach(() => {
  emitted = [];
  sendSpy = jest.spyOn(SegmentEmitter, 'send').mockImplementation((segment) => void emitted.push(JSON.parse(segment.format()) as SegmentDocument));
});

afterEach(() => {
  sendSpy.mockRestore();
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
    expect(emitted).toEqual([]);
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
    expect(emitted).toHaveLength(1);
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
  sendSpy.mockRestore();
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
