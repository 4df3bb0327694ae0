/**
 * Provisions a development Unleash for the routes of a rules file: a client API token for the
 * proxy, and for every route with `flag:` that has no flag yet a release flag whose flexibleRollout has the route's YAML
 * percent, the route's group as groupId and default stickiness (the settings under which the
 * Unleash SDKs pick the same shoppers as the proxy). Prints the environment the proxy needs.
 *
 *   node dist/scripts/unleash/provision-command.js --url URL --admin-token TOKEN [--rules FILE]
 */
import { compileOrThrow, readRulesText } from '../cli/rules-file';
import { UnleashAdmin } from './unleash-admin';

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(args: string[]): Promise<void> {
  const url = option(args, '--url');
  const adminToken = option(args, '--admin-token');
  const rulesFile = option(args, '--rules') ?? 'routing-rules.yaml';
  if (!url || !adminToken) throw new Error('usage: provision-command --url URL --admin-token TOKEN [--rules FILE]');
  const rules = compileOrThrow(readRulesText(rulesFile), rulesFile);
  const admin = new UnleashAdmin(url, adminToken);
  const clientToken = await admin.createClientToken('strangler-proxy');
  const flagged = rules.routes.filter((route) => route.flag !== null);
  const made: string[] = [];
  const kept: string[] = [];
  for (const route of flagged) {
    const name = route.flag as string;
    // A flag that exists already keeps whatever rollout it was ramped to in Unleash.
    if (await admin.hasFlag(name)) { kept.push(name); continue; }
    await admin.upsertRolloutFlag({ name, rollout: route.percent, groupId: route.group });
    made.push(`${name} (route ${route.name}, ${route.percent}%, groupId ${route.group})`);
  }
  const lines = [
    `# flags created: ${made.join(', ') || 'none'}; already there, left as they are: ${kept.join(', ') || 'none'}`,
    `export UNLEASH_URL=${admin.clientApiUrl}`,
    `export UNLEASH_API_TOKEN='${clientToken}'`,
    'export UNLEASH_APP_NAME=strangler',
    `# admin API token, for scripts that change rollouts: ${adminToken}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`provision: ${error.message}\n`);
  process.exit(1);
});
