import { createTelemetry } from '../../../core/observability';

/** Captures what the telemetry writes to stdout during `work`, as parsed JSON lines. */
async function captureStdout(work: () => Promise<void> | void): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((l) => l.trim().startsWith('{')));
    return true;
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('telemetry', () => {
  // The test environment turns Powertools metrics off to keep test output readable; these tests are about them.
  beforeAll(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  });

  it('writes one JSON line per log call carrying the context fields of the child logger', async () => {
    const telemetry = createTelemetry({ serviceName: 'test-service', logLevel: 'INFO' });
    const lines = await captureStdout(() => {
      const log = telemetry.child({ imageId: 'img-1', eventId: 'evt-1', requestId: 'req-1' });
      log.info('image finished', { status: 'PROCESSED' });
      log.debug('not written at INFO');
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'INFO', message: 'image finished', service: 'test-service', imageId: 'img-1', eventId: 'evt-1', requestId: 'req-1', status: 'PROCESSED' });
  });

  it('flushes stage timings and outcomes as CloudWatch embedded-metric-format JSON', async () => {
    const telemetry = createTelemetry({ serviceName: 'test-service', logLevel: 'ERROR' });
    const lines = await captureStdout(async () => {
      await telemetry.time('render', async () => undefined);
      telemetry.recordOutcome('processed', 1234, 56);
      telemetry.recordOutcome('failed', 10, 5);
      telemetry.flush();
    });
    const emf = lines.find((l) => l._aws !== undefined) as { _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string; Unit: string }[] }[] } } & Record<string, unknown>;
    expect(emf).toBeDefined();
    const directive = emf._aws.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe('ImagePipeline');
    expect(directive?.Metrics.map((m) => m.Name).sort()).toEqual(['ImagesFailed', 'ImagesProcessed', 'InputBytes', 'ProcessingMs', 'RenderMs']);
    expect(emf.ImagesProcessed).toBe(1);
    expect(emf.InputBytes).toEqual([1234, 10]);
  });

  it('with metrics off, records and writes no metric, and logs as before', async () => {
    const telemetry = createTelemetry({ serviceName: 'test-service', logLevel: 'INFO', metrics: false });
    const lines = await captureStdout(async () => {
      await telemetry.time('render', async () => undefined);
      telemetry.recordOutcome('processed', 1234, 56);
      // Past Powertools' 100-metric buffer, which would publish by itself if the metrics were added.
      for (let i = 0; i < 150; i += 1) telemetry.count('ReconcileRecovered', 1);
      telemetry.info('reconciliation finished');
      telemetry.flush();
    });
    expect(lines.map((l) => [l._aws !== undefined, l.message])).toEqual([[false, 'reconciliation finished']]);
  });

  it('writes nothing on flush when no metric was recorded', async () => {
    const telemetry = createTelemetry({ serviceName: 'test-service', logLevel: 'ERROR' });
    expect(await captureStdout(() => telemetry.flush())).toEqual([]);
  });
});
