import Ajv, { type ErrorObject } from 'ajv';
import schema from '../routing-rules.schema.json';
import type { PathSegment, PositionedDocument } from './positions';
import { closest } from './suggest';
import type { RuleIssue } from './types';

/** Compiled once per process: validating a rules file runs no schema compilation. */
const validateSchema = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

/** A value under match.headers or match.cookies (path: routes, i, match, headers|cookies, name). */
function isConditionValue(path: readonly PathSegment[]): boolean {
  return path.length === 5 && path[2] === 'match' && (path[3] === 'headers' || path[3] === 'cookies');
}

const DURATION_KEYS = ['window', 'open_for', 'min_duration', 'retire_after', 'max_queue'];

function pathOf(instancePath: string): PathSegment[] {
  return instancePath.split('/').slice(1).map((p) => {
    const unescaped = p.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(unescaped) ? Number(unescaped) : unescaped;
  });
}

function dotted(path: readonly PathSegment[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || 'the file';
}

/** The allowed keys at a path, read from the schema, for "did you mean" hints. */
function allowedKeys(path: readonly PathSegment[]): string[] {
  const defs = (schema as { definitions: Record<string, { properties?: Record<string, unknown> }> }).definitions;
  const names = path.filter((p): p is string => typeof p === 'string');
  const last = names[names.length - 1];
  if (path.length === 0) return Object.keys(schema.properties);
  if (last === 'defaults') return Object.keys(schema.properties.defaults.properties);
  if (last === 'context') return [];
  if (last === 'breaker' || last === 'rollout' || last === 'overload') return Object.keys(defs[last].properties ?? {});
  if (last === 'rate_limit') return Object.keys(defs.rateLimit.properties ?? {});
  if (last === 'guard') return Object.keys(defs.guard.properties ?? {});
  if (path[0] === 'goals' && path.length === 2) return Object.keys(defs.goal.properties ?? {});
  if (last === 'match') return ['methods', 'path', 'headers', 'cookies'];
  if (last === 'shadow') return Object.keys((defs.route.properties as Record<string, { properties: object }>).shadow.properties);
  if (path[0] === 'routes' && typeof path[path.length - 1] === 'number') return Object.keys(defs.route.properties ?? {});
  return [];
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let value = data;
  for (const p of path) value = value === null || typeof value !== 'object' ? undefined : (value as Record<PathSegment, unknown>)[p];
  return value;
}

function routeName(data: unknown, path: readonly PathSegment[]): string | undefined {
  if (path[0] !== 'routes' || typeof path[1] !== 'number') return undefined;
  const name = valueAt(data, ['routes', path[1], 'name']);
  return typeof name === 'string' ? name : undefined;
}

/** Maps ajv's findings to issues with line, column, the route's name, what was expected and a hint. */
export function schemaIssues(data: unknown, doc: PositionedDocument, file: string): RuleIssue[] {
  if (validateSchema(data)) return [];
  const issues: RuleIssue[] = [];
  for (const error of validateSchema.errors ?? []) {
    const issue = toIssue(error, data, doc, file);
    if (issue && !issues.some((i) => i.line === issue.line && i.column === issue.column && i.message === issue.message)) issues.push(issue);
  }
  return issues;
}

function toIssue(error: ErrorObject, data: unknown, doc: PositionedDocument, file: string): RuleIssue | null {
  const path = pathOf(error.instancePath);
  const route = routeName(data, path);
  const where = route ? ` in route "${route}"` : '';
  const value = valueAt(data, path);
  const field = dotted(path);
  const base = { level: 'error' as const, file, route };
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const allowed = allowedKeys(path);
      const guess = closest(key, allowed);
      const pos = doc.keyAt(path, key);
      return { ...base, code: 'RULES_UNKNOWN_KEY', ...pos, message: `unknown key "${key}"${where}${path.length ? ` under ${field}` : ''}; expected one of: ${allowed.join(', ')}`, hint: guess ? `did you mean "${guess}"?` : undefined };
    }
    case 'required': {
      const key = (error.params as { missingProperty: string }).missingProperty;
      return { ...base, code: 'RULES_MISSING_KEY', ...doc.valueAt(path), message: `missing required key "${key}"${where}${path.length ? ` in ${field}` : ''}` };
    }
    case 'minimum':
    case 'maximum': {
      const last = path[path.length - 1];
      if (last === 'percent') {
        return { ...base, code: 'RULES_PERCENT_RANGE', ...doc.valueAt(path), message: `${field} must be between 0 and 100${where}, got ${describe(value)}`, hint: 'percent is the share of shoppers (0..100)' };
      }
      const bound = (error.params as { limit: number }).limit;
      return { ...base, code: 'RULES_OUT_OF_RANGE', ...doc.valueAt(path), message: `${field} must be ${error.keyword === 'minimum' ? '>=' : '<='} ${bound}${where}, got ${describe(value)}` };
    }
    case 'type':
    case 'not':
      if (path[path.length - 1] === 'breaker') {
        return { ...base, code: 'RULES_WRONG_TYPE', ...doc.valueAt(path), message: `${field} must be a map (failure_rate, min_requests, window, open_for, probes) or false${where}, got ${describe(value)}` };
      }
      if (path[path.length - 1] === 'overload') {
        return { ...base, code: error.keyword === 'not' ? 'RULES_NOT_ALLOWED' : 'RULES_WRONG_TYPE', ...doc.valueAt(path), message: `${field} must be a map (max_queue) or false${where}, got ${describe(value)}`, hint: error.keyword === 'not' ? 'admission control is on by default: leave overload out, or give { max_queue: 1s }' : undefined };
      }
      if (error.keyword === 'not') break;
      if (isConditionValue(path)) {
        return { ...base, code: 'RULES_WRONG_TYPE', ...doc.valueAt(path), message: `${field} must be a value or a list of values${where}, got ${describe(value)}` };
      }
      if (DURATION_KEYS.includes(String(path[path.length - 1]))) return { ...base, code: 'RULES_BAD_FORMAT', ...doc.valueAt(path), message: patternMessage(path, value, where) };
      return { ...base, code: 'RULES_WRONG_TYPE', ...doc.valueAt(path), message: `${field} must be ${(error.params as { type: string }).type}${where}, got ${describe(value)}` };
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const guess = typeof value === 'string' ? closest(value, allowed) : null;
      return { ...base, code: 'RULES_NOT_ALLOWED', ...doc.valueAt(path), message: `${field} must be one of ${allowed.join(', ')}${where}, got ${describe(value)}`, hint: guess ? `did you mean "${guess}"?` : undefined };
    }
    case 'const':
      return { ...base, code: 'RULES_BAD_VERSION', ...doc.valueAt(path), message: `${field} must be 1, got ${describe(value)}` };
    case 'pattern': {
      const name = (error as ErrorObject & { propertyName?: string }).propertyName;
      const last = path[path.length - 1];
      if (name !== undefined && path.length === 1 && last === 'goals') {
        return { ...base, code: 'RULES_BAD_FORMAT', ...doc.keyAt(path, name), message: `goal name "${name}" must be letters, digits, ".", "_" or "-" (at most 64)` };
      }
      if (name !== undefined && (last === 'headers' || last === 'cookies')) {
        return { ...base, code: 'RULES_BAD_FORMAT', ...doc.keyAt(path, name), message: `${last === 'headers' ? 'header' : 'cookie'} name "${name}" in ${field}${where} is not a valid name (letters, digits and !#$%&'*+.^_\`|~-)` };
      }
      return { ...base, code: 'RULES_BAD_FORMAT', ...doc.valueAt(path), message: patternMessage(path, value, where) };
    }
    case 'minLength':
      return { ...base, code: 'RULES_EMPTY_LIST', ...doc.valueAt(path), message: `${field} must not be empty${where}` };
    case 'propertyNames':
      return null; // reported by the `pattern` error on the name itself
    case 'uniqueItems':
      return { ...base, code: 'RULES_DUPLICATE_ITEM', ...doc.valueAt(path), message: `${field} lists the same value twice${where}` };
    case 'minItems':
    case 'minProperties':
      return { ...base, code: 'RULES_EMPTY_LIST', ...doc.valueAt(path), message: `${field} must not be empty${where}` };
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { ...base, code: 'RULES_OUT_OF_RANGE', ...doc.valueAt(path), message: `${field} must be ${error.keyword === 'exclusiveMinimum' ? '>' : '<'} ${(error.params as { limit: number }).limit}${where}, got ${describe(value)}` };
  }
  return { ...base, code: 'RULES_INVALID', ...doc.valueAt(path), message: `${field} ${error.message ?? 'is invalid'}${where}` };
}

