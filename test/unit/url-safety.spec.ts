import type { LookupAddress } from 'node:dns';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { checkUrlSyntax, checkWebhookUrl, createGuardedLookup, isBlockedAddress } from '../../src/webhooks/url-safety';

// Fake DNS: tests never hit a real resolver and never send traffic.
const FAKE_DNS: Record<string, string[]> = {
  localhost: ['127.0.0.1', '::1'],
  'example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'hooks.example.org': ['151.101.1.69'],
  'mixed.example.com': ['93.184.216.34', '10.0.0.5'],
  'rebind.example.com': ['169.254.169.254'],
  'v6private.example.com': ['fd00::1'],
};

function dnsError(code: string, host: string) {
  return Object.assign(new Error(`getaddrinfo ${code} ${host}`), { code, hostname: host });
}

function fakeLookup() {
  return vi.fn(async (host: string): Promise<string[]> => {
    const found = FAKE_DNS[host];
    if (!found) throw dnsError('ENOTFOUND', host);
    return found;
  });
}

const strict = (lookup = fakeLookup()) => ({ allowPrivateNetwork: false, lookup });

describe('checkWebhookUrl: refused hosts', () => {
  it.each([
    ['http://127.0.0.1', /loopback address \(127\.0\.0\.1\)/],
    ['http://localhost', /^URL host localhost resolves to a non-public address$/],
    ['http://2130706433', /loopback.*127\.0\.0\.1/],
    ['http://0x7f000001', /loopback.*127\.0\.0\.1/],
    ['http://0177.0.0.1', /loopback.*127\.0\.0\.1/],
    ['http://127.1', /loopback.*127\.0\.0\.1/],
    ['http://[::1]', /loopback address \(::1\)/],
    ['http://[::ffff:127.0.0.1]', /loopback/],
    ['http://[::ffff:7f00:1]', /loopback/],
    ['http://10.1.2.3', /private address \(10\.1\.2\.3\)/],
    ['http://172.16.0.1', /private address/],
    ['http://192.168.1.1', /private address/],
    ['http://169.254.169.254/latest/meta-data', /link-local address \(169\.254\.169\.254\)/],
    ['http://100.64.0.1', /carrier-grade NAT/],
    ['http://224.0.0.1', /multicast/],
    ['http://0.0.0.0', /unspecified/],
    ['http://[::]', /unspecified/],
    ['http://[fc00::1]', /unique-local/],
    ['http://[fd12::1]', /unique-local/],
    ['http://[fe80::1]', /link-local/],
    ['http://[2002:7f00:1::]', /6to4/],
    ['http://[64:ff9b::7f00:1]', /NAT64/],
    ['http://[::7f00:1]', /IPv4-compatible/],
    ['http://192.0.2.1', /reserved/],
    ['http://[2001:db8::1]', /reserved/],
    ['http://255.255.255.255', /broadcast/],
    ['http://mixed.example.com/hook', /^URL host mixed\.example\.com resolves to a non-public address$/],
    ['https://rebind.example.com/hook', /^URL host rebind\.example\.com resolves to a non-public address$/],
    ['https://v6private.example.com/hook', /^URL host v6private\.example\.com resolves to a non-public address$/],
  ])('%s', async (url, reason) => {
    const result = await checkWebhookUrl(url, strict());
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('never names the address a hostname resolves to (nor its kind)', async () => {
    for (const [host, addresses] of Object.entries(FAKE_DNS)) {
      const result = await checkWebhookUrl(`https://${host}/hook`, strict());
      if (result.ok) continue;
      for (const address of addresses) expect(result.reason).not.toContain(address);
      expect(result.reason).not.toMatch(/loopback|private address|link-local|unique-local/);
    }
  });

  it('does not consult DNS for IP-literal hosts', async () => {
    const lookup = fakeLookup();
    await checkWebhookUrl('http://10.0.0.1/', strict(lookup));
    await checkWebhookUrl('http://[2606:4700:4700::1111]/', strict(lookup));
    expect(lookup).not.toHaveBeenCalled();
  });

  it('refuses localhost through the real resolver too (/etc/hosts, no traffic)', async () => {
    const result = await checkWebhookUrl('http://localhost:3000/hook', { allowPrivateNetwork: false });
    expect(result).toMatchObject({ ok: false });
  });
});

describe('checkWebhookUrl: syntax refusals', () => {
  it.each([
    ['ftp://x.com', /scheme must be http or https \(got ftp\)/],
    ['javascript:alert(1)', /scheme must be http or https/],
    ['http://user:pass@example.com', /username or password/],
    ['http://user@example.com', /username or password/],
    [`https://example.com/${'a'.repeat(2049 - 'https://example.com/'.length)}`, /longer than 2048/],
    ['not a url', /not a valid absolute URL/],
    ['', /required/],
    ['/relative/path', /not a valid absolute URL/],
    ['http://example.com:0/hook', /port must be between 1 and 65535/],
    ['https://example.com:000/', /port must be between 1 and 65535/],
    ['http://93.184.216.34:0', /port must be between 1 and 65535/],
  ])('%s', async (url, reason) => {
    const lookup = fakeLookup();
    const result = await checkWebhookUrl(url, strict(lookup));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
    expect(lookup).not.toHaveBeenCalled();
    // Syntax refusals apply even when private networks are allowed.
    expect((await checkWebhookUrl(url, { allowPrivateNetwork: true })).ok).toBe(false);
  });

  it('accepts a URL of exactly 2048 characters', () => {
    const url = `https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length)}`;
    expect(url).toHaveLength(2048);
    expect(checkUrlSyntax(url).ok).toBe(true);
  });
});

describe('checkWebhookUrl: allowed', () => {
  it.each([
    'https://example.com/hook',
    'http://93.184.216.34/x',
    'https://[2606:4700:4700::1111]/',
    'https://hooks.example.org:8443/a?b=c',
  ])('%s', async (raw) => {
    const result = await checkWebhookUrl(raw, strict());
    expect(result.ok).toBe(true);
    expect(result.ok && result.url.href).toBe(new URL(raw).href);
  });

  it.each(['ENOTFOUND', 'EAI_AGAIN'])('accepts a host whose lookup fails with %s (it fails at delivery)', async (code) => {
    const lookup = vi.fn(async (host: string): Promise<string[]> => {
      throw dnsError(code, host);
    });
    const result = await checkWebhookUrl('https://not-yet-registered.example/hook', strict(lookup));
    expect(result.ok).toBe(true);
    expect(lookup).toHaveBeenCalledWith('not-yet-registered.example');
  });

  it('accepts everything private when allowPrivateNetwork is true, without resolving', async () => {
    const lookup = fakeLookup();
    for (const url of [
      'http://127.0.0.1:3000/hook',
      'http://localhost:3000/hook',
      'http://[::1]/',
      'http://10.0.0.1/',
      'http://169.254.169.254/',
      'http://mixed.example.com/',
      'http://[fd12::1]/',
    ]) {
      expect((await checkWebhookUrl(url, { allowPrivateNetwork: true, lookup })).ok).toBe(true);
    }
    expect(lookup).not.toHaveBeenCalled();
  });
});

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '224.0.0.1',
    '239.255.255.250',
    '0.0.0.0',
    '0.1.2.3',
    '255.255.255.255',
    '240.0.0.1',
    '192.0.2.1',
    '198.51.100.1',
    '203.0.113.1',
    '198.18.0.1',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::7f00:1',
    'fc00::1',
    'fdff:ffff::1',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'ff02::1',
    '2002:7f00:1::',
    '2002:0a00:0001::1',
    '2001::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '64:ff9b::7f00:1',
    '64:ff9b::a00:1',
    '2001:db8::1',
    'fec0::1',
    'not an ip',
    '',
    '999.1.1.1',
  ])('blocks %s', (ip) => {
    expect(isBlockedAddress(ip)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:93.184.216.34'])(
    'allows public %s',
    (ip) => {
      expect(isBlockedAddress(ip)).toBe(false);
    },
  );

  it('blocks every private IPv4 and its IPv4-mapped IPv6 form (property)', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const privateV4 = fc.oneof(
      fc.tuple(fc.constant(10), octet, octet, octet),
      fc.tuple(fc.constant(127), octet, octet, octet),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), octet, octet),
      fc.tuple(fc.constant(192), fc.constant(168), octet, octet),
      fc.tuple(fc.constant(169), fc.constant(254), octet, octet),
      fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), octet, octet),
    );
    fc.assert(
      fc.property(privateV4, (parts) => {
        const v4 = parts.join('.');
        const hex = `${((parts[0] << 8) | parts[1]).toString(16)}:${((parts[2] << 8) | parts[3]).toString(16)}`;
        return isBlockedAddress(v4) && isBlockedAddress(`::ffff:${v4}`) && isBlockedAddress(`::ffff:${hex}`);
      }),
    );
  });
});

