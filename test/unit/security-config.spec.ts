import { describe, expect, it } from 'vitest';
import { loadConfig, parseRateLimit } from '../../src/config/app-config';
import { addressKey } from '../../src/identity/auth-throttle.service';

describe('security settings (issue 12)', () => {
  it('AUTH_THROTTLE_*: "<count>/<duration>" or "off", defaults 30/1m per address and 10/15m per account', () => {
    const defaults = loadConfig({});
    expect(defaults.authThrottlePerAddress).toEqual({ points: 30, durationMs: 60_000 });
    expect(defaults.authThrottlePerAccount).toEqual({ points: 10, durationMs: 15 * 60_000 });
    expect(parseRateLimit('5 / 2h')).toEqual({ points: 5, durationMs: 7_200_000 });
    expect(parseRateLimit('off')).toBeNull();
    for (const bad of ['10', '0/1m', 'x/1m', '10/soon', '10/500ms']) expect(() => parseRateLimit(bad), bad).toThrow();
    expect(() => loadConfig({ AUTH_THROTTLE_PER_ADDRESS: 'lots' })).toThrow(/AUTH_THROTTLE_PER_ADDRESS="lots"/);
  });

  it('CORS_ORIGINS: none by default; a list of origins, nothing else', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://console.example.com, http://localhost:5173/' }).corsOrigins).toEqual([
      'https://console.example.com',
      'http://localhost:5173',
    ]);
    for (const bad of ['*', 'https://a.example/path', 'ftp://a.example', 'console.example.com']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(/CORS_ORIGINS/);
    }
  });

  it('TRUST_PROXY: false by default; true, a hop count, or addresses and subnets', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
    expect(() => loadConfig({ TRUST_PROXY: 'my-proxy.internal' })).toThrow(/TRUST_PROXY/);
  });
});

describe('throttling key per client address', () => {
  it('IPv4 as is (IPv4-mapped IPv6 too); IPv6 per /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe(addressKey('2001:db8:1:2::9'));
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
  });
});
