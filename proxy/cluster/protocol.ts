import type { SharedRules } from '../rules/store';

/**
 * The messages between a cluster's primary and its workers over node:cluster's IPC channel
 * (JSON). The primary owns the rules file; a worker serves shoppers and answers questions.
 */

/** What a primary asks a worker for, and gets as `answer.body`. */
export type Question = 'status' | 'stats' | 'metrics';

export type ToWorker =
  /** The rules to serve (the first, and each new epoch). */
  | { readonly type: 'strangler:rules'; readonly rules: SharedRules }
  | { readonly type: 'strangler:ask'; readonly id: number; readonly what: Question }
  /** Drain and exit 0 (the primary got SIGTERM). */
  | { readonly type: 'strangler:stop' };

export type ToPrimary =
  /** The worker listens for messages: send it the rules. */
  | { readonly type: 'strangler:hello' }
  /** The worker serves shoppers on `proxyPort`. */
  | { readonly type: 'strangler:ready'; readonly proxyPort: number; readonly epoch: number }
  /** The worker serves `epoch` now. */
  | { readonly type: 'strangler:applied'; readonly epoch: number }
  | { readonly type: 'strangler:answer'; readonly id: number; readonly body?: unknown; readonly error?: string }
  /** The worker could not start (for instance its port is taken); it exits next. */
  | { readonly type: 'strangler:failed'; readonly message: string; readonly code?: string; readonly port?: number };

/** Ours, not prom-client's or node:cluster's own messages on the same channel. */
function isOurs(message: unknown): boolean {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string' && (message as { type: string }).type.startsWith('strangler:');
}

export function isToWorker(message: unknown): message is ToWorker {
  return isOurs(message);
}

export function isToPrimary(message: unknown): message is ToPrimary {
  return isOurs(message);
}
