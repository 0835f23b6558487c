/**
 * The Amazon MSK event source mapping's wire shapes, both ways: the event Lambda is invoked with
 * (`eventSource: "aws:kafka"`, records keyed by `"<topic>-<partition>"`, base64 key and value,
 * headers as arrays of `{ name: byte[] }`) and the partial batch response it reads back.
 */
import type { Context, MSKEvent, MSKRecord, MSKRecordHeader } from 'aws-lambda';
import { invalidParameterError } from '../core/errors';

/** One Kafka record as the use case sees it: decoded bytes, numeric coordinates. */
export interface DeliveredRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit; MSK events carry them as JSON numbers, exact up to 2^53. */
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  /**
   * Set when the event source mapping decoded the value through a schema registry
   * (`EventRecordFormat: JSON`): the value is then the record as JSON, not framed Avro.
   */
  valueSchemaMetadata?: { dataFormat?: string; schemaId?: string };
}

/**
 * Where a Kafka ESM resumes a partition: the `"<topic>-<partition>"` key of the event's
 * `records` map and the offset of the first record to deliver again.
 */
export interface KafkaItemIdentifier {
  partition: string;
  offset: number;
}

/**
 * The partial batch response of a Kafka event source mapping with `ReportBatchItemFailures`.
 * Unlike SQS/Kinesis, the identifier is an object `{ partition: "<topic>-<n>", offset }`; Lambda
 * resumes each named partition from that offset and treats an empty list as full success.
 */
export interface MskBatchResponse {
  batchItemFailures: { itemIdentifier: KafkaItemIdentifier }[];
}

/**
 * A function with the MSK handler's shape: what the Lambda runtime (with its `context`) and the
 * local runner (without one) call.
 */
export type MskHandlerFunction = (event: MSKEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<MskBatchResponse | void>;

/** The `records` key of a topic-partition: `"<topic>-<partition>"`. */
export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * Flattens an MSK event into records with decoded key, value and headers, ordered by
 * topic-partition and offset (the order Kafka delivered them in).
 *
 * @throws InvalidParameterError when the event is not an `aws:kafka` event of the documented shape.
 * @example
 * const records = parseMskEvent(event);
 */
export function parseMskEvent(event: MSKEvent): DeliveredRecord[] {
  if (typeof event !== 'object' || event === null) throw invalidParameterError('event', 'MSK event object', event);
  if (event.eventSource !== 'aws:kafka' && (event.eventSource as string) !== 'SelfManagedKafka') {
    throw invalidParameterError('event.eventSource', '"aws:kafka"', event.eventSource);
  }
  if (typeof event.records !== 'object' || event.records === null) throw invalidParameterError('event.records', 'object keyed by topic-partition', event.records);
  const records: DeliveredRecord[] = [];
  for (const [key, list] of Object.entries(event.records)) {
    if (!Array.isArray(list)) throw invalidParameterError(`event.records.${key}`, 'array of records', list);
    for (const record of list) records.push(parseRecord(record, key));
  }
  return records.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition || a.offset - b.offset : a.topic < b.topic ? -1 : 1));
}

function parseRecord(record: MSKRecord, key: string): DeliveredRecord {
  const where = `event.records.${key}`;
  if (typeof record.topic !== 'string') throw invalidParameterError(`${where}.topic`, 'string', record.topic);
  if (!Number.isSafeInteger(record.partition) || record.partition < 0) throw invalidParameterError(`${where}.partition`, 'non-negative integer', record.partition);
  if (!Number.isSafeInteger(record.offset) || record.offset < 0) throw invalidParameterError(`${where}.offset`, 'non-negative integer', record.offset);
  const delivered: DeliveredRecord = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    // A null key or value (tombstone) arrives as an absent field.
    key: typeof record.key === 'string' ? Buffer.from(record.key, 'base64') : null,
    value: typeof record.value === 'string' ? Buffer.from(record.value, 'base64') : null,
    headers: decodeHeaders(record.headers ?? [], `${where}.headers`),
  };
  const metadata = (record as { valueSchemaMetadata?: unknown }).valueSchemaMetadata;
  if (metadata !== undefined && metadata !== null) delivered.valueSchemaMetadata = parseSchemaMetadata(metadata, `${where}.valueSchemaMetadata`);
  return delivered;
}

