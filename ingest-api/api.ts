import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { RequestLimiter } from '../core';
import type { PipelineRuntime } from '../core/runtime';
import { GatewayAuthorizerAuthenticator, type Authenticator } from './authentication';
import { fromApiGatewayEvent } from './http';
import { jsonResponse } from './problem';
import { isJsonContentType, readImageUpload, readUploadRequest, readUrlImportRequest } from './request-body';
import { imagePath } from './routes';
import { Router, type RouteBindings } from './router';
import { createImage } from './use-cases/create-image';
import { createUpload } from './use-cases/create-upload';
import { importImage } from './use-cases/import-image';
import { getImage } from './use-cases/get-image';
import { listImages } from './use-cases/list-images';

/** Options of {@link IngestApi}. */
export interface IngestApiOptions {
  /**
   * Who the caller is, for every route but `/healthz`.
   * @default the customer the gateway's authorizer attached ({@link GatewayAuthorizerAuthenticator})
   */
  authenticator?: Authenticator;
  /**
   * Per-customer limits, checked after authentication (see `RouterOptions.limiter`): the local
   * adapter passes `InMemoryRequestLimiter`; the Lambda none (API Gateway usage plans).
   * @default none
   */
  limiter?: RequestLimiter;
}

/**
 * The REST API behind API Gateway: each route bound to its use case. A binding reads what the
 * use case needs from the request (headers, query, body readers), calls it on plain values and
 * shapes the success; refusals are thrown and answered by the router's one error map. The
 * Lambda entry point and the local HTTP adapter both call {@link IngestApi.handle}.
 * @example
 * const api = new IngestApi(createPipelineRuntime(loadConfig(), 'ingest-api'));
 * export const handler = (event: APIGatewayProxyEvent) => api.handle(event);
 */
export class IngestApi {
  private readonly router: Router;

  constructor(runtime: PipelineRuntime, options: IngestApiOptions = {}) {
    const { config, pipeline, blobs, metadata, fetcher, importQueue } = runtime;
    const views = { blobs, processedBucket: config.processedBucket, presignExpirySeconds: config.presignExpirySeconds };
    const { maxImageBytes } = config.limits;
    const bindings: RouteBindings = {
      health: {
        access: 'public',
        handle: async ({ request }) => jsonResponse(200, { status: 'ok' }, request.requestId),
      },
      createImage: {
        access: 'customer',
        handle: async ({ request, customerId }) => {
          const { headers } = request;
          if (isJsonContentType(headers['content-type'])) {
            // A URL import: accepted now (202), downloaded and processed by the import worker.
            const { image, duplicate } = await importImage(
              { pipeline, fetcher, queue: importQueue, views },
              { customerId, request: readUrlImportRequest(request.body), idempotencyKey: headers['idempotency-key'], requestId: request.requestId },
            );
            return jsonResponse(202, image, request.requestId, { Location: imagePath(image.imageId), ...(duplicate ? { 'Idempotent-Replayed': 'true' } : {}) });
          }
          const upload = await readImageUpload({ contentType: headers['content-type'], fileNameHeader: headers['x-file-name'], body: request.body }, maxImageBytes);
          const { image, duplicate } = await createImage(
            { pipeline, views },
            { customerId, bytes: upload.bytes, fileName: upload.fileName, idempotencyKey: headers['idempotency-key'], requestId: request.requestId },
          );
          return jsonResponse(201, image, request.requestId, { Location: imagePath(image.imageId), ...(duplicate ? { 'Idempotent-Replayed': 'true' } : {}) });
        },
      },
      getImage: {
        access: 'customer',
        handle: async ({ request, customerId, pathParameters }) =>
          jsonResponse(200, await getImage({ metadata, views }, { customerId, imageId: pathParameters.id ?? '' }), request.requestId),
      },
      listImages: {
        access: 'customer',
        handle: async ({ request, customerId }) => jsonResponse(200, await listImages({ metadata, views }, { customerId, query: request.query }), request.requestId),
      },
      createUpload: {
        access: 'customer',
        handle: async ({ request, customerId }) => {
          const { fileName } = readUploadRequest(request.body);
          const created = await createUpload({ blobs, rawBucket: config.rawBucket, maxImageBytes, presignExpirySeconds: config.presignExpirySeconds }, { customerId, fileName, idempotencyKey: request.headers['idempotency-key'] });
          return jsonResponse(201, created, request.requestId);
        },
      },
    };
    this.router = new Router(bindings, {
      authenticator: options.authenticator ?? new GatewayAuthorizerAuthenticator(),
      telemetry: runtime.telemetry,
      limiter: options.limiter,
    });
  }

  /** Handles one API Gateway REST proxy event; never throws. */
  handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    return this.router.handle(fromApiGatewayEvent(event));
  }
}
