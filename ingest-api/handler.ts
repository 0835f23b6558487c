import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { loadConfig } from '../core';
import { createPipelineRuntime } from '../core/runtime';
import { IngestApi } from './api';
import { withCors } from './cors';

// Built once per cold start; a bad configuration fails here, naming the variable.
const config = loadConfig();
const api = new IngestApi(createPipelineRuntime(config, 'ingest-api'));
const cors = withCors(config.cors, (event) => api.handle(event));

/** API Gateway (REST API, Lambda proxy integration) entry point; CORS preflights included. */
export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => cors(event);
