import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ERROR_CODES, IMAGE_STATUSES, ImageTooLargeError, isImageRejectionCode, NotFoundError, PipelineError, UnauthorizedError, findCustomerForKey, incomingKey, assertFileNameBounds, invalidParameterError, isValidImageId, newImageId, parseApiKeySecret, type ImageRecord, type ImageStatus } from '../core';
import { imageIdForKey, type PipelineRuntime } from '../core/runtime';
import { HttpError, INTERNAL_DETAIL_CODES, genericDetail, jsonResponse, problemResponse } from './problem';
import { bodyBytes, decodeFileNameHeader, readMultipartFile, readUploadRequest, type UploadedFile } from './request-body';
import { matchRoute, type RouteName } from './routes';

/** Headers with lower-case names; API Gateway REST passes them as the client sent them. */
function lowerCaseHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  return headers;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The public view of a record, with fresh presigned GET URLs for the variants. */
async function presentRecord(runtime: PipelineRuntime, record: ImageRecord): Promise<Record<string, unknown>> {
  const expires = runtime.config.presignExpirySeconds;
  const variants: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(record.variants ?? {})) {
    variants[name] = { format: v.format, contentType: v.contentType, width: v.width, height: v.height, bytes: v.bytes, key: v.key, url: await runtime.blobs.presignGet({ bucket: runtime.config.processedBucket, key: v.key }, expires) };
  }
  return {
    imageId: record.imageId,
    status: record.status,
    source: record.source,
    customerId: record.customerId,
    fileName: record.fileName,
    format: record.format,
    contentType: record.contentType,
    width: record.width,
    height: record.height,
    bytes: record.bytes,
    sha256: record.sha256,
    metadata: { hasAlpha: record.hasAlpha, colorSpace: record.colorSpace, orientation: record.orientation, capturedAt: record.capturedAt, cameraMake: record.cameraMake, cameraModel: record.cameraModel },
    raw: record.raw,
    variants,
    error: record.error,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    expiresAt: record.expiresAt,
  };
}

/** The REST use cases behind API Gateway; the Lambda handler and the local adapter both call {@link handle}. */
export class IngestApi {
  constructor(private readonly runtime: PipelineRuntime) {}