/** `{ dataFormat, schemaId }` as the event source mapping writes it in schema-registry mode. */
function parseSchemaMetadata(metadata: unknown, where: string): NonNullable<DeliveredRecord['valueSchemaMetadata']> {
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw invalidParameterError(where, 'object with dataFormat and schemaId', metadata);
  const { dataFormat, schemaId } = metadata as { dataFormat?: unknown; schemaId?: unknown };
  if (dataFormat !== undefined && typeof dataFormat !== 'string') throw invalidParameterError(`${where}.dataFormat`, 'string', dataFormat);
  if (schemaId !== undefined && typeof schemaId !== 'string') throw invalidParameterError(`${where}.schemaId`, 'string', schemaId);
  return { dataFormat, schemaId };
}

/**
 * MSK headers (`[{ name: [byte, …] }, …]`) as a map of Buffers; a later duplicate name wins.
 *
 * @throws InvalidParameterError when a header value is not an array of bytes.
 */
export function decodeHeaders(headers: MSKRecordHeader[], where = 'headers'): Record<string, Buffer> {
  const decoded: Record<string, Buffer> = {};
  for (const header of headers) {
    for (const [name, bytes] of Object.entries(header)) {
      if (!Array.isArray(bytes) || !bytes.every((b) => Number.isInteger(b) && b >= -128 && b <= 255)) {
        throw invalidParameterError(`${where}.${name}`, 'array of bytes', bytes);
      }
      // Java's Kafka clients serialise header bytes signed; `& 0xff` reads both forms.
      decoded[name] = Buffer.from(bytes.map((b) => b & 0xff));
    }
  }
  return decoded;
}

/** Headers in the MSK event's form: one single-key object per header, values as byte arrays. */
export function encodeHeaders(headers: Record<string, Buffer | string | undefined>): MSKRecordHeader[] {
  const encoded: MSKRecordHeader[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    encoded.push({ [name]: [...(typeof value === 'string' ? Buffer.from(value, 'utf8') : value)] });
  }
  return encoded;
}

/** A record as a Kafka client hands it over, before it becomes part of an MSK event. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  /** kafkajs gives offsets and timestamps as decimal strings. */
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/** Options of {@link buildMskEvent}. */
export interface BuildMskEventOptions {
  /** @default 'arn:aws:kafka:us-east-1:123456789012:cluster/local/00000000-0000-0000-0000-000000000000-1' */
  eventSourceArn?: string;
  /** Comma-separated broker list. @default '' */
  bootstrapServers?: string;
}

const LOCAL_CLUSTER_ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/local/00000000-0000-0000-0000-000000000000-1';

/**
 * The exact event an MSK event source mapping would invoke the function with for these records.
 *
 * @throws InvalidParameterError when an offset or timestamp is not a decimal integer.
 * @example
 * const event = buildMskEvent(batch.messages.map((m) => ({ ...m, topic, partition })), { bootstrapServers: '127.0.0.1:9092' });
 */
export function buildMskEvent(records: readonly ConsumedRecord[], options: BuildMskEventOptions = {}): MSKEvent {
  const grouped: MSKEvent['records'] = {};
  for (const record of records) {
    const offset = Number(record.offset);
    if (!/^\d+$/.test(record.offset) || !Number.isSafeInteger(offset)) throw invalidParameterError('record.offset', 'decimal integer string', record.offset);
    const timestamp = Number(record.timestamp);
    if (!/^-?\d+$/.test(record.timestamp)) throw invalidParameterError('record.timestamp', 'decimal integer string', record.timestamp);
    const headers: Record<string, Buffer | string | undefined> = {};
    for (const [name, value] of Object.entries(record.headers ?? {})) {
      // kafkajs groups repeated header names into an array; MSK keeps one entry per header.
      headers[name] = Array.isArray(value) ? value[value.length - 1] : value;
    }
    const msk: MSKRecord = {
      topic: record.topic,
      partition: record.partition,
      offset,
      timestamp,
      timestampType: 'CREATE_TIME',
      key: record.key === null ? (undefined as unknown as string) : record.key.toString('base64'),
      value: record.value === null ? (undefined as unknown as string) : record.value.toString('base64'),
      headers: encodeHeaders(headers),
    };
    if (record.key === null) delete (msk as Partial<MSKRecord>).key;
    if (record.value === null) delete (msk as Partial<MSKRecord>).value;
    (grouped[topicPartitionKey(record.topic, record.partition)] ??= []).push(msk);
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: options.eventSourceArn ?? LOCAL_CLUSTER_ARN,
    bootstrapServers: options.bootstrapServers ?? '',
    records: grouped,
  };
}
