import { connectionNamed, isHopOrInternal, type FlatHeaders } from './hop-by-hop';

export type Backend = 'legacy' | 'extracted' | 'legacy-fallback';

export interface ResponseHeaderFacts {
  readonly route: string;
  readonly backend: Backend;
  /** A Set-Cookie line to add (the proxy's anonymous id), or null. */
  readonly setCookie: string | null;
}

/** A transform reads the upstream's headers (a flat, lower-case list) and appends to the shopper's. */
type ResponseHeaderPass = (upstream: readonly string[], outgoing: FlatHeaders, facts: ResponseHeaderFacts) => void;

function connectionOf(upstream: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < upstream.length; i += 2) if (upstream[i] === 'connection') value = value === undefined ? upstream[i + 1] : `${value}, ${upstream[i + 1]}`;
  return value;
}

/** Upstream headers that cross, in their order; repeated ones (Set-Cookie) stay separate lines. Via is rewritten below. */
const copyEndToEnd: ResponseHeaderPass = (upstream, outgoing) => {
  const named = connectionNamed(connectionOf(upstream));
  for (let i = 0; i < upstream.length; i += 2) {
    const name = upstream[i];
    if (name === 'via' || isHopOrInternal(name, named)) continue;
    outgoing.push(name, upstream[i + 1]);
  }
};

const markOrigin: ResponseHeaderPass = (_upstream, outgoing, facts) => {
  outgoing.push('x-strangler-route', facts.route, 'x-strangler-backend', facts.backend);
};

const addCookie: ResponseHeaderPass = (_upstream, outgoing, facts) => {
  if (facts.setCookie !== null) outgoing.push('set-cookie', facts.setCookie);
};

/** RFC 9110 §7.6.3: each proxy appends itself to Via. */
const appendVia: ResponseHeaderPass = (upstream, outgoing) => {
  const vias: string[] = [];
  for (let i = 0; i < upstream.length; i += 2) if (upstream[i] === 'via') vias.push(upstream[i + 1]);
  outgoing.push('via', vias.length > 0 ? `${vias.join(', ')}, 1.1 strangler` : '1.1 strangler');
};

export const RESPONSE_HEADER_PASSES: readonly ResponseHeaderPass[] = Object.freeze([copyEndToEnd, markOrigin, addCookie, appendVia]);

/** The shopper's response headers, as the flat list `writeHead` takes. */
export function outgoingResponseHeaders(upstream: readonly string[], facts: ResponseHeaderFacts): FlatHeaders {
  const outgoing: FlatHeaders = [];
  for (const pass of RESPONSE_HEADER_PASSES) pass(upstream, outgoing, facts);
  return outgoing;
}
