import type { IncomingHttpHeaders } from 'node:http';
import { copyEndToEndHeaders } from './hop-by-hop';

export type Backend = 'legacy' | 'extracted' | 'legacy-fallback';

export interface ResponseHeaderFacts {
  readonly route: string;
  readonly backend: Backend;
  /** A Set-Cookie line to add (the proxy's anonymous id), or null. */
  readonly setCookie: string | null;
}

type ResponseHeaderPass = (upstream: IncomingHttpHeaders, outgoing: Record<string, string | string[] | number>, facts: ResponseHeaderFacts) => void;

const copyEndToEnd: ResponseHeaderPass = (upstream, outgoing) => copyEndToEndHeaders(upstream, outgoing);

const markOrigin: ResponseHeaderPass = (_upstream, outgoing, facts) => {
  outgoing['x-strangler-route'] = facts.route;
  outgoing['x-strangler-backend'] = facts.backend;
};

const addCookie: ResponseHeaderPass = (_upstream, outgoing, facts) => {
  if (facts.setCookie === null) return;
  const existing = outgoing['set-cookie'];
  outgoing['set-cookie'] = existing === undefined ? [facts.setCookie] : [...(existing as string[]), facts.setCookie];
};

const appendVia: ResponseHeaderPass = (upstream, outgoing) => {
  outgoing.via = upstream.via ? `${upstream.via}, 1.1 strangler` : '1.1 strangler';
};

export const RESPONSE_HEADER_PASSES: readonly ResponseHeaderPass[] = Object.freeze([copyEndToEnd, markOrigin, addCookie, appendVia]);

export function outgoingResponseHeaders(upstream: IncomingHttpHeaders, facts: ResponseHeaderFacts): Record<string, string | string[] | number> {
  const outgoing: Record<string, string | string[] | number> = {};
  for (const pass of RESPONSE_HEADER_PASSES) pass(upstream, outgoing, facts);
  return outgoing;
}
