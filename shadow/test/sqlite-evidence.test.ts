import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { countComparisons } from '../../scripts/rollout/comparisons';
import { diff, MINUTE_MS, seedStore, traffic } from '../../scripts/testing/evidence-seed';
import { tempDir } from '../../scripts/testing/processes';
import { EvidenceStoreError, type PercentEvent } from '../store/evidence';
import { openEvidenceStore } from '../store/open-evidence';
import { LATENCY_BOUNDS_MS, latencyBucket, quantileMs } from '../store/traffic';

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const storeFile = (): string => path.join(tempDir('evidence'), 'diffs.sqlite');

describe('traffic over a window', () => {
  test('counts the whole minute the window starts in and every minute after, summed across writers, per side', () => {
    const file = storeFile();
    seedStore(file, { traffic: [traffic(T0, 'r', 'extracted', 7, 7), traffic(T0 + MINUTE_MS, 'r', 'extracted', 10, 1, 8), traffic(T0 + MINUTE_MS, 'other', 'extracted', 99)] });
    // A second proxy process writing the same minute: its counts add up.
    seedStore(file, { traffic: [traffic(T0 + MINUTE_MS + 5000, 'r', 'extracted', 20, 2, 40), traffic(T0 + 2 * MINUTE_MS, 'r', 'legacy', 30, 0, 4)] });
    const store = openEvidenceStore(file, { readonly: true });
    try {
      const window = store.traffic('r', T0 + MINUTE_MS + 30_000, T0 + 2 * MINUTE_MS + 10_000);
      expect(window.extracted).toMatchObject({ requests: 30, failures: 3, fallbacks: 0 });
      expect(window.legacy).toMatchObject({ requests: 30, failures: 0 });
      expect(window.extracted.latency[latencyBucket(8)]).toBe(10);
      expect(window.extracted.latency[latencyBucket(40)]).toBe(20);
      expect(window.extracted.latency).toHaveLength(LATENCY_BOUNDS_MS.length);
      expect(quantileMs(window.extracted.latency, 0.95)).toBeGreaterThan(30);
      // The minute before the window (7 failures) is not counted above; nor are minutes after `until`.
      expect(store.traffic('r', T0, T0 + 10).extracted).toMatchObject({ requests: 7, failures: 7 });
    } finally {
      store.close();
    }
  });
});

test('comparisons: match and mismatch rows at or after the window start; truncated and errors reported, not compared', () => {
  const file = storeFile();
  seedStore(file, { diffs: [diff(T0 - 1, 'r', 'mismatch'), diff(T0, 'r', 'match'), diff(T0 + 5, 'r', 'mismatch', 'extracted'), diff(T0 + 6, 'r', 'truncated'), diff(T0 + 7, 'r', 'error'), diff(T0 + 8, 'q', 'mismatch')] });
  const store = openEvidenceStore(file);
  try {
    const rows = [...store.shadowRows('r', T0, T0 + 100)];
    expect(rows.map((r) => r.at)).toEqual([T0, T0 + 5, T0 + 6, T0 + 7]);
    expect(rows[1]).toEqual({ at: T0 + 5, method: 'GET', outcome: 'mismatch', servedBy: 'extracted', paths: ['body.price'], noise: [] });
    expect(countComparisons(() => store.shadowRows('r', T0, T0 + 100))).toEqual({ comparisons: 2, mismatches: 1, truncated: 1, errors: 1 });
  } finally {
    store.close();
  }
});

describe('percent events', () => {
  const event = (at: number, action: PercentEvent['action'], fromPercent: number | null, toPercent: number): PercentEvent => ({ at, route: 'r', fromPercent, toPercent, action, who: 'test', file: '/rules.yaml' });

  test('the last one is the latest; a rollback holds until a resume or a change to a percent above 0', () => {
    const store = openEvidenceStore(storeFile(), { create: true });
    try {
      expect(store.lastPercentEvent('r')).toBeNull();
      expect(store.rolledBackAt('r')).toBeNull();
      store.recordPercentEvent(event(T0, 'ramp', 0, 5));
      store.recordPercentEvent(event(T0 + 10, 'rollback', 5, 0));
      expect(store.lastPercentEvent('r')).toEqual(event(T0 + 10, 'rollback', 5, 0));
      expect(store.rolledBackAt('r')).toBe(T0 + 10);
      store.recordPercentEvent(event(T0 + 20, 'kill', 0, 0));
      store.recordPercentEvent(event(T0 + 30, 'unkill', 0, 0));
      expect(store.rolledBackAt('r')).toBe(T0 + 10);
      store.recordPercentEvent(event(T0 + 40, 'resume', 0, 5));
      expect(store.rolledBackAt('r')).toBeNull();
      store.recordPercentEvent(event(T0 + 50, 'rollback', 5, 0));
      expect(store.rolledBackAt('r')).toBe(T0 + 50);
      store.recordPercentEvent(event(T0 + 60, 'hand', 0, 25));
      expect(store.rolledBackAt('r')).toBeNull();
      expect(store.lastPercentEvent('other')).toBeNull();
    } finally {
      store.close();
    }
  });
});

test('verdicts keep their evidence', () => {
  const store = openEvidenceStore(storeFile(), { create: true });
  try {
    store.recordVerdict({ at: T0, route: 'r', verdict: 'hold', fromPercent: 5, toPercent: 5, evidence: { summary: 'old' } });
    store.recordVerdict({ at: T0 + 1, route: 'r', verdict: 'advance', fromPercent: 5, toPercent: 25, evidence: { summary: '5% → 25%', gates: [{ gate: 'time' }] } });
    expect(store.lastVerdict('r')).toEqual({ at: T0 + 1, route: 'r', verdict: 'advance', fromPercent: 5, toPercent: 25, evidence: { summary: '5% → 25%', gates: [{ gate: 'time' }] } });
    expect(store.lastVerdict('q')).toBeNull();
  } finally {
    store.close();
  }
});

describe('a store that cannot be used is one clear error', () => {
  test('missing (unless asked to create it), not a database, older than the evidence tables when read only, PostgreSQL', () => {
    const file = storeFile();
    expect(() => openEvidenceStore(file)).toThrow(new EvidenceStoreError(`no evidence store at ${file}: the proxy writes its counters and comparisons there (set STRANGLER_DIFF_DB or --db)`));
    const created = path.join(path.dirname(file), 'new', 'diffs.sqlite');
    openEvidenceStore(created, { create: true }).close();
    expect(fs.existsSync(created)).toBe(true);
    fs.writeFileSync(file, 'this is not a database, it is a text file that is long enough to have a header\n'.repeat(20));
    expect(() => openEvidenceStore(file)).toThrow(/^cannot use the evidence store .*diffs\.sqlite: file is not a database$/);
    const old = path.join(path.dirname(file), 'old.sqlite');
    const db = new Database(old);
    db.pragma('user_version = 1');
    db.close();
    expect(() => openEvidenceStore(old, { readonly: true })).toThrow(/its schema version is 1, older than the evidence tables \(2\)/);
    expect(() => openEvidenceStore('postgres://rollout:secret@db/strangler')).toThrow(/PostgreSQL evidence store is not supported yet/);
  });
  test('a read-only store refuses writes', () => {
    const file = storeFile();
    openEvidenceStore(file, { create: true }).close();
    const store = openEvidenceStore(file, { readonly: true });
    try {
      expect(() => store.recordVerdict({ at: T0, route: 'r', verdict: 'hold', fromPercent: 5, toPercent: 5, evidence: {} })).toThrow(/opened read only/);
    } finally {
      store.close();
    }
  });
});
