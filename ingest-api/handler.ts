import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createPipelineRuntime, loadConfig } from '../core';
import { IngestApi } from './api';

// Built once per cold start; a bad configuration fails here, naming the variable.
const api = new IngestApi(createPipelineRuntime(loadConfig(), 'ingest-api'));

/** API Gateway (REST API, Lambda proxy integration) entry point. */
export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => api.handle(event);
