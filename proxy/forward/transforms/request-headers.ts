import type { IncomingHttpHeaders } from 'node:http';
import { connectionNamed, isHopOrInternal, type FlatHeaders } from './hop-by-hop';

export interface RequestHeaderFacts {
  readonly remoteAddress: string;
  readonly requestId: string;
  readonly traceparent: string;
}

/** A transform reads the client's headers and appends to the flat list sent upstream. */
type RequestHeaderPass = (incoming: IncomingHttpHeaders, outgoing: FlatHeaders, facts: RequestHeaderFacts) => void;

/**
 * Headers the proxy sets itself: the client's are never copied (set, not appended). A client's
 * RFC 7239 `Forwarded` (which the proxy does not write) is dropped rather than passed on as truth.
 */
const SET_BY_PROXY: ReadonlySet<string> = new Set(['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'via', 'x-request-id', 'traceparent']);

/**
 * The client's end-to-end headers, filtered before we add ours, so `Connection: x-request-id`
 * cannot remove what the proxy sets; `x-strangler-*` never passes, like Envoy's `x-envoy-*`.
 */
const copyEndToEnd: RequestHeaderPass = (incoming, outgoing) => {
  const named = connectionNamed(incoming.connection);
  for (const name in incoming) {
    if (SET_BY_PROXY.has(name) || isHopOrInternal(name, named)) continue;
    const value = incoming[name];
    if (typeof value === 'string') outgoing.push(name, value);
    else if (value !== undefined) for (const one of value) outgoing.push(name, one);
  }
};

const setForwarded: RequestHeaderPass = (incoming, outgoing, facts) => {
  outgoing.push('x-forwarded-for', facts.remoteAddress, 'x-forwarded-proto', 'http', 'x-forwarded-host', incoming.host ?? '');
};

/** RFC 9110 §7.6.3: each proxy appends itself to Via. */
const appendVia: RequestHeaderPass = (incoming, outgoing) => {
  const via = incoming.via;
  outgoing.push('via', via ? `${via}, 1.1 strangler` : '1.1 strangler');
};

const setTracing: RequestHeaderPass = (_incoming, outgoing, facts) => {
  outgoing.push('x-request-id', facts.requestId, 'traceparent', facts.traceparent);
};

export const REQUEST_HEADER_PASSES: readonly RequestHeaderPass[] = Object.freeze([copyEndToEnd, setForwarded, appendVia, setTracing]);

/** The headers sent upstream, as the flat list undici takes (no object, no second copy). */
export function outgoingRequestHeaders(incoming: IncomingHttpHeaders, facts: RequestHeaderFacts): FlatHeaders {
  const outgoing: FlatHeaders = [];
  for (const pass of REQUEST_HEADER_PASSES) pass(incoming, outgoing, facts);
  return outgoing;
}

/** A copy of the headers with the traceparent (set last, by setTracing) naming one attempt's client span. */
export function withTraceparent(headers: readonly string[], traceparent: string): string[] {
  const copy = headers.slice();
  for (let i = copy.length - 2; i >= 0; i -= 2) {
    if (copy[i] === 'traceparent') { copy[i + 1] = traceparent; break; }
  }
  return copy;
}
