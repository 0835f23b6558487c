import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Fields attached to a log line; never payload bytes. */
export type LogFields = Record<string, unknown>;

/** Structured logging with context fields carried on every line. */
export interface ContextLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Logs and metrics for the pipeline: the one place that knows about Powertools. */
export interface Telemetry extends ContextLogger {
  /** A logger whose every line carries `fields` (image id, event id, request id …). */
  child(fields: LogFields): ContextLogger;
  /** Runs `work` and records its wall time as the `<Stage>Ms` metric (e.g. `render` → `RenderMs`). */
  time<T>(stage: string, work: () => Promise<T>): Promise<T>;
  /** Counts an image as processed or failed, with its input bytes and total milliseconds. */
  recordOutcome(outcome: 'processed' | 'failed', bytes: number, totalMs: number): void;
  /** Adds `value` to the count metric `name` (e.g. the reconciler's `ReconcileRecovered`). */
  count(name: string, value: number): void;
  /** Writes the metrics collected so far (CloudWatch embedded metric format) and clears them. */
  flush(): void;
}

/** Options for {@link createTelemetry}. */
export interface TelemetryOptions {
  /** The function or process name on every line, e.g. `ingest-api`. */
  serviceName: string;
  /** @default 'INFO' */
  logLevel?: string;
  /** CloudWatch metrics namespace. @default 'ImagePipeline' */
  namespace?: string;
}

function wrap(logger: Logger): ContextLogger {
  return {
    debug: (message, fields) => logger.debug(message, fields ?? {}),
    info: (message, fields) => logger.info(message, fields ?? {}),
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
  };
}

/**
 * JSON logs (Powertools Logger) and embedded-metric-format metrics (Powertools Metrics) —
 * the same lines in Lambda and on a laptop.
 *
 * @example
 * const telemetry = createTelemetry({ serviceName: 'stream-consumer', logLevel: config.logLevel });
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const logger = new Logger({ serviceName: options.serviceName, logLevel: options.logLevel as 'INFO' | undefined });
  const metrics = new Metrics({ namespace: options.namespace ?? 'ImagePipeline', serviceName: options.serviceName });
  return {
    ...wrap(logger),
    child: (fields) => wrap(logger.createChild({ persistentKeys: fields as Record<string, string> })),
    async time(stage, work) {
      const started = performance.now();
      try {
        return await work();
      } finally {
        metrics.addMetric(`${stage.charAt(0).toUpperCase()}${stage.slice(1)}Ms`, MetricUnit.Milliseconds, performance.now() - started);
      }
    },
    recordOutcome(outcome, bytes, totalMs) {
      metrics.addMetric(outcome === 'processed' ? 'ImagesProcessed' : 'ImagesFailed', MetricUnit.Count, 1);
      metrics.addMetric('InputBytes', MetricUnit.Bytes, bytes);
      metrics.addMetric('ProcessingMs', MetricUnit.Milliseconds, totalMs);
    },
    count(name, value) {
      metrics.addMetric(name, MetricUnit.Count, value);
    },
    flush() {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
