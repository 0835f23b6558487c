/**
 * The stream path's use case: a batch of Kafka records in, one outcome per record out.
 * Decode → resolve the image (inline, allowed S3 object, safe HTTPS fetch) → the shared
 * pipeline. Poison goes to the dead-letter topic; dependency failures are handed back for
 * redelivery; a bad image is a FAILED record, which is a normal outcome.
 */
import type { PipelineRuntime } from '../core/runtime';
import { ERROR_CODES, IdempotencyKeyReusedError, PipelineError, SchemaDecodeError, isRetriable } from '../core/errors';
import type { IngestRequest } from '../core/pipeline';
import { boundedEvent, ImageEventDecoder, type ImageEvent } from '../schemas';
import { ingestFromSource } from '../core/sources';
import type { RecordOutcome, RecordResult } from './batch-failures';
import type { DeadLetterSink } from './dead-letter';
import { topicPartitionKey, type DeliveredRecord } from './msk-event';
import { DEAD_LETTER_REASONS, type DeadLetterReason } from '../core/constants';

/** Dead-letter reason and code for an error we did not expect: a bug, never retried. */
export const UNEXPECTED_ERROR = { reason: DEAD_LETTER_REASONS.processingError, code: 'INTERNAL_ERROR' } as const;

/** Dead-letter reasons for events refused at the edge, before anything is stored. */
export const EDGE_REASONS = { outOfBounds: DEAD_LETTER_REASONS.outOfBounds, tooLarge: DEAD_LETTER_REASONS.messageTooLarge } as const;

/** What {@link StreamBatchProcessor} needs. */
export interface StreamBatchProcessorDependencies {
  /** `sources` resolves every image (inline, S3 claim check, URL) under the core's one set of rules. */
  runtime: Pick<PipelineRuntime, 'config' | 'pipeline' | 'sources' | 'telemetry'>;
  deadLetters: DeadLetterSink;
  /**
   * Decodes record values in every framing (and the event source mapping's JSON records); give
   * one with registry clients, or a codec holding further writer versions, to accept them.
   * @default new ImageEventDecoder()
   */
  decoder?: ImageEventDecoder;
}

/**
 * Processes batches of delivered Kafka records with bounded concurrency
 * (`config.stream.recordConcurrency`), so one slow download does not hold up the rest.
 *
 * @example
 * const processor = new StreamBatchProcessor({ runtime, deadLetters });
 * const results = await processor.process(parseMskEvent(event));
 * return batchItemFailures(results);
 */
export class StreamBatchProcessor {
  private readonly decoder: ImageEventDecoder;

  constructor(private readonly deps: StreamBatchProcessorDependencies) {
    this.decoder = deps.decoder ?? new ImageEventDecoder();
  }

