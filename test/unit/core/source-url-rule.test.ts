/**
 * One source-URL rule (core/source-url.ts, `canonicalSourceUrl`; docs/input-rules.md "Source
 * URLs"): every entry point that takes an image URL — the REST URL import body, a Kafka event's
 * `image.url`, `ingest publish --url`, and the fetcher itself — refuses the same table of URLs and
 * turns the same table of spellings into the same canonical string.
 */
import { ENV, ForbiddenSourceError, InvalidUrlError, canonicalSourceUrl, loadConfig } from '../../../core';
import { HttpsImageFetcher, assertFetchableUrl, fetchImage } from '../../../core/adapters/fetch';
import { readUrlImportRequest } from '../../../ingest-api/request-body';
import { assertPublishable } from '../../../kafka';
import { assertEventBounds, boundedEvent, type ImageEvent } from '../../../schemas';

const config = loadConfig({ [ENV.endpointS3]: 'http://127.0.0.1:5000' });

/** Spellings a user may type, and the one string each is recorded, fetched and announced as. */
const CANONICAL: readonly [string, string, string][] = [
  ['mixed-case scheme and host', 'HTTPS://Images.Example.COM/Cat.JPG', 'https://images.example.com/Cat.JPG'],
  ['the default port', 'https://images.example.com:443/cat.jpg', 'https://images.example.com/cat.jpg'],
  ['both', 'HTTPS://IMAGES.example.com:443/cat.jpg?size=l', 'https://images.example.com/cat.jpg?size=l'],
  ['dot segments', 'https://images.example.com/a/../b/./cat.jpg', 'https://images.example.com/b/cat.jpg'],
  ['a fragment (never sent to the server)', 'https://images.example.com/cat.jpg#top', 'https://images.example.com/cat.jpg'],
  ['a non-ASCII path', 'https://images.example.com/caf\u00e9.jpg', 'https://images.example.com/caf%C3%A9.jpg'],
  ['an IDN host', 'https://b\u00fccher.example/cat.jpg', 'https://xn--bcher-kva.example/cat.jpg'],
  ['no path', 'https://images.example.com', 'https://images.example.com/'],
  ['already canonical', 'https://images.example.com/cat.jpg?v=2', 'https://images.example.com/cat.jpg?v=2'],
  ['a 63-character label and a trailing dot', `https://${'a'.repeat(63)}.example.com./cat.jpg`, `https://${'a'.repeat(63)}.example.com./cat.jpg`],
  ['an IPv6 literal', 'https://[2606:4700:4700::ABCD]/cat.jpg', 'https://[2606:4700:4700::abcd]/cat.jpg'],
];

/** Strings that do not name one URL unambiguously, and what the refusal names. */
const REFUSED: readonly [string, string, RegExp][] = [
  ['a trailing tab', 'https://images.example.com/cat.jpg\t', /a tab \(U\+0009\) at position 35/],
  ['a tab inside the host', 'https://images.exa\tmple.com/cat.jpg', /a tab \(U\+0009\) at position 19/],
  ['a line feed', 'https://images.example.com/\ncat.jpg', /a line feed \(U\+000A\)/],
  ['a carriage return', 'https://images.example.com/cat.jpg\r', /a carriage return \(U\+000D\)/],
  ['a NUL', 'https://images.example.com/cat.jpg\u0000.png', /a NUL \(U\+0000\)/],
  ['another control', 'https://images.example.com/cat\u001b.jpg', /U\+001B/],
  ['DEL', 'https://images.example.com/cat\u007f.jpg', /U\+007F/],
  ['a C1 control', 'https://images.example.com/cat\u0085.jpg', /U\+0085/],
  ['a leading space', ' https://images.example.com/cat.jpg', /a space \(U\+0020\) at position 1/],
  ['a space in the path', 'https://images.example.com/my cat.jpg', /a space \(U\+0020\)/],
  ['a no-break space', 'https://images.example.com/cat.jpg\u00a0', /a no-break space \(U\+00A0\)/],
  ['a zero-width space', 'https://images.exam\u200bple.com/cat.jpg', /U\+200B/],
  ['a right-to-left override', 'https://images.example.com/\u202egpj.jpg', /U\+202E/],
  ['a backslash before an @', 'https://example.com\\@evil.test/x.jpg', /a backslash \(U\+005C\) at position 20/],
  ['backslashes for slashes', 'https:\\\\example.com\\x.jpg', /a backslash/],
  ['three slashes (no host)', 'https:///a.jpg', /scheme must be followed by exactly "\/\/" and a host/],
  ['one slash', 'https:/images.example.com/a.jpg', /scheme must be followed by exactly "\/\/" and a host/],
  ['no slashes', 'https:images.example.com/a.jpg', /scheme must be followed by exactly "\/\/" and a host/],
  ['a relative path', '/images/cat.jpg', /not a valid absolute URL/],
  ['a port out of range', 'https://images.example.com:99999/cat.jpg', /not a valid absolute URL \(40 characters\)/],
  ['a file: URL', 'file:///etc/passwd', /uses the file: scheme; an image is fetched from an https URL/],
  ['a data: URL', 'data:image/png;base64,iVBORw0KGgo=', /uses the data: scheme/],
  ['a javascript: URL', 'JavaScript:alert(1)', /uses the javascript: scheme/],
  ['an empty user info', 'https://@images.example.com/cat.jpg', /has an empty user info \("@" before the host\)/],
  ['an empty user and password', 'https://:@images.example.com/cat.jpg', /has an empty user info/],
  ['a host label over 63 characters', `https://${'a'.repeat(64)}.example.com/cat.jpg`, /has a host label of 64 characters; DNS allows 63 per label/],
  ['a host name over 253 characters', `https://${`${'a'.repeat(60)}.`.repeat(5)}com/cat.jpg`, /has a host name of 308 characters; DNS allows 253/],
];