describe('createGuardedLookup', () => {
  type Resolver = NonNullable<Parameters<typeof createGuardedLookup>[1]>;
  const resolverFor =
    (addresses: LookupAddress[]): Resolver =>
    (_host, _opts, cb) =>
      process.nextTick(() => cb(null, addresses));
  const PUBLIC: LookupAddress[] = [{ address: '93.184.216.34', family: 4 }];
  const MIXED: LookupAddress[] = [
    { address: '93.184.216.34', family: 4 },
    { address: '10.0.0.5', family: 4 },
  ];

  function run(lookup: ReturnType<typeof createGuardedLookup>, options: { all?: boolean }) {
    return new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      lookup('hooks.example.com', options, (err, address, family) => resolve({ err, address, family })),
    );
  }

  it('returns the array form when called with all: true (Node 20 autoSelectFamily)', async () => {
    const { err, address } = await run(createGuardedLookup(false, resolverFor(PUBLIC)), { all: true });
    expect(err).toBeNull();
    expect(address).toEqual(PUBLIC);
  });

  it('returns the single-address form otherwise', async () => {
    const { err, address, family } = await run(createGuardedLookup(false, resolverFor(PUBLIC)), {});
    expect(err).toBeNull();
    expect(address).toBe('93.184.216.34');
    expect(family).toBe(4);
  });

  it.each([true, false])('fails with EBLOCKED when any address is blocked (all: %s)', async (all) => {
    const { err } = await run(createGuardedLookup(false, resolverFor(MIXED)), { all });
    expect(err?.code).toBe('EBLOCKED');
    // Logged on the attempt: says why, never which internal address the name maps to.
    expect(err?.message).toMatch(/resolves to a non-public address$/);
    expect(err?.message).not.toMatch(/10\.0\.0\.5/);
    expect((err as NodeJS.ErrnoException & { address?: string }).address).toBe('10.0.0.5');
  });

  it('lets blocked addresses through when private networks are allowed', async () => {
    const { err, address } = await run(createGuardedLookup(true, resolverFor(MIXED)), { all: true });
    expect(err).toBeNull();
    expect(address).toEqual(MIXED);
  });

  it('passes resolver errors through', async () => {
    const failing: Resolver = (host, _opts, cb) => process.nextTick(() => cb(dnsError('ENOTFOUND', host), []));
    const { err } = await run(createGuardedLookup(false, failing), { all: true });
    expect(err?.code).toBe('ENOTFOUND');
  });

  it('resolves localhost with the real dns.lookup and blocks it', async () => {
    const strictLookup = createGuardedLookup(false);
    const looseLookup = createGuardedLookup(true);
    const blocked = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      strictLookup('localhost', { all: true }, (err) => resolve(err)),
    );
    expect(blocked?.code).toBe('EBLOCKED');
    const allowed = await new Promise<unknown>((resolve) => looseLookup('localhost', {}, (_err, address) => resolve(address)));
    expect(['127.0.0.1', '::1']).toContain(allowed);
  });
});
