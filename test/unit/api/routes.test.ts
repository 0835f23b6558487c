/** The route table (ingest-api/routes.ts) the router, the local adapter and the CDKTF app share. */
import { BINARY_MEDIA_TYPES, ROUTES, imagePath, isBinaryMediaType, matchRoute, methodsForPath } from '../../../ingest-api/routes';

const ID = '0190a0b0-0000-7000-8000-000000000000';

describe('the route table', () => {
  it('has five routes, each a unique method + resource and a unique name', () => {
    expect(ROUTES).toHaveLength(5);
    expect(new Set(ROUTES.map((r) => `${r.method} ${r.resource}`)).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((r) => r.name)).size).toBe(ROUTES.length);
    for (const route of ROUTES) expect(route.resource).toMatch(/^\/[a-z0-9/{}]+$/);
  });

  it.each([
    ['POST', '/v1/images', 'createImage', {}],
    ['GET', '/v1/images', 'listImages', {}],
    ['GET', `/v1/images/${ID}`, 'getImage', { id: ID }],
    ['POST', '/v1/uploads', 'createUpload', {}],
    ['GET', '/healthz', 'health', {}],
  ])('%s %s is %s', (method, path, name, pathParameters) => {
    expect(matchRoute(method, path)).toEqual({ route: expect.objectContaining({ name }), pathParameters });
  });
});

describe('matching', () => {
  it.each([['/v2/images'], ['/'], ['/v1/images/'], ['/v1/images/a/b'], ['/V1/IMAGES'], ['/healthz/']])('%s matches no route', (path) => {
    expect(matchRoute('GET', path)).toBeUndefined();
  });

  it.each([
    ['DELETE', '/v1/images'],
    ['PUT', `/v1/images/${ID}`],
    ['HEAD', '/v1/images'],
    ['OPTIONS', '/v1/uploads'],
    ['POST', '/healthz'],
  ])('%s %s is a known path with another method', (method, path) => {
    expect(matchRoute(method, path)).toEqual({ methodNotAllowed: true });
  });

  it('decodes path parameters', () => {
    expect(matchRoute('GET', '/v1/images/%E5%86%99%E7%9C%9F')).toMatchObject({ pathParameters: { id: '写真' } });
  });

  it.each([['/v1/images/%E0%A4%A'], ['/v1/images/%FF']])('%s is malformed', (path) => {
    expect(matchRoute('GET', path)).toEqual({ malformedPath: true });
  });
});

describe('methods per path', () => {
  it.each([
    ['/v1/images', ['POST', 'GET']],
    [`/v1/images/${ID}`, ['GET']],
    ['/v1/uploads', ['POST']],
    ['/healthz', ['GET']],
    ['/nope', []],
  ])('%s serves %j', (path, methods) => {
    expect(methodsForPath(path)).toEqual(methods);
  });
});

describe('helpers', () => {
  it('imagePath is the GET route of one image', () => {
    expect(imagePath(ID)).toBe(`/v1/images/${ID}`);
    expect(matchRoute('GET', imagePath(ID))).toMatchObject({ route: { name: 'getImage' }, pathParameters: { id: ID } });
  });

  it.each([
    ['image/jpeg', true],
    ['IMAGE/PNG; charset=binary', true],
    ['multipart/form-data; boundary=x', true],
    ['application/octet-stream', true],
    ['application/json', false],
    ['text/plain', false],
    [undefined, false],
  ])('%s is binary: %s', (contentType, binary) => {
    expect(isBinaryMediaType(contentType)).toBe(binary);
  });

  it('binary media types are what API Gateway must be told', () => {
    expect(BINARY_MEDIA_TYPES).toEqual(['image/*', 'multipart/form-data', 'application/octet-stream']);
  });
});
