/**
 * Fault 6 of issue 12, the pure parts: file names in any script through multipart and
 * X-File-Name, malformed percent-encoded paths, forged list cursors, and 503 details that say
 * nothing of our infrastructure.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyError, DependencyRejectedError, InvalidParameterError, MalformedRequestError } from '../../../core';
import { DynamoDbMetadataStore } from '../../../core/adapters/dynamodb/metadata-store';
import { decodeFileNameHeader, readMultipartFile } from '../../../ingest-api/request-body';
import { problemResponse } from '../../../ingest-api/problem';
import { matchRoute } from '../../../ingest-api/routes';

function multipart(disposition: string, content: Buffer): { body: Buffer; contentType: string } {
  const boundary = 'edge-boundary-1234';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; ${disposition}\r\nContent-Type: image/jpeg\r\n\r\n`, 'utf8'),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('file names in any script', () => {
  it.each([
    ['Cyrillic, emoji and Latin-1 letters', 'фото 😀 ünï.jpg'],
    ['CJK', '写真.jpg'],
    ['Arabic', 'صورة.png'],
    ['Devanagari', 'चित्र.webp'],
  ])('a browser multipart upload naming its file in raw UTF-8 (%s) keeps the name', async (_name, fileName) => {
    const { body, contentType } = multipart(`name="file"; filename="${fileName}"`, Buffer.from('bytes'));
    const file = await readMultipartFile(body, contentType, 1024);
    expect(file.fileName).toBe(fileName);
    expect(file.bytes.toString()).toBe('bytes');
  });

  it('honours RFC 5987 filename* in multipart', async () => {
    const { body, contentType } = multipart(`name="file"; filename*=UTF-8''${encodeURIComponent('写真 1.jpg')}`, Buffer.from('x'));
    expect((await readMultipartFile(body, contentType, 1024)).fileName).toBe('写真 1.jpg');
  });

  it.each([
    ['percent-encoded UTF-8', encodeURIComponent('写真.jpg'), '写真.jpg'],
    ['RFC 5987 extended value', `UTF-8''${encodeURIComponent('фото 😀.jpg')}`, 'фото 😀.jpg'],
    ['plain ASCII', 'cat.jpg', 'cat.jpg'],
    ['raw UTF-8 bytes read as Latin-1', Buffer.from('ünï.jpg', 'utf8').toString('latin1'), 'ünï.jpg'],
    ['an encoded percent sign', encodeURIComponent('100%.jpg'), '100%.jpg'],
  ])('X-File-Name as %s', (_name, header, expected) => {
    expect(decodeFileNameHeader(header)).toBe(expected);
  });

  it.each([['%E0%A4%A'], ['%ZZ.jpg'], ["UTF-8''%FF%FE.jpg"], [Buffer.from([0xff, 0xfe, 0x41]).toString('latin1')]])('refuses a malformed X-File-Name %j with a 400', (header) => {
    expect(() => decodeFileNameHeader(header)).toThrow(InvalidParameterError);
  });
});

describe('multipart bodies carry one file', () => {
  const boundary = 'parts-boundary-5678';
  const part = (name: string, disposition: string, content: string): string => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${disposition}\r\n\r\n${content}\r\n`;
  const contentType = `multipart/form-data; boundary=${boundary}`;

  it.each([
    ['two files in two fields', [part('a', '; filename="x.jpg"', 'one'), part('b', '; filename="y.png"', 'two')]],
    ['two files in one field', [part('file', '; filename="x.jpg"', 'one'), part('file', '; filename="y.jpg"', 'two')]],
    ['three files after a text field', [part('note', '', 'hi'), part('a', '; filename="1.jpg"', '1'), part('b', '; filename="2.jpg"', '2'), part('c', '; filename="3.jpg"', '3')]],
  ])('%s: refused with 400 saying one image per request, none kept', async (_name, parts) => {
    const body = Buffer.from(`${parts.join('')}--${boundary}--\r\n`, 'utf8');
    await expect(readMultipartFile(body, contentType, 1024)).rejects.toMatchObject({ constructor: MalformedRequestError, message: 'the multipart body has more than one file; send one image per request' });
  });

  it('one file beside text fields is read', async () => {
    const body = Buffer.from(`${part('note', '', 'hi')}${part('file', '; filename="x.jpg"', 'one')}--${boundary}--\r\n`, 'utf8');
    expect(await readMultipartFile(body, contentType, 1024)).toEqual({ bytes: Buffer.from('one'), fileName: 'x.jpg' });
  });
});

describe('malformed percent-encoded paths', () => {
  it.each([['/v1/images/%E0%A4%A'], ['/v1/images/%'], ['/v1/images/%C0%AF'], ['/v1/images/abc%2']])('%s is malformed, not a 500', (path) => {
    expect(matchRoute('GET', path)).toEqual({ malformedPath: true });
  });

  it('still decodes well-formed paths', () => {
    expect(matchRoute('GET', '/v1/images/abc%2Ddef')).toMatchObject({ pathParameters: { id: 'abc-def' } });
  });
});

describe('list cursors are checked before DynamoDB sees them', () => {
  // Never reached: every cursor below is refused before a request is built.
  const store = new DynamoDbMetadataStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 })),
    'images',
  );
  const cursor = (key: unknown): string => Buffer.from(JSON.stringify(key)).toString('base64url');
  const valid = { imageId: '0190a0b0-0000-7000-8000-000000000000', customerId: 'acme', createdAt: '2024-05-17T08:30:15.123Z' };

  it.each([
    ['another customer’s cursor', cursor({ ...valid, customerId: 'beta' })],
    ['an extra attribute', cursor({ ...valid, status: 'FAILED' })],
    ['a missing attribute', cursor({ imageId: valid.imageId, customerId: 'acme' })],
    ['an invalid image id', cursor({ ...valid, imageId: '../../x' })],
    ['a sort key that is not a timestamp', cursor({ ...valid, createdAt: 'zzz' })],
    ['an array', cursor([valid])],
    ['not base64url', 'a+b/c=='],
    ['random text', 'bogus'],
    ['an oversized cursor', 'A'.repeat(5000)],
  ])('refuses %s', async (_name, forged) => {
    await expect(store.listByCustomer('acme', { limit: 10, cursor: forged }, new Date())).rejects.toBeInstanceOf(InvalidParameterError);
  });
});

describe('dependency failures: generic details for callers, specifics for the log', () => {
  it.each([
    ['a retriable failure naming the secret', new DependencyError('Secrets Manager', 'Secrets Manager GetSecretValue image-pipeline/api-keys failed: TimeoutError'), 503],
    ['an access-denied refusal', new DependencyRejectedError('Secrets Manager', 'Secrets Manager refused GetSecretValue (AccessDeniedException); not retried'), 500],
  ])('%s', (_name, error, status) => {
    const { response, internal } = problemResponse(error, 'req-1');
    expect(response.statusCode).toBe(status);
    expect(internal).toBe(true);
    expect(response.body).not.toMatch(/Secrets Manager|AccessDenied|api-keys|GetSecretValue|TimeoutError/);
    expect(JSON.parse(response.body).detail).toContain('req-1');
  });
});
