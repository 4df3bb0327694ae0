/**
 * The proxy's first line of defence against request smuggling is Node's own HTTP parser (llhttp)
 * in strict mode. Pin it to a release with the published smuggling fixes, so running on an older
 * Node fails here, by name, instead of quietly accepting ambiguous requests.
 */
import http from 'node:http';

const atLeast = (have: string, want: string): boolean => {
  const a = have.replace(/^v/, '').split('.').map(Number);
  const b = want.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) > b[i];
  return true;
};

test('llhttp is 9.3.0 or later (CVE-2025-23167: header block ended by \\r\\n\\rX; CVE-2024-27982: Content-Length obfuscation)', () => {
  expect({ llhttp: process.versions.llhttp, ok: atLeast(process.versions.llhttp ?? '0', '9.3.0') }).toEqual({ llhttp: process.versions.llhttp, ok: true });
});

test('Node 20 is 20.19.2 or later (the release line that ships those llhttp fixes)', () => {
  expect({ node: process.version, ok: atLeast(process.version, '20.19.2') }).toEqual({ node: process.version, ok: true });
});

test('the lenient parser is not switched on for this process', () => {
  const flags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  expect(flags).not.toMatch(/insecure-http-parser/);
  expect((http.createServer() as http.Server & { insecureHTTPParser?: boolean }).insecureHTTPParser ?? false).toBe(false);
});

test('the version comparison itself', () => {
  expect(atLeast('9.3.1', '9.3.0')).toBe(true);
  expect(atLeast('9.2.9', '9.3.0')).toBe(false);
  expect(atLeast('v20.20.2', '20.19.2')).toBe(true);
  expect(atLeast('v20.11.0', '20.19.2')).toBe(false);
});
