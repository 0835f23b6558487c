import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { loadConfig } from '../core';
import { createPipelineRuntime } from '../core/runtime';
import { IngestApi } from './api';
import { withCors } from './cors';

// Built once per cold start; a bad configuration fails here, naming the variable.
const config = loadConfig();
const runtime = createPipelineRuntime(config, 'ingest-api');
const api = new IngestApi(runtime);
const cors = withCors(config.cors, (event) => api.handle(event));

/**
 * API Gateway (REST API, Lambda proxy integration) entry point; CORS preflights included.
 * Traced (`## handler`, docs/tracing.md) when tracing is on.
 */
export const handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> = runtime.telemetry.traceHandler((event: APIGatewayProxyEvent) => cors(event));
