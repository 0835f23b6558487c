export { IngestApi } from './api';
export { UploadProcessor } from './uploads';
export { ROUTES, BINARY_MEDIA_TYPES, matchRoute, isBinaryMediaType, type RouteName } from './routes';
export { problemResponse, HttpError } from './problem';
