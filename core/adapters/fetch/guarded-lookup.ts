import { promises as dnsPromises, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { classifyAddress, forbiddenReason, isPlainLoopback } from './address-policy';

/** One address a hostname resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a hostname to every address it has. The fetcher's `lookup` option takes one of
 * these so tests can play a rebinding resolver without real DNS.
 */
export type ResolveHostname = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** What a connection for one request hop may reach. */
export interface TargetPolicy {
  /** Plain loopback (127.0.0.0/8, ::1) is allowed — local tests only. */
  allowLoopback: boolean;
  /** Only plain loopback is allowed: the request uses `http:`, which is for local tests only. */
  loopbackOnly: boolean;
}

/** Raised inside the connection's lookup when an address is refused; turned into a ForbiddenSourceError by the fetcher. */
export class RefusedAddressError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RefusedAddressError';
  }
}

/** The operating system resolver (getaddrinfo via `dns.lookup`), every address, in resolver order. */
export const systemResolve: ResolveHostname = async (hostname) => {
  const found = await dnsPromises.lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
};

/** Why `ip` may not be connected to under `policy`, or `undefined` when it may. */
export function refusalFor(ip: string, policy: TargetPolicy): string | undefined {
  const classification = classifyAddress(ip);
  // The socket layer only accepts canonical literals; a resolver returning anything else is
  // either broken or hostile, and classifyAddress's lenient spellings must not widen that.
  if (isIP(classification.input) === 0) return `${JSON.stringify(ip.slice(0, 64))} is not a valid IP address`;
  const reason = forbiddenReason(classification, policy);
  if (reason !== undefined) return `${classification.address} is ${reason}`;
  if (policy.loopbackOnly && !isPlainLoopback(classification)) {
    return `${classification.address} is not loopback, and plain http is only allowed to loopback (local tests)`;
  }
  return undefined;
}

function wantedFamily(family: LookupOptions['family']): 4 | 6 | undefined {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return undefined;
}

/**
 * A `lookup` for `http.request` that resolves, then vets EVERY address before the socket may
 * use any of them. Running inside the connection's own lookup is what defeats DNS rebinding:
 * the addresses checked are exactly the ones the socket connects to; nothing is resolved twice.
 *
 * A name with any forbidden address is refused outright rather than filtered down to its
 * public ones: legitimate image hosts do not publish private addresses, a mixed answer is the
 * signature of a rebinding or split-horizon trick, and filtering would make the outcome depend
 * on which address happy-eyeballs happens to try.
 */
export function createGuardedLookup(resolve: ResolveHostname, policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    Promise.resolve()
      .then(() => resolve(hostname))
      .then(
        (addresses) => {
          for (const { address } of addresses) {
            const reason = refusalFor(address, policy);
            if (reason !== undefined) {
              callback(new RefusedAddressError(`host ${JSON.stringify(hostname)} resolved to ${reason}`), '');
              return;
            }
          }
          const family = wantedFamily(options.family);
          const usable = family === undefined ? addresses : addresses.filter((entry) => entry.family === family);
          const first = usable[0];
          if (first === undefined) {
            const notFound: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
            notFound.code = 'ENOTFOUND';
            callback(notFound, '');
            return;
          }
          if (options.all === true) {
            callback(null, usable.map((entry): LookupAddress => ({ address: entry.address, family: entry.family })));
          } else {
            callback(null, first.address, first.family);
          }
        },
        (error: unknown) => {
          callback(error instanceof Error ? error : new Error(String(error)), '');
        },
      );
  };
}
