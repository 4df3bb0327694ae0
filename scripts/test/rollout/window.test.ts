import type { PercentEvent } from '../../../shadow/store/evidence';
import { stepWindow } from '../../cli/rollout/window';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const ramp = (at: number, toPercent: number): PercentEvent => ({ at, route: 'r', fromPercent: 5, toPercent, action: 'ramp', who: 'strangler ramp r 25', file: '/f.yaml' });

describe('the step\'s window', () => {
  test('starts at the last recorded change when the file still has its percent', () => {
    const last = ramp(NOW - 600_000, 25);
    expect(stepWindow('r', 25, last, NOW - 5000, NOW, '/f.yaml', 'me')).toEqual({ since: NOW - 600_000, startedBy: last, hand: null });
  });
  test('a hand edit (another percent, or nothing recorded) starts at the file\'s modification time', () => {
    const window = stepWindow('r', 50, ramp(NOW - 600_000, 25), NOW - 120_000, NOW, '/f.yaml', 'hand edit, noticed by strangler rollout');
    expect(window.since).toBe(NOW - 120_000);
    expect(window.hand).toEqual({ at: NOW - 120_000, route: 'r', fromPercent: 25, toPercent: 50, action: 'hand', who: 'hand edit, noticed by strangler rollout', file: '/f.yaml' });
    expect(stepWindow('r', 5, null, NOW - 90_000, NOW, '/f.yaml', 'x').hand).toMatchObject({ at: NOW - 90_000, fromPercent: null, toPercent: 5 });
  });
  test('never in the future, never before the last recorded change', () => {
    expect(stepWindow('r', 50, null, NOW + 60_000, NOW, '/f.yaml', 'x').since).toBe(NOW);
    expect(stepWindow('r', 50, ramp(NOW - 1000, 25), NOW - 3_600_000, NOW, '/f.yaml', 'x').since).toBe(NOW - 1000);
  });
});
