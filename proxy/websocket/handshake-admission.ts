import type { Duplex } from 'node:stream';
import type { Admission } from '../overload/admission';
import type { Priority } from '../overload/waiting-line';
import type { Upstream } from '../rules/types';

/**
 * A WebSocket handshake goes through its upstream's admission control as an HTTP request does:
 * it takes a slot when one is free, else waits in the same line (by its route's priority, at most
 * `max_queue`), else it is shed. The slot is held only until the handshake is answered (101, a
 * refusal or a failure): an open WebSocket is long-lived and mostly idle, and counting it would
 * leave no slot for the shoppers' requests after a few hundred connections.
 *
 * `go(release)` is called once the handshake may be sent; `release` frees the slot and is safe to
 * call more than once. `shed()` is called instead when there was no slot in time. Nothing is
 * called when the client leaves while waiting.
 */
export function admitHandshake(
  admission: Admission, upstream: Upstream, priority: Priority, maxQueueMs: number, socket: Duplex,
  go: (release: () => void) => void, shed: () => void,
): void {
  const gate = admission.gate(upstream);
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    // A handshake's time says nothing about how fast the route's requests are answered: no sample.
    gate.leave(null, 0, admission.now());
  };
  if (gate.tryEnter()) { go(release); return; }
  const onClose = (): void => gate.cancel(waiter);
  const waiter = gate.wait(priority, maxQueueMs, admission.now(), (admitted) => {
    socket.off('close', onClose);
    if (!admitted) { shed(); return; }
    if (socket.destroyed) { release(); return; }
    go(release);
  });
  if (!waiter.done) socket.once('close', onClose);
}
