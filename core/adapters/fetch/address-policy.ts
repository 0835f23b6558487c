import ipaddr from 'ipaddr.js';

/**
 * What kind of network an IP address belongs to. Only `public` is ever fetched from (plus
 * plain `loopback` when the local-tests switch is on); every other category is refused.
 */
export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'uniqueLocal'
  | 'carrierGradeNat'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'cloudMetadata'
  | 'reserved'
  | 'invalid';

/** How an IPv4 address was carried inside an IPv6 one, when that decided the category. */
export type IPv4Embedding = 'ipv4Mapped' | 'ipv4Compatible' | 'ipv4Translated' | 'nat64' | '6to4';

/** The verdict on one address, as returned by {@link classifyAddress}. */
export interface AddressClassification {
  /** The input as given (trimmed, brackets removed), for messages. */
  input: string;
  /** Canonical form (dotted quad / RFC 5952), or the trimmed input when it is not an IP address. */
  address: string;
  /** 4 or 6; `undefined` for `invalid`. */
  family?: 4 | 6;
  category: AddressCategory;
  /** Set when the address is IPv6 and its category comes from (or is because of) an embedded IPv4 address. */
  embedding?: IPv4Embedding;
  /** The embedded IPv4 address in dotted-quad form, when `embedding` is set. */
  embeddedIPv4?: string;
  /** Human-readable reason, safe for error messages, e.g. `private (RFC 1918)`. */
  description: string;
}

/** Options of {@link isForbiddenAddress}. */
export interface AddressPolicyOptions {
  /**
   * Allow 127.0.0.0/8 and ::1 — and nothing else that is not public. Meant only for tests
   * that serve images from a local HTTP server; IPv4-mapped/compatible/NAT64 spellings of a
   * loopback address stay forbidden even then, because no test needs them and they are the
   * classic way of smuggling a loopback target past a naive check.
   * @default false
   */
  allowLoopback?: boolean;
}

type Cidr = readonly [string, number];

const DESCRIPTIONS: Record<AddressCategory, string> = {
  public: 'a public unicast address',
  loopback: 'loopback',
  private: 'private (RFC 1918)',
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local (fc00::/7)',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  multicast: 'multicast',
  unspecified: 'unspecified / "this network"',
  broadcast: 'broadcast',
  documentation: 'reserved for documentation',
  benchmarking: 'reserved for benchmarking',
  cloudMetadata: 'a cloud instance-metadata endpoint',
  reserved: 'reserved / special-purpose',
  invalid: 'not a valid IP address',
};

/**
 * Well-known metadata and host-agent endpoints. Most already sit in forbidden ranges; they are
 * named so the error says why, and Azure's wire server is listed because it is a "public"
 * address that only ever answers from inside a VM.
 */
const CLOUD_METADATA_ADDRESSES: ReadonlySet<string> = new Set([
  '169.254.169.254', // AWS/GCP/Azure/OpenStack IMDS
  '169.254.170.2', // AWS ECS task metadata and credentials
  '169.254.170.23', // AWS EKS Pod Identity agent
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud
  '168.63.129.16', // Azure wire server
  'fd00:ec2::254', // AWS IMDS over IPv6
  'fd00:ec2::23', // AWS EKS Pod Identity agent over IPv6
]);

// ipaddr.js files these under `reserved`; they are split out so messages name them.
const IPV4_DOCUMENTATION: readonly Cidr[] = [
  ['192.0.2.0', 24],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
];
const IPV4_BENCHMARKING: readonly Cidr[] = [['198.18.0.0', 15]];
const IPV6_DOCUMENTATION: readonly Cidr[] = [
  ['2001:db8::', 32],
  ['3fff::', 20],
];
const IPV6_BENCHMARKING: readonly Cidr[] = [['2001:2::', 48]];
/** IANA's global unicast block; anything outside it (and not handled above) is unallocated. */
const IPV6_GLOBAL_UNICAST: Cidr = ['2000::', 3];

