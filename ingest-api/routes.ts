/**
 * The REST API's routes as API Gateway resources. The router dispatches on them (`api.ts` binds
 * each name to its use case), the local HTTP adapter matches requests against them to build the
 * same events, and the CDKTF app creates the same resources.
 */
export const ROUTES = [
  { method: 'POST', resource: '/v1/images', name: 'createImage' },
  { method: 'GET', resource: '/v1/images', name: 'listImages' },
  { method: 'GET', resource: '/v1/images/{id}', name: 'getImage' },
  { method: 'POST', resource: '/v1/uploads', name: 'createUpload' },
  { method: 'GET', resource: '/healthz', name: 'health' },
] as const;

/** The name of one of {@link ROUTES}. */
export type RouteName = (typeof ROUTES)[number]['name'];

/** One of {@link ROUTES}. */
export type Route = (typeof ROUTES)[number];

/** The path of an image's record, `GET /v1/images/{id}`: the `Location` of a new or rejected image. */
export function imagePath(imageId: string): string {
  return `/v1/images/${encodeURIComponent(imageId)}`;
}

/** Media types API Gateway must pass as binary (base64 to the Lambda). */
export const BINARY_MEDIA_TYPES = ['image/*', 'multipart/form-data', 'application/octet-stream'] as const;

/**
 * The route and path parameters for a method and path, or undefined. A path parameter that is
 * not valid percent-encoded UTF-8 (e.g. `/v1/images/%E0%A4%A`) gives `{ malformedPath: true }`.
 */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; pathParameters: Record<string, string> } | { methodNotAllowed: true } | { malformedPath: true } | undefined {
  let pathMatched = false;
  for (const route of ROUTES) {
    const names: string[] = [];
    const pattern = new RegExp(`^${route.resource.replace(/\{(\w+)\}/g, (_, name: string) => (names.push(name), '([^/]+)'))}$`);
    const match = pattern.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    try {
      return { route, pathParameters: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1] ?? '')])) };
    } catch {
      return { malformedPath: true };
    }
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}

/** True when API Gateway would base64-encode a body of this content type. */
export function isBinaryMediaType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return BINARY_MEDIA_TYPES.some((pattern) => (pattern.endsWith('/*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern));
}

/** The methods the API serves on `path` (empty when no route has that path), in {@link ROUTES} order. */
export function methodsForPath(path: string): string[] {
  const methods = [...new Set(ROUTES.map((route) => route.method))];
  return methods.filter((method) => {
    const matched = matchRoute(method, path);
    return matched !== undefined && 'route' in matched;
  });
}
