import { createAwsClients, type AwsClients, type Config } from '../../core';
import { createStreamsClient, DynamoDbChangeStream, ensureTableStream } from '../../core/adapters/dynamodb/change-stream';
import { S3BlobStore } from '../../core/adapters/s3/blob-store';
import { S3ChangeArchive } from '../../core/adapters/s3/change-archive';
import type { RuntimeComponent } from '../runtime';
import { DashboardEngine } from './engine';
import { ArchiveLoader, ChangeForwarder, every } from './feed';
import { startDashboardServer } from './server';

export { DashboardEngine, parseDashboardQuery, type DashboardData, type DashboardQuery, type DashboardRow } from './engine';
export { ArchiveLoader, ChangeForwarder } from './feed';
export { startDashboardServer } from './server';

/** Seconds between change-stream polls (Firehose's buffering interval stands in at 300 s in AWS). */
const FORWARD_INTERVAL_MS = 1000;

/** The analytics bucket's change records, read through the project's S3 adapter. */
export function changeArchive(config: Config, clients: AwsClients): S3ChangeArchive {
  return new S3ChangeArchive(clients.s3, new S3BlobStore(clients.s3), config.analyticsBucket);
}

/**
 * Loads the analytics bucket into a fresh engine (what `ingest dashboard` reads).
 * @throws DependencyError when S3 fails.
 */
export async function loadDashboard(config: Config, clients: AwsClients): Promise<{ engine: DashboardEngine; loader: ArchiveLoader }> {
  const engine = await DashboardEngine.create({ stuckAfterSeconds: config.reconcile.receivedAfterSeconds, retentionDays: config.limits.retentionDays });
  const loader = new ArchiveLoader(changeArchive(config, clients), engine, config.limits.retentionDays);
  await loader.refresh();
  return { engine, loader };
}

/**
 * `ingest start`'s dashboard: forwards the table's change stream into the analytics bucket as
 * Firehose would, loads new objects into the embedded engine, and serves the page.
 */
export function createDashboardComponent(config: Config, options: { port?: number; log?: (line: string) => void } = {}): RuntimeComponent {
  return {
    name: 'dashboard',
    async start() {
      const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
      const clients = createAwsClients(config);
      const streams = createStreamsClient(config);
      const streamArn = await ensureTableStream(clients.dynamodb, config.table.name);
      const archive = changeArchive(config, clients);
      const forwarder = new ChangeForwarder(new DynamoDbChangeStream(streams, streamArn, config.table.name), archive);
      const { engine, loader } = await loadDashboard(config, clients);
      const report = (what: string) => (error: unknown) => log(`dashboard: ${what} failed: ${(error as Error).message}`);
      const forwarding = every(FORWARD_INTERVAL_MS, () => forwarder.forwardOnce(), report('forwarding the change stream'));
      let loading: Promise<unknown> = Promise.resolve();
      const server = await startDashboardServer({
        host: config.local.host,
        port: options.port ?? config.local.ports.dashboard,
        data: async (query) => {
          // One load at a time; each request sees every object delivered before it.
          loading = loading.then(() => loader.refresh()).catch(report('loading the analytics bucket'));
          await loading;
          return engine.query(query);
        },
      });
      return {
        description: `operations dashboard on ${server.url} (change stream -> s3://${config.analyticsBucket}/metadata/ -> DuckDB)`,
        async stop() {
          await forwarding.stop();
          await server.stop();
          engine.close();
          streams.destroy();
          clients.s3.destroy();
          clients.dynamodb.destroy();
        },
      };
    },
  };
}
