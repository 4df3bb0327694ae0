import { ShadowClient, type MirrorRequest } from '../../shadow/client';
import type { ShadowAnswer } from '../../shadow/compare/compare';

/** How many kinds of failure a replay names when it reports why requests failed. */
const SHOWN = 5;

/**
 * The shadow client replay sends with, keeping each failed send by upstream and reason (the
 * mirror only counts an `error`): a replay whose every request failed can then say why.
 */
export class FailureRecordingClient extends ShadowClient {
  private readonly failures = new Map<string, { origin: string; why: string; count: number }>();

  override async send(request: MirrorRequest): Promise<ShadowAnswer> {
    try {
      return await super.send(request);
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      const why = (message ?? String(error)).split('\n')[0] + (code && !(message ?? '').includes(code) ? ` (${code})` : '');
      const key = `${request.origin}\t${why}`;
      const seen = this.failures.get(key);
      if (seen) seen.count++;
      else this.failures.set(key, { origin: request.origin, why, count: 1 });
      throw error;
    }
  }

  /** The failures grouped by upstream URL and reason, most frequent first: one line each. */
  failureLines(): string[] {
    const groups = [...this.failures.values()].sort((a, b) => b.count - a.count);
    const lines = groups.slice(0, SHOWN).map((g) => `  ${g.count} × ${g.origin}: ${g.why}`);
    if (groups.length > SHOWN) lines.push(`  … and ${groups.length - SHOWN} other kind(s) of failure`);
    return lines;
  }
}
