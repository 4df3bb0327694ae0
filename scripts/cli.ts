#!/usr/bin/env node
/**
 * `strangler`: finds the command and hands it its arguments. Each command is a module of
 * scripts/cli/, loaded only when it runs (`proxy` does not load the report's code, nor `check`
 * the proxy's). This file stays the entry (package.json's bin, `npm start`, the image's
 * ENTRYPOINT all run dist/scripts/cli.js).
 */
import fs from 'node:fs';
import path from 'node:path';
import { usageError, type Command } from './cli/command-line';
import { CommandError } from './cli/rules-file';
import { commandUsage, USAGE } from './cli/usage';

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  start: async () => (await import('./cli/start')).startCommand,
  proxy: async () => (await import('./cli/serve')).proxyCommand,
  legacy: async () => (await import('./cli/serve')).legacyCommand,
  service: async () => (await import('./cli/serve')).serviceCommand,
  seed: async () => (await import('./cli/seed')).seedCommand,
  check: async () => (await import('./cli/check')).checkCommand,
  plan: async () => (await import('./cli/plan')).planCommand,
  ramp: async () => (await import('./cli/ramp')).rampCommand,
  kill: async () => (await import('./cli/ramp')).rampCommand,
  unkill: async () => (await import('./cli/ramp')).rampCommand,
  rollout: async () => (await import('./cli/rollout')).rolloutCommand,
  report: async () => (await import('./cli/report')).reportCommand,
  replay: async () => (await import('./cli/replay')).replayCommand,
  traffic: async () => (await import('./cli/traffic')).trafficCommand,
};

/** The version in the package.json above this file (from scripts/ or dist/scripts/). */
function packageVersion(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === undefined) usageError('no command given', undefined);
  if (command === '-v' || command === '--version') {
    process.stdout.write(`strangler ${packageVersion()}\n`);
    return;
  }
  if (command === '-h' || command === '--help' || command === 'help') {
    // `strangler help ramp` is `strangler ramp --help`.
    const usage = args.length === 1 ? commandUsage(args[0]) : USAGE;
    if (usage === null) usageError(`unknown command "${args[0]}"`, undefined);
    process.stdout.write(usage);
    return;
  }
  if (!Object.hasOwn(COMMANDS, command)) usageError(`unknown command "${command}"`, command);
  const run = await COMMANDS[command]();
  const code = await run({ command, args, argv, cliPath: path.resolve(__filename) });
  if (typeof code === 'number') process.exitCode = code;
}

main(process.argv.slice(2)).catch((error: Error) => {
  // A CommandError is an expected refusal (bad file, unknown route, over budget): one line, exit 1.
  process.stderr.write(`strangler: ${error instanceof CommandError ? error.message : `unexpected error: ${error.message}`}\n`);
  process.exit(1);
});
