import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchDecision, type DecisionResult } from './decision-bench';

/**
 * `npm run bench`: benchmarks print a table and write JSON to bench-results/. Today it measures the
 * pure routing decision from 1 to 4,096 routes (the HTTP side-by-side benchmark against bare
 * http-proxy and nginx is an open issue). Same-run ratios are what count; absolute ns drift.
 */
function main(): void {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' } }, strict: true });
  const sizes = [1, 16, 256, 1000, 4096];
  const iterations = values.quick ? 50_000 : 400_000;
  const results: DecisionResult[] = [];
  for (const kind of ['exact', 'pattern'] as const) {
    for (const size of sizes) results.push(benchDecision(size, kind, iterations));
  }
  const base = (kind: string): number => results.find((r) => r.kind === kind && r.routes === 1)!.nsPerDecision;
  console.log(`\nRouting decision (decide(): match + identity + bucket), last route of the table, median of 5 rounds of ${iterations}`);
  console.log('kind     routes   ns/decision   vs 1 route');
  for (const r of results) {
    console.log(`${r.kind.padEnd(8)} ${String(r.routes).padStart(6)}   ${String(r.nsPerDecision).padStart(11)}   ${(r.nsPerDecision / base(r.kind)).toFixed(2).padStart(9)}x`);
  }
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
  const dir = path.resolve('bench-results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `decision-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), machine, quick: Boolean(values.quick), decision: results }, null, 2));
  console.log(`\nmachine: ${machine.cpus} cores, ${machine.model}, node ${machine.node}\nwritten: ${path.relative(process.cwd(), file)}`);
}

main();
