import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_ENDPOINTS, adminHosts } from '../../proxy/admin/server';
import { proxyConfigFromEnv } from '../../proxy/config';
import { REPO_ROOT } from '../../scripts/testing/processes';
import { closedPort, oneRouteRules, startTestProxy, startUpstream } from '../../scripts/testing/upstreams';
import { all, copyParts, dockerIgnored, dockerignorePatterns, execForm, parseDockerfile, type Stage } from './dockerfile';

const dockerfile = parseDockerfile(fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const ignore = dockerignorePatterns(fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8'));
const runtime = dockerfile.stages[dockerfile.stages.length - 1];
const defaults = proxyConfigFromEnv({});
const runs = (stage: Stage): string => all(stage, 'RUN').map((i) => i.args).join('\n');
/** The stages a stage builds on, itself first (FROM another stage's name). */
const lineage = (stage: Stage): Stage[] => {
  const parent = dockerfile.stages.find((s) => s.name === stage.from);
  return parent === undefined ? [stage] : [stage, ...lineage(parent)];
};
const stageRunning = (pattern: RegExp): Stage | undefined => dockerfile.stages.slice(0, -1).find((s) => pattern.test(runs(s)));

describe('the Dockerfile', () => {
  test('is multi-stage: a build stage (npm ci + build), a deps stage (npm ci --omit=dev) with the toolchain for better-sqlite3, a slim runtime', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3);
    const build = stageRunning(/npm ci(?![^\n]*--omit)/);
    const deps = stageRunning(/npm ci [^\n]*--omit=dev/);
    expect(build).toBeDefined();
    expect(deps).toBeDefined();
    expect(runs(build!)).toMatch(/npm run build/);
    for (const stage of [build!, deps!]) {
      const install = lineage(stage).map(runs).join('\n').split('\n').find((r) => r.includes('apt-get install')) ?? '';
      for (const tool of ['python3', 'make', 'g++']) expect({ stage: stage.name, tool, installed: install.split(' ').includes(tool) }).toEqual({ stage: stage.name, tool, installed: true });
    }
    // The addon is proved to load where it is built, as .ci/run does.
    expect(runs(deps!)).toMatch(/require\('better-sqlite3'\)/);
    // Install scripts run (package.json allowScripts lets better-sqlite3's): never --ignore-scripts.
    for (const stage of dockerfile.stages) expect(runs(stage)).not.toMatch(/--ignore-scripts/);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    expect(pkg.allowScripts?.['better-sqlite3']).toBe(true);

    // The runtime has no compiler and no package manager run: it copies what the others made.
    expect(lineage(runtime)).toHaveLength(1);
    expect(runs(runtime)).not.toMatch(/apt-get|npm (ci|install)|g\+\+/);
    const copies = all(runtime, 'COPY').map((i) => copyParts(i.args));
    expect(copies).toContainEqual({ from: deps!.name, sources: ['/app/node_modules'], dest: './node_modules' });
    expect(copies).toContainEqual({ from: build!.name, sources: ['/app/dist'], dest: './dist' });
    const fromContext = copies.filter((c) => c.from === null).flatMap((c) => c.sources);
    expect(fromContext).toEqual(expect.arrayContaining(['package.json', 'routing-rules.yaml', 'proxy/routing-rules.schema.json']));
  });

  test('runs on a Node with the llhttp fixes the proxy relies on (20.19.2 or later)', () => {
    const version = /^node:(\d+)\.(\d+)\.(\d+)-/.exec(runtime.from);
    expect(version).not.toBeNull();
    const [major, minor, patch] = version!.slice(1).map(Number);
    expect(major).toBe(20);
    expect(minor * 1000 + patch).toBeGreaterThanOrEqual(19 * 1000 + 2);
  });

  test('runs as a non-root user, by number (Kubernetes runAsNonRoot can only verify a number)', () => {
    const users = all(runtime, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0].args.split(':');
    expect(uid).toMatch(/^[1-9]\d*$/);
    if (gid !== undefined) expect(gid).toMatch(/^[1-9]\d*$/);
    // data/ (the diff store, the Unleash backup) belongs to that user.
    expect(runs(runtime)).toContain(`chown ${users[0].args} /app/data`);
  });

  test('starts `strangler proxy` and exposes the default shopper and admin ports', () => {
    const entrypoint = execForm(all(runtime, 'ENTRYPOINT')[0].args);
    const cmd = execForm(all(runtime, 'CMD')[0].args);
    expect([...entrypoint, ...cmd]).toEqual(['node', '/app/dist/scripts/cli.js', 'proxy']);
    expect(fs.existsSync(path.join(REPO_ROOT, 'dist', 'scripts', 'cli.js'))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.strangler).toBe('dist/scripts/cli.js');
    expect(all(runtime, 'EXPOSE')[0].args.split(' ')).toEqual([String(defaults.proxyPort), String(defaults.adminPort)]);
  });

  describe('HEALTHCHECK', () => {
    const healthcheck = all(runtime, 'HEALTHCHECK')[0];
    const command = execForm(healthcheck.args.slice(healthcheck.args.indexOf('CMD ') + 4));

    test('asks /healthz on the admin port, at an address its Host check answers, with node (no curl in a slim image)', () => {
      expect(command.slice(0, 2)).toEqual(['node', '-e']);
      const url = /fetch\('http:\/\/([^:']+):' \+ \(process\.env\.ADMIN_PORT \|\| (\d+)\) \+ '(\/\w+)'/.exec(command[2]);
      expect(url).not.toBeNull();
      const [, host, port, endpoint] = url!;
      expect(Number(port)).toBe(defaults.adminPort);
      expect(ADMIN_ENDPOINTS).toContainEqual(expect.objectContaining({ method: 'GET', path: endpoint }));
      expect(endpoint).toBe('/healthz');
      expect(adminHosts(defaults.adminHost, defaults.adminPort).has(`${host}:${port}`)).toBe(true);
      expect(healthcheck.args).toMatch(/--timeout=\d+s/);
    });

    test('run as Docker runs it: exit 0 against a real proxy, 1 when nothing answers', async () => {
      const legacy = await startUpstream('legacy');
      const proxy = await startTestProxy(oneRouteRules(legacy.url, legacy.url, 'match: { path: /x }\npercent: 0'));
      const run = (adminPort: number): Promise<number | null> => new Promise((resolve) => {
        const child = execFile(process.execPath, command.slice(1), { env: { ...process.env, ADMIN_PORT: String(adminPort) }, timeout: 10000 });
        child.once('exit', (code) => resolve(code));
      });
      try {
        expect(await run(proxy.adminPort)).toBe(0);
        expect(await run(await closedPort())).toBe(1);
      } finally {
        await proxy.stop();
        await legacy.close();
      }
    });
  });
});