function inAny(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly Cidr[]): boolean {
  return ranges.some(([network, bits]) => {
    const parsed = ipaddr.parse(network);
    return parsed.kind() === address.kind() && address.match(parsed, bits);
  });
}

function verdict(
  input: string,
  address: string,
  family: 4 | 6,
  category: AddressCategory,
  embedded?: { embedding: IPv4Embedding; ipv4: string },
): AddressClassification {
  const base = DESCRIPTIONS[category];
  return {
    input,
    address,
    family,
    category,
    ...(embedded ? { embedding: embedded.embedding, embeddedIPv4: embedded.ipv4 } : {}),
    description: embedded ? `${base} (IPv4 ${embedded.ipv4} embedded as ${embedded.embedding})` : base,
  };
}

function categoryOfIPv4(address: ipaddr.IPv4): AddressCategory {
  if (CLOUD_METADATA_ADDRESSES.has(address.toString())) return 'cloudMetadata';
  if (inAny(address, IPV4_DOCUMENTATION)) return 'documentation';
  if (inAny(address, IPV4_BENCHMARKING)) return 'benchmarking';
  switch (address.range()) {
    case 'unicast':
      return 'public';
    case 'unspecified':
      return 'unspecified';
    case 'broadcast':
      return 'broadcast';
    case 'multicast':
      return 'multicast';
    case 'linkLocal':
      return 'linkLocal';
    case 'loopback':
      return 'loopback';
    case 'carrierGradeNat':
      return 'carrierGradeNat';
    case 'private':
      return 'private';
    default:
      // reserved (240/4, 192.0.0/24, 6to4 relay anycast), as112, amt: nothing an image lives on.
      return 'reserved';
  }
}

function ipv4FromWords(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * IPv6 forms that carry an IPv4 address a packet may end up at. Checked before the IPv6 range
 * itself so that e.g. `::ffff:127.0.0.1` is judged as the loopback address it reaches.
 */
function embeddedIPv4Of(address: ipaddr.IPv6): { embedding: IPv4Embedding; ipv4: ipaddr.IPv4 } | undefined {
  const p = address.parts as [number, number, number, number, number, number, number, number];
  const firstFiveZero = p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0;
  if (firstFiveZero && p[5] === 0xffff) return { embedding: 'ipv4Mapped', ipv4: ipv4FromWords(p[6], p[7]) };
  // ::/96 minus :: and ::1 is the deprecated IPv4-compatible form (RFC 4291 §2.5.5.1).
  if (firstFiveZero && p[5] === 0 && (p[6] !== 0 || p[7] > 1)) {
    return { embedding: 'ipv4Compatible', ipv4: ipv4FromWords(p[6], p[7]) };
  }
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0xffff && p[5] === 0) {
    return { embedding: 'ipv4Translated', ipv4: ipv4FromWords(p[6], p[7]) };
  }
  // Well-known NAT64 prefix 64:ff9b::/96 (RFC 6052): the gateway forwards to the embedded address.
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) {
    return { embedding: 'nat64', ipv4: ipv4FromWords(p[6], p[7]) };
  }
  if (p[0] === 0x2002) return { embedding: '6to4', ipv4: ipv4FromWords(p[1], p[2]) };
  return undefined;
}

