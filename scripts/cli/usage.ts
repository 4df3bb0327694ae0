/**
 * The CLI's usage text, one entry per command: `strangler --help` prints them all,
 * `strangler COMMAND --help` prints the command's own, and a usage error points at the latter.
 */
interface CommandUsage { readonly names: readonly string[]; readonly synopsis: string; readonly text: string }

const COMMANDS: readonly CommandUsage[] = [
  { names: ['start'], synopsis: 'start', text: 'the whole shop behind the proxy (as npm start)' },
  { names: ['proxy'], synopsis: 'proxy', text: 'the routing proxy alone' },
  { names: ['legacy'], synopsis: 'legacy', text: 'the legacy monolith alone' },
  { names: ['service'], synopsis: 'service NAME', text: 'one extracted service: catalog | pricing | checkout' },
  { names: ['seed'], synopsis: 'seed [--reset]', text: 'create and seed the shop database' },
  {
    names: ['check'], synopsis: 'check [FILE] [--json | --format github]',
    text: 'validate a rules file (exit 0 ok, 1 errors)',
  },
  {
    names: ['plan'], synopsis: 'plan [OLD] NEW [--json] [--admin URL]',
    text: `what changes between two rules files; OLD defaults to the
rules active in the running proxy (--admin, else ADMIN_PORT), and NEW's
\${VAR:-default} upstreams are then resolved as that proxy resolved them`,
  },
  {
    names: ['ramp'], synopsis: 'ramp ROUTE PERCENT [--file F] [--force] [--max-error-rate R] [--json] [--admin URL] [--require-proxy] [--db STORE]',
    text: `set a route's percent in place (comments kept), check it, write
it atomically; refuses to raise a failing route unless --force.
The error-rate gate reads the proxy at --admin, else ADMIN_PORT;
an unreachable proxy is reported and the ramp goes on, or with
--require-proxy it refuses (exit 1)`,
  },
  {
    names: ['kill', 'unkill'], synopsis: 'kill ROUTE | unkill ROUTE [--file F] [--json] [--db STORE]',
    text: "set or clear the route's kill switch the same way",
  },
  {
    names: ['rollout'], synopsis: 'rollout [ROUTE...] [--file F] [--db STORE] [--once | --watch D] [--dry-run] [--resume] [--json]',
    text: `judge each route's rollout plan on the evidence in the store:
advance a step, hold, or roll back to 0. Exit 3 when a route is
rolled back; with --dry-run, exit 3 when one would be (nothing written)`,
  },
  {
    names: ['report'], synopsis: 'report [--since 24h] [--out DIR] [--db STORE] [--rules FILE] [--retain 30d] [--json]',
    text: `the diff report (html, md, json) in DIR (default data/report);
exit 1 when a route is over budget`,
  },
  {
    names: ['replay'], synopsis: 'replay [--since 24h] [--route NAME] [--db STORE] [--rules FILE] [--admin URL]',
    text: `send captured reads to both sides again and store the comparison;
upstream URLs as the running proxy resolved them (--admin, else
ADMIN_PORT); exit 1 when every request failed, naming why`,
  },
  {
    names: ['traffic'], synopsis: 'traffic [--shoppers N] [--duration S] [--url URL] [--cart-rate P] [--checkout-rate P] [--degrade ROUTE:SIDE:FACTOR]… [--flood ROUTE --rps N [--max-in-flight M]] [--admin URL] [--json]',
    text: `simulated shoppers browsing, adding to cart and checking out
(--url, else http://127.0.0.1:$PROXY_PORT): --cart-rate of visits add to
cart (default 0.1), --checkout-rate of carts check out (default 0.4).
--degrade product-detail:extracted:0.5: shoppers served that side of the
route check out 0.5 times as often (repeatable; SIDE legacy or
extracted, FACTOR 0 to 1). Prints per route and side the requests, and
for the guarded routes (the proxy's /status, --admin else ADMIN_PORT)
and the degraded ones the shoppers of each side and how many bought.
--flood sends N requests a second to one route (its path from /status),
open-loop, at most M in flight (default 256), while the shoppers go on;
then per route 2xx, 503 shed, 429, other errors, no answer, p50/p99 ms,
and the shoppers' checkouts`,
  },
];

const indent = (text: string, by: string): string => text.split('\n').map((line) => `${by}${line}`).join('\n');

const STORE_NOTE = `STORE is the diff store: a SQLite file or a postgres:// URL (default: STRANGLER_DIFF_DB,
else data/diffs.sqlite).
`;

export const USAGE = `usage: strangler <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.synopsis}\n${indent(c.text, '                            ')}`).join('\n')}
  --version | --help        the version | this text
  COMMAND --help            one command's usage
  help COMMAND              the same

${STORE_NOTE}`;

/** The usage of one command, or null for a name that is not a command. */
export function commandUsage(command: string): string | null {
  const entry = COMMANDS.find((c) => c.names.includes(command));
  if (!entry) return null;
  return `usage: strangler ${entry.synopsis}\n\n${entry.text}\n${entry.synopsis.includes('STORE') ? `\n${STORE_NOTE}` : ''}`;
}

export function isCommand(name: string | undefined): boolean {
  return name !== undefined && COMMANDS.some((c) => c.names.includes(name));
}
