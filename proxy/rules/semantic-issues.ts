import { conditionsImply, conditionsOf } from './conditions';
import { DEFAULT_TIMEOUT_MS } from './compile';
import { parseDuration } from './duration';
import type { PositionedDocument } from './positions';
import { compilePathPattern, samplePath } from './path-pattern';
import { closest } from './suggest';
import type { MatchCondition, RawRoute, RuleIssue } from './types';

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The checks a schema cannot express: names that refer to upstreams, unique route names, paths
 * that compile, and warnings for rules that are legal but probably not what was meant. Runs on
 * whatever parts of the file are well-formed, so one pass reports every problem.
 */
export function semanticIssues(data: unknown, doc: PositionedDocument, file: string): RuleIssue[] {
  const issues: RuleIssue[] = [];
  if (!isRecord(data)) return issues;
  const upstreams = isRecord(data.upstreams) ? Object.keys(data.upstreams) : [];
  const routes = Array.isArray(data.routes) ? data.routes : [];
  const error = (code: string, path: (string | number)[], message: string, route?: string, hint?: string, key = false): void => {
    const pos = key ? doc.keyAt(path.slice(0, -1), String(path[path.length - 1])) : doc.valueAt(path);
    issues.push({ level: 'error', code, file, ...pos, message, route, hint });
  };
  const warn = (code: string, path: (string | number)[], message: string, route?: string, hint?: string): void => {
    issues.push({ level: 'warning', code, file, ...doc.valueAt(path), message, route, hint });
  };

  if (isRecord(data.upstreams) && !upstreams.includes('legacy')) {
    error('RULES_NO_LEGACY', ['upstreams'], 'upstreams must include "legacy": unmatched requests and fallbacks go there');
  }
  const used = new Set<string>(['legacy']);
  const seen = new Map<string, number>();
  const compiled: Array<{ route: RawRoute; pattern: RegExp | null; index: number }> = [];

  routes.forEach((raw: unknown, index: number) => {
    if (!isRecord(raw)) return;
    const route = raw as unknown as RawRoute;
    const name = typeof route.name === 'string' ? route.name : undefined;
    const where = name ? ` in route "${name}"` : '';
    if (name !== undefined) {
      const first = seen.get(name);
      if (first !== undefined) error('RULES_DUPLICATE_ROUTE', ['routes', index, 'name'], `duplicate route name "${name}" (first used by route #${first + 1})`, name, 'route names must be unique');
      else seen.set(name, index);
    }
    for (const key of ['extracted', 'fallback'] as const) {
      const target = route[key];
      if (typeof target !== 'string') continue;
      if (key === 'fallback' && target === 'none') continue;
      used.add(target);
      if (isRecord(data.upstreams) && !upstreams.includes(target)) {
        const guess = closest(target, upstreams);
        error('RULES_UNKNOWN_UPSTREAM', ['routes', index, key], `${key} names unknown upstream "${target}"${where}; known: ${upstreams.join(', ')}`, name, guess ? `did you mean "${guess}"?` : undefined);
      }
    }
    let pattern: RegExp | null = null;
    if (isRecord(route.match) && typeof route.match.path === 'string' && route.match.path.startsWith('/')) {
      try {
        pattern = compilePathPattern(route.match.path);
      } catch (e) {
        error('RULES_BAD_PATH', ['routes', index, 'match', 'path'], `path "${route.match.path}" does not parse${where}: ${(e as Error).message.split('\n')[0]}`, name, 'use Express 5 syntax: /api/products/:id or /api/cart/*rest');
      }
    }
    if (typeof route.flag === 'string' && typeof route.percent === 'number' && route.percent > 0) {
      warn('RULES_FLAG_AND_PERCENT', ['routes', index, 'percent'], `route "${name}" has both flag "${route.flag}" and percent ${route.percent}; the flag wins when Unleash is configured`, name, 'set percent to 0 or remove the flag');
    }
    const methods = isRecord(route.match) && Array.isArray(route.match.methods) ? route.match.methods : null;
    // A WebSocket handshake is a GET (RFC 6455 §4.1): a route that never matches GET never sees one.
    if (route.websocket === true && methods !== null && !methods.includes('GET')) {
      error('RULES_WEBSOCKET_NEEDS_GET', ['routes', index, 'websocket'], `websocket: true${where} needs GET among match.methods (a WebSocket handshake is a GET); it has ${methods.join(', ')}`, name, 'add GET to match.methods, or remove websocket');
    }
    // Writes are mirrored to extracted (dry run) but never to legacy: the share extracted serves goes uncompared.
    const percent = typeof route.percent === 'number' ? route.percent : 0;
    if (isRecord(route.shadow) && typeof route.shadow.percent === 'number' && route.shadow.percent > 0 && percent > 0 && (methods === null || methods.some((m) => WRITE_METHODS.includes(m)))) {
      warn('RULES_SHADOW_WRITES_TO_LEGACY', ['routes', index, 'shadow'], `route "${name}" shadows writes, but writes are never mirrored to legacy: the ${percent}% of writes that extracted serves go uncompared`, name, 'restrict match.methods to reads, or accept that only legacy-served writes are compared');
    }
    rolloutIssues(route, index, name, where, error, warn);
    overloadIssues(data, route, index, name, where, error, warn);
    compiled.push({ route, pattern, index });
  });
  goalIssues(data, routes, error, warn);
  if (isRecord(data.defaults)) breakerIssues(data.defaults.breaker, ['defaults', 'breaker'], '', error);
  if (isRecord(data.defaults)) contextIssues(data.defaults.context, ['defaults', 'context'], '', error);
  routes.forEach((raw: unknown, index: number) => {
    if (isRecord(raw)) contextIssues(raw.context, ['routes', index, 'context'], typeof raw.name === 'string' ? ` in route "${raw.name}"` : '', error);
  });
  routes.forEach((raw: unknown, index: number) => {
    if (isRecord(raw)) breakerIssues(raw.breaker, ['routes', index, 'breaker'], typeof raw.name === 'string' ? ` in route "${raw.name}"` : '', error);
  });

  for (const later of compiled) {
    const laterMatch = later.route.match;
    if (!later.pattern || !isRecord(laterMatch)) continue;
    for (const earlier of compiled) {
      if (earlier.index >= later.index) break;
      if (!earlier.pattern || !isRecord(earlier.route.match)) continue;
      if (fullyShadows(earlier.route, earlier.pattern, later.route)) {
        warn('RULES_SHADOWED_ROUTE', ['routes', later.index, 'match'], `route "${later.route.name}" is never reached: route "${earlier.route.name}" (earlier) matches every request it would`, later.route.name, 'move it above the broader route or narrow the earlier one');
        break;
      }
    }
  }

  if (isRecord(data.upstreams)) {
    for (const name of upstreams) {
      if (!used.has(name)) warn('RULES_UNUSED_UPSTREAM', ['upstreams', name], `upstream "${name}" is not used by any route`, undefined, 'remove it or point a route at it');
    }
  }
  return issues;
}

