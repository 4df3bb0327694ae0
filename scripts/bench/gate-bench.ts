import { performance } from 'node:perf_hooks';
import { UpstreamGate } from '../../proxy/overload/upstream-gate';

/**
 * Admission control's cost when nothing is overloaded: a slot taken and given back with a latency
 * sample, as the forwarder does for every request (the clock read twice included). The target is
 * about 1 µs a request.
 */
export function benchGate(requests: number): { nsPerRequest: number } {
  const gate = new UpstreamGate(0, () => performance.now(), { shed: () => undefined, admitted: () => undefined });
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    for (let i = 0; i < requests; i++) {
      const sentAt = performance.now();
      if (gate.tryEnter()) gate.leave(performance.now() - sentAt + 1, gate.inFlight, performance.now());
    }
    best = Math.min(best, ((performance.now() - started) * 1e6) / requests);
  }
  gate.close();
  return { nsPerRequest: Math.round(best) };
}
