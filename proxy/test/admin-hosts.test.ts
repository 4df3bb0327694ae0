import { adminHosts } from '../admin/server';
import { proxyConfigFromEnv } from '../config';

describe('the Host values the admin server answers', () => {
  test('by default: its own address and the loopback names, at its port', () => {
    expect([...adminHosts('127.0.0.1', 9901)].sort()).toEqual(['127.0.0.1:9901', '[::1]:9901', 'localhost:9901']);
  });
  test('ADMIN_ALLOWED_HOSTS adds names and addresses; the admin port when none is given, brackets for bare IPv6', () => {
    const hosts = adminHosts('0.0.0.0', 9901, ['10.244.1.7', 'Strangler-Admin.shop.svc:9901', 'fd00:10:244::7', '[fd00::8]', '[fd00::9]:9901', 'metrics.example:80']);
    for (const host of ['10.244.1.7:9901', 'strangler-admin.shop.svc:9901', '[fd00:10:244::7]:9901', '[fd00::8]:9901', '[fd00::9]:9901', 'metrics.example:80']) expect(hosts.has(host)).toBe(true);
    expect(hosts.has('10.244.1.7')).toBe(false);
    expect(hosts.has('10.244.1.7:80')).toBe(false);
  });
  test('the environment: a comma-separated list, spaces and empty entries ignored; unset is none', () => {
    expect(proxyConfigFromEnv({}).adminAllowedHosts).toEqual([]);
    expect(proxyConfigFromEnv({ ADMIN_ALLOWED_HOSTS: '' }).adminAllowedHosts).toEqual([]);
    expect(proxyConfigFromEnv({ ADMIN_ALLOWED_HOSTS: ' 10.244.1.7, ,strangler-admin:9901 ' }).adminAllowedHosts).toEqual(['10.244.1.7', 'strangler-admin:9901']);
  });
  test.each(['http://10.0.0.1', 'evil.example/x', 'a b', 'user@host', '*'])('a malformed entry stops the proxy at start: %s', (entry) => {
    expect(() => proxyConfigFromEnv({ ADMIN_ALLOWED_HOSTS: entry })).toThrow(/ADMIN_ALLOWED_HOSTS must be a comma-separated list/);
  });
});
