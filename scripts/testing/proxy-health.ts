import { parseJson } from './processes';
import type { TestProxy } from './upstreams';

// What Node prints for an exception nobody caught, and a stack frame.
const CRASH_LINE = /uncaught|unhandled|ERR_UNHANDLED|^\s+at \S.*:\d+:\d+\)?$/i;

/** The lines of a proxy's output that report a crash: uncaught / unhandled errors, stack frames, fatal lines. */
export function crashLines(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    const json = parseJson(line);
    if (json !== null) return Number(json.level) >= 60 || CRASH_LINE.test(String(json.msg ?? ''));
    return CRASH_LINE.test(line);
  });
}

/**
 * Every fault test ends with this: the proxy process is still running and has logged no uncaught
 * exception, unhandled rejection, stack trace or fatal line.
 */
export function expectNoCrash(proxy: TestProxy): void {
  if (proxy.process.exited()) throw new Error(`the proxy process exited; its output:\n${proxy.process.lines.slice(-40).join('\n')}`);
  const bad = crashLines(proxy.process.lines);
  if (bad.length > 0) throw new Error(`the proxy logged a crash:\n${bad.slice(0, 20).join('\n')}`);
}
