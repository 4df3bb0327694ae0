/**
 * Three proxy replicas behind nginx, one rules file, one PostgreSQL store (what `npm run
 * demo:replicas` prints, asserted): the same shopper gets the same side from every replica, an
 * edit of the rules reaches all three within a second, the report counts every replica's
 * comparisons, and a replica SIGKILLed under load costs at most its requests in flight and none
 * of the rows it had written.
 */
import { editReachesEveryReplica, killUnderLoad, reportOverEveryReplica, sameSideEverywhere } from '../../replicas/checks';
import { startReplicaSet, type ReplicaSet } from '../../replicas/replica-set';

let set: ReplicaSet;

beforeAll(async () => { set = await startReplicaSet(3); }, 120_000);
afterAll(async () => { await set?.stop(); });

test('a shopper gets the same side through nginx and from each replica; nginx spreads the requests over all three', async () => {
  const sticky = await sameSideEverywhere(set);
  expect(sticky.flipped).toEqual([]);
  expect(Object.keys(sticky.sides).sort()).toEqual(['extracted', 'legacy']); // 50 %: both sides have shoppers
  for (const replica of set.replicas) expect(sticky.perReplica[replica.name]).toBeGreaterThanOrEqual(sticky.identities); // its direct requests and a share of nginx's
});

test('an edit of the rules file reaches all three replicas within a second of the write', async () => {
  const edit = await editReachesEveryReplica(set, 60);
  expect(edit.ms).toBeLessThanOrEqual(1000);
  for (const e of Object.values(edit.epochs)) expect(e.after).toBeGreaterThan(e.before);
});

test('strangler report --db postgres://… counts the comparisons of all three, each replica\'s rows named by it', async () => {
  const report = await reportOverEveryReplica(set);
  expect(report.exitCode).toBe(0);
  expect(report.store).toBe(`postgresql://strangler:***@127.0.0.1:${set.pg.port}/strangler`);
  expect(report.replicas.map((r) => r.replica)).toEqual(['replica-1', 'replica-2', 'replica-3']);
  for (const r of report.replicas) expect(r.compared).toBeGreaterThan(0);
  expect(report.compared).toBe(report.replicas.reduce((sum, r) => sum + r.compared, 0));
});

test('a replica SIGKILLed under steady GET load costs at most the requests it had in flight; every row it had written is still there', async () => {
  const kill = await killUnderLoad(set, set.replicas[1]);
  expect(kill.victimAnswered).toBeGreaterThan(0);
  expect(kill.sent).toBeGreaterThan(100);
  expect(kill.failed).toBeLessThanOrEqual(kill.inFlightAtKill);
  expect(kill.rowsBefore).toBeGreaterThan(0);
  expect(kill.rowsStillThere).toBe(kill.rowsBefore);
}, 60_000);
