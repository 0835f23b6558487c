/**
 * Publishing image events the way the consumer expects them: Avro single-object values keyed
 * by eventId, an idempotent producer with `acks=all`, and the claim-check pattern for images
 * too large for a Kafka message (bytes to S3, a reference on the topic).
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { Config } from '../core/config';
import { ConfigError, ImageTooLargeError, invalidParameterError } from '../core/errors';
import { HttpsImageFetcher } from '../core/adapters/fetch/https-fetcher';
import { assertAllowedS3Source } from '../core/sources/source-policy';
import { claimCheckKey } from '../core/keys';
import type { BlobStore, ObjectLocation, SecretStore } from '../core/ports';
import { ImageEventCodec, assertEventBounds, frameGlue, type GlueCompression, type ImageEvent, type ImageSource } from '../schemas';
import { SINGLE_OBJECT_HEADER_LENGTH } from '../schemas/framing/single-object';
import { createKafkaClient, type KafkaClientOptions } from './client';
import { SerialIdempotentProducer } from './serial-producer';

export { CLAIM_CHECK_PREFIX } from '../core/keys';

/** Bytes kept free below `config.kafka.maxMessageBytes` for the record and batch framing. */
export const DEFAULT_MESSAGE_OVERHEAD_BYTES = 1024;

/** The image of an event to publish: bytes (inline or claim check, decided by size), a URL, or an S3 object. */
export type PublishImage = { kind: 'bytes'; data: Buffer } | { kind: 'url'; url: string } | { kind: 's3'; bucket: string; key: string; versionId?: string };

/** One event to publish. */
export interface PublishImageInput {
  /** @default a random UUID */
  eventId?: string;
  customerId: string;
  image: PublishImage;
  fileName?: string;
  contentType?: string;
  /** @default {} */
  attributes?: Record<string, string>;
  /** @default now */
  occurredAt?: Date;
}

/** Where an event landed. */
export interface PublishResult {
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
  /** Size of the Kafka value. */
  messageBytes: number;
  /** Set when the bytes went to S3 and the event carries a reference. */
  claimCheck?: ObjectLocation;
}

/** The event fields of `input` other than the image, as {@link ImageEventPublisher.publish} sends them. */
function eventFieldsOf(input: PublishImageInput, eventId: string): Omit<ImageEvent, 'image'> {
  const base: Omit<ImageEvent, 'image'> = {
    eventId,
    occurredAt: input.occurredAt ?? new Date(),
    customerId: input.customerId,
    attributes: input.attributes ?? {},
  };
  if (input.fileName !== undefined) base.fileName = input.fileName;
  if (input.contentType !== undefined) base.contentType = input.contentType;
  return base;
}

/**
 * Refuses, before anything is sent, an event the consumer would refuse: the consumer's own edge
 * bounds (`assertEventBounds`: customer id, file name, attributes, content type, reference
 * lengths), the image size limit for bytes (`config.limits.maxImageBytes`), for an S3 reference
 * the customer's claim-check prefix (`assertAllowedS3Source`), and for a URL the
 * fetcher's admission check under the same `FETCH_ALLOW_LOOPBACK` / `FETCH_ALLOWED_PORTS`
 * settings the consumer's fetcher is built from (`HttpsImageFetcher.fromConfig`). Run it with the
 * consumer's configuration: what passes here, that consumer accepts at the edge.
 *
 * The publisher itself does not call it, so tests, the bench and the soak can still publish the
 * hostile events they exist to send.
 *
 * @throws InvalidParameterError naming the first field over its bound.
 * @throws ImageTooLargeError when the bytes are over the image limit.
 * @throws ForbiddenSourceError when the URL is one the fetcher refuses.
 * @example
 * assertPublishable({ customerId: 'acme', image: { kind: 'url', url } }, config);
 * await publisher.publish({ customerId: 'acme', image: { kind: 'url', url } });
 */
export function assertPublishable(input: PublishImageInput, config: Pick<Config, 'fetch' | 'limits' | 'rawBucket' | 'allowedSourceBuckets'>): void {
  const base = eventFieldsOf(input, input.eventId ?? randomUUID());
  const image = input.image;
  if (image?.kind === 'bytes') {
    if (!Buffer.isBuffer(image.data)) throw invalidParameterError('image.data', 'Buffer', image.data);
    const { maxImageBytes } = config.limits;
    if (image.data.length > maxImageBytes) throw new ImageTooLargeError(maxImageBytes, `the image is ${image.data.length} bytes; the limit is ${maxImageBytes}`);
    // Inline or claim check alike: the reference the publisher would write is its own and in bounds.
    assertEventBounds({ ...base, image: { kind: 'inline', data: image.data } });
    return;
  }
  assertEventBounds({ ...base, image: image as ImageSource });
  if (image?.kind === 'url') HttpsImageFetcher.fromConfig(config).assertFetchable(image.url);
  if (image?.kind === 's3') assertAllowedS3Source(config, input.customerId, image);
}

/** Options of {@link ImageEventPublisher}. */
export interface ImageEventPublisherOptions {
  config: Pick<Config, 'kafka' | 'rawBucket' | 'allowedSourceBuckets'>;
  /** An idempotent producer; {@link ImageEventPublisher.connect} gives a {@link SerialIdempotentProducer}. */
  producer: Pick<Producer, 'send' | 'disconnect'>;
  /** Where claim-check objects are written. */
  blobs: BlobStore;
  /** @default config.kafka.imageTopic */
  topic?: string;
  /**
   * Encoder; give one to write another registered schema version.
   * @default new ImageEventCodec()
   */
  codec?: ImageEventCodec;
  /** @default DEFAULT_MESSAGE_OVERHEAD_BYTES */
  overheadBytes?: number;
  /**
   * How values are framed: Avro single-object, or AWS Glue Schema Registry framing naming the
   * schema version id of the codec's writer schema (register it first, e.g. with
   * `GlueSchemaRegistry.registerAvroVersion`).
   * @default { kind: 'single-object' }
   */
  framing?: PublisherFraming;
}

