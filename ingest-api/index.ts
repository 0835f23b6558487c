export { IngestApi, type IngestApiOptions } from './api';
export { GatewayAuthorizerAuthenticator, type Authenticator } from './authentication';
export { fromApiGatewayEvent, type HttpRequest } from './http';
export { UploadProcessor } from './uploads';
export { ROUTES, BINARY_MEDIA_TYPES, matchRoute, methodsForPath, imagePath, isBinaryMediaType, type RouteName } from './routes';
export { HTTP_PROBLEMS, problemResponse, problemType, type Problem } from './problem';
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
