import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../scripts/testing/processes';
import { namesThatChangeIt } from '../rules/watch';

describe('which directory entries mean the rules file changed', () => {
  const dir = tempDir('watch-names');
  const file = path.join(dir, 'routing-rules.yaml');
  afterEach(() => fs.rmSync(file, { force: true }));

  test('a plain file: its own name', () => {
    fs.writeFileSync(file, 'version: 1\n');
    expect([...namesThatChangeIt(file)]).toEqual(['routing-rules.yaml']);
  });
  test('a missing file: its own name (it may be created)', () => {
    expect([...namesThatChangeIt(file)]).toEqual(['routing-rules.yaml']);
  });
  test('a ConfigMap volume\'s symlink through ..data: ..data too', () => {
    fs.symlinkSync('..data/routing-rules.yaml', file);
    expect([...namesThatChangeIt(file)].sort()).toEqual(['..data', 'routing-rules.yaml']);
  });
  test('an absolute symlink into the same directory counts the same', () => {
    fs.symlinkSync(path.join(dir, 'current', 'rules.yaml'), file);
    expect([...namesThatChangeIt(file)].sort()).toEqual(['current', 'routing-rules.yaml']);
  });
  test('a symlink out of the directory adds nothing here', () => {
    fs.symlinkSync('../elsewhere/routing-rules.yaml', file);
    expect([...namesThatChangeIt(file)]).toEqual(['routing-rules.yaml']);
    fs.rmSync(file);
    fs.symlinkSync('/etc/strangler/routing-rules.yaml', file);
    expect([...namesThatChangeIt(file)]).toEqual(['routing-rules.yaml']);
  });
});
