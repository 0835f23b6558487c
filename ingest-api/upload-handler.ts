import type { S3Event } from 'aws-lambda';
import { loadConfig } from '../core';
import { createPipelineRuntime } from '../core/runtime';
import { UploadProcessor } from './uploads';

const runtime = createPipelineRuntime(loadConfig(), 'upload-handler');
const uploads = new UploadProcessor(runtime);

/** S3 `ObjectCreated` (raw bucket, `incoming/` prefix) entry point; traced (docs/tracing.md) when tracing is on. */
export const handler: (event: S3Event) => Promise<void> = runtime.telemetry.traceHandler((event: S3Event) => uploads.handle(event));
