import { passwordOf, redactLocation, redactSecrets, replicaName, resolveLocation, storeKind } from '../store/location';

test('a postgres:// or postgresql:// URL is PostgreSQL; anything else is a SQLite file, made absolute', () => {
  expect(storeKind('postgres://u:p@h/db')).toBe('postgres');
  expect(storeKind('POSTGRESQL://h/db')).toBe('postgres');
  expect(storeKind('data/diffs.sqlite')).toBe('sqlite');
  expect(storeKind('./postgres://not-a-url')).toBe('sqlite');
  expect(resolveLocation('postgres://u:p@h/db')).toBe('postgres://u:p@h/db');
  expect(resolveLocation('data/d.sqlite')).toMatch(/^\/.*\/data\/d\.sqlite$/);
});

test.each([
  ['postgres://strangler:s3cret@db:5432/strangler', 'postgres://strangler:***@db:5432/strangler'],
  ['postgresql://strangler:p%40ss%3Aw%2Frd@db/strangler?sslmode=require', 'postgresql://strangler:***@db/strangler?sslmode=require'],
  ['postgres://strangler@db/strangler?sslmode=require&password=s3cret', 'postgres://strangler@db/strangler?sslmode=require&password=***'],
  ['postgres://db/strangler', 'postgres://db/strangler'],
  ['postgres://strangler:@db/strangler', 'postgres://strangler:***@db/strangler'],
  ['/var/lib/strangler/diffs.sqlite', '/var/lib/strangler/diffs.sqlite'],
])('%s is shown as %s', (location, shown) => {
  expect(redactLocation(location)).toBe(shown);
});

test('the password is taken out of any text: as written, decoded, inside a copy of the URL, or of another URL', () => {
  const url = 'postgresql://strangler:p%40ss%3Aw%2Frd@db/strangler';
  expect(passwordOf(url)).toBe('p@ss:w/rd');
  expect(redactSecrets(`cannot reach ${url}: auth failed for p@ss:w/rd and p%40ss%3Aw%2Frd`, url)).toBe('cannot reach postgresql://strangler:***@db/strangler: auth failed for *** and ***');
  expect(redactSecrets('see postgres://other:topsecret@elsewhere/x', url)).toBe('see postgres://other:***@elsewhere/x');
  expect(redactSecrets('a file error', '/tmp/d.sqlite')).toBe('a file error');
});

test('a replica is named by STRANGLER_REPLICA, else hostname:pid', () => {
  expect(replicaName({ STRANGLER_REPLICA: 'proxy-7f9c' })).toBe('proxy-7f9c');
  expect(replicaName({})).toMatch(new RegExp(`^.+:${process.pid}$`));
});
