/**
 * The user-facing docs (README.md and docs/*.md) stay true to the repository: every relative link
 * and #anchor resolves, every `strangler COMMAND` exists, every environment variable, error code and
 * `npm run` script named is real. Each problem is reported as file:line, all of them at once.
 * No network; it runs the built CLI once for its --help.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DIST, REPO_ROOT } from '../testing/processes';
import { headingAnchors, inlineCode, linkTargets, markdownLines, type MarkdownLine } from '../testing/markdown';
import { STRANGLER_ERRORS } from '../../proxy/errors';

const DOCS = [
  'README.md',
  ...fs.readdirSync(path.join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`),
];
const read = (file: string): string => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
const lines = new Map(DOCS.map((file) => [file, markdownLines(read(file))]));

/** Every line of every doc, with its file. */
function* everyLine(): Generator<{ file: string; line: MarkdownLine }> {
  for (const [file, fileLines] of lines) for (const line of fileLines) yield { file, line };
}

/** The code on a line: the whole line in a fenced block, else its inline code spans. */
const codeOf = (line: MarkdownLine): string[] => (line.fenced ? [line.text] : inlineCode(line.text));

const HELP = execFileSync(process.execPath, [path.join(DIST, 'scripts', 'cli.js'), '--help'], { encoding: 'utf8' });
const REFERENCE = read('docs/reference.md');

/** UPPER_SNAKE words that are not environment variables. */
const NOT_VARIABLES = new Set([
  'PIPE_BUF', // the pipe write size that keeps worker log lines whole
  'DS_PROMETHEUS', // the Grafana dashboard's data source input
  'NAME_PORT', // a placeholder in the launcher's message
  'POD_IP', // set by the Kubernetes Deployment to build ADMIN_ALLOWED_HOSTS; no process reads it
]);
/** Variables read only by test tooling, not by the proxy, the shop or the CLI. */
const TOOLING_VARIABLES = new Set(['UPDATE_DOCS_SCREENSHOT']);

describe('README.md and docs/*.md', () => {
  test('every relative link points at a file in the repository, and every #anchor at a heading', () => {
    const problems: string[] = [];
    for (const { file, line } of everyLine()) {
      for (const target of linkTargets(line)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
        const [targetPath, anchor] = target.split('#', 2);
        const resolved = targetPath === '' ? path.join(REPO_ROOT, file) : path.resolve(path.dirname(path.join(REPO_ROOT, file)), decodeURI(targetPath));
        const where = `${file}:${line.number}: link ${target}`;
        if (path.relative(REPO_ROOT, resolved).startsWith('..')) problems.push(`${where} leaves the repository`);
        else if (!fs.existsSync(resolved)) problems.push(`${where}: no such file ${path.relative(REPO_ROOT, resolved)}`);
        else if (anchor !== undefined) {
          if (!resolved.endsWith('.md')) problems.push(`${where}: an anchor into a file that is not Markdown`);
          else if (!headingAnchors(fs.readFileSync(resolved, 'utf8')).has(anchor)) problems.push(`${where}: no heading with the anchor #${anchor} in ${path.relative(REPO_ROOT, resolved)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('every `strangler COMMAND` named is one that `strangler --help` lists', () => {
    // The help's command lines: "  ramp ROUTE PERCENT …", "  kill ROUTE | unkill ROUTE …".
    const commands = new Set(HELP.split('\n').filter((l) => /^ {2}[a-z]/.test(l)).flatMap((l) => [...l.matchAll(/(?:^ {2}|\| )([a-z]+)/g)].map((m) => m[1])));
    expect([...commands]).toEqual(expect.arrayContaining(['start', 'proxy', 'check', 'ramp', 'unkill', 'rollout', 'report', 'traffic']));
    const problems: string[] = [];
    for (const { file, line } of everyLine()) {
      for (const code of codeOf(line)) {
        for (const m of code.matchAll(/\bstrangler ([a-z][a-z-]*)/g)) {
          if (!commands.has(m[1])) problems.push(`${file}:${line.number}: "strangler ${m[1]}" is not a command of strangler --help`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('every environment variable named is in `strangler --help` or docs/reference.md', () => {
    const documented = (name: string): boolean =>
      new RegExp(`\\b${name}\\b`).test(HELP) || new RegExp(`\\b${name}\\b`).test(REFERENCE) ||
      [...REFERENCE.matchAll(/`([A-Z][A-Z0-9_]*_)\*`/g)].some((m) => name.startsWith(m[1])); // `UNLEASH_DEV_*`
    const problems: string[] = [];
    for (const { file, line } of everyLine()) {
      for (const m of line.text.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)) {
        const name = m[0];
        // An upstream URL may read any variable of the user's (`${CHECKOUT_HOST:-…}` in an example).
        if (line.text.slice(0, m.index).endsWith('${')) continue;
        if (name.startsWith('STRANGLER_ERR_') || name.startsWith('RULES_')) continue; // error and issue codes
        if (NOT_VARIABLES.has(name) || TOOLING_VARIABLES.has(name)) continue;
        if (!documented(name)) problems.push(`${file}:${line.number}: ${name} is in neither strangler --help nor docs/reference.md`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('every error code named exists, and troubleshooting explains every code of proxy/errors.ts', () => {
    const problems: string[] = [];
    for (const { file, line } of everyLine()) {
      for (const [code] of line.text.matchAll(/\bSTRANGLER_ERR_[A-Z_]+\b/g)) {
        if (!(code in STRANGLER_ERRORS) && !REFERENCE.includes(`\`${code}\``)) problems.push(`${file}:${line.number}: ${code} is neither in proxy/errors.ts nor in docs/reference.md`);
      }
    }
    const troubleshooting = read('docs/troubleshooting.md');
    for (const code of Object.keys(STRANGLER_ERRORS)) {
      if (!troubleshooting.includes(`| \`${code}\` |`)) problems.push(`docs/troubleshooting.md: no table row for ${code} (proxy/errors.ts)`);
    }
    expect(problems).toEqual([]);
  });

  test('every `npm run SCRIPT` named is a script of package.json', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const problems: string[] = [];
    for (const { file, line } of everyLine()) {
      for (const m of line.text.matchAll(/\bnpm run ([a-z][\w:-]*)/g)) {
        if (!scripts.includes(m[1])) problems.push(`${file}:${line.number}: npm run ${m[1]}: package.json has no such script`);
      }
    }
    expect(problems).toEqual([]);
  });
});