  /** Handles one API Gateway REST proxy event; never throws. */
  async handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const requestId = event.requestContext?.requestId ?? newImageId();
    const log = this.runtime.telemetry.child({ requestId, method: event.httpMethod, path: event.path });
    try {
      const matched = matchRoute(event.httpMethod, event.path);
      if (matched === undefined) throw new HttpError(404, 'Not Found', `no route for ${event.httpMethod} ${event.path}`);
      if ('malformedPath' in matched) throw new HttpError(400, 'Bad Request', 'the path is not valid percent-encoded UTF-8');
      if ('methodNotAllowed' in matched) throw new HttpError(405, 'Method Not Allowed', `${event.httpMethod} is not allowed on ${event.path}`);
      const headers = lowerCaseHeaders(event);
      const name: RouteName = matched.route.name;
      if (name === 'health') return jsonResponse(200, { status: 'ok' }, requestId);
      const customerId = await this.authenticate(headers);
      const context = { event, headers, customerId, requestId, pathParameters: matched.pathParameters };
      switch (name) {
        case 'createImage':
          return await this.createImage(context);
        case 'getImage':
          return await this.getImage(context);
        case 'listImages':
          return await this.listImages(context);
        case 'createUpload':
          return await this.createUpload(context);
      }
    } catch (error) {
      const { response, internal } = problemResponse(error, requestId);
      if (internal) log.error('request failed', { error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack, cause: (error.cause as Error | undefined)?.name } : String(error) });
      else log.info('request refused', { status: response.statusCode, code: (error as { code?: string }).code });
      return response;
    } finally {
      this.runtime.telemetry.flush();
    }
  }

  /** The customer owning the presented API key. @throws UnauthorizedError */
  private async authenticate(headers: Record<string, string>): Promise<string> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    const key = headers['x-api-key'] ?? bearer;
    if (key === undefined || key === '') throw new UnauthorizedError('an API key is required: send it as x-api-key or Authorization: Bearer');
    const secret = parseApiKeySecret(await this.runtime.secrets.getSecretString(this.runtime.config.apiKeySecretId));
    const customerId = findCustomerForKey(secret, key);
    if (customerId === undefined) throw new UnauthorizedError('the API key is not valid');
    return customerId;
  }

  private async createImage(ctx: RequestContext): Promise<APIGatewayProxyResult> {
    const { maxImageBytes } = this.runtime.config.limits;
    const contentType = ctx.headers['content-type'] ?? '';
    const body = bodyBytes(ctx.event);
    let upload: UploadedFile;
    if (/^multipart\/form-data/i.test(contentType)) {
      upload = await readMultipartFile(body, contentType, maxImageBytes);
    } else if (/^image\//i.test(contentType)) {
      if (body.length > maxImageBytes) throw new ImageTooLargeError(maxImageBytes, `the body is ${body.length} bytes; the limit is ${maxImageBytes}`);
      upload = { bytes: body, fileName: decodeFileNameHeader(ctx.headers['x-file-name']) };
    } else {
      throw new HttpError(415, 'Unsupported Media Type', `Content-Type must be image/* or multipart/form-data, got "${contentType.slice(0, 80)}"`);
    }
    if (upload.bytes.length === 0) throw new HttpError(400, 'Bad Request', 'the request has no image bytes');

    const key = ctx.headers['idempotency-key'];
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw invalidParameterError('Idempotency-Key', '1-255 printable ASCII characters', key);
    const imageId = key === undefined ? newImageId() : imageIdForKey(ctx.customerId, key);
    // Bounds (length, control characters) are checked by the pipeline, the same as on the stream.
    const fileName = upload.fileName === '' ? undefined : upload.fileName;
    const { record, duplicate } = await this.runtime.pipeline.ingest(
      { imageId, source: 'api', customerId: ctx.customerId, bytes: upload.bytes, idempotencyKey: key, fileName, correlation: { requestId: ctx.requestId } },
      { rejectOversize: true },
    );
    if (record.status === 'FAILED') return this.rejectedImage(record, ctx.requestId);
    return jsonResponse(201, await presentRecord(this.runtime, record), ctx.requestId, {
      Location: `/v1/images/${record.imageId}`,
      ...(duplicate ? { 'Idempotent-Replayed': 'true' } : {}),
    });
  }

  /** A FAILED record answers 415/422 with the record's error and id (the raw bytes are kept). */
  private rejectedImage(record: ImageRecord, requestId: string): APIGatewayProxyResult {
    const code = record.error?.code;
    if (!isImageRejectionCode(code)) {
      // Not the image's fault: the record keeps the reason for operators; the caller gets a generic 500 naming the image.
      const reported = code !== undefined && INTERNAL_DETAIL_CODES.has(code) ? code : ERROR_CODES.internal;
      return problemResponse(new PipelineError(reported, genericDetail(reported, requestId), { context: { imageId: record.imageId } }), requestId).response;
    }
    const status = code === 'UNSUPPORTED_IMAGE' ? 415 : code === 'IMAGE_TOO_LARGE' ? 413 : 422;
    const title = status === 415 ? 'Unsupported Media Type' : status === 413 ? 'Payload Too Large' : 'Unprocessable Content';
    return {
      statusCode: status,
      headers: { 'Content-Type': 'application/problem+json', 'X-Request-Id': requestId, Location: `/v1/images/${record.imageId}` },
      body: JSON.stringify({ type: `urn:image-pipeline:error:${(code ?? 'failed').toLowerCase()}`, title, status, detail: record.error?.message ?? 'the image was rejected', code, imageId: record.imageId }),
    };
  }

  private async getImage(ctx: RequestContext): Promise<APIGatewayProxyResult> {
    const imageId = ctx.pathParameters.id ?? '';
    if (!isValidImageId(imageId)) throw invalidParameterError('id', 'an image id', imageId);
    const record = await this.runtime.metadata.get(imageId, new Date());
    // Another customer's image is as invisible as a missing one.
    if (record === undefined || record.customerId !== ctx.customerId) throw new NotFoundError(`image ${imageId} does not exist or has expired`);
    return jsonResponse(200, await presentRecord(this.runtime, record), ctx.requestId);
  }

  private async listImages(ctx: RequestContext): Promise<APIGatewayProxyResult> {
    const query = ctx.event.queryStringParameters ?? {};
    if (query.customerId !== undefined && query.customerId !== ctx.customerId) {
      throw new HttpError(403, 'Forbidden', 'an API key can only list its own customer\'s images');
    }
    const status = query.status;
    if (status !== undefined && !(IMAGE_STATUSES as readonly string[]).includes(status)) throw invalidParameterError('status', IMAGE_STATUSES.join(' | '), status);
    const limit = query.limit === undefined ? 20 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalidParameterError('limit', 'integer between 1 and 100', query.limit);
    const page = await this.runtime.metadata.listByCustomer(ctx.customerId, { status: status as ImageStatus | undefined, limit, cursor: query.cursor }, new Date());
    const items = await Promise.all(page.items.map((record) => presentRecord(this.runtime, record)));
    return jsonResponse(200, { items, cursor: page.cursor }, ctx.requestId);
  }

  private async createUpload(ctx: RequestContext): Promise<APIGatewayProxyResult> {
    const request = readUploadRequest(bodyBytes(ctx.event));
    if (request.fileName !== undefined) assertFileNameBounds(request.fileName);
    const imageId = newImageId();
    const { config } = this.runtime;
    const metadata: Record<string, string> = { 'customer-id': ctx.customerId };
    // S3 user metadata must be ASCII: the file name travels percent-encoded.
    if (typeof request.fileName === 'string') metadata['file-name'] = encodeURIComponent(request.fileName);
    const post = await this.runtime.blobs.presignPost(
      { bucket: config.rawBucket, key: incomingKey(imageId) },
      { maxBytes: config.limits.maxImageBytes, contentTypePrefix: 'image/', metadata, expiresInSeconds: config.presignExpirySeconds },
    );
    return jsonResponse(201, { imageId, upload: post, maxBytes: config.limits.maxImageBytes, expiresInSeconds: config.presignExpirySeconds, statusUrl: `/v1/images/${imageId}` }, ctx.requestId);
  }
}

interface RequestContext {
  event: APIGatewayProxyEvent;
  headers: Record<string, string>;
  customerId: string;
  requestId: string;
  pathParameters: Record<string, string>;
}