function urlEvent(url: string): ImageEvent {
  return { eventId: '0b0e5f5e-4b51-4a43-9f7c-3a4a3b2c1d0e', occurredAt: new Date(), customerId: 'acme', attributes: {}, image: { kind: 'url', url } };
}

/** Every entry point, as "the canonical URL it goes on with" or the error it refuses with. */
const ENTRY_POINTS: readonly [string, (url: string) => string | undefined][] = [
  ['canonicalSourceUrl', (url) => canonicalSourceUrl(url)],
  ['REST URL import body (readUrlImportRequest)', (url) => readUrlImportRequest(Buffer.from(JSON.stringify({ url }))).url],
  [
    'Kafka event (boundedEvent, the consumer)',
    (url) => {
      const image = boundedEvent(urlEvent(url)).image;
      return image.kind === 'url' ? image.url : undefined;
    },
  ],
  ['Kafka event producers (assertEventBounds)', (url) => (assertEventBounds(urlEvent(url)), undefined)],
  ['ingest publish (assertPublishable)', (url) => (assertPublishable({ customerId: 'acme', image: { kind: 'url', url } }, config), undefined)],
];

describe('one source-URL rule at every entry point', () => {
  const canonical = ENTRY_POINTS.flatMap(([where, check]) => CANONICAL.map(([name, typed, expected]) => [where, name, typed, expected, check] as const));
  it.each(canonical)('%s: %s goes on as the canonical href', (where, _name, typed, expected, check) => {
    const result = check(typed);
    if (where.includes('assert')) expect(result).toBeUndefined();
    else expect(result).toBe(expected);
  });

  const refused = ENTRY_POINTS.flatMap(([where, check]) => REFUSED.map(([name, typed, reason]) => [where, name, typed, reason, check] as const));
  it.each(refused)('%s refuses %s with INVALID_URL, naming the reason', (_where, _name, typed, reason, check) => {
    let caught: unknown;
    try {
      check(typed);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidUrlError);
    expect(caught).toMatchObject({ code: 'INVALID_URL' });
    expect((caught as Error).message).toMatch(reason);
  });

  it.each(REFUSED)('the fetcher refuses %s too, with the same reason, before dialling anything', async (_name, typed, reason) => {
    const fetcher = HttpsImageFetcher.fromConfig(config);
    expect(fetcher.refusal(typed)).toMatch(reason);
    expect(() => assertFetchableUrl(typed)).toThrow(ForbiddenSourceError);
    // A lookup that would fail the test if it were ever called: nothing may be resolved or sent.
    const lookup = (): Promise<never> => Promise.reject(new Error('the fetcher resolved a refused URL'));
    await expect(fetchImage(typed, { lookup, maxAttempts: 1 })).rejects.toThrow(reason);
  });

  it('the fetcher requests the canonical URL: what it refuses is judged on that form (an upper-case loopback name is still loopback)', () => {
    const fetcher = HttpsImageFetcher.fromConfig(config);
    expect(fetcher.refusal('https://LOCALHOST:443/cat.jpg')).toMatch(/host "localhost" is loopback/);
    expect(fetcher.refusal('HTTPS://Images.Example.COM:443/cat.jpg')).toBeUndefined();
  });

  it('a URL that grows past 2048 bytes once percent-encoded is refused as over its bound', () => {
    // 1000 characters of 2 UTF-8 bytes each: 2,020 bytes as typed, 6,020 once percent-encoded.
    const typed = `https://example.com/${'\u00e9'.repeat(1000)}`;
    expect(() => canonicalSourceUrl(typed)).toThrow(/at most 2048 UTF-8 bytes for url \(percent-encoded\)/);
  });
});
