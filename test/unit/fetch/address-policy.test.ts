import { classifyAddress, isForbiddenAddress, type AddressCategory, type IPv4Embedding } from '../../../core/adapters/fetch';

type Row = [input: string, category: AddressCategory, embedding?: IPv4Embedding];

const forbidden: Row[] = [
  // Loopback in every IPv4 spelling inet_aton / WHATWG accept.
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['127.1', 'loopback'],
  ['2130706433', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['0x7f.1', 'loopback'],
  ['0x7f.0.0.1', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['017700000001', 'loopback'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  // Loopback embedded in IPv6.
  ['::ffff:127.0.0.1', 'loopback', 'ipv4Mapped'],
  ['[::ffff:127.0.0.1]', 'loopback', 'ipv4Mapped'],
  ['::ffff:7f00:1', 'loopback', 'ipv4Mapped'],
  ['::127.0.0.1', 'loopback', 'ipv4Compatible'],
  ['::7f00:1', 'loopback', 'ipv4Compatible'],
  ['::ffff:0:127.0.0.1', 'loopback', 'ipv4Translated'],
  ['64:ff9b::127.0.0.1', 'loopback', 'nat64'],
  ['2002:7f00:1::1', 'loopback', '6to4'],
  // RFC 1918, also spelled oddly and embedded.
  ['10.0.0.1', 'private'],
  ['012.0.0.1', 'private'],
  ['167772161', 'private'],
  ['0xa000001', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['::ffff:10.0.0.1', 'private', 'ipv4Mapped'],
  ['::ffff:a00:1', 'private', 'ipv4Mapped'],
  ['64:ff9b::a00:1', 'private', 'nat64'],
  ['64:ff9b::192.168.0.1', 'private', 'nat64'],
  ['2002:a00:1::1', 'private', '6to4'],
  ['2002:c0a8:101::', 'private', '6to4'],
  // Cloud metadata.
  ['169.254.169.254', 'cloudMetadata'],
  ['2852039166', 'cloudMetadata'],
  ['0xa9fea9fe', 'cloudMetadata'],
  ['0251.0376.0251.0376', 'cloudMetadata'],
  ['169.254.170.2', 'cloudMetadata'],
  ['100.100.100.200', 'cloudMetadata'],
  ['fd00:ec2::254', 'cloudMetadata'],
  ['[fd00:ec2::254]', 'cloudMetadata'],
  ['::ffff:169.254.169.254', 'cloudMetadata', 'ipv4Mapped'],
  ['64:ff9b::169.254.169.254', 'cloudMetadata', 'nat64'],
  ['2002:a9fe:a9fe::', 'cloudMetadata', '6to4'],
  // Link-local, unique-local, CGNAT.
  ['169.254.1.1', 'linkLocal'],
  ['fe80::1', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456:789a::1', 'uniqueLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.255', 'carrierGradeNat'],
  // Multicast, unspecified, broadcast.
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  // Documentation and benchmarking.
  ['192.0.2.1', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['2001:2::1', 'benchmarking'],
  // Other special-purpose space.
  ['240.0.0.1', 'reserved'],
  ['192.0.0.8', 'reserved'],
  ['2001::1', 'reserved'], // Teredo
  ['64:ff9b:1::a00:1', 'reserved'], // local-use NAT64
  ['fec0::1', 'reserved'], // deprecated site-local
  ['100::1', 'reserved'], // discard prefix
  ['4000::1', 'reserved'], // outside 2000::/3
  ['::93.184.216.34', 'reserved', 'ipv4Compatible'], // deprecated form, even of a public address
  // Not an address at all: fail closed.
  ['localhost', 'invalid'],
  ['example.com', 'invalid'],
  ['', 'invalid'],
  ['127.0.0.1.', 'invalid'],
  ['08.0.0.1', 'invalid'],
  ['1.2.3.4.5', 'invalid'],
  ['::g', 'invalid'],
];

const allowed: Row[] = [
  ['93.184.216.34', 'public'],
  ['1572395042', 'public'], // 93.184.216.34 in decimal
  ['8.8.8.8', 'public'],
  ['11.0.0.1', 'public'],
  ['172.15.255.255', 'public'],
  ['172.32.0.0', 'public'],
  ['100.63.255.255', 'public'],
  ['100.128.0.0', 'public'],
  ['198.17.255.255', 'public'],
  ['198.20.0.0', 'public'],
  ['2606:4700::1', 'public'],
  ['[2606:4700::1]', 'public'],
  ['2a00:1450:4001:80b::200e', 'public'],
  ['::ffff:93.184.216.34', 'public', 'ipv4Mapped'],
  ['64:ff9b::93.184.216.34', 'public', 'nat64'],
  ['2002:5db8:d822::1', 'public', '6to4'],
];

// Objects, not arrays: jest passes a `done` callback when an array row is shorter than the arity.
const asCases = (rows: Row[]) => rows.map(([input, category, embedding]) => ({ input, category, embedding }));

describe('classifyAddress / isForbiddenAddress', () => {
  it.each(asCases(forbidden))('$input is $category (forbidden)', ({ input, category, embedding }) => {
    const result = classifyAddress(input);

    expect(result.category).toBe(category);
    expect(result.embedding).toBe(embedding);
    expect(isForbiddenAddress(input)).toBe(true);
  });

  it.each(asCases(allowed))('$input is public (allowed)', ({ input, category, embedding }) => {
    const result = classifyAddress(input);

    expect(result.category).toBe(category);
    expect(result.embedding).toBe(embedding);
    expect(isForbiddenAddress(input)).toBe(false);
    expect(isForbiddenAddress(input, { allowLoopback: true })).toBe(false);
  });

  it('allowLoopback lets plain loopback through and nothing else', () => {
    const plainLoopback = forbidden.filter(([, category, embedding]) => category === 'loopback' && embedding === undefined);
    const everythingElse = forbidden.filter(([, category, embedding]) => category !== 'loopback' || embedding !== undefined);

    expect(plainLoopback.length).toBeGreaterThan(5);
    for (const [input] of plainLoopback) expect([input, isForbiddenAddress(input, { allowLoopback: true })]).toEqual([input, false]);
    for (const [input] of everythingElse) expect([input, isForbiddenAddress(input, { allowLoopback: true })]).toEqual([input, true]);
  });

  it('normalises odd spellings to the canonical address and names the embedded IPv4', () => {
    expect(classifyAddress('0x7f.1').address).toBe('127.0.0.1');
    expect(classifyAddress('2852039166').address).toBe('169.254.169.254');
    expect(classifyAddress('[::ffff:127.0.0.1]')).toMatchObject({ address: '::ffff:7f00:1', family: 6, embeddedIPv4: '127.0.0.1' });
    expect(classifyAddress('::127.0.0.1')).toMatchObject({ address: '::7f00:1', embeddedIPv4: '127.0.0.1' });
    expect(classifyAddress('64:ff9b::a9fe:a9fe').description).toContain('169.254.169.254');
  });
});