function classifyIPv6(input: string, address: ipaddr.IPv6): AddressClassification {
  const canonical = address.toString();
  const embedded = embeddedIPv4Of(address);
  if (embedded) {
    const inner = categoryOfIPv4(embedded.ipv4);
    const ipv4 = embedded.ipv4.toString();
    if (inner !== 'public') return verdict(input, canonical, 6, inner, { embedding: embedded.embedding, ipv4 });
    // Mapped, NAT64 and 6to4 forms of a public address reach that public address: allowed.
    // The compatible and translated forms are deprecated / never globally routed: refused.
    const routable = embedded.embedding === 'ipv4Mapped' || embedded.embedding === 'nat64' || embedded.embedding === '6to4';
    return verdict(input, canonical, 6, routable ? 'public' : 'reserved', { embedding: embedded.embedding, ipv4 });
  }
  if (CLOUD_METADATA_ADDRESSES.has(canonical.split('%')[0] ?? canonical)) return verdict(input, canonical, 6, 'cloudMetadata');
  if (inAny(address, IPV6_DOCUMENTATION)) return verdict(input, canonical, 6, 'documentation');
  if (inAny(address, IPV6_BENCHMARKING)) return verdict(input, canonical, 6, 'benchmarking');
  switch (address.range()) {
    case 'unspecified':
      return verdict(input, canonical, 6, 'unspecified');
    case 'loopback':
      return verdict(input, canonical, 6, 'loopback');
    case 'linkLocal':
      return verdict(input, canonical, 6, 'linkLocal');
    case 'multicast':
      return verdict(input, canonical, 6, 'multicast');
    case 'uniqueLocal':
      return verdict(input, canonical, 6, 'uniqueLocal');
    case 'unicast': {
      const [network, bits] = IPV6_GLOBAL_UNICAST;
      return verdict(input, canonical, 6, address.match(ipaddr.parse(network), bits) ? 'public' : 'reserved');
    }
    default:
      // Teredo, local-use NAT64 (64:ff9b:1::/48), site-local, discard, ORCHID, AS112, AMT,
      // segment routing: tunnels or special-purpose blocks, never an image host.
      return verdict(input, canonical, 6, 'reserved');
  }
}

/**
 * Classifies an IP address into the ranges the fetcher cares about.
 *
 * Accepts every spelling `inet_aton` and the WHATWG URL parser accept for IPv4 (decimal
 * `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`, short `127.1`) and any IPv6 form, with or
 * without brackets. IPv6 addresses that embed an IPv4 address (mapped, compatible, translated,
 * NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the embedded address. Anything that
 * does not parse is `invalid` — which callers treat as forbidden (fail closed).
 *
 * @example
 * classifyAddress('0x7f.1').category;            // 'loopback'
 * classifyAddress('[::ffff:a00:1]').category;    // 'private' (embedding: 'ipv4Mapped')
 * classifyAddress('93.184.216.34').category;     // 'public'
 */
export function classifyAddress(ip: string): AddressClassification {
  const trimmed = ip.trim();
  const input = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // ipaddr.js rewrites `::a.b.c.d` (IPv4-compatible) to `::ffff:a.b.c.d` (IPv4-mapped), a
    // different address; a leading `0` keeps its parser on the standard path.
    parsed = ipaddr.parse(input.startsWith('::') && input.includes('.') ? `0${input}` : input);
  } catch {
    return { input, address: input, category: 'invalid', description: DESCRIPTIONS.invalid };
  }
  if (parsed.kind() === 'ipv4') {
    const v4 = parsed as ipaddr.IPv4;
    return verdict(input, v4.toString(), 4, categoryOfIPv4(v4));
  }
  return classifyIPv6(input, parsed as ipaddr.IPv6);
}

/**
 * True when the fetcher must not connect to `ip`: anything but a public unicast address, except
 * plain loopback (127.0.0.0/8, ::1) when `allowLoopback` is on.
 *
 * @example
 * isForbiddenAddress('169.254.169.254');                    // true
 * isForbiddenAddress('127.0.0.1', { allowLoopback: true }); // false
 * isForbiddenAddress('10.0.0.1', { allowLoopback: true });  // true
 */
export function isForbiddenAddress(ip: string, options: AddressPolicyOptions = {}): boolean {
  return forbiddenReason(classifyAddress(ip), options) !== undefined;
}

/** Why `classification` is refused under `options`, or `undefined` when it is allowed. */
export function forbiddenReason(classification: AddressClassification, options: AddressPolicyOptions): string | undefined {
  if (classification.category === 'public') return undefined;
  if (options.allowLoopback === true && classification.category === 'loopback' && classification.embedding === undefined) {
    return undefined;
  }
  return classification.description;
}

/** True for plain 127.0.0.0/8 or ::1 — the only targets plain `http:` may reach (local tests). */
export function isPlainLoopback(classification: AddressClassification): boolean {
  return classification.category === 'loopback' && classification.embedding === undefined;
}
