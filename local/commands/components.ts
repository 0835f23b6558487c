import { InMemoryRequestLimiter, type Config } from '../../core';
import { createPipelineRuntime } from '../../core/runtime';
import { DIRECT_UPLOAD_MAX_BYTES, IngestApi, UploadProcessor, withCors } from '../../ingest-api';
import { createLocalStreamComponent } from '../../local/stream-runner';
import { gatewayAuthorizer, startHttpAdapter } from '../http-adapter';
import { createDashboardComponent } from '../dashboard';
import type { RuntimeComponent, RuntimeHealth } from '../runtime';
import { startUploadPage } from '../upload-page/server';
import { startUploadPoller } from '../upload-poller';
import { startImportPoller } from '../import-poller';
import { UrlImportWorker } from '../../import-worker';
import { reconcilerComponent } from './reconcile';

/** Options of {@link runtimeComponents}. */
export interface RuntimeComponentsOptions {
  /** Served on the REST adapter's `GET /readyz`. @default none (no readiness route) */
  health?: RuntimeHealth;
  /** Called when the stream runner has given up restarting its consumer. @default none */
  onFatal?: (error: Error) => void;
}

/** The parts of the pipeline that `ingest start` runs beside the stack. */
export function runtimeComponents(config: Config, options: RuntimeComponentsOptions = {}): RuntimeComponent[] {
  const runtime = createPipelineRuntime(config, 'ingest-local');
  return [
    {
      name: 'rest-api',
      async start() {
        // API Gateway's usage plans, locally: the same numbers, enforced after authentication (docs/limits.md).
        const api = new IngestApi(runtime, { limiter: new InMemoryRequestLimiter(config.customerLimits) });
        const adapter = await startHttpAdapter({
          host: config.local.host,
          port: config.local.ports.api,
          maxImageBytes: config.limits.maxImageBytes,
          authorizer: gatewayAuthorizer(config, runtime.secrets),
          handler: withCors(config.cors, (event) => api.handle(event)),
          cors: config.cors,
          readiness: options.health === undefined ? undefined : () => options.health!.report(),
        });
        return { description: `REST API (API Gateway stand-in) on ${adapter.url}`, stop: adapter.stop };
      },
    },
    {
      name: 'upload-page',
      async start() {
        const apiUrl = `http://${config.local.host}:${config.local.ports.api}`;
        const page = await startUploadPage({ host: config.local.host, port: config.local.ports.uploadPage, apiUrl, directUploadMaxBytes: DIRECT_UPLOAD_MAX_BYTES, maxImageBytes: config.limits.maxImageBytes });
        return { description: `open ${page.url} in a browser to upload images (calls ${apiUrl} with CORS; paste an API key or ID token)`, stop: page.stop };
      },
    },
    {
      name: 'upload-poller',
      async start() {
        const uploads = new UploadProcessor(runtime);
        const poller = await startUploadPoller({ sqs: runtime.clients.sqs, queueName: config.local.uploadQueue, handler: (event) => uploads.handle(event), log: runtime.telemetry });
        return { description: `S3 incoming/ uploads via SQS ${config.local.uploadQueue} (S3 -> Lambda stand-in)`, stop: poller.stop };
      },
    },
    {
      name: 'import-poller',
      async start() {
        const worker = new UrlImportWorker(runtime);
        const poller = await startImportPoller({ sqs: runtime.clients.sqs, queueName: config.importQueue.name, handler: (event) => worker.handle(event), log: runtime.telemetry, region: config.region });
        return { description: `URL imports via SQS ${config.importQueue.name} (SQS -> import worker Lambda stand-in)`, stop: poller.stop };
      },
    },
    createLocalStreamComponent(config, { onFatal: options.onFatal }),
    createDashboardComponent(config),
    reconcilerComponent(config),
  ];
}
