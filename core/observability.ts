import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** Fields attached to a log line; never payload bytes. */
export type LogFields = Record<string, unknown>;

/** Structured logging with context fields carried on every line. */
export interface ContextLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * X-Ray annotations: indexed key/value pairs a trace can be searched by
 * (`annotation.imageId = "…"`). X-Ray allows 50 per trace; keys are letters, digits and `_`.
 * Source: https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-annotations
 */
export type TraceAnnotations = Readonly<Record<string, string | number | boolean | undefined>>;

/** Logs, metrics and traces for the pipeline: the one place that knows about Powertools. */
export interface Telemetry extends ContextLogger {
  /** A logger whose every line carries `fields` (image id, event id, request id …). */
  child(fields: LogFields): ContextLogger;
  /**
   * Runs `work` and records its wall time as the `<Stage>Ms` metric (e.g. `render` → `RenderMs`);
   * with tracing on, `work` also runs in an X-Ray subsegment `## <stage>` (an error is recorded on it).
   */
  time<T>(stage: string, work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` in an X-Ray subsegment `## <name>` annotated with `annotations`, then with
   * `outcome(result)` (or `outcome: 'error'` and the error when `work` throws). Stage
   * subsegments ({@link Telemetry.time}) and SDK calls made inside nest under it. Runs `work`
   * alone when tracing is off.
   */
  trace<T>(name: string, annotations: TraceAnnotations, work: () => Promise<T>, outcome?: (result: T) => TraceAnnotations): Promise<T>;
  /**
   * Instruments an AWS SDK v3 client so each of its calls is an X-Ray subsegment (service,
   * operation, status, retries) under the current one; returns the same client. A no-op when
   * tracing is off.
   */
  captureAwsClient<C extends object>(client: C): C;
  /**
   * Wraps a Lambda handler as Powertools' `captureLambdaHandler` does: a `## handler` subsegment
   * per invocation annotated `ColdStart` and `Service`, the error recorded when it throws. The
   * response is not recorded (it can carry customer attributes). Every argument (the event and
   * Lambda's `context`) is passed on. Returns `handler` itself when tracing is off.
   */
  traceHandler<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R>;
  /** Whether X-Ray segments are being made (tracing configured on and running in Lambda). */
  readonly tracing: boolean;
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
  /**
   * X-Ray tracing through the Powertools Tracer (`config.tracing.enabled`,
   * `POWERTOOLS_TRACE_ENABLED`). Even when on, Powertools stays off outside a Lambda execution
   * environment (no `AWS_EXECUTION_ENV`), under SAM local and under the Amplify CLI, so a laptop
   * without an X-Ray daemon pays nothing. Off: no Tracer is built and nothing is recorded.
   * @default false
   */
  tracing?: boolean;
  /**
   * Whether metrics are recorded and written as EMF lines to stdout, where CloudWatch Logs picks
   * them up in Lambda. Off: every metric call does nothing (Powertools' own switch,
   * `POWERTOOLS_METRICS_DISABLED`, is process-wide; this one is per telemetry).
   * @default true
   */
  metrics?: boolean;
}

/** The X-Ray subsegment name of a pipeline stage or span: Powertools' `## ` prefix for handler-level work. */
export function subsegmentName(name: string): string {
  return `## ${name}`;
}

/**
 * Runs `work` in a subsegment of the current X-Ray (sub)segment, as Powertools' `captureMethod`
 * does: errors are added to it and it is closed in every case; a failure to close never fails the work.
 */
function captured<T>(tracer: Tracer, name: string, work: (annotate: (annotations: TraceAnnotations) => void) => Promise<T>): Promise<T> {
  return tracer.provider.captureAsyncFunc(subsegmentName(name), async (subsegment) => {
    const annotate = (annotations: TraceAnnotations): void => {
      for (const [key, value] of Object.entries(annotations)) if (value !== undefined) subsegment?.addAnnotation(key, value);
    };
    try {
      return await work(annotate);
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      try {
        subsegment?.close();
      } catch {
        // Serialising a closed subsegment must never fail the image; the trace loses this piece.
      }
    }
  }) as Promise<T>;
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
 * JSON logs (Powertools Logger), embedded-metric-format metrics (Powertools Metrics) — the same
 * lines in Lambda and on a laptop — and, when `tracing` is on in Lambda, X-Ray subsegments
 * (Powertools Tracer; docs/tracing.md).
 *
 * @example
 * const telemetry = createTelemetry({ serviceName: 'stream-consumer', logLevel: config.logLevel, tracing: config.tracing.enabled });
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const logger = new Logger({ serviceName: options.serviceName, logLevel: options.logLevel as 'INFO' | undefined });
  const metrics = new Metrics({ namespace: options.namespace ?? 'ImagePipeline', serviceName: options.serviceName });
  // HTTP(S) capture is off: SDK calls are captured per client (no duplicate subsegments), and a
  // trace header must not be sent to the customer-chosen hosts of URL imports.
  const built = options.tracing === true ? new Tracer({ serviceName: options.serviceName, enabled: true, captureHTTPsRequests: false }) : undefined;
  // Powertools decides at construction whether it is really on (in Lambda, not SAM local).
  const tracer = built?.isTracingEnabled() === true ? built : undefined;
  const addMetric = options.metrics === false ? () => undefined : (name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => metrics.addMetric(name, unit, value);
  const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      addMetric(`${stage.charAt(0).toUpperCase()}${stage.slice(1)}Ms`, MetricUnit.Milliseconds, performance.now() - started);
    }
  };
  return {
    ...wrap(logger),
    tracing: tracer !== undefined,
    child: (fields) => wrap(logger.createChild({ persistentKeys: fields as Record<string, string> })),
    time(stage, work) {
      return tracer === undefined ? timed(stage, work) : captured(tracer, stage, () => timed(stage, work));
    },
    trace(name, annotations, work, outcome) {
      if (tracer === undefined) return work();
      return captured(tracer, name, async (annotate) => {
        annotate(annotations);
        try {
          const result = await work();
          if (outcome !== undefined) annotate(outcome(result));
          return result;
        } catch (error) {
          annotate({ outcome: 'error' });
          throw error;
        }
      });
    },
    captureAwsClient(client) {
      return tracer === undefined ? client : tracer.captureAWSv3Client(client);
    },
    traceHandler(handler) {
      if (tracer === undefined) return handler;
      return (...args) =>
        captured(tracer, 'handler', () => {
          tracer.annotateColdStart();
          tracer.addServiceNameAnnotation();
          return handler(...args);
        });
    },
    recordOutcome(outcome, bytes, totalMs) {
      addMetric(outcome === 'processed' ? 'ImagesProcessed' : 'ImagesFailed', MetricUnit.Count, 1);
      addMetric('InputBytes', MetricUnit.Bytes, bytes);
      addMetric('ProcessingMs', MetricUnit.Milliseconds, totalMs);
    },
    count(name, value) {
      addMetric(name, MetricUnit.Count, value);
    },
    flush() {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
