export { IngestApi } from './api';
export { UploadProcessor } from './uploads';
export { ROUTES, BINARY_MEDIA_TYPES, matchRoute, isBinaryMediaType, type RouteName } from './routes';
export { problemResponse, HttpError } from './problem';
export {
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  CORS_MAX_AGE_SECONDS,
  allowedOriginFor,
  corsResponseHeaders,
  preflightResponse,
  uploadBucketCorsRules,
  withCors,
  type BucketCorsRule,
  type ProxyHandler,
} from './cors';
export { DIRECT_UPLOAD_MAX_BYTES } from './limits';
