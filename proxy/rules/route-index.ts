import type { IncomingHttpHeaders } from 'node:http';
import { conditionsHold } from './conditions';
import { literalPrefix } from './path-pattern';
import type { CompiledRoute } from './types';

interface TrieNode { children: Map<string, TrieNode>; routes: number[] }

/**
 * First-match-wins lookup without testing every route: routes hang in a trie under their literal
 * leading segments, so a request only tests the patterns whose literal prefix it shares, then the
 * one with the lowest index that matches wins. Each candidate is confirmed by the route's own
 * Express-compiled pattern, so the index only filters and never changes an answer.
 */
export function buildRouteMatcher(routes: readonly CompiledRoute[]): (method: string, path: string, headers: IncomingHttpHeaders) => CompiledRoute | null {
  const root: TrieNode = { children: new Map(), routes: [] };
  for (const route of routes) {
    let node = root;
    for (const segment of literalPrefix(route.path)) {
      let child = node.children.get(segment);
      if (!child) { child = { children: new Map(), routes: [] }; node.children.set(segment, child); }
      node = child;
    }
    node.routes.push(route.index);
  }

  return (method: string, path: string, headers: IncomingHttpHeaders): CompiledRoute | null => {
    let best = -1;
    let node: TrieNode | undefined = root;
    let start = 1;
    while (node !== undefined) {
      for (const index of node.routes) {
        if (best !== -1 && index >= best) break;
        const route = routes[index];
        if ((route.methods === null || route.methods.has(method)) && route.pattern.test(path)
          && (route.conditions.length === 0 || conditionsHold(route.conditions, headers))) { best = index; break; }
      }
      if (start >= path.length) break;
      let end = path.indexOf('/', start);
      if (end === -1) end = path.length;
      node = node.children.get(path.slice(start, end).toLowerCase());
      start = end + 1;
    }
    return best === -1 ? null : routes[best];
  };
}
