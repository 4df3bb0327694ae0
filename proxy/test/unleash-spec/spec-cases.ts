/**
 * The Unleash client specification's enabled cases as proxy requests: for each spec file, rules with
 * one flagged route per flag, and for each case the request that carries its context, or the
 * reason no request can.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RequestFacts } from '../../decide/decide';
import type { ClientFeatures } from './serve-features';

export interface SpecCase {
  readonly description: string;
  readonly toggleName: string;
  readonly context: Record<string, unknown>;
  readonly expectedResult: boolean;
}
interface Feature { name: string; strategies?: Strategy[]; dependencies?: Array<{ feature: string; variants?: string[] }>; variants?: unknown[] }
interface Strategy { name: string; parameters?: Record<string, unknown>; constraints?: Array<{ contextName: string }>; segments?: number[]; variants?: unknown[] }

export interface SpecFile {
  readonly file: string;
  readonly state: ClientFeatures;
  /** The rules (JSON, which is YAML) with one route per flag, at /f/<index of the flag>. */
  readonly rules: string;
  readonly runnable: ReadonlyArray<{ readonly name: string; readonly case: SpecCase; readonly facts: RequestFacts }>;
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
}

const DIR = path.join(__dirname, 'specifications');
/** The environment every request of the proxy carries: unleash-client's default, the proxy sets none. */
const PROXY_ENVIRONMENT = 'default';
const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const RESERVED = new Set(['userId', 'sessionId', 'remoteAddress', 'appName', 'environment', 'currentTime', 'properties']);
// What an HTTP header value can hold, and the proxy reads an empty one as absent.
const SENDABLE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;

/** A flat features state; the delta API files' events folded in order (hydration, updates, removals). */
function stateOf(raw: Record<string, unknown>): ClientFeatures {
  if (Array.isArray(raw.features)) return raw as unknown as ClientFeatures;
  const features = new Map<string, Feature & Record<string, unknown>>();
  const segments = new Map<number, { id: number }>();
  for (const event of (raw.events ?? []) as Array<Record<string, never>>) {
    if (event.type === 'hydration') {
      for (const f of event.features as Feature[]) features.set(f.name, f as never);
      for (const s of event.segments as Array<{ id: number }>) segments.set(s.id, s);
    } else if (event.type === 'feature-updated') features.set((event.feature as Feature).name, event.feature);
    else if (event.type === 'feature-removed') features.delete(event.featureName);
    else if (event.type === 'segment-updated') segments.set((event.segment as { id: number }).id, event.segment);
    else if (event.type === 'segment-removed') segments.delete(event.segmentId);
    else throw new Error(`unknown delta event ${String(event.type)}`);
  }
  return { version: 2, features: [...features.values()], segments: [...segments.values()] };
}

/** Whether evaluating the flag (its strategies, segments, and its parents') reads a context field. */
function reads(field: 'userId' | 'remoteAddress', name: string, state: ClientFeatures, seen = new Set<string>()): boolean {
  if (seen.has(name)) return false;
  seen.add(name);
  const feature = state.features.find((f) => f.name === name) as Feature | undefined;
  if (feature === undefined) return false;
  const segmentConstraints = (ids: number[] = []) => ids.flatMap((id) => ((state.segments ?? []) as Array<{ id: number; constraints?: Strategy['constraints'] }>).find((s) => s.id === id)?.constraints ?? []);
  const byStrategy = (feature.strategies ?? []).some((s) => {
    const constraints = [...(s.constraints ?? []), ...segmentConstraints(s.segments)];
    if (constraints.some((c) => c.contextName === field)) return true;
    if (field === 'remoteAddress') return s.name === 'remoteAddress';
    const stickiness = s.parameters?.stickiness ?? 'default';
    // At 0 % or 100 % a default stickiness answers alike for every value (userId, sessionId or random).
    const rollout = Number(s.parameters?.rollout);
    const hashed = stickiness === 'userId' || (stickiness === 'default' && !(rollout <= 0 || rollout >= 100));
    return s.name === 'userWithId' || s.name === 'gradualRolloutUserId' || (s.name === 'flexibleRollout' && hashed);
  });
  // A parent asked for a variant picks it by stickiness, userId first, when it has several to pick from.
  const variantCount = (f: Feature | undefined) => Math.max((f?.variants ?? []).length, ...(f?.strategies ?? []).map((s) => (s.variants ?? []).length));
  const parent = (name: string) => state.features.find((f) => f.name === name) as Feature | undefined;
  const variantsRead = field === 'userId' && (feature.dependencies ?? []).some((d) => (d.variants ?? []).length > 0 && variantCount(parent(d.feature)) > 1);
  return byStrategy || variantsRead || (feature.dependencies ?? []).some((d) => reads(field, d.feature, state, seen));
}

