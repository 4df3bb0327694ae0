import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

/** The directory with package.json above this file: the same from scripts/testing/ (ts-jest) and dist/scripts/testing/ (the demos). */
export const REPO_ROOT = ((): string => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
/** Compiled entry points: `npm test` builds first (pretest), so tests run what users run. */
export const DIST = path.join(REPO_ROOT, 'dist');

/** Every child a test started; killed when the test process exits, even after a failed or aborted run. */
const children = new Set<ChildProcess>();
process.once('exit', () => { for (const child of children) child.kill('SIGKILL'); });

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `strangler-${prefix}-`));
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Every stdout/stderr line so far. */
  readonly lines: string[];
  /** The parsed JSON log line that said the process was ready. */
  readonly ready: Record<string, unknown>;
  waitForLine(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited(): boolean;
}

/**
 * Spawns `node dist/<entry>` with extra env and resolves once a JSON log line has `msg === readyMsg`.
 * Rejects with the process output when it exits first or the deadline passes.
 */
export function startProcess(entry: string, env: Record<string, string>, readyMsg: string, timeoutMs = 15000): Promise<RunningProcess> {
  return startScript(path.join(DIST, entry), env, (line) => parseJson(line)?.msg === readyMsg, timeoutMs);
}

/** Spawns `node <script>` and resolves once a line satisfies `isReady`; `ready` is that line parsed as JSON, when it is JSON. */
export function startScript(script: string, env: Record<string, string>, isReady: (line: string) => boolean, timeoutMs = 15000, args: readonly string[] = []): Promise<RunningProcess> {
  const entry = path.relative(REPO_ROOT, script);
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines: string[] = [];
  const waiters: Array<{ predicate: (line: string) => boolean; resolve: (line: string) => void }> = [];
  let exitCode: number | null | undefined;
  const exitPromise = new Promise<number | null>((resolve) => child.once('exit', (code) => { exitCode = code; resolve(code); }));
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) { waiters.splice(waiters.indexOf(waiter), 1); waiter.resolve(line); }
      }
    });
  }
  const waitForLine = (predicate: (line: string) => boolean, ms = 10000): Promise<string> => {
    const existing = lines.find(predicate);
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching line within ${ms} ms; output:\n${lines.join('\n')}`)), ms);
      // A process that exited first leaves this timer with nothing to wait for: it must not hold jest open.
      timer.unref();
      waiters.push({ predicate, resolve: (line) => { clearTimeout(timer); resolve(line); } });
    });
  };
  const running: Omit<RunningProcess, 'ready'> = {
    child,
    lines,
    waitForLine,
    exited: () => exitCode !== undefined,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      const code = await exitPromise;
      clearTimeout(timer);
      return code;
    },
  };
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => reject(new Error(`${entry}: ${why}\n${lines.join('\n')}`));
    exitPromise.then((code) => fail(`exited with ${code} before it was ready`));
    waitForLine(isReady, timeoutMs)
      .then((line) => resolve({ ...running, ready: parseJson(line) ?? { line } }))
      .catch((error: Error) => { child.kill('SIGKILL'); fail(error.message); });
  });
}

export function parseJson(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try { return JSON.parse(line) as Record<string, unknown>; } catch { return null; }
}

export function portOf(url: unknown): number {
  return Number(new URL(String(url)).port);
}

/** Runs a compiled CLI to completion: exit code, stdout, stderr. */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(DIST, 'scripts', 'cli.js'), ...args], {
      env: { ...process.env, ...options.env }, cwd: options.cwd ?? REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20000);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
