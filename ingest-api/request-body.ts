/**
 * Readers of REST request bodies and headers: each returns a value or throws a typed refusal
 * from the one error hierarchy (`MalformedRequestError`, `InvalidParameterError`,
 * `ImageTooLargeError`, `UnsupportedMediaTypeError`), in time proportional to the input. Fuzzed
 * in test/unit/fuzz/edges.test.ts.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import busboy from 'busboy';
import { ImageTooLargeError, InvalidParameterError, MalformedRequestError, UnsupportedMediaTypeError, canonicalSourceUrl, invalidParameterError } from '../core';

/** One file from a `multipart/form-data` body. */
export interface UploadedFile {
  bytes: Buffer;
  fileName?: string;
}

/** The body of a REST proxy event as bytes (API Gateway base64-encodes binary media types). */
export function bodyBytes(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/**
 * Reads the one file field of a multipart body, refusing more than `maxBytes` of file
 * content as soon as it is passed. File names are read as UTF-8, as browsers send them (raw
 * UTF-8 in `filename="…"`, RFC 7578 §4.2), and RFC 5987 `filename*=UTF-8''…` is honoured.
 *
 * @throws MalformedRequestError (400) for a malformed body, one without a file field or one with
 *   more than one; ImageTooLargeError over `maxBytes`.
 */
export function readMultipartFile(body: Buffer, contentType: string, maxBytes: number): Promise<UploadedFile> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType }, defParamCharset: 'utf8', limits: { files: 1, fileSize: maxBytes, fields: 20, parts: 25, fieldSize: 64 * 1024, headerPairs: 50 } });
    } catch {
      reject(new MalformedRequestError('the multipart body has no usable boundary'));
      return;
    }
    let file: Promise<UploadedFile> | undefined;
    let moreThanOneFile = false;
    // busboy stops at `limits.files` and says so: a second file is refused, never dropped unseen.
    parser.on('filesLimit', () => (moreThanOneFile = true));
    // With `limits.files` 1, busboy emits 'file' once; a second file is `filesLimit` above.
    parser.on('file', (_field, stream, info) => {
      file = new Promise((done, fail) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('limit', () => fail(new ImageTooLargeError(maxBytes, `the uploaded file is larger than ${maxBytes} bytes`)));
        stream.on('error', () => fail(new MalformedRequestError('the multipart body is malformed')));
        stream.on('end', () => done({ bytes: Buffer.concat(chunks), fileName: info.filename }));
      });
      file.catch(() => undefined);
    });
    parser.on('error', () => reject(new MalformedRequestError('the multipart body is malformed')));
    parser.on('close', () => {
      if (moreThanOneFile) reject(new MalformedRequestError('the multipart body has more than one file; send one image per request'));
      else if (file === undefined) reject(new MalformedRequestError('the multipart body has no file field'));
      else file.then(resolve, reject);
    });
    parser.end(body);
  });
}

const RFC_5987_UTF8 = /^UTF-8'[A-Za-z0-9-]*'(.*)$/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The file name carried by an `X-File-Name` header. HTTP header values are ASCII, so a name in
 * any other script travels percent-encoded UTF-8 (`encodeURIComponent`, RFC 3986 §2.1), or in
 * the RFC 5987 form `UTF-8''%E5%86%99%E7%9C%9F.jpg`; plain ASCII names may be sent as they are.
 * A header that arrived as raw UTF-8 bytes (read by Node as Latin-1) is read as UTF-8.
 *
 * @returns the name, or undefined when the header is absent or empty.
 * @throws InvalidParameterError when the percent-encoding is malformed or not UTF-8.
 * @example
 * decodeFileNameHeader('%E5%86%99%E7%9C%9F.jpg') // '写真.jpg'
 */
export function decodeFileNameHeader(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const extended = RFC_5987_UTF8.exec(value);
  const encoded = extended?.[1] ?? value;
  if (/[^\x00-\x7f]/.test(encoded)) {
    // Raw bytes above 0x7f: Node and API Gateway hand them over one byte per character.
    if (/[^\x00-\xff]/.test(encoded)) return encoded;
    try {
      return UTF8.decode(Buffer.from(encoded, 'latin1'));
    } catch {
      throw invalidParameterError('X-File-Name', 'a percent-encoded UTF-8 file name', encoded);
    }
  }
  if (extended === undefined && !encoded.includes('%')) return encoded;
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw invalidParameterError('X-File-Name', 'a percent-encoded UTF-8 file name', encoded);
  }
}

/** What `POST /v1/uploads` may carry. */
export interface UploadRequest {
  fileName?: string;
}

/**
 * Parses the optional JSON body of `POST /v1/uploads`.
 *
 * @throws MalformedRequestError (400) when the body is not a JSON object; InvalidParameterError when
 *   `fileName` is not a string of at most 255 characters.
 */
