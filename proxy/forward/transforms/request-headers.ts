import type { IncomingHttpHeaders } from 'node:http';
import { copyEndToEndHeaders } from './hop-by-hop';

export interface RequestHeaderFacts {
  readonly remoteAddress: string;
  readonly requestId: string;
  readonly traceparent: string;
}

/** A transform reads the client's headers and writes into the outgoing object it is given. */
type RequestHeaderPass = (incoming: IncomingHttpHeaders, outgoing: Record<string, string | string[]>, facts: RequestHeaderFacts) => void;

/**
 * The client's end-to-end headers, copied before we add ours, so `Connection: x-request-id`
 * cannot remove what the proxy sets; `x-strangler-*` never passes, like Envoy's `x-envoy-*`.
 */
const copyEndToEnd: RequestHeaderPass = (incoming, outgoing) => copyEndToEndHeaders(incoming, outgoing as Record<string, string | string[] | number>);

/**
 * The forwarded headers are set, never appended: a client's own X-Forwarded-* is not trusted, and
 * its RFC 7239 `Forwarded` (which the proxy does not write) is dropped rather than passed on as truth.
 */
const setForwarded: RequestHeaderPass = (incoming, outgoing, facts) => {
  delete outgoing.forwarded;
  outgoing['x-forwarded-for'] = facts.remoteAddress;
  outgoing['x-forwarded-proto'] = 'http';
  outgoing['x-forwarded-host'] = incoming.host ?? '';
};

/** RFC 9110 §7.6.3: each proxy appends itself to Via. */
const appendVia: RequestHeaderPass = (incoming, outgoing) => {
  const via = incoming.via;
  outgoing.via = via ? `${Array.isArray(via) ? via.join(', ') : via}, 1.1 strangler` : '1.1 strangler';
};

const setTracing: RequestHeaderPass = (_incoming, outgoing, facts) => {
  outgoing['x-request-id'] = facts.requestId;
  outgoing.traceparent = facts.traceparent;
};

export const REQUEST_HEADER_PASSES: readonly RequestHeaderPass[] = Object.freeze([copyEndToEnd, setForwarded, appendVia, setTracing]);

export function outgoingRequestHeaders(incoming: IncomingHttpHeaders, facts: RequestHeaderFacts): Record<string, string | string[]> {
  const outgoing: Record<string, string | string[]> = {};
  for (const pass of REQUEST_HEADER_PASSES) pass(incoming, outgoing, facts);
  return outgoing;
}
