import { pathToRegexp } from 'path-to-regexp';

/**
 * Route paths use Express 5's own syntax and are compiled by the same path-to-regexp, with the
 * options Express's router uses by default (case-insensitive, optional trailing slash, trailing
 * slashes of the pattern loosened), so a route matches exactly what the monolith's Express would.
 */
export function compilePathPattern(path: string): RegExp {
  const loosened = path === '/' ? path : path.replace(/\/+$/, '');
  return pathToRegexp(loosened || '/', { sensitive: false, end: true, trailing: true }).regexp;
}

/** Leading segments that are plain text (no parameter, wildcard or group), lower-cased. */
export function literalPrefix(path: string): string[] {
  const prefix: string[] = [];
  for (const segment of path.split('/').slice(1)) {
    if (segment === '' || /[:*{}()\\?+!]/.test(segment)) break;
    prefix.push(segment.toLowerCase());
  }
  return prefix;
}

/** A concrete path the pattern matches, with parameters filled by `fill` (for shadowing checks). */
export function samplePath(path: string, fill: string): string {
  return path
    .replace(/\{[^}]*\}/g, '')
    .replace(/[:*]("[^"]*"|[A-Za-z_$][A-Za-z0-9_$]*)/g, fill);
}
