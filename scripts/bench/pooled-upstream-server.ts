import { startPooledUpstream } from '../testing/pooled-upstream';

/**
 * `node pooled-upstream-server.js WORKERS SERVICE_MS`: the overload bench's upstream in its own
 * process (its timers must not wait behind the load generator's event loop). Prints its port,
 * then `served N` on each line of stdin it reads, and exits when stdin closes.
 */
async function main(): Promise<void> {
  const [workers, serviceMs] = process.argv.slice(2).map(Number);
  const upstream = await startPooledUpstream(workers, serviceMs);
  process.stdout.write(`${upstream.port}\n`);
  process.stdin.on('data', () => process.stdout.write(`served ${upstream.served}\n`));
  process.stdin.on('end', () => { void upstream.close().then(() => process.exit(0)); });
}

void main();
