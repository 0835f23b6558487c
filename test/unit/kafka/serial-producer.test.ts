/**
 * SerialIdempotentProducer (kafka/serial-producer.ts) over an in-memory producer: one send at a
 * time, and a new producer after a failed send. Against the real broker it is exercised by every
 * publish and dead-letter test and by the soak.
 */
import type { ProducerRecord, RecordMetadata } from 'kafkajs';
import { SerialIdempotentProducer, type ProducerLike } from '../../../kafka/serial-producer';

/** An in-memory producer: each send waits for the test to settle it. */
class ScriptedProducer implements ProducerLike {
  static made: ScriptedProducer[] = [];
  static inFlight = 0;
  static maxInFlight = 0;
  connected = false;
  disconnected = false;
  readonly sent: string[] = [];
  failConnect = false;
  private readonly pending: { resolve: (m: RecordMetadata[]) => void; reject: (e: Error) => void }[] = [];

  constructor() {
    ScriptedProducer.made.push(this);
  }

  async connect(): Promise<void> {
    if (this.failConnect) throw new Error('brokers unreachable');
    this.connected = true;
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.sent.push(String(record.messages[0]?.key));
    ScriptedProducer.inFlight += 1;
    ScriptedProducer.maxInFlight = Math.max(ScriptedProducer.maxInFlight, ScriptedProducer.inFlight);
    return new Promise<RecordMetadata[]>((resolve, reject) => this.pending.push({ resolve, reject })).finally(() => {
      ScriptedProducer.inFlight -= 1;
    });
  }

  /** Settles the oldest unsettled send. */
  settle(outcome: 'ok' | Error): void {
    const next = this.pending.shift();
    if (next === undefined) throw new Error('no send is waiting');
    if (outcome === 'ok') next.resolve([{ topicName: 't', partition: 0, errorCode: 0, baseOffset: String(this.sent.length) }]);
    else next.reject(outcome);
  }

  get waiting(): number {
    return this.pending.length;
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

const record = (key: string): ProducerRecord => ({ topic: 't', acks: -1, messages: [{ key, value: key }] });
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Settles the sends `producer()` receives one by one, as they arrive (it may not exist yet). */
async function settleInTurn(producer: () => ScriptedProducer | undefined, outcomes: ('ok' | Error)[]): Promise<void> {
  for (const outcome of outcomes) {
    for (let i = 0; i < 100 && (producer()?.waiting ?? 0) === 0; i++) await tick();
    // Never two at once: the next send has not been handed to the producer yet.
    expect(producer()?.waiting).toBe(1);
    producer()?.settle(outcome);
  }
}

beforeEach(() => {
  ScriptedProducer.made = [];
  ScriptedProducer.inFlight = 0;
  ScriptedProducer.maxInFlight = 0;
});

test('concurrent sends go to the producer one at a time, in the order they were made', async () => {
  const producer = new SerialIdempotentProducer(() => new ScriptedProducer());
  const sends = ['a', 'b', 'c', 'd'].map((k) => producer.send(record(k)));
  await settleInTurn(() => ScriptedProducer.made[0], ['ok', 'ok', 'ok', 'ok']);

  expect((await Promise.all(sends)).map((m) => m[0]?.baseOffset)).toEqual(['1', '2', '3', '4']);
  expect(ScriptedProducer.made).toHaveLength(1);
  expect(ScriptedProducer.made[0]?.sent).toEqual(['a', 'b', 'c', 'd']);
  expect(ScriptedProducer.maxInFlight).toBe(1);
});

test('after a failed send, the producer is disconnected and the next send uses a new one', async () => {
  const producer = new SerialIdempotentProducer(() => new ScriptedProducer());
  const first = producer.send(record('a'));
  const second = producer.send(record('b'));
  const failure = new Error('Connection error: the leader went away');
  await settleInTurn(() => ScriptedProducer.made[0], [failure]);
  await expect(first).rejects.toBe(failure);
  await settleInTurn(() => ScriptedProducer.made[1], ['ok']);

  await expect(second).resolves.toHaveLength(1);
  expect(ScriptedProducer.made.map((p) => [p.sent, p.disconnected])).toEqual([
    [['a'], true],
    [['b'], false],
  ]);
});

test('a producer that cannot connect is dropped: connect() throws, and a later send makes a new one', async () => {
  let attempt = 0;
  const producer = new SerialIdempotentProducer(() => {
    const p = new ScriptedProducer();
    p.failConnect = attempt++ === 0;
    return p;
  });

  await expect(producer.connect()).rejects.toThrow('brokers unreachable');
  const sent = producer.send(record('a'));
  await settleInTurn(() => ScriptedProducer.made[1], ['ok']);

  await expect(sent).resolves.toHaveLength(1);
  expect(ScriptedProducer.made[0]?.disconnected).toBe(true);
});

test('disconnect waits for the sends already queued; a send after it connects a new producer', async () => {
  const producer = new SerialIdempotentProducer(() => new ScriptedProducer());
  const queued = producer.send(record('a'));
  const closing = producer.disconnect();
  await settleInTurn(() => ScriptedProducer.made[0], ['ok']);
  await closing;

  await expect(queued).resolves.toHaveLength(1);
  expect(ScriptedProducer.made[0]?.disconnected).toBe(true);
  const later = producer.send(record('b'));
  await settleInTurn(() => ScriptedProducer.made[1], ['ok']);
  await expect(later).resolves.toHaveLength(1);
});