function groupOf(feature: Feature): string {
  const rollout = (feature.strategies ?? []).find((s) => s.name === 'flexibleRollout' && typeof s.parameters?.groupId === 'string' && s.parameters.groupId !== '');
  return rollout ? String(rollout.parameters!.groupId) : feature.name;
}

/** The request carrying `context` on the flag's route, or why none can. */
function requestFor(c: SpecCase, state: ClientFeatures, routeIndex: number, propertyIndex: Map<string, number>, appName: string): RequestFacts | string {
  const headers: Record<string, string> = {};
  const { userId, sessionId, remoteAddress, properties, environment, appName: caseApp, currentTime, ...rest } = c.context;
  if (Object.keys(rest).length > 0) return `context field ${Object.keys(rest).join(', ')}: not one the proxy fills`;
  if (currentTime !== undefined) return 'currentTime: the proxy evaluates at the moment of the request';
  if (environment !== undefined && environment !== PROXY_ENVIRONMENT) return `environment "${String(environment)}": the proxy's environment is "${PROXY_ENVIRONMENT}" for every request`;
  if (caseApp !== undefined && caseApp !== appName) return `appName "${String(caseApp)}": the proxy's appName is fixed by its configuration`;
  if (userId === undefined) {
    if (reads('userId', c.toggleName, state)) return 'no userId: the proxy always sets one (the shopper\'s identity), and this flag reads it';
  } else if (typeof userId !== 'string' || !SENDABLE.test(userId)) return 'userId not sendable as a header value';
  else headers['x-user-id'] = userId;
  if (sessionId !== undefined) {
    if (typeof sessionId !== 'string' || !SENDABLE.test(sessionId)) return 'sessionId not sendable as a header value';
    headers['x-session-id'] = sessionId;
  }
  if (remoteAddress === undefined && reads('remoteAddress', c.toggleName, state)) return 'no remoteAddress: a request always has a socket address, and this flag reads it';
  if (remoteAddress !== undefined && typeof remoteAddress !== 'string') return 'remoteAddress not a string';
  for (const [key, value] of Object.entries((properties ?? {}) as Record<string, unknown>)) {
    if (!PROPERTY_NAME.test(key) || RESERVED.has(key)) return `property "${key}": not a name the rules' context accepts`;
    if (typeof value !== 'string' || !SENDABLE.test(value)) return `property ${key}=${JSON.stringify(value)}: not sendable as a header value (an empty or absent header is no property)`;
    headers[`x-prop-${propertyIndex.get(key)}`] = value;
  }
  return { method: 'GET', path: `/f/${routeIndex}`, headers, remoteAddress: typeof remoteAddress === 'string' ? remoteAddress : '127.0.0.1' };
}

export function loadSpecFiles(appName: string): SpecFile[] {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  return files.map((file) => {
    const raw = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as { state: Record<string, unknown>; tests: SpecCase[] };
    const state = stateOf(raw.state);
    const known = state.features as unknown as Feature[];
    // A case may ask for a flag the state lacks: its route is there too (the YAML percent, 0, applies).
    const missing = [...new Set(raw.tests.map((t) => t.toggleName))].filter((n) => !known.some((f) => f.name === n));
    const features = [...known, ...missing.map((name) => ({ name }))];
    const propertyNames = [...new Set(raw.tests.flatMap((t) => Object.keys((t.context.properties ?? {}) as object)))].filter((k) => PROPERTY_NAME.test(k) && !RESERVED.has(k));
    const propertyIndex = new Map(propertyNames.map((k, i) => [k, i]));
    const context: Record<string, string[]> = { sessionId: ['header:x-session-id'] };
    for (const [k, i] of propertyIndex) context[k] = [`header:x-prop-${i}`];
    const rules = JSON.stringify({
      version: 1,
      upstreams: { legacy: 'http://127.0.0.1:9', svc: 'http://127.0.0.1:9' },
      defaults: { sticky_by: ['header:x-user-id'], context },
      // The route's group is the flag's groupId (or name), so the bucket shortcut can apply.
      routes: features.map((f, i) => ({ name: `r${i}`, match: { path: `/f/${i}` }, extracted: 'svc', group: groupOf(f).slice(0, 64), flag: f.name })),
    });
    const runnable: Array<SpecFile['runnable'][number]> = [];
    const skipped: Array<SpecFile['skipped'][number]> = [];
    raw.tests.forEach((c, n) => {
      const name = `${file} #${n + 1} ${c.description}`;
      const index = features.findIndex((f) => f.name === c.toggleName);
      const facts = requestFor(c, state, index, propertyIndex, appName);
      if (typeof facts === 'string') skipped.push({ name, reason: facts });
      else runnable.push({ name, case: c, facts });
    });
    return { file, state, rules, runnable, skipped };
  });
}
