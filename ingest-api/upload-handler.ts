import type { S3Event } from 'aws-lambda';
import { loadConfig } from '../core';
import { createPipelineRuntime } from '../core/runtime';
import { UploadProcessor } from './uploads';

const uploads = new UploadProcessor(createPipelineRuntime(loadConfig(), 'upload-handler'));

/** S3 `ObjectCreated` (raw bucket, `incoming/` prefix) entry point. */
export const handler = (event: S3Event): Promise<void> => uploads.handle(event);