/** The framing an {@link ImageEventPublisher} writes. */
export type PublisherFraming = { kind: 'single-object' } | { kind: 'glue'; schemaVersionId: string; compression?: GlueCompression };

/** Options of {@link ImageEventPublisher.connect}. */
export interface ConnectPublisherOptions extends Omit<ImageEventPublisherOptions, 'producer' | 'config'> {
  config: Config;
  /** Reads the SASL/SCRAM secret when `config.kafkaSecretId` is set. */
  secrets: SecretStore;
  /** @default a client from createKafkaClient(config, secrets, kafkaOptions) */
  kafka?: Kafka;
  /** @default {} */
  kafkaOptions?: KafkaClientOptions;
}

/**
 * Publishes image events to the image topic.
 *
 * @example
 * const publisher = await ImageEventPublisher.connect({ config, blobs: runtime.blobs, secrets: runtime.secrets });
 * const { eventId } = await publisher.publish({ customerId: 'c-1', image: { kind: 'bytes', data: jpeg } });
 * await publisher.disconnect();
 */
export class ImageEventPublisher {
  private readonly codec: ImageEventCodec;
  private readonly topic: string;
  private readonly overheadBytes: number;

  /** @throws ConfigError when the claim-check bucket (`rawBucket`) is not an allowed source bucket. */
  constructor(private readonly options: ImageEventPublisherOptions) {
    const { config } = options;
    if (!config.allowedSourceBuckets.includes(config.rawBucket)) {
      throw new ConfigError(`claim checks go to ${config.rawBucket}, which is not in ALLOWED_SOURCE_BUCKETS (${config.allowedSourceBuckets.join(', ')}); consumers would refuse them`);
    }
    this.codec = options.codec ?? new ImageEventCodec();
    this.topic = options.topic ?? config.kafka.imageTopic;
    this.overheadBytes = options.overheadBytes ?? DEFAULT_MESSAGE_OVERHEAD_BYTES;
  }

  /**
   * Connects an idempotent producer (`maxInFlightRequests: 1`, so ordering survives retries),
   * used one send at a time and replaced after a failed send ({@link SerialIdempotentProducer}
   * says why: kafkajs can otherwise drop a concurrent event as a "duplicate").
   *
   * @throws ConfigError when no brokers are configured.
   * @throws KafkaJSError when the brokers cannot be reached.
   */
  static async connect(options: ConnectPublisherOptions): Promise<ImageEventPublisher> {
    const kafka = options.kafka ?? (await createKafkaClient(options.config, options.secrets, { clientId: `${options.config.kafka.clientId}-publisher`, ...options.kafkaOptions }));
    const producer = new SerialIdempotentProducer(() => kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }));
    await producer.connect();
    try {
      return new ImageEventPublisher({ ...options, producer });
    } catch (error) {
      await producer.disconnect();
      throw error;
    }
  }

  /** The largest Kafka value this publisher sends inline. */
  get maxInlineMessageBytes(): number {
    return this.options.config.kafka.maxMessageBytes - this.overheadBytes;
  }

  /**
   * Publishes one event, waiting for every in-sync replica (`acks=all`). Bytes whose encoded
   * event would not fit are stored under `claims/<customerId>/<eventId>` in the raw bucket first.
   *
   * @throws InvalidParameterError naming the first invalid property.
   * @throws DependencyError when the claim-check upload fails; KafkaJSError when the send fails.
   */
  async publish(input: PublishImageInput): Promise<PublishResult> {
    const eventId = input.eventId ?? randomUUID();
    const base = eventFieldsOf(input, eventId);

    let claimCheck: ObjectLocation | undefined;
    let value: Buffer;
    if (input.image?.kind === 'bytes') {
      if (!Buffer.isBuffer(input.image.data)) throw invalidParameterError('image.data', 'Buffer', input.image.data);
      value = this.encode({ ...base, image: { kind: 'inline', data: input.image.data } });
      if (value.length > this.maxInlineMessageBytes) {
        // Under the customer's own prefix: consumers read claim checks only from there.
        claimCheck = { bucket: this.options.config.rawBucket, key: claimCheckKey(input.customerId, eventId) };
        await this.options.blobs.put(claimCheck, input.image.data, { contentType: input.contentType ?? 'application/octet-stream', metadata: { 'event-id': eventId } });
        value = this.encode({ ...base, image: { kind: 's3', bucket: claimCheck.bucket, key: claimCheck.key } });
      }
    } else {
      value = this.encode({ ...base, image: input.image as ImageSource });
    }

    const [metadata] = await this.options.producer.send({ topic: this.topic, acks: -1, messages: [{ key: eventId, value }] });
    return {
      eventId: eventId.toLowerCase(),
      topic: this.topic,
      partition: metadata?.partition ?? -1,
      offset: metadata?.baseOffset ?? '-1',
      messageBytes: value.length,
      claimCheck,
    };
  }

  /** The event's Kafka value in the configured framing. */
  private encode(event: ImageEvent): Buffer {
    const singleObject = this.codec.encode(event);
    const { framing } = this.options;
    if (framing === undefined || framing.kind === 'single-object') return singleObject;
    return frameGlue(framing.schemaVersionId, singleObject.subarray(SINGLE_OBJECT_HEADER_LENGTH), framing.compression ?? 'none');
  }

  /** Disconnects the producer. */
  async disconnect(): Promise<void> {
    await this.options.producer.disconnect();
  }
}
