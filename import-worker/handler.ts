import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../core';
import { createPipelineRuntime } from '../core/runtime';
import { UrlImportWorker } from './worker';

// Built once per cold start; a bad configuration fails here, naming the variable.
const runtime = createPipelineRuntime(loadConfig(), 'import-worker');
const worker = new UrlImportWorker(runtime);

/**
 * SQS (URL import queue) entry point, with partial batch responses (`ReportBatchItemFailures`);
 * traced (docs/tracing.md) when tracing is on.
 */
export const handler: (event: SQSEvent) => Promise<SQSBatchResponse> = runtime.telemetry.traceHandler((event: SQSEvent) => worker.handle(event));
