/**
 * Partial batch failure accounting for Kafka. A partition is a log: an offset committed means
 * "everything before it is done". So a partition's resume point is its first record that must
 * be delivered again, and everything after it in that partition is delivered again too.
 */
import type { MSKEvent } from 'aws-lambda';
import type { ImageStatus } from '../core/ports';
import { topicPartitionKey, type KafkaItemIdentifier, type MskBatchResponse } from './msk-event';

/** What became of one record. */
export type RecordOutcome =
  /** The pipeline finished it (PROCESSED or FAILED record, notified); `duplicate` when it was already final. */
  | { kind: 'ingested'; imageId: string; status: ImageStatus; duplicate: boolean }
  /** Poison: written to the dead-letter topic and skipped. */
  | { kind: 'dead-lettered'; reason: string; code: string }
  /** A dependency failed: deliver it (and what follows it in its partition) again. */
  | { kind: 'retry'; error: Error }
  /** Not attempted because an earlier record of its partition must be retried. */
  | { kind: 'skipped' };

/** Kafka coordinates of a record. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: number;
}

/** One record's position and outcome. */
export interface RecordResult {
  position: RecordPosition;
  outcome: RecordOutcome;
}

/** True when the outcome means "deliver this record again". */
export function needsRedelivery(outcome: RecordOutcome): boolean {
  return outcome.kind === 'retry' || outcome.kind === 'skipped';
}

/**
 * The response that makes Lambda resume each partition at its first record needing
 * redelivery: one identifier per such partition, none for partitions that completed.
 *
 * @example
 * return batchItemFailures(results); // { batchItemFailures: [{ itemIdentifier: { partition: 'images-0', offset: 42 } }] }
 */
export function batchItemFailures(results: readonly RecordResult[]): MskBatchResponse {
  const firstFailure = new Map<string, number>();
  for (const { position, outcome } of results) {
    if (!needsRedelivery(outcome)) continue;
    const key = topicPartitionKey(position.topic, position.partition);
    const current = firstFailure.get(key);
    if (current === undefined || position.offset < current) firstFailure.set(key, position.offset);
  }
  return {
    batchItemFailures: [...firstFailure.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([partition, offset]) => ({ itemIdentifier: { partition, offset } })),
  };
}

/**
 * How an event source reads a handler's answer, as Lambda does: per topic-partition key, the
 * offset to resume from. `invalid` — the whole batch failed — when the answer names a
 * partition or offset that was not in the event or is malformed.
 */
export function resumeOffsets(event: MSKEvent, response: unknown): Map<string, number> | 'invalid' {
  const resume = new Map<string, number>();
  if (response === undefined || response === null) return resume;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return resume;
  if (!Array.isArray(failures)) return 'invalid';
  for (const failure of failures as { itemIdentifier?: Partial<KafkaItemIdentifier> | null }[]) {
    const id = failure?.itemIdentifier;
    if (id === undefined || id === null || typeof id.partition !== 'string' || typeof id.offset !== 'number') return 'invalid';
    const delivered = event.records[id.partition];
    if (delivered === undefined || !delivered.some((r) => r.offset === id.offset)) return 'invalid';
    const current = resume.get(id.partition);
    if (current === undefined || id.offset < current) resume.set(id.partition, id.offset);
  }
  return resume;
}
