import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ERROR_CODES, PipelineError, isRetriable, type UrlImportJob } from '../core';
import type { IngestRequest, PipelineRuntime } from '../core/runtime';
import { ingestFromSource, type SourceIngestDependencies } from '../core/sources';

/** What {@link UrlImportWorker} needs of the runtime. */
export type UrlImportWorkerDependencies = SourceIngestDependencies & Pick<PipelineRuntime, 'telemetry'>;

/** A message body that is not a {@link UrlImportJob}: kept by the queue (DLQ), never processed. */
class MalformedJobError extends Error {
  constructor(reason: string) {
    super(`not a URL import job: ${reason}`);
    this.name = 'MalformedJobError';
  }
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new MalformedJobError(`${name} is not a string`);
  return value;
}

/**
 * Reads an SQS message body written by `SqsImportQueue`. Bounds of the fields are the pipeline's
 * to check (the same as on every path).
 * @throws MalformedJobError when the body is not a JSON job with string `imageId`, `customerId` and `url`.
 */
export function readUrlImportJob(body: string): UrlImportJob {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new MalformedJobError('the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedJobError('the body is not a JSON object');
  const job = parsed as Record<string, unknown>;
  const imageId = optionalString(job.imageId, 'imageId');
  const customerId = optionalString(job.customerId, 'customerId');
  const url = optionalString(job.url, 'url');
  if (imageId === undefined || customerId === undefined || url === undefined) throw new MalformedJobError('imageId, customerId and url are required');
  const attributes = job.attributes;
  if (attributes !== undefined && (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes) || Object.values(attributes).some((v) => typeof v !== 'string'))) {
    throw new MalformedJobError('attributes is not an object of strings');
  }
  return {
    imageId,
    customerId,
    url,
    fileName: optionalString(job.fileName, 'fileName'),
    attributes: attributes as Record<string, string> | undefined,
    idempotencyKey: optionalString(job.idempotencyKey, 'idempotencyKey'),
    requestId: optionalString(job.requestId, 'requestId'),
  };
}

/**
 * The import worker: for each SQS message (one URL import the API accepted), downloads the URL
 * through the core's source resolver — the SSRF-safe fetcher, which itself makes up to 3
 * attempts with backoff on transient failures — and runs the pipeline on the record the API made
 * RECEIVED, so it ends PROCESSED or FAILED with the reason and is announced once, as on every
 * other path (`ingestFromSource`, the same as Kafka URL events).
 *
 * Only retriable dependency failures (S3, DynamoDB, SNS) are reported as batch item failures:
 * SQS makes the message visible again after the visibility timeout, and after the queue's
 * `maxReceiveCount` moves it to the dead-letter queue (the reconciler then fails the record as
 * abandoned). A source that cannot give an image (refused, failing, too large) is not retried
 * here: the fetcher already retried what may pass. Any other permanent error ends the record
 * FAILED with the reason. A malformed message is reported as failed, so it ends in the DLQ for
 * inspection.
 *
 * @example
 * const worker = new UrlImportWorker(createPipelineRuntime(loadConfig(), 'import-worker'));
 * export const handler = (event: SQSEvent) => worker.handle(event);
 */
export class UrlImportWorker {
  constructor(private readonly deps: UrlImportWorkerDependencies) {}

  /** Processes one SQS batch; the answer lists the messages to retry (`ReportBatchItemFailures`). Never throws. */
  async handle(event: SQSEvent): Promise<SQSBatchResponse> {
    const { telemetry } = this.deps;
    try {
      // Records are independent images: processed side by side (the event source mapping's batch size bounds how many).
      const outcomes = await Promise.all((event.Records ?? []).map(async (record) => ((await this.processRecord(record)) ? undefined : record.messageId)));
      return { batchItemFailures: outcomes.filter((id): id is string => id !== undefined).map((itemIdentifier) => ({ itemIdentifier })) };
    } finally {
      telemetry.flush();
    }
  }

  /** True when the message is done with (processed, or given up on with a FAILED record). */
  private async processRecord(message: SQSRecord): Promise<boolean> {
    const { telemetry } = this.deps;
    let job: UrlImportJob;
    try {
      job = readUrlImportJob(message.body);
    } catch (error) {
      telemetry.error('dropping a malformed URL import message to the dead-letter queue', { messageId: message.messageId, error: (error as Error).message });
      return false;
    }
    const request: Omit<IngestRequest, 'bytes'> = {
      imageId: job.imageId,
      source: 'api',
      customerId: job.customerId,
      fileName: job.fileName,
      attributes: job.attributes,
      idempotencyKey: job.idempotencyKey,
      sourceUrl: job.url,
      correlation: { messageId: message.messageId, receiveCount: Number(message.attributes?.ApproximateReceiveCount ?? 1), ...(job.requestId === undefined ? {} : { requestId: job.requestId }) },
    };
    const log = telemetry.child({ imageId: job.imageId, messageId: message.messageId });
    try {
      const { record } = await ingestFromSource(this.deps, request, { kind: 'url', url: job.url }, { imageId: job.imageId });
      log.info('URL import finished', { status: record.status, errorCode: record.error?.code });
      return true;
    } catch (error) {
      if (isRetriable(error)) {
        log.warn('URL import will be retried', { error: (error as Error).message });
        return false;
      }
      return this.giveUp(request, error, log);
    }
  }

  /** A permanent failure that is not the source's: FAILED with the reason and announced; retried only if that write fails transiently. */
  private async giveUp(request: Omit<IngestRequest, 'bytes'>, error: unknown, log: ReturnType<UrlImportWorkerDependencies['telemetry']['child']>): Promise<boolean> {
    const reason = error instanceof PipelineError ? error : new PipelineError(ERROR_CODES.internal, 'an internal error stopped this URL import', { cause: error });
    log.warn('giving up on a URL import', { errorCode: reason.code, error: reason.message });
    try {
      await this.deps.pipeline.recordUnavailable(request, reason);
      return true;
    } catch (recordError) {
      if (isRetriable(recordError)) return false;
      log.error('could not record the URL import as FAILED', { error: (recordError as Error)?.message ?? String(recordError) });
      return true;
    }
  }
}
