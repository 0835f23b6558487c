/**
 * An idempotent Kafka producer that sends one request at a time and starts afresh, with a new
 * producer id, after a send that failed.
 *
 * Why our own code around kafkajs: kafkajs 2.2.4 (unmaintained) gives a failed produce request's
 * sequence numbers back to the partition (`eosManager.updateSequence(-n)`) whatever the failure.
 * When the failure was ambiguous — the connection dropped or timed out after the broker had
 * written the batch, as when the partition leader is killed — another `send()` running
 * concurrently on the same producer takes those numbers for *different* messages; the new leader
 * holds the first batch's sequence, answers the second as a duplicate (success, the first batch's
 * offset) and drops it. The 10,000-image soak lost an event this way while the one whose request
 * "failed" was written twice (docs/soak.md). Kafka's Java client closes the gap by retrying the
 * in-doubt batch before anything else and bumping the epoch when it cannot (KIP-360); here:
 * - one send at a time, so kafkajs's own retries of an in-doubt batch reuse its sequence numbers
 *   for the same messages (the broker then deduplicates them, which is what idempotence is for);
 * - after a send that still failed, the producer is disconnected and the next send uses a new
 *   one (a new producer id, sequences from 0), so no later batch can be taken for the in-doubt one.
 * The cost is one produce request in flight per producer (README, "Kafka events").
 */
import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';

/** The part of a kafkajs producer this uses. */
export type ProducerLike = Pick<Producer, 'connect' | 'send' | 'disconnect'>;

/**
 * @example
 * const producer = new SerialIdempotentProducer(() => kafka.producer({ idempotent: true, maxInFlightRequests: 1 }));
 * const [metadata] = await producer.send({ topic, acks: -1, messages: [{ key, value }] });
 */
export class SerialIdempotentProducer {
  private current: Promise<ProducerLike> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  /** @param create makes a new, unconnected idempotent producer (called again after a failed send). */
  constructor(private readonly create: () => ProducerLike | Promise<ProducerLike>) {}

  /**
   * Connects a producer now (sends connect on demand otherwise), after the sends already queued.
   * @throws the producer's connect error (nothing stays half-connected).
   */
  connect(): Promise<void> {
    const run = this.tail.then(async () => {
      try {
        await this.connected();
      } catch (error) {
        await this.drop();
        throw error;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends after every earlier send has settled; connects a producer first when none is open.
   * @throws the producer's error (connect or send); the next send then uses a new producer.
   */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const run = this.tail.then(() => this.sendNow(record));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Waits for the sends already queued, then disconnects; a later send connects a new producer. */
  async disconnect(): Promise<void> {
    const run = this.tail.then(() => this.drop());
    this.tail = run.catch(() => undefined);
    await run;
  }

  private async sendNow(record: ProducerRecord): Promise<RecordMetadata[]> {
    try {
      const producer = await this.connected();
      return await producer.send(record);
    } catch (error) {
      // Its sequence numbers may be in doubt: no later batch may use them.
      await this.drop();
      throw error;
    }
  }

  private connected(): Promise<ProducerLike> {
    this.current ??= (async () => {
      const producer = await this.create();
      try {
        await producer.connect();
      } catch (error) {
        // A producer whose connect failed may hold half-open connections.
        await producer.disconnect().catch(() => undefined);
        throw error;
      }
      return producer;
    })();
    return this.current;
  }

  private async drop(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    const producer = await current?.catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }
}
