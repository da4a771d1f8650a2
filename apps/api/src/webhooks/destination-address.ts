import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Why an address is no place to POST a webhook to (internal services, cloud metadata). */
export type AddressClass = 'loopback' | 'private' | 'link-local' | 'shared (CGNAT)' | 'unspecified' | 'multicast' | 'reserved';

/** The one list of refused ranges. BlockList also matches IPv4-mapped IPv6 (::ffff:10.0.0.5) against the IPv4 rules. */
const RANGES: readonly (readonly [AddressClass, string, number, 'ipv4' | 'ipv6'])[] = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['shared (CGNAT)', '100.64.0.0', 10, 'ipv4'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '192.0.2.0', 24, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['reserved', '198.51.100.0', 24, 'ipv4'],
  ['reserved', '203.0.113.0', 24, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  // Prefixes that carry an IPv4 address inside (NAT64, Teredo, 6to4), which may be an internal one; and documentation.
  ['reserved', '64:ff9b::', 96, 'ipv6'],
  ['reserved', '2001::', 32, 'ipv6'],
  ['reserved', '2001:db8::', 32, 'ipv6'],
  ['reserved', '2002::', 16, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
];

const BLOCKS: readonly (readonly [AddressClass, BlockList])[] = [...new Set(RANGES.map(([cls]) => cls))].map((cls) => {
  const block = new BlockList();
  for (const [c, network, prefix, family] of RANGES) if (c === cls) block.addSubnet(network, prefix, family);
  return [cls, block] as const;
});

/** Where SLUICE_WEBHOOK_ALLOW_HTTP lets webhooks go (a receiver on the same machine or network, in tests and development). */
const LOCAL: ReadonlySet<AddressClass> = new Set(['loopback', 'private']);

/** The refused class of an IP address, or null for a public one (and for anything that is no IP address). */
export function addressClass(address: string): AddressClass | null {
  const family = isIP(address);
  if (family === 0) return null;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return BLOCKS.find(([, block]) => block.check(address, type))?.[0] ?? null;
}

/** A URL's hostname without IPv6 brackets or the root's trailing dot, lower case. */
function bareHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
}

/** The class of a URL's host when it needs no DNS to tell: an IP literal, or `localhost` and its subdomains (always loopback). */
export function hostClass(hostname: string): AddressClass | null {
  const host = bareHost(hostname);
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  return addressClass(host);
}

/** localhost, 127/8, ::1 and the private ranges: where plain http may go in tests and development. */
export function isLoopbackOrPrivate(hostname: string): boolean {
  const cls = hostClass(hostname);
  return cls !== null && LOCAL.has(cls);
}

/** Why a URL host may not be a webhook destination ("10.0.0.5 is private"), or null; `allowLocal` lets loopback and private through. */
export function hostRefusal(hostname: string, allowLocal: boolean): string | null {
  const cls = hostClass(hostname);
  return cls === null || (allowLocal && LOCAL.has(cls)) ? null : `${bareHost(hostname)} is ${cls}`;
}

/** Why a resolved address may not be connected to, or null. */
export function addressRefusal(address: string, allowLocal: boolean): string | null {
  const cls = addressClass(address);
  return cls === null || (allowLocal && LOCAL.has(cls)) ? null : `destination address ${address} is ${cls}`;
}

/** The connection was refused by the guard: its destination resolves to a refused address. */
export class RefusedDestinationError extends Error {
  readonly code = 'ERR_WEBHOOK_DESTINATION_REFUSED';
}

/** All addresses of a hostname. Injectable so tests can resolve a name to a private address. */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: ResolveHost = (hostname) => dnsLookup(hostname, { all: true });

/**
 * The `lookup` of a webhook's connection: refuses when any address of the name is refused, and
 * otherwise connects to the addresses it checked, so a name cannot resolve to a public address
 * for a check and to an internal one for the connection.
 */
export function guardedLookup(allowLocal: boolean, resolve: ResolveHost = systemResolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (resolved) => {
        const refused = resolved.map((a) => addressRefusal(a.address, allowLocal)).find((r) => r !== null);
        if (refused) return callback(new RefusedDestinationError(refused), '');
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable = family ? resolved.filter((a) => a.family === family) : resolved;
        if (usable.length === 0) return callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), '');
        if (options.all) return callback(null, usable);
        return callback(null, usable[0].address, usable[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}
