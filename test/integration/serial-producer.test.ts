/**
 * SerialIdempotentProducer (kafka/serial-producer.ts) against the real local broker, with an
 * in-doubt write made on purpose: a socket factory lets one Produce request reach the broker and
 * then drops the connection instead of delivering the response, as when a partition leader is
 * killed after writing. kafkajs then gives that request's sequence number back; a concurrent send
 * on a plain kafkajs idempotent producer takes it, the broker answers "duplicate" and the record
 * is silently dropped (checked on 2026-11-30 by putting a plain kafkajs producer in place of the
 * serial one: this test then fails, the key "second" missing from the topic although its send
 * resolved). Every record the serial producer reports as sent must be on the topic.
 */
import net from 'node:net';
import { Kafka, logLevel, type ISocketFactory } from 'kafkajs';
import { loadConfig } from '../../core';
import { SerialIdempotentProducer } from '../../kafka/serial-producer';
import { connectTestKafka, type TestKafka } from '../helpers/kafka';

jest.setTimeout(90_000);

const PRODUCE_API_KEY = 0;

/** Connections whose next Produce request, once armed, is written but its response never read. */
function inDoubtConnections(): { socketFactory: ISocketFactory; arm(): void; cuts: () => number } {
  let armed = false;
  let cuts = 0;
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port }, onConnect);
    let dropNextResponse = false;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      // A request is `int32 size, int16 api_key, …`; kafkajs writes each one in a single call.
      if (armed && Buffer.isBuffer(chunk) && chunk.length >= 6 && chunk.readInt16BE(4) === PRODUCE_API_KEY) {
        armed = false;
        dropNextResponse = true;
      }
      return write(chunk, ...rest);
    }) as typeof socket.write;
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
    socket.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === 'data' && dropNextResponse) {
        // The broker has answered, so it has written the batch; the client never hears it.
        dropNextResponse = false;
        cuts += 1;
        socket.destroy(Object.assign(new Error('connection reset after the produce request (in doubt)'), { code: 'ECONNRESET' }));
        return true;
      }
      return emit(event, ...args);
    }) as typeof socket.emit;
    return socket;
  };
  return { socketFactory, arm: () => void (armed = true), cuts: () => cuts };
}

let kit: TestKafka;

beforeAll(async () => {
  kit = await connectTestKafka({ clientId: 'serial-producer-test' });
});

afterAll(() => kit.close());

test('after a produce whose response was lost, concurrent sends all land: none is dropped as a duplicate', async () => {
  const topic = await kit.createTopic('serial-producer', 1);
  const connections = inDoubtConnections();
  const kafka = new Kafka({ clientId: 'serial-producer-test', brokers: loadConfig().kafka.brokers, logLevel: logLevel.NOTHING, socketFactory: connections.socketFactory, retry: { retries: 5, initialRetryTime: 100 } });
  const producer = new SerialIdempotentProducer(() => kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }));
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'warm-up', value: 'w' }] });

    connections.arm();
    const keys = ['in-doubt', 'second', 'third', 'fourth'];
    const outcomes = await Promise.allSettled(keys.map((key) => producer.send({ topic, acks: -1, messages: [{ key, value: key }] })));

    expect(connections.cuts()).toBe(1);
    const sent = keys.filter((_, i) => outcomes[i]?.status === 'fulfilled');
    // kafkajs retried the in-doubt batch itself; every send was answered.
    expect(sent).toEqual(keys);
    const onTopic = (await kit.readMessages(topic, { count: keys.length + 1, timeoutMs: 20_000 })).map((m) => m.key?.toString());
    expect([...new Set(onTopic)].sort()).toEqual(['warm-up', ...keys].sort());
  } finally {
    await producer.disconnect();
  }
});
