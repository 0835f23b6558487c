/**
 * The one rule for an image source URL, applied wherever a URL enters the pipeline — the REST
 * URL import body, a Kafka event's `image.url`, and the fetcher itself — so the record, the
 * notification and the request that is sent name one string (docs/input-rules.md "Source URLs").
 */
import { InvalidUrlError } from './errors';
import { INPUT_BOUNDS, assertMaxBytes } from './input-bounds';

/**
 * Characters refused anywhere in a source URL as typed: controls (C0 incl. tab, newline and NUL,
 * DEL, C1), whitespace and separators (space, no-break space, line/paragraph separators…),
 * invisible format characters (zero-width, bidi overrides), lone surrogates, and the backslash.
 * WHATWG URL parsing strips tab and newline and trims leading/trailing controls and spaces
 * silently, re-encodes the rest, and reads `\` as `/` in http(s) URLs where other parsers read it
 * as part of the user info — so a URL holding any of them does not name what it appears to.
 */
const REFUSED_CHARACTER = /[\p{Cc}\p{Cf}\p{Cs}\p{Z}\s\\]/u;

/** A scheme as typed (RFC 3986 §3.1). */
const SCHEME_SYNTAX = '[A-Za-z][A-Za-z0-9+.-]*';

/** The scheme as typed, to name it when it is not followed by `//` and a host. */
const SCHEME = new RegExp(`^(${SCHEME_SYNTAX}):`);

/** `scheme://` followed by a host: WHATWG parsing accepts `https:/x`, `https:x` and `https:///x` as `https://x/`. */
const SCHEME_AND_AUTHORITY = new RegExp(`^${SCHEME_SYNTAX}://[^/?#]`);

/** `@` in the authority as typed: user info, which WHATWG parsing drops when it is empty. */
const AUTHORITY_WITH_USER_INFO = new RegExp(`^${SCHEME_SYNTAX}://[^/?#]*@`);

/** DNS limits (RFC 1035 §2.3.4): 63 octets a label, 253 characters a name in its dotted form. */
const DNS_LABEL_MAX = 63;
const DNS_NAME_MAX = 253;

/** Names of the refused characters a user is most likely to have typed by accident. */
const CHARACTER_NAMES: Readonly<Record<string, string>> = {
  '\t': 'a tab',
  '\n': 'a line feed',
  '\r': 'a carriage return',
  '\u0000': 'a NUL',
  ' ': 'a space',
  '\u00a0': 'a no-break space',
  '\\': 'a backslash',
};

function describeCharacter(character: string): string {
  const codePoint = `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  const name = CHARACTER_NAMES[character];
  return name === undefined ? codePoint : `${name} (${codePoint})`;
}

/**
 * The canonical form of a source URL: the WHATWG `href` of the URL as typed — scheme and host in
 * lower case, the scheme's default port dropped, an IDN host in punycode, dot segments resolved,
 * non-ASCII percent-encoded — without its fragment (never sent to the server). Refuses what does
 * not name one URL unambiguously; whether the URL may be *fetched* (scheme, port, address) is the
 * fetcher's admission check, applied to this canonical form.
 *
 * @param parameter the field's name for messages. @default 'url'
 * @throws InvalidParameterError when the URL, as typed or canonical, is over 2048 UTF-8 bytes
 *   (`INPUT_BOUNDS.urlMaxBytes`).
 * @throws InvalidUrlError for whitespace, a control, invisible or backslash character (naming it
 *   and its position), a scheme other than http(s) without `//` and a host (`file:`, `data:`…),
 *   no `//` and host after the scheme, an empty user info (`https://@host/`), a host name DNS
 *   cannot carry (a label over 63 characters, a name over 253), or a string that does not parse.
 * @example
 * canonicalSourceUrl('HTTPS://Images.Example.COM:443/a/../cat.jpg#top'); // 'https://images.example.com/cat.jpg'
 * canonicalSourceUrl('https://example.com/cat.jpg\t');                   // throws InvalidUrlError (a tab at position 28)
 * canonicalSourceUrl('https:///cat.jpg');                                 // throws InvalidUrlError (no host)
 */
export function canonicalSourceUrl(url: string, parameter = 'url'): string {
  assertMaxBytes(url, INPUT_BOUNDS.urlMaxBytes, parameter);
  const refused = REFUSED_CHARACTER.exec(url);
  if (refused !== null) {
    throw new InvalidUrlError(
      `${parameter} contains ${describeCharacter(refused[0])} at position ${refused.index + 1}; a URL may not contain whitespace, control or invisible characters or a backslash (percent-encode them, e.g. %20, %5C)`,
      { context: { parameter } },
    );
  }
  if (!SCHEME_AND_AUTHORITY.test(url)) {
    const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
    if (scheme !== undefined && scheme !== 'https' && scheme !== 'http') {
      throw new InvalidUrlError(`${parameter} uses the ${scheme}: scheme; an image is fetched from an https URL, as in https://images.example.com/cat.jpg`, { context: { parameter } });
    }
    throw new InvalidUrlError(`${parameter} is not a valid absolute URL: the scheme must be followed by exactly "//" and a host, as in https://images.example.com/cat.jpg`, { context: { parameter } });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    // The string itself is not echoed: it may carry a signature or token.
    throw new InvalidUrlError(`${parameter} is not a valid absolute URL (${url.length} characters): its host or port cannot be parsed`, { cause: error, context: { parameter } });
  }
  if (AUTHORITY_WITH_USER_INFO.test(url) && parsed.username === '' && parsed.password === '') {
    // Dropped silently by WHATWG parsing; credentials that are not empty are the fetcher's refusal.
    throw new InvalidUrlError(`${parameter} has an empty user info ("@" before the host); remove it`, { context: { parameter } });
  }
  assertDnsName(parsed.hostname, parameter);
  parsed.hash = '';
  const canonical = parsed.href;
  assertMaxBytes(canonical, INPUT_BOUNDS.urlMaxBytes, `${parameter} (percent-encoded)`);
  return canonical;
}

/** Refuses a host name DNS cannot carry: it could only fail later, at the fetch. IP literals pass. */
function assertDnsName(hostname: string, parameter: string): void {
  if (hostname.startsWith('[')) return;
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length > DNS_NAME_MAX) {
    throw new InvalidUrlError(`${parameter} has a host name of ${name.length} characters; DNS allows ${DNS_NAME_MAX} (RFC 1035)`, { context: { parameter } });
  }
  const long = name.split('.').find((label) => label.length > DNS_LABEL_MAX);
  if (long !== undefined) {
    throw new InvalidUrlError(`${parameter} has a host label of ${long.length} characters; DNS allows ${DNS_LABEL_MAX} per label (RFC 1035)`, { context: { parameter } });
  }
}
