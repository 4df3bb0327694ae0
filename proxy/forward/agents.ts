import http from 'node:http';
import type { Upstream } from '../rules/types';

/**
 * A keep-alive agent that remembers the last ClientRequest it was handed. http-proxy builds its
 * upstream request synchronously inside `proxy.web()` and hands it straight to the agent, so
 * reading `lastRequest` right after the call gives us that request even when http-proxy emits no
 * `proxyReq` event (it skips it for `Expect: 100-continue`). We need the request to enforce our
 * own deadline and to abort it when the shopper goes away (http-proxy #1586).
 */
export class CapturingAgent extends http.Agent {
  lastRequest: http.ClientRequest | null = null;

  addRequest(request: http.ClientRequest, options: http.RequestOptions): void {
    this.lastRequest = request;
    (http.Agent.prototype as unknown as { addRequest: (r: http.ClientRequest, o: http.RequestOptions) => void }).addRequest.call(this, request, options);
  }
}

export interface AgentOptions {
  /** Sockets per upstream, busy and idle together. */
  maxSockets: number;
  /** Idle sockets close after this long; below the shop's 5 s keep-alive so we never reuse one it is closing. */
  idleTimeoutMs: number;
}

export const DEFAULT_AGENT_OPTIONS: AgentOptions = { maxSockets: 256, idleTimeoutMs: 4000 };

/** One agent per upstream base URL, kept across rule reloads so pooled sockets survive them. */
export class AgentRegistry {
  private readonly agents = new Map<string, CapturingAgent>();

  constructor(private readonly options: AgentOptions = DEFAULT_AGENT_OPTIONS) {}

  get(upstream: Upstream): CapturingAgent {
    let agent = this.agents.get(upstream.url);
    if (agent === undefined) {
      agent = new CapturingAgent({
        keepAlive: true,
        maxSockets: this.options.maxSockets,
        maxFreeSockets: Math.min(64, this.options.maxSockets),
        timeout: this.options.idleTimeoutMs,
        scheduling: 'lifo',
      });
      this.agents.set(upstream.url, agent);
    }
    return agent;
  }

  /** Sockets open to each upstream, busy and idle (for /status and leak checks). */
  socketCounts(): Record<string, { busy: number; idle: number; queued: number }> {
    const counts: Record<string, { busy: number; idle: number; queued: number }> = {};
    const total = (group: NodeJS.ReadOnlyDict<unknown[]>): number => Object.values(group).reduce((n, list) => n + (list?.length ?? 0), 0);
    for (const [url, agent] of this.agents) {
      counts[url] = { busy: total(agent.sockets), idle: total(agent.freeSockets), queued: total(agent.requests) };
    }
    return counts;
  }

  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}
