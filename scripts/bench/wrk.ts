import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface WrkResult { requests: number; rps: number; p50Ms: number; p99Ms: number; errors: number }

/** A wrk script giving each request a random shopper id, so a percent split really splits. */
export function identityScript(): string {
  const file = path.join(os.tmpdir(), 'strangler-bench-identity.lua');
  fs.writeFileSync(file, `math.randomseed(42)
request = function()
  return wrk.format(nil, nil, { ["x-user-id"] = tostring(math.random(1, 1000000)) })
end
`);
  return file;
}

function toMs(value: string, unit: string): number {
  return Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit];
}

/** Parses wrk's `--latency` output. */
export function parseWrk(output: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN);
  const p50 = /\s50%\s+([\d.]+)(us|ms|s)/.exec(output);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(output);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((s, n) => s + Number(n), 0) : 0);
  if (!p50 || !p99 || Number.isNaN(rps)) throw new Error(`cannot read wrk output:\n${output}`);
  return { requests, rps, p50Ms: toMs(p50[1], p50[2]), p99Ms: toMs(p99[1], p99[2]), errors };
}

/** One bounded wrk run on the given core. */
export function runWrk(url: string, connections: number, seconds: number, core: number, script: string): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    execFile('taskset', ['-c', String(core), 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s', '-s', script, url],
      { timeout: (seconds + 20) * 1000 }, (error, stdout) => {
        if (error) { reject(new Error(`wrk failed: ${error.message}\n${stdout}`)); return; }
        try { resolve(parseWrk(stdout)); } catch (e) { reject(e); }
      });
  });
}
