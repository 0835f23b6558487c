/**
 * What the stream-path integration test files share: the local stack's config and AWS clients,
 * a {@link TestKafka}, a loopback HTTP server for URL sources, and clean-ups run when the file
 * ends. {@link useStreamTestBed} registers the `beforeAll`/`afterAll` that open and close them.
 */
import { createAwsClients, destroyAwsClients, loadConfig, type AwsClients, type Config } from '../../core';
import { connectTestKafka, type TestKafka } from './kafka';
import { startLoopbackServer, type LoopbackServer } from './loopback-server';

/** The shared resources of one test file; read them inside tests and hooks, not at load time. */
export interface StreamTestBed {
  /** `loadConfig()` of the local stack. */
  readonly config: Config;
  readonly clients: AwsClients;
  readonly kafka: TestKafka;
  readonly server: LoopbackServer;
  /**
   * Runs `cleanup` when the file ends, before the bed itself closes: last added first, and a
   * failing clean-up does not stop the others.
   */
  defer(cleanup: () => Promise<unknown>): void;
}

/**
 * Registers hooks that open the bed before the file's tests (its Kafka client named `clientId`)
 * and close it after them.
 *
 * @example
 * const bed = useStreamTestBed('hostile-test');
 * it('…', async () => { const dlq = await bed.kafka.createTopic('hostile-dlq'); … });
 */
export function useStreamTestBed(clientId: string): StreamTestBed {
  let opened: { config: Config; clients: AwsClients; kafka: TestKafka; server: LoopbackServer } | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  const get = <K extends keyof NonNullable<typeof opened>>(name: K): NonNullable<typeof opened>[K] => {
    if (opened === undefined) throw new Error(`the stream test bed is read before its beforeAll ran (${String(name)})`);
    return opened[name];
  };

  /** What has been opened so far, so that a set-up failing half way still closes the rest. */
  const partial: { clients?: AwsClients; kafka?: TestKafka; server?: LoopbackServer } = {};

  beforeAll(async () => {
    const config = loadConfig();
    const clients = (partial.clients = createAwsClients(config));
    const kafka = (partial.kafka = await connectTestKafka({ clientId }));
    const server = (partial.server = await startLoopbackServer());
    opened = { config, clients, kafka, server };
  });

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await partial.server?.close();
    await partial.kafka?.close();
    if (partial.clients !== undefined) destroyAwsClients(partial.clients);
  });

  return {
    get config() {
      return get('config');
    },
    get clients() {
      return get('clients');
    },
    get kafka() {
      return get('kafka');
    },
    get server() {
      return get('server');
    },
    defer: (cleanup) => void cleanups.push(cleanup),
  };
}
