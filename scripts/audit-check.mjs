// `npm audit --omit=dev` for .ci/run: fails on any high or critical advisory in what ships.
// When the registry has no audit endpoint (some mirrors answer 405), it says so loudly and does
// not pretend the check passed or failed: the line starts with "AUDIT UNAVAILABLE".
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
let report;
try {
  report = JSON.parse(run.stdout || '{}');
} catch {
  console.error(`npm audit printed something that is not JSON:\n${run.stdout}\n${run.stderr}`);
  process.exit(1);
}
if (report.error || report.statusCode || !report.metadata) {
  const why = report.message || report.error?.summary || `npm audit exited ${run.status} without a report`;
  console.log(`AUDIT UNAVAILABLE: the registry gave no audit report (${why}); no advisory check was made`);
  process.exit(0);
}
const counts = report.metadata?.vulnerabilities ?? {};
const serious = (counts.high ?? 0) + (counts.critical ?? 0);
console.log(`npm audit --omit=dev: ${JSON.stringify(counts)}`);
for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
  if (v.severity === 'high' || v.severity === 'critical') console.log(`  ${v.severity}: ${name} ${v.range}`);
}
process.exit(serious > 0 ? 1 : 0);