describe('.dockerignore', () => {
  test('keeps what is installed, built or run here out of the context', () => {
    for (const p of ['.git', 'node_modules', 'dist', 'data', 'scripts/unleash/server', 'shadow/node_modules', 'proxy/test/e2e/x.ts']) expect({ p, ignored: dockerIgnored(ignore, p) }).toEqual({ p, ignored: true });
  });

  test('keeps every file the Dockerfile copies from the context, and every input of the TypeScript build', () => {
    const fromContext = dockerfile.stages.flatMap((s) => all(s, 'COPY').map((i) => copyParts(i.args)).filter((c) => c.from === null).flatMap((c) => c.sources));
    for (const source of fromContext) {
      expect({ source, exists: fs.existsSync(path.join(REPO_ROOT, source)), ignored: dockerIgnored(ignore, source) }).toEqual({ source, exists: true, ignored: false });
    }
    // tsc's own list of the files `npm run build` reads.
    const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(tsc.status).toBe(0);
    const inputs = tsc.stdout.split('\n').filter((f) => f !== '' && !f.includes('/node_modules/')).map((f) => path.relative(REPO_ROOT, f));
    expect(inputs.length).toBeGreaterThan(50);
    const copied = (file: string): boolean => fromContext.some((source) => file === source || file.startsWith(`${source}/`));
    const missing = inputs.filter((file) => dockerIgnored(ignore, file) || !copied(file));
    expect(missing).toEqual([]);
  });
});

// A real build, where a Docker daemon answers (not on this project's CI machine). Never a silent pass.
const daemon = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 10000 });
const daemonAnswers = daemon.status === 0;
if (!daemonAnswers) {
  process.stderr.write(`SKIPPED docker build: no Docker daemon answers (${(daemon.error?.message ?? daemon.stderr ?? '').trim().split('\n')[0] || `docker info exited ${daemon.status}`}); only the Dockerfile's text was checked\n`);
}
(daemonAnswers ? test : test.skip)(`docker build, then the image's strangler checks its shipped rules${daemonAnswers ? '' : ' (SKIPPED: no Docker daemon answers)'}`, () => {
  const tag = `strangler-test:${process.pid}`;
  const build = spawnSync('docker', ['build', '-t', tag, '.'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 15 * 60_000 });
  expect({ status: build.status, tail: build.status === 0 ? '' : `${build.stdout}${build.stderr}`.slice(-3000) }).toEqual({ status: 0, tail: '' });
  try {
    const check = spawnSync('docker', ['run', '--rm', tag, 'check', 'routing-rules.yaml'], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: check.status, out: check.stdout + check.stderr }).toMatchObject({ status: 0 });
    const user = spawnSync('docker', ['run', '--rm', '--entrypoint', 'id', tag, '-u'], { encoding: 'utf8', timeout: 60_000 });
    expect(user.stdout.trim()).toBe(all(runtime, 'USER')[0].args.split(':')[0]);
  } finally {
    spawnSync('docker', ['rmi', '-f', tag], { timeout: 60_000 });
  }
}, 16 * 60_000);
