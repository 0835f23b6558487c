/**
 * kafkajs' log lines through `kafkaLogCreator` (kafka/client.ts): a connection-level error that
 * kafkajs retries itself is a WARN, so the default ERROR level leaves it out; what kafkajs gives
 * up on is still printed; no line carries a stack. The client is real kafkajs; nothing connects.
 */
import { Kafka, logLevel } from 'kafkajs';
import { kafkaLogCreator } from '../../../kafka/client';

function linesWrittenBy(level: logLevel, write: (kafka: Kafka) => void): Record<string, unknown>[] {
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    write(new Kafka({ clientId: 'log-test', brokers: ['127.0.0.1:1'], logLevel: level, logCreator: kafkaLogCreator }));
  } finally {
    spy.mockRestore();
  }
  return written.map((line) => JSON.parse(line) as Record<string, unknown>);
}

const responseError = (kafka: Kafka): void =>
  kafka.logger().namespace('Connection').error('Response GroupCoordinator(key: 10, version: 2)', { broker: '127.0.0.1:9092', error: 'The group coordinator is not available', stack: 'Error: …\n    at …' });
const crash = (kafka: Kafka): void => kafka.logger().namespace('Consumer').error('Crash: KafkaJSNumberOfRetriesExceeded: connect ECONNREFUSED', { groupId: 'g', stack: 'KafkaJSNumberOfRetriesExceeded: …\n    at …' });

it('leaves out a connection-level error at the default ERROR level, and prints it as WARN at WARN', () => {
  expect(linesWrittenBy(logLevel.ERROR, responseError)).toEqual([]);
  const [line] = linesWrittenBy(logLevel.WARN, responseError);
  expect(line).toEqual({ level: 'WARN', timestamp: expect.any(String), logger: 'kafkajs', message: '[Connection] Response GroupCoordinator(key: 10, version: 2)', broker: '127.0.0.1:9092', error: 'The group coordinator is not available' });
});

it('leaves out a failed connect to a seed broker (BrokerPool, retried by kafkajs) at the default ERROR level', () => {
  const seedRetry = (kafka: Kafka): void =>
    kafka.logger().namespace('BrokerPool').error('Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:1', { retryCount: 0, retryTime: 300 });
  expect(linesWrittenBy(logLevel.ERROR, seedRetry)).toEqual([]);
  expect(linesWrittenBy(logLevel.WARN, seedRetry).map((l) => l.level)).toEqual(['WARN']);
});

it('prints what kafkajs gave up on at ERROR, one JSON line without a stack', () => {
  const lines = linesWrittenBy(logLevel.ERROR, crash);
  expect(lines).toEqual([{ level: 'ERROR', timestamp: expect.any(String), logger: 'kafkajs', message: '[Consumer] Crash: KafkaJSNumberOfRetriesExceeded: connect ECONNREFUSED', groupId: 'g' }]);
});

it('prints nothing at NOTHING, and INFO lines only at INFO', () => {
  expect(linesWrittenBy(logLevel.NOTHING, (kafka) => {
    crash(kafka);
    responseError(kafka);
  })).toEqual([]);
  const info = (kafka: Kafka): void => kafka.logger().namespace('Consumer').info('Starting', { groupId: 'g' });
  expect(linesWrittenBy(logLevel.ERROR, info)).toEqual([]);
  expect(linesWrittenBy(logLevel.INFO, info).map((l) => [l.level, l.message])).toEqual([['INFO', '[Consumer] Starting']]);
});
