/**
 * Lambda's synchronous invocation payload limit: 6 MB (6,291,456 bytes) for the whole event.
 * Source: AWS Lambda quotas, "Invocation payload (request and response)".
 */
export const LAMBDA_INVOKE_PAYLOAD_BYTES = 6_291_456;

/** Room left in the event for headers, request context and JSON framing. */
const EVENT_ENVELOPE_BYTES = 64 * 1024;

/**
 * Largest file a client should send straight to `POST /v1/images` behind API Gateway: API Gateway
 * base64-encodes binary bodies (4 bytes per 3), and the event must fit Lambda's 6 MB payload
 * limit. Larger files (up to the image limit) go through `POST /v1/uploads` and a presigned S3
 * POST. 4,669,440 bytes, about 4.45 MiB.
 */
export const DIRECT_UPLOAD_MAX_BYTES = Math.floor(((LAMBDA_INVOKE_PAYLOAD_BYTES - EVENT_ENVELOPE_BYTES) * 3) / 4);