function patternMessage(path: readonly PathSegment[], value: unknown, where: string): string {
  const field = dotted(path);
  if (path[0] === 'upstreams' && path.length === 2) return `upstream "${path[1]}" must be a base URL like http://127.0.0.1:3001, got ${describe(value)}`;
  if (path[0] === 'upstreams' && path.length === 1) return `upstream name ${describe(value)} must be letters, digits, _ or -`;
  const last = path[path.length - 1];
  if (path.includes('sticky_by')) {
    return `${field} must be cookie:NAME or header:NAME${where}, got ${describe(value)}`;
  }
  if (DURATION_KEYS.includes(String(last))) {
    return `${field} must be a duration with a unit (500ms, 10s, 5m, 1h, 30d)${where}, got ${describe(value)}`;
  }
  if (last === 'path') return `${field} must start with "/"${where}, got ${describe(value)}`;
  if (path.includes('rate_limit') && last === 'rate') return `${field} must be a count per second or per minute, like 20/s or 600/m${where}, got ${describe(value)}`;
  if (path.includes('rate_limit') && last === 'by') return `${field} must be identity, ip or header:NAME${where}, got ${describe(value)}`;
  if (path[0] === 'goals' && last === 'status') return `${field} must be a status class like 2xx${where}, got ${describe(value)}`;
  if (last === 'name') return `${field} must be letters, digits, ".", "_" or "-" (at most 64)${where}, got ${describe(value)}`;
  return `${field} has an invalid format${where}, got ${describe(value)}`;
}
