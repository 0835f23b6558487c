/**
 * The Lambda entry point for the MSK event source mapping (`ReportBatchItemFailures` on).
 * Dependencies are built once per container, at cold start, from the environment; a bad
 * setting fails the init with the variable's name rather than the first batch.
 */
import { loadConfig } from '../core';
import { createPipelineRuntime } from '../core/runtime';
import { createMskHandler, createStreamConsumer } from './consumer';
import type { MskHandlerFunction } from './msk-event';

const runtime = createPipelineRuntime(loadConfig(), 'stream-consumer');
const consumer = createStreamConsumer(runtime);

/**
 * Handles one MSK batch; resolves with `{ batchItemFailures }` naming, per partition, the
 * first record that must be delivered again (none when the whole batch is done). Traced
 * (`## handler`, one `## ingest` per record; docs/tracing.md) when tracing is on.
 *
 * @throws InvalidParameterError when the event is not an MSK event; Lambda retries the batch.
 */
export const handler: MskHandlerFunction = runtime.telemetry.traceHandler(createMskHandler(consumer));
