import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { badRequest, type FieldError } from '../../domain/errors';

/** One ajv for the shop's request schemas: every problem reported, query strings coerced to numbers. */
const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: true });

function fieldPath(prefix: string, error: ErrorObject): string {
  const parts = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') parts.push((error.params as { missingProperty: string }).missingProperty);
  if (error.keyword === 'additionalProperties') parts.push((error.params as { additionalProperty: string }).additionalProperty);
  const joined = parts.join('.');
  return prefix ? (joined ? `${prefix}.${joined}` : prefix) : joined || 'body';
}

function messageOf(error: ErrorObject): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'pattern') return 'has an invalid format';
  if (error.keyword === 'enum') return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return error.message ?? 'is invalid';
}

export interface Validator<T> { (value: unknown): T }

/**
 * Compiles a schema once; the returned function gives the typed value or throws 400 naming every
 * offending field (`card.number`, `query.page`).
 */
export function validator<T>(schema: object, prefix = ''): Validator<T> {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value: unknown): T => {
    const copy = value === undefined || value === null ? {} : structuredClone(value);
    if (validate(copy)) return copy as T;
    const fields: FieldError[] = (validate.errors ?? []).map((e) => ({ path: fieldPath(prefix, e), message: messageOf(e) }));
    throw badRequest(dedupe(fields));
  };
}

function dedupe(fields: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return fields.filter((f) => {
    const key = `${f.path}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