type Report = (code: string, path: (string | number)[], message: string, route?: string, hint?: string) => void;

/** A breaker whose window or open time is zero would never judge or never recover. */
function breakerIssues(breaker: unknown, at: (string | number)[], where: string, error: Report): void {
  if (!isRecord(breaker)) return;
  for (const key of ['window', 'open_for']) {
    const text = breaker[key];
    if (typeof text === 'string' && parseDuration(text) === 0) error('RULES_OUT_OF_RANGE', [...at, key], `${at.join('.').replace(/\.(\d+)\./, '[$1].')}.${key} must be longer than 0${where}`);
  }
}

/** A rate of zero admits nothing; a queue as long as the deadline turns every shed into a timeout. */
function overloadIssues(data: Record<string, unknown>, route: RawRoute, index: number, name: string | undefined, where: string, error: Report, warn: Report): void {
  const limit = route.rate_limit as unknown;
  if (isRecord(limit) && typeof limit.rate === 'string' && /^[0-9.]+\//.test(limit.rate) && Number(limit.rate.split('/')[0]) === 0) {
    error('RULES_OUT_OF_RANGE', ['routes', index, 'rate_limit', 'rate'], `rate_limit.rate must be more than 0${where}`, name, 'remove rate_limit to leave the route unlimited');
  }
  const own = isRecord(route.overload) ? route.overload : null;
  const defaults = isRecord(data.defaults) && isRecord(data.defaults.overload) ? data.defaults.overload : null;
  const maxQueue = own?.max_queue ?? defaults?.max_queue;
  const timeout = route.timeout_ms ?? (isRecord(data.defaults) && typeof data.defaults.timeout_ms === 'number' ? data.defaults.timeout_ms : DEFAULT_TIMEOUT_MS);
  const queueMs = typeof maxQueue === 'string' ? parseDuration(maxQueue) : null;
  if (queueMs !== null && typeof timeout === 'number' && queueMs >= timeout && route.overload !== false) {
    const at = own?.max_queue !== undefined ? ['routes', index, 'overload', 'max_queue'] : ['defaults', 'overload', 'max_queue'];
    warn('RULES_QUEUE_OUTLASTS_TIMEOUT', at, `max_queue ${maxQueue} is not shorter than the ${timeout} ms deadline${where}: a waiting request times out (504) before it would be shed (503)`, name, 'make max_queue shorter than timeout_ms');
  }
}

/**
 * DESIGN "Conversion guard": a goal names a route of the file; a guard names a goal. A guard whose
 * goal is its own route judges nothing useful (every exposed shopper has "converted"): a warning.
 */
