import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Why an outbound request is refused; `reason` is safe to show (it names no credential). */
export class OutboundRefusedError extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`${host}: ${reason}`);
    this.name = 'OutboundRefusedError';
  }
}

const RANGES: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'an unspecified address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (CGNAT) address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address'],
  ['192.0.0.0', 24, 'ipv4', 'a reserved address'],
  ['198.18.0.0', 15, 'ipv4', 'a reserved address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'an unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['fc00::', 7, 'ipv6', 'a private address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
];

const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

const blocks = RANGES.map(([net, prefix, type, reason]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return { list, type, reason };
});

/**
 * IPv4 written inside IPv6 (`::ffff:127.0.0.1`, `::ffff:7f00:1`, `::127.0.0.1`, NAT64 `64:ff9b::/96`)
 * reaches the IPv4 address, so it is judged as that address.
 */
function embeddedIPv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const match = /^(?:::ffff:(?:0:)?|::|64:ff9b::)([0-9a-f.:]+)$/.exec(lower);
  if (!match) return undefined;
  const tail = match[1];
  if (isIP(tail) === 4) return tail;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(tail);
  if (!hex) return undefined;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Why `address` (an IP literal) may not be reached from here, or undefined when it is public. */
export function refusalOf(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return 'not an IP address';
  if (METADATA_ADDRESSES.has(bare.toLowerCase())) return 'a cloud metadata address';
  if (family === 6) {
    const v4 = embeddedIPv4(bare);
    if (v4) return refusalOf(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return blocks.find((b) => b.type === type && b.list.check(bare, type))?.reason;
}

export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** Lets a test reach one fixture while the policy stays on for everything else. */
export type OutboundAllow = (target: { hostname: string; port: string; address: string }) => boolean;

export interface OutboundPolicyOptions {
  allowPrivate: boolean;
  resolve?: Resolver;
  allow?: OutboundAllow;
}

/**
 * Throws OutboundRefusedError unless `url` is http(s) and every address its host resolves to is public.
 * Every address counts, not only the first: the connection may use any of them.
 */
export async function checkOutboundUrl(url: string | URL, options: OutboundPolicyOptions): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OutboundRefusedError(String(url).slice(0, 100), 'not a valid URL');
  }
  const host = parsed.hostname;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new OutboundRefusedError(host, 'only http and https URLs are allowed');
  }
  if (options.allowPrivate) return;
  const bare = host.replace(/^\[|\]$/g, '');
  const name = bare.toLowerCase().replace(/\.$/, '');
  if (METADATA_NAMES.has(name)) throw new OutboundRefusedError(host, 'a cloud metadata address');
  let addresses: string[];
  if (isIP(bare)) addresses = [bare];
  else {
    try {
      addresses = await (options.resolve ?? systemResolver)(name);
    } catch {
      throw new OutboundRefusedError(host, 'the host name does not resolve');
    }
    if (addresses.length === 0) throw new OutboundRefusedError(host, 'the host name does not resolve');
  }
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  for (const address of addresses) {
    if (options.allow?.({ hostname: name, port, address })) continue;
    const reason = refusalOf(address);
    if (reason) {
      const shown = address === bare ? reason : `resolves to ${reason} (${address})`;
      throw new OutboundRefusedError(host, `${shown}; private networks are not allowed`);
    }
  }
}