  /**
   * One result per record, in the order given. Once a record of a partition needs
   * redelivery, later records of that partition are not started (they will be delivered
   * again anyway); ones already running finish, which is safe because ingestion is idempotent.
   *
   * `options.mayStart` is asked before each record but the first: once it answers false, no
   * further record starts and those left are `skipped` (delivered again). The Lambda handler
   * uses it to stop starting records its invocation may not have time to finish. The first
   * record always starts, so every invocation makes progress.
   */
  async process(records: readonly DeliveredRecord[], options: { mayStart?: () => boolean } = {}): Promise<RecordResult[]> {
    const results: RecordResult[] = records.map((r) => ({ position: { topic: r.topic, partition: r.partition, offset: r.offset }, outcome: { kind: 'skipped' } }));
    const firstRetry = new Map<string, number>();
    let next = 0;
    let stopped = false;
    const worker = async (): Promise<void> => {
      while (next < records.length && !stopped) {
        if (next > 0 && options.mayStart !== undefined && !options.mayStart()) {
          stopped = true;
          return;
        }
        const index = next++;
        const record = records[index] as DeliveredRecord;
        const key = topicPartitionKey(record.topic, record.partition);
        const blockedAt = firstRetry.get(key);
        if (blockedAt !== undefined && blockedAt < record.offset) continue;
        const outcome = await this.processRecord(record);
        (results[index] as RecordResult).outcome = outcome;
        if (outcome.kind === 'retry') {
          const current = firstRetry.get(key);
          if (current === undefined || record.offset < current) firstRetry.set(key, record.offset);
        }
      }
    };
    const workers = Math.max(1, Math.min(this.deps.runtime.config.stream.recordConcurrency, records.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return results;
  }

  /** One record's outcome; never throws. */
  async processRecord(record: DeliveredRecord): Promise<RecordOutcome> {
    const where = { topic: record.topic, partition: record.partition, offset: String(record.offset) };
    const log = this.deps.runtime.telemetry.child(where);
    /** Set once the event passed decoding and its bounds: from then on giving up must leave its image final. */
    let decoded: ImageEvent | undefined;
    try {
      if (record.value === null) {
        return await this.deadLetter(record, DEAD_LETTER_REASONS.emptyValue, ERROR_CODES.schemaDecode, 'the record has no value');
      }
      const { maxMessageBytes } = this.deps.runtime.config.kafka;
      if (record.value.length > maxMessageBytes) {
        return await this.deadLetter(record, EDGE_REASONS.tooLarge, ERROR_CODES.invalidParameter, `the record value is ${record.value.length} bytes; the limit is ${maxMessageBytes}`);
      }
      let event: ImageEvent;
      try {
        const decodedEvent = record.valueSchemaMetadata === undefined ? await this.decoder.decode(record.value) : await this.decoder.decodeJson(record.value, record.valueSchemaMetadata);
        // The bounds, and a URL image's url made canonical by the one rule REST uses too.
        event = boundedEvent(decodedEvent);
      } catch (error) {
        if (error instanceof SchemaDecodeError) return await this.deadLetter(record, error.reason, error.code, error.message);
        // Over a bound, or a URL that is not one unambiguous URL: refused before anything is stored.
        if (error instanceof PipelineError && (error.code === ERROR_CODES.invalidParameter || error.code === ERROR_CODES.invalidUrl)) return await this.deadLetter(record, EDGE_REASONS.outOfBounds, error.code, error.message);
        throw error;
      }
      decoded = event;
      return await this.ingest(record, event);
    } catch (error) {
      if (error instanceof PipelineError && error.retriable) {
        log.warn('record will be delivered again', { errorCode: error.code, error: error.message });
        return { kind: 'retry', error };
      }
      try {
        if (error instanceof IdempotencyKeyReusedError) return await this.deadLetter(record, DEAD_LETTER_REASONS.idempotencyConflict, error.code, error.message);
        if (!(error instanceof PipelineError)) log.error('unexpected error while processing a record', { error: (error as Error)?.stack ?? String(error) });
        // Giving up on this image: it ends FAILED with the reason and is announced, then the letter keeps the event for a replay.
        if (decoded !== undefined) await this.recordGivenUp(record, decoded, error);
        if (error instanceof PipelineError) return await this.deadLetter(record, DEAD_LETTER_REASONS.rejected, error.code, error.message);
        // A bug: retrying cannot help and would block the partition.
        return await this.deadLetter(record, UNEXPECTED_ERROR.reason, UNEXPECTED_ERROR.code, (error as Error)?.message ?? String(error));
      } catch (deadLetterError) {
        log.warn('dead-lettering failed; record will be delivered again', { error: (deadLetterError as Error).message });
        return { kind: 'retry', error: deadLetterError as Error };
      }
    }
  }

  private async deadLetter(record: DeliveredRecord, reason: DeadLetterReason, code: string, message: string): Promise<RecordOutcome> {
    await this.deps.deadLetters.send({ record, reason, code, message });
    this.deps.runtime.telemetry.warn('record dead-lettered', { topic: record.topic, partition: record.partition, offset: record.offset, reason, errorCode: code });
    return { kind: 'dead-lettered', reason, code };
  }

  /** Leaves the event's image FAILED (created or moved from RECEIVED) and notified, with the reason. */
  private async recordGivenUp(record: DeliveredRecord, event: ImageEvent, error: unknown): Promise<void> {
    const reason =
      error instanceof PipelineError ? error : new PipelineError(ERROR_CODES.internal, 'an internal error stopped processing this image', { cause: error });
    try {
      await this.deps.runtime.pipeline.recordUnavailable(this.requestFor(record, event), reason);
    } catch (recordError) {
      // A dependency that is down: deliver again. One that refuses the FAILED record too (the
      // same permanent error): the dead letter is then the only trace, and the partition moves on.
      if (isRetriable(recordError)) throw recordError;
      this.deps.runtime.telemetry.warn('could not record the image as FAILED', { eventId: event.eventId, error: (recordError as Error)?.message ?? String(recordError) });
    }
  }

  private requestFor(record: DeliveredRecord, event: ImageEvent): Omit<IngestRequest, 'bytes'> {
    return {
      imageId: event.eventId,
      source: 'kafka',
      customerId: event.customerId,
      idempotencyKey: event.eventId,
      fileName: event.fileName,
      attributes: event.attributes,
      // Canonical (boundedEvent): the string fetched, recorded and announced.
      ...(event.image.kind === 'url' ? { sourceUrl: event.image.url } : {}),
      correlation: { eventId: event.eventId, topic: record.topic, partition: record.partition, offset: String(record.offset) },
    };
  }

  /**
   * Resolves the event's image (inline, allowed S3 object, safe HTTPS fetch) and ingests it,
   * through the core's one resolver: a source that is forbidden, missing, too large or failing
   * becomes a FAILED record with nothing kept; a dependency failure throws.
   */
  private async ingest(record: DeliveredRecord, event: ImageEvent): Promise<RecordOutcome> {
    const result = await ingestFromSource(this.deps.runtime, this.requestFor(record, event), event.image, { eventId: event.eventId });
    return { kind: 'ingested', imageId: result.record.imageId, status: result.record.status, duplicate: result.duplicate };
  }
}