export function readUploadRequest(body: Buffer): UploadRequest {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedRequestError('the body must be JSON, e.g. {"fileName":"cat.jpg"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedRequestError('the body must be a JSON object');
  const fileName = (parsed as { fileName?: unknown }).fileName;
  if (fileName !== undefined && (typeof fileName !== 'string' || [...fileName].length > 255)) {
    throw invalidParameterError('fileName', 'string of at most 255 characters', fileName);
  }
  return fileName === undefined ? {} : { fileName };
}

/** What `POST /v1/images` reads from its request. */
export interface ImageUploadRequest {
  /** The `Content-Type` header. */
  contentType: string | undefined;
  /** The `X-File-Name` header (used for a raw `image/*` body). */
  fileNameHeader: string | undefined;
  body: Buffer;
}

/**
 * The image of a `POST /v1/images` request: a raw `image/*` body named by `X-File-Name`, or the
 * first file field of a `multipart/form-data` body. The content type only chooses the reader;
 * what the bytes are is decided later, from the bytes.
 *
 * @throws UnsupportedMediaTypeError (415) for any other content type.
 * @throws ImageTooLargeError (413) when the image is over `maxBytes`.
 * @throws MalformedRequestError (400) for a malformed multipart body or no image bytes.
 * @throws InvalidParameterError (400) for a malformed `X-File-Name`.
 * @example
 * const { bytes, fileName } = await readImageUpload({ contentType: 'image/jpeg', fileNameHeader: 'cat.jpg', body }, 10 * 1024 * 1024);
 */
export async function readImageUpload(request: ImageUploadRequest, maxBytes: number): Promise<UploadedFile> {
  const contentType = request.contentType ?? '';
  let upload: UploadedFile;
  if (/^multipart\/form-data/i.test(contentType)) {
    upload = await readMultipartFile(request.body, contentType, maxBytes);
  } else if (/^image\//i.test(contentType)) {
    if (request.body.length > maxBytes) throw new ImageTooLargeError(maxBytes, `the body is ${request.body.length} bytes; the limit is ${maxBytes}`);
    upload = { bytes: request.body, fileName: decodeFileNameHeader(request.fileNameHeader) };
  } else {
    throw new UnsupportedMediaTypeError(`Content-Type must be image/*, multipart/form-data, or application/json for a URL import, got "${contentType.slice(0, 80)}"`);
  }
  if (upload.bytes.length === 0) throw new MalformedRequestError('the request has no image bytes');
  return upload;
}

/** True for `application/json` (any parameters): `POST /v1/images` then imports from a URL. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType ?? '');
}

/**
 * Largest JSON body of a URL import: the URL (2048 bytes), a file name (1 KiB) and attributes
 * (16 KiB), JSON-escaped, fit well within it.
 * @default 65536
 */
export const URL_IMPORT_MAX_BODY_BYTES = 64 * 1024;

/** The members a URL import body may have. */
export const URL_IMPORT_MEMBERS = ['url', 'fileName', 'attributes'] as const;

/** A URL import as `POST /v1/images` reads it from its JSON body. */
export interface UrlImportRequest {
  /** The URL to download, in canonical form (`canonicalSourceUrl`; at most 2048 UTF-8 bytes). */
  url: string;
  fileName?: string;
  attributes?: Record<string, string>;
}

/**
 * Parses the JSON body of a URL import, `{"url": "https://…", "fileName"?: "…", "attributes"?: {…}}`.
 * Only the shape is checked here, and the URL made canonical by the rule every entry point uses
 * (`canonicalSourceUrl`, docs/input-rules.md "Source URLs"): whether the URL may be fetched is the
 * fetcher's rule, and the file name's and attributes' bounds are the pipeline's (the same on
 * every path).
 *
 * @throws MalformedRequestError (400) when the body is over {@link URL_IMPORT_MAX_BODY_BYTES}, not
 *   JSON, or not a JSON object.
 * @throws InvalidParameterError (400) for an unknown member, a missing or non-string `url`, a `url`
 *   over 2048 UTF-8 bytes, a non-string `fileName`, or `attributes` that is not an object of strings.
 * @throws InvalidUrlError (400) for a `url` with whitespace, control, invisible or backslash
 *   characters, no host after the scheme, or that does not parse.
 * @example
 * readUrlImportRequest(Buffer.from('{"url":"HTTPS://Images.Example.com:443/cat.jpg"}')); // { url: 'https://images.example.com/cat.jpg' }
 */
export function readUrlImportRequest(body: Buffer): UrlImportRequest {
  if (body.length > URL_IMPORT_MAX_BODY_BYTES) throw new MalformedRequestError(`a URL import body is at most ${URL_IMPORT_MAX_BODY_BYTES} bytes, got ${body.length}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedRequestError('the body must be JSON, e.g. {"url":"https://images.example.com/cat.jpg"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedRequestError('the body must be a JSON object with a "url" member');
  const members = parsed as Record<string, unknown>;
  const unknown = Object.keys(members).find((name) => !(URL_IMPORT_MEMBERS as readonly string[]).includes(name));
  if (unknown !== undefined) {
    throw new InvalidParameterError(`unknown member ${JSON.stringify(unknown.length > 40 ? `${unknown.slice(0, 40)}…` : unknown)} in the body; a URL import has only ${URL_IMPORT_MEMBERS.join(', ')}`, { context: { parameter: 'body' } });
  }
  const { url, fileName, attributes } = members;
  if (typeof url !== 'string' || url === '') throw invalidParameterError('url', 'an https URL string', url);
  const canonicalUrl = canonicalSourceUrl(url);
  if (fileName !== undefined && typeof fileName !== 'string') throw invalidParameterError('fileName', 'a string', fileName);
  if (attributes !== undefined) {
    if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) throw invalidParameterError('attributes', 'an object of string values', attributes);
    for (const [name, value] of Object.entries(attributes)) {
      if (typeof value !== 'string') throw invalidParameterError(`attributes.${name.slice(0, 40)}`, 'a string', value);
    }
  }
  return {
    url: canonicalUrl,
    ...(fileName === undefined || fileName === '' ? {} : { fileName }),
    ...(attributes === undefined ? {} : { attributes: attributes as Record<string, string> }),
  };
}
