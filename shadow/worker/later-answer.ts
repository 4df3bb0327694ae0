import type { WireAnswer } from '../decode-answer';

/**
 * The served answer of a job offered with the shopper's request, before that answer exists
 * (Diffy's order: the other side is asked at the same moment as the served side, so both see the
 * same state). Settled once, by the handler: the captured answer, or null when the shopper got
 * nothing to compare (an upstream failure, a fallback, a client that left). Later calls are no-ops.
 */
export class LaterAnswer {
  private value: WireAnswer | null | undefined;
  private listener: ((answer: WireAnswer | null) => void) | null = null;

  settle(answer: WireAnswer | null): void {
    if (this.value !== undefined) return;
    this.value = answer;
    const listener = this.listener;
    this.listener = null;
    listener?.(answer);
  }

  /** One listener: called at once when already settled. */
  onSettled(listener: (answer: WireAnswer | null) => void): void {
    if (this.value !== undefined) listener(this.value);
    else this.listener = listener;
  }
}
