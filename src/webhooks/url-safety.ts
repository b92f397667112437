import * as dns from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

export const MAX_WEBHOOK_URL_LENGTH = 2048;

// Human labels for ipaddr.js range names, used in refusal messages.
const RANGE_LABELS: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address',
  private: 'a private address',
  reserved: 'a reserved address',
  uniqueLocal: 'a unique-local address',
  ipv4Mapped: 'an IPv4-mapped address',
  ipv4Compatible: 'an IPv4-compatible address',
  rfc6145: 'an IPv4-translated address',
  rfc6052: 'a NAT64 address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
  deprecatedSiteLocal: 'a site-local address',
  invalid: 'an invalid address',
};

/**
 * Returns the ipaddr.js range name of a blocked address, or null when the
 * address is ordinary public unicast.
 */
function blockedRange(ip: string): string | null {
  // Zone ids (fe80::1%eth0) only make sense for local scopes: fail closed.
  if (typeof ip !== 'string' || ip.includes('%')) return 'invalid';
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() unwraps IPv4-mapped IPv6 (::ffff:127.0.0.1) to plain IPv4.
    addr = ipaddr.process(ip);
  } catch {
    return 'invalid';
  }
  const range = addr.range();
  if (range !== 'unicast') return range;
  // Deprecated IPv4-compatible ::a.b.c.d (::/96) is 'unicast' to ipaddr.js
  // but some stacks route it to the embedded IPv4 address.
  if (addr.kind() === 'ipv6' && addr.toByteArray().slice(0, 12).every((b) => b === 0)) {
    return 'ipv4Compatible';
  }
  return null;
}

/** True when outbound requests must not go to this IP (anything but public unicast). */
export function isBlockedAddress(ip: string): boolean {
  return blockedRange(ip) !== null;
}

function describe(ip: string): string {
  const range = blockedRange(ip) ?? 'unicast';
  return RANGE_LABELS[range] ?? `a ${range} address`;
}

export function checkUrlSyntax(raw: string): UrlCheck {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, reason: 'URL is required' };
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return { ok: false, reason: `URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters` };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'URL is not a valid absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `URL scheme must be http or https (got ${url.protocol.replace(/:$/, '')})` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'URL must not contain a username or password' };
  }
  if (url.hostname === '') return { ok: false, reason: 'URL must have a host' };
  // The WHATWG parser drops a default port (":80" on http) but keeps ":0", which nothing listens on.
  if (url.port === '0') return { ok: false, reason: 'URL port must be between 1 and 65535' };
  // Normalisation (percent-encoding) can lengthen it; the normalised form is what gets sent.
  if (url.href.length > MAX_WEBHOOK_URL_LENGTH) {
    return { ok: false, reason: `URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters once normalised` };
  }
  return { ok: true, url };
}

/** The URL's host as an IP string when it is an IP literal (IPv6 without brackets), else null. */
export function ipLiteralHost(url: URL): string | null {
  const host = url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) !== 0 ? host : null;
}

async function defaultLookup(host: string): Promise<string[]> {
  const results = await dns.promises.lookup(host, { all: true });
  return results.map((r) => r.address);
}

export async function checkWebhookUrl(
  raw: string,
  opts: { allowPrivateNetwork: boolean; lookup?: (host: string) => Promise<string[]> },
): Promise<UrlCheck> {
  const syntax = checkUrlSyntax(raw);
  if (!syntax.ok || opts.allowPrivateNetwork) return syntax;
  const { url } = syntax;

  // The WHATWG parser has already turned 2130706433, 0x7f000001, 0177.0.0.1, 127.1 into 127.0.0.1.
  const literal = ipLiteralHost(url);
  if (literal !== null) {
    return isBlockedAddress(literal)
      ? { ok: false, reason: `URL host is ${describe(literal)} (${literal})` }
      : syntax;
  }

  let addresses: string[];
  try {
    addresses = await (opts.lookup ?? defaultLookup)(url.hostname);
  } catch (err) {
    // Not resolvable now (ENOTFOUND, EAI_AGAIN, ...): accept; the connect-time
    // guard re-checks whatever it resolves to at delivery.
    if (isDnsError(err)) return syntax;
    throw err;
  }
  // The address itself is not named: the message must not map internal names to internal addresses.
  if (addresses.some((a) => isBlockedAddress(a))) {
    return { ok: false, reason: `URL host ${url.hostname} resolves to a non-public address` };
  }
  return syntax;
}

function isDnsError(err: unknown): boolean {
  return typeof (err as { code?: unknown } | null)?.code === 'string';
}

export type BlockedAddressError = Error & { code: 'EBLOCKED'; hostname: string; address: string };

function blockedError(hostname: string, address: string): BlockedAddressError {
  // Logged on the attempt, which the webhook's owner reads: the address stays on the error object only.
  const err = new Error(`Refusing to connect to ${hostname}: it resolves to a non-public address`) as BlockedAddressError;
  err.code = 'EBLOCKED';
  err.hostname = hostname;
  err.address = address;
  return err;
}

export type AllAddressesLookup = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/**
 * A `dns.lookup`-compatible function for `net`/`tls`/undici `connect.lookup`
 * that refuses (code EBLOCKED) when any resolved address is blocked. Checking
 * at connect time defeats DNS rebinding between validation and delivery.
 * `resolve` is injectable for tests; it defaults to `dns.lookup`.
 */
export function createGuardedLookup(allowPrivateNetwork: boolean, resolve: AllAddressesLookup = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    // Tolerate the legacy (hostname, callback) and (hostname, family, callback) forms.
    if (typeof options === 'function') {
      callback = options as typeof callback;
      options = {};
    } else if (typeof options === 'number') {
      options = { family: options };
    }
    const opts: dns.LookupOptions = options ?? {};
    resolve(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, opts.all ? [] : '');
      if (!addresses || addresses.length === 0) {
        const notFound = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: 'ENOTFOUND',
          hostname,
        });
        return callback(notFound, opts.all ? [] : '');
      }
      if (!allowPrivateNetwork) {
        const blocked = addresses.find((a) => isBlockedAddress(a.address));
        if (blocked) return callback(blockedError(hostname, blocked.address), opts.all ? [] : '');
      }
      // Node 20 net (autoSelectFamily) asks for all: true and expects an array.
      if (opts.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
