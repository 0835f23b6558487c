/**
 * The REST path as `ingest start` runs it — the local HTTP adapter (API Gateway stand-in)
 * calling the API handler — alone in this process, so the driver can read its CPU time.
 *
 * Usage (by bench/run.js only): `node rest.js`; the URL comes back in the `ready` message.
 */
import sharp from 'sharp';
import { destroyAwsClients } from '../../core';
import { createPipelineRuntime } from '../../core/runtime';
import { IngestApi } from '../../ingest-api';
import { gatewayAuthorizer, startHttpAdapter } from '../../local/http-adapter';
import { useLocalStack } from '../../local/stack';
import { toDriver, type DriverMessage } from '../protocol';

async function main(): Promise<void> {
  const config = useLocalStack();
  const runtime = createPipelineRuntime(config, 'ingest-api');
  const api = new IngestApi(runtime);
  const adapter = await startHttpAdapter({ host: config.local.host, port: 0, maxImageBytes: config.limits.maxImageBytes, authorizer: gatewayAuthorizer(config, runtime.secrets), handler: (event) => api.handle(event) });
  process.on('message', (message: DriverMessage) => {
    if (message.type !== 'stop') return;
    adapter.stop().finally(() => {
      destroyAwsClients(runtime.clients);
      process.exit(0);
    });
  });
  toDriver({ type: 'ready', sharpConcurrency: sharp.concurrency(), url: adapter.url });
}

main().catch((error: Error) => {
  toDriver({ type: 'failed', message: error.stack ?? error.message });
  process.exitCode = 1;
});
