/**
 * `npm run demo:replicas`: three strangler proxies behind nginx, one rules file, one PostgreSQL
 * diff store (a throwaway cluster), and what that setup guarantees, measured and printed:
 *
 *   1. a shopper gets the same side from every replica (through nginx and straight to each);
 *   2. an edit of the rules file reaches all three within a second;
 *   3. `strangler report --db postgres://…` counts the comparisons of all three;
 *   4. a replica killed (SIGKILL) under steady load costs at most the requests it had in flight,
 *      and every diff row it had written is still in the store.
 *
 * Read it as an example of a deployment: replica-set.ts has the nginx configuration and the
 * environment each replica gets (STRANGLER_RULES, STRANGLER_DIFF_DB, STRANGLER_REPLICA).
 * Exit 0 when all four hold.
 */
import { editReachesEveryReplica, killUnderLoad, reportOverEveryReplica, sameSideEverywhere } from './checks';
import { startReplicaSet } from './replica-set';

const say = (line: string): void => { process.stdout.write(`${line}\n`); };

async function main(): Promise<number> {
  say('starting a PostgreSQL cluster, two upstreams, three proxies and nginx on 127.0.0.1 ...');
  const set = await startReplicaSet(3);
  let ok = true;
  const check = (holds: boolean, line: string): void => { ok &&= holds; say(`${holds ? 'ok  ' : 'FAIL'} ${line}`); };
  try {
    say(`nginx on http://127.0.0.1:${set.port} → ${set.replicas.map((r) => `${r.name} :${r.port}`).join(', ')}; store ${set.pg.url.replace(/:[^:@/]*@/, ':***@')}`);

    const sticky = await sameSideEverywhere(set);
    check(sticky.flipped.length === 0, `1. same side everywhere: ${sticky.identities} shoppers × (6 through nginx + 1 per replica) = ${sticky.requests} requests, `
      + `${sticky.flipped.length} shoppers saw two sides; sides ${JSON.stringify(sticky.sides)}; answered per replica ${JSON.stringify(sticky.perReplica)}`);

    const edit = await editReachesEveryReplica(set, 60);
    check(edit.ms <= 1000, `2. a rules edit (percent 50 → 60) reached every replica in ${edit.ms} ms: ${Object.entries(edit.epochs).map(([n, e]) => `${n} epoch ${e.before}→${e.after}`).join(', ')}`);

    const report = await reportOverEveryReplica(set);
    const named = set.replicas.every((r) => report.replicas.some((row) => row.replica === r.name && row.compared > 0));
    check(named && report.exitCode === 0, `3. strangler report --db ${report.store}: ${report.compared} comparisons; per replica ${report.replicas.map((r) => `${r.replica} ${r.compared}`).join(', ')}`);

    const kill = await killUnderLoad(set, set.replicas[1]);
    check(kill.failed <= kill.inFlightAtKill && kill.rowsStillThere === kill.rowsBefore,
      `4. ${kill.victim} (${kill.victimAnswered} requests answered) SIGKILLed under load: ${kill.failed} of ${kill.sent} requests failed (${kill.inFlightAtKill} were in flight at the kill); `
      + `its ${kill.rowsBefore} stored rows: ${kill.rowsStillThere} still there (${kill.rowsAfter} now)`);
    for (const failure of kill.failures.slice(0, 5)) say(`       ${failure}`);
  } finally {
    await set.stop();
  }
  say(ok ? 'all four hold' : 'something did not hold (see FAIL above)');
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (error: Error) => { process.stderr.write(`demo:replicas: ${error.message}\n`); process.exit(1); });
