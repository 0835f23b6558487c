import type { APIGatewayProxyEvent } from 'aws-lambda';
import { allowedOriginFor, corsResponseHeaders, preflightResponse, withCors } from '../../../ingest-api';

// The CORS rules as pure functions; the same rules over real HTTP are in test/integration/cors.test.ts.
const cors = { allowedOrigins: ['https://app.example.com'], allowCredentials: false };

function event(method: string, path: string, headers: Record<string, string>): APIGatewayProxyEvent {
  return { httpMethod: method, path, headers, requestContext: { requestId: 'req-1' } } as unknown as APIGatewayProxyEvent;
}

describe('CORS rules', () => {
  it('matches origins case-insensitively and answers with the origin as sent', () => {
    expect(allowedOriginFor(cors, 'https://APP.example.com')).toBe('https://APP.example.com');
    expect(allowedOriginFor(cors, 'https://app.example.com.evil.net')).toBeUndefined();
    expect(allowedOriginFor(cors, 'null')).toBeUndefined();
    expect(allowedOriginFor(cors, undefined)).toBeUndefined();
  });

  it('sends Allow-Credentials only when configured, and never answers * to a credentialed config', () => {
    expect(corsResponseHeaders({ ...cors, allowCredentials: true }, 'https://app.example.com')['Access-Control-Allow-Credentials']).toBe('true');
    expect(corsResponseHeaders(cors, 'https://app.example.com')['Access-Control-Allow-Credentials']).toBeUndefined();
    expect(allowedOriginFor({ allowedOrigins: ['*'], allowCredentials: true }, 'https://any.example')).toBeUndefined();
  });

  it('leaves non-OPTIONS requests and unknown paths to the handler', () => {
    expect(preflightResponse(cors, event('GET', '/v1/images', { Origin: 'https://app.example.com' }))).toBeUndefined();
    expect(preflightResponse(cors, event('OPTIONS', '/v2/images', { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' }))).toBeUndefined();
  });

  it('merges its Vary with a Vary the handler already set, and keeps the handler status and body', async () => {
    const wrapped = withCors(cors, async () => ({ statusCode: 202, headers: { vary: 'Accept' }, body: 'ok' }));
    const result = await wrapped(event('GET', '/v1/images', { origin: 'https://app.example.com' }));
    expect(result).toMatchObject({ statusCode: 202, body: 'ok' });
    expect(result.headers).toMatchObject({ Vary: 'Accept, Origin', 'Access-Control-Allow-Origin': 'https://app.example.com' });
    expect(result.headers?.vary).toBeUndefined();
  });
});
