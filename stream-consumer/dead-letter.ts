/**
 * The dead-letter topic: where poison records (not Avro, unknown schema, invalid fields, a
 * reused event id) go with the reason and their origin in headers, value unchanged.
 */
import type { Kafka, Message } from 'kafkajs';
import { SerialIdempotentProducer } from '../kafka/serial-producer';
import { DependencyError } from '../core/errors';
import type { DeliveredRecord } from './msk-event';
import type { DeadLetterReason } from '../core/constants';

/** Header names on every dead-lettered message. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-dlq-reason',
  errorCode: 'x-dlq-error-code',
  errorMessage: 'x-dlq-error-message',
  failedAt: 'x-dlq-failed-at',
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  originalTimestamp: 'x-original-timestamp',
} as const;

/** Why a record is dead-lettered. */
export interface DeadLetter {
  record: DeliveredRecord;
  /** Short machine-readable reason, one of `DEAD_LETTER_REASONS` (core/constants.ts). */
  reason: DeadLetterReason;
  /** An `ERROR_CODES` value, or `INTERNAL_ERROR` for an unexpected error. */
  code: string;
  /** Human-readable; never payload bytes. */
  message: string;
}

const MAX_MESSAGE_HEADER = 500;

/**
 * The Kafka message for a dead letter: the original key and value unchanged, the original
 * headers kept, and the `x-dlq-*` / `x-original-*` headers added.
 */
export function deadLetterMessage(letter: DeadLetter, now: Date): Message {
  const { record } = letter;
  const headers: Record<string, Buffer | string> = { ...record.headers };
  headers[DEAD_LETTER_HEADERS.reason] = letter.reason;
  headers[DEAD_LETTER_HEADERS.errorCode] = letter.code;
  headers[DEAD_LETTER_HEADERS.errorMessage] = letter.message.length > MAX_MESSAGE_HEADER ? `${letter.message.slice(0, MAX_MESSAGE_HEADER)}…` : letter.message;
  headers[DEAD_LETTER_HEADERS.failedAt] = now.toISOString();
  headers[DEAD_LETTER_HEADERS.originalTopic] = record.topic;
  headers[DEAD_LETTER_HEADERS.originalPartition] = String(record.partition);
  headers[DEAD_LETTER_HEADERS.originalOffset] = String(record.offset);
  headers[DEAD_LETTER_HEADERS.originalTimestamp] = String(record.timestamp);
  return { key: record.key, value: record.value, headers };
}

/** Where poison records go. */
export interface DeadLetterSink {
  /** @throws DependencyError when the letter could not be durably written; the record must then not be skipped. */
  send(letter: DeadLetter): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link KafkaDeadLetterSink}. */
export interface KafkaDeadLetterSinkOptions {
  topic: string;
  /** Builds the client on first use, so an invocation without poison never connects. */
  kafka: () => Promise<Kafka>;
  /** @default () => new Date() */
  clock?: () => Date;
}

/**
 * A {@link DeadLetterSink} on a Kafka topic: idempotent producer, `acks=all`, connected lazily
 * and kept for the process (a Lambda container's lifetime). The record workers of a batch write
 * letters concurrently; they are sent one at a time and the producer is replaced after a failed
 * send ({@link SerialIdempotentProducer} says why: kafkajs can otherwise drop a letter as a
 * "duplicate" of one whose request failed after it was written).
 *
 * @example
 * const sink = new KafkaDeadLetterSink({ topic: config.kafka.deadLetterTopic, kafka: () => createKafkaClient(config, secrets) });
 */
export class KafkaDeadLetterSink implements DeadLetterSink {
  private readonly producer: SerialIdempotentProducer;
  private readonly clock: () => Date;

  constructor(private readonly options: KafkaDeadLetterSinkOptions) {
    this.clock = options.clock ?? (() => new Date());
    // Built on first use, so an invocation without poison never connects.
    this.producer = new SerialIdempotentProducer(async () => (await options.kafka()).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }));
  }

  async send(letter: DeadLetter): Promise<void> {
    try {
      await this.producer.send({ topic: this.options.topic, acks: -1, messages: [deadLetterMessage(letter, this.clock())] });
    } catch (error) {
      throw new DependencyError('Kafka', `producing to the dead-letter topic ${this.options.topic} failed: ${(error as Error).message}`, {
        cause: error,
        context: { topic: letter.record.topic, partition: letter.record.partition, offset: String(letter.record.offset) },
      });
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