function goalIssues(data: Record<string, unknown>, routes: unknown[], error: Report, warn: Report): void {
  const routeNames = routes.filter(isRecord).map((r) => r.name).filter((n): n is string => typeof n === 'string');
  const goals = isRecord(data.goals) ? data.goals : {};
  for (const [name, goal] of Object.entries(goals)) {
    if (!isRecord(goal) || typeof goal.route !== 'string' || routeNames.includes(goal.route)) continue;
    const guess = closest(goal.route, routeNames);
    error('RULES_UNKNOWN_ROUTE', ['goals', name, 'route'], `goal "${name}" names unknown route "${goal.route}"; known: ${routeNames.join(', ') || 'none'}`, undefined, guess ? `did you mean "${guess}"?` : undefined);
  }
  routes.forEach((raw, index) => {
    if (!isRecord(raw) || !isRecord(raw.rollout) || !isRecord(raw.rollout.guard)) return;
    const goal = raw.rollout.guard.goal;
    const name = typeof raw.name === 'string' ? raw.name : undefined;
    if (typeof goal !== 'string') return;
    const target = goals[goal];
    if (!isRecord(target)) {
      const known = Object.keys(goals);
      const guess = closest(goal, known);
      error('RULES_UNKNOWN_GOAL', ['routes', index, 'rollout', 'guard', 'goal'], `rollout.guard.goal names unknown goal "${goal}"${name ? ` in route "${name}"` : ''}; known: ${known.join(', ') || 'none (add a top-level goals map)'}`,
        name, guess ? `did you mean "${guess}"?` : 'for example goals: { order: { route: checkout, status: 2xx } }');
    } else if (target.route === name) {
      warn('RULES_GUARD_ON_GOAL_ROUTE', ['routes', index, 'rollout', 'guard', 'goal'], `route "${name}" is guarded by goal "${goal}", which is reached on the route itself: every exposed shopper who was answered has converted`, name, 'guard the routes shoppers pass through before the goal');
    }
  });
}

/** Context fields the proxy fills itself (or Unleash does) cannot be mapped. */
const RESERVED_CONTEXT = ['userId', 'remoteAddress', 'appName', 'environment', 'currentTime', 'properties'];

function contextIssues(context: unknown, at: (string | number)[], where: string, error: Report): void {
  if (!isRecord(context)) return;
  for (const field of Object.keys(context)) {
    if (RESERVED_CONTEXT.includes(field)) {
      error('RULES_RESERVED_CONTEXT_FIELD', [...at, field], `context field "${field}"${where} is filled by the proxy or Unleash and cannot be mapped`, undefined,
        field === 'userId' ? 'userId is always the route\'s sticky_by identity; change sticky_by instead' : undefined);
    }
  }
}

/** Steps must climb; a plan the rollout can never act on is a warning. */
function rolloutIssues(route: RawRoute, index: number, name: string | undefined, where: string, error: Report, warn: Report): void {
  const rollout = route.rollout as unknown;
  if (!isRecord(rollout) || !Array.isArray(rollout.steps)) return;
  const steps = rollout.steps;
  for (let i = 1; i < steps.length; i++) {
    if (typeof steps[i] === 'number' && typeof steps[i - 1] === 'number' && steps[i] <= steps[i - 1]) {
      error('RULES_STEPS_ORDER', ['routes', index, 'rollout', 'steps', i], `rollout.steps must be strictly increasing${where}: ${steps[i]} comes after ${steps[i - 1]}`, name, 'for example [5, 25, 50, 100]');
      break;
    }
  }
  const percent = typeof route.percent === 'number' ? route.percent : 0;
  if (percent > 0 && steps.every((s) => typeof s === 'number') && !steps.includes(percent)) {
    warn('RULES_PERCENT_NOT_A_STEP', ['routes', index, 'percent'], `route "${name}" is at ${percent}%, which is not one of its rollout steps; rollout moves it to the next step above`, name);
  }
  if (typeof route.flag === 'string') {
    warn('RULES_ROLLOUT_WITH_FLAG', ['routes', index, 'rollout'], `route "${name}" takes its percent from flag "${route.flag}" when Unleash is configured; rollout then leaves it alone`, name, 'ramp the flag in Unleash, or remove the flag to let rollout ramp the file');
  }
}

/**
 * An earlier route fully shadows a later one when it takes all of the later one's methods and
 * matches the later path with its parameters filled by two unrelated values.
 */
function fullyShadows(earlier: RawRoute, earlierPattern: RegExp, later: RawRoute): boolean {
  const earlierMethods = earlier.match.methods ?? null;
  const laterMethods = later.match.methods ?? null;
  if (earlierMethods !== null && (laterMethods === null || !laterMethods.every((m) => earlierMethods.includes(m)))) return false;
  // A segment route is shadowed only by an earlier route whose conditions every request of it meets.
  const conditions = (route: RawRoute): MatchCondition[] => [
    ...conditionsOf('header', isRecord(route.match.headers) ? route.match.headers : undefined),
    ...conditionsOf('cookie', isRecord(route.match.cookies) ? route.match.cookies : undefined),
  ];
  if (!conditionsImply(conditions(later), conditions(earlier))) return false;
  return ['x7Q', 'zz-91_k'].every((fill) => earlierPattern.test(samplePath(later.match.path, fill)));
}
