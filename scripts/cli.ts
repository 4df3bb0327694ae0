#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runCheck, type CheckFormat } from './cli/check';
import { commandUsage, isCommand, USAGE } from './cli/usage';
import { CommandError, rulesFilePath } from './cli/rules-file';


/** The version in the package.json above this file (from scripts/ or dist/scripts/). */
function packageVersion(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * A usage error: one line saying what was wrong and where the command's usage is, exit 2. The
 * command is the first argument (main's argv is the process's).
 */
function usageError(message: string, command: string | undefined = process.argv[2]): never {
  const help = isCommand(command) ? `strangler ${command} --help` : 'strangler --help';
  process.stderr.write(`strangler: ${message} (see \`${help}\`)\n`);
  process.exit(2);
}

/** What a change is recorded as having been made by: this command line, and the user when known. */
function whoRuns(argv: readonly string[]): string {
  const line = ['strangler', ...argv.map((arg) => (/^[\w./:=@%+,-]+$/.test(arg) ? arg : JSON.stringify(arg)))].join(' ');
  return process.env.USER ? `${line} (${process.env.USER})` : line;
}

/** Node's parseArgs complaint as one plain line naming the option (its own text suggests `--`). */
function parseArgsMessage(error: Error & { code?: string }, options: Record<string, unknown>): string {
  const option = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1];
  const known = Object.keys(options).filter((name) => name !== 'help').map((name) => `--${name}`);
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? error.message}${known.length ? `; this command takes ${known.join(', ')}` : '; this command takes no options'}`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /argument missing/.test(error.message) ? `${option} needs a value` : /does not take an argument/.test(error.message) ? `${option} takes no value` : error.message.split('\n')[0];
  }
  return error.message.split('\n')[0];
}

/** The command's options; `--help` / `-h` prints the command's usage and exits 0. */
function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError(parseArgsMessage(error as Error, options), command);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(commandUsage(command) ?? USAGE);
    process.exit(0);
  }
  return parsed;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      parse(command, rest, {});
      const { runLauncher } = await import('./cli/start');
      await runLauncher(path.resolve(__filename));
      return;
    }
    case 'proxy': {
      parse(command, rest, {});
      const { runProxyProcess } = await import('../proxy/main');
      await runProxyProcess();
      return;
    }
    case 'legacy': {
      parse(command, rest, {});
      const { startLegacy } = await import('../legacy-monolith/src/main');
      await startLegacy();
      return;
    }
    case 'service': {
      const { positionals } = parse(command, rest, {});
      const services = {
        catalog: async () => (await import('../extracted/catalog/src/main')).catalogService,
        pricing: async () => (await import('../extracted/pricing/src/main')).pricingService,
        checkout: async () => (await import('../extracted/checkout/src/main')).checkoutService,
      };
      const name = positionals[0] as keyof typeof services | undefined;
      if (name === undefined || positionals.length > 1 || !(name in services)) usageError(`service needs one NAME: catalog, pricing or checkout`);
      const { startService } = await import('../extracted/service');
      await startService(await services[name]());
      return;
    }
    case 'seed': {
      const { values, positionals } = parse(command, rest, { reset: { type: 'boolean' } });
      if (positionals.length > 0) usageError(`seed takes no arguments, got "${positionals[0]}"`);
      const { openShopDb, isSeeded } = await import('../legacy-monolith/src/db/open');
      const { seedShop } = await import('../legacy-monolith/src/db/seed');
      const db = openShopDb();
      if (isSeeded(db) && !values.reset) {
        console.log('the shop database is already seeded (use --reset to start again)');
      } else {
        const summary = seedShop(db, { reset: Boolean(values.reset) });
        console.log(`seeded: ${summary.categories} categories, ${summary.products} products, ${summary.variants} variants, ${summary.promotions} promotions`);
      }
      db.close();
      return;
    }
    case 'check': {
      const { values, positionals } = parse(command, rest, { json: { type: 'boolean' }, format: { type: 'string' } });
      if (positionals.length > 1) usageError(`check takes at most one FILE, got ${positionals.length}`);
      const format = values.json ? 'json' : (values.format ?? 'text');
      if (format !== 'text' && format !== 'json' && format !== 'github') usageError(`--format must be text, json or github, got "${format}"`);
      process.exitCode = runCheck(positionals[0], format as CheckFormat, (line) => console.log(line));
      return;
    }
    case 'plan': {
      const { values, positionals } = parse(command, rest, { json: { type: 'boolean' }, admin: { type: 'string' } });
      if (positionals.length < 1 || positionals.length > 2) usageError(`plan needs NEW, or OLD and NEW, got ${positionals.length} file(s)`);
      if (values.admin !== undefined && !isHttpUrl(values.admin)) usageError(`--admin must be an http:// URL of the proxy's admin port, got "${values.admin}"`);
      const { runPlan } = await import('./cli/plan');
      process.exitCode = await runPlan(positionals, { json: Boolean(values.json), admin: values.admin }, (line) => console.log(line), (line) => process.stderr.write(`${line}\n`));
      return;
    }
    case 'ramp':
    case 'kill':
    case 'unkill': {
      // `ramp ROUTE -5` would reach the option parser as an unknown flag: name the real problem.
      const negative = command === 'ramp' ? rest.find((arg) => /^-\d/.test(arg)) : undefined;
      if (negative !== undefined) usageError(`PERCENT must be a whole number 0..100, got "${negative}"`);
      const { values, positionals } = parse(command, rest, {
        file: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, admin: { type: 'string' }, 'max-error-rate': { type: 'string' }, db: { type: 'string' },
        'require-proxy': { type: 'boolean' },
      });
      const wanted = command === 'ramp' ? 2 : 1;
      if (positionals.length !== wanted) usageError(command === 'ramp' ? 'ramp needs ROUTE and PERCENT' : `${command} needs ROUTE`);
      let value = command === 'kill' ? 'true' : 'false';
      if (command === 'ramp') {
        value = positionals[1].replace(/%$/, '');
        if (!/^\d{1,3}$/.test(value) || Number(value) > 100) usageError(`PERCENT must be a whole number 0..100, got "${positionals[1]}"`);
        value = String(Number(value));
      }
      if (values.admin !== undefined && !isHttpUrl(values.admin)) usageError(`--admin must be an http:// URL of the proxy's admin port, got "${values.admin}"`);
      const maxErrorRate = values['max-error-rate'] === undefined ? 0.05 : Number(values['max-error-rate']);
      if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) usageError(`--max-error-rate must be a number from 0 to 1, got "${values['max-error-rate']}"`);
      const { runEdit } = await import('./cli/ramp');
      const { defaultDiffDb } = await import('../shadow/store/location');
      process.exitCode = await runEdit(positionals[0], command === 'ramp' ? 'percent' : 'killed', value, {
        file: rulesFilePath(values.file), force: Boolean(values.force), admin: values.admin, maxErrorRate, json: Boolean(values.json),
        requireProxy: Boolean(values['require-proxy']),
        db: values.db ?? defaultDiffDb(), who: whoRuns(argv),
      }, (line) => console.log(line), (line) => process.stderr.write(`${line}\n`));
      return;
    }
    case 'rollout': {
      const { values, positionals } = parse(command, rest, {
        file: { type: 'string' }, db: { type: 'string' }, once: { type: 'boolean' }, watch: { type: 'string' },
        'dry-run': { type: 'boolean' }, resume: { type: 'boolean' }, json: { type: 'boolean' },
      });
      if (values.once && values.watch !== undefined) usageError('--once and --watch cannot both be given');
      const { parseDuration } = await import('../proxy/rules/duration');
      const watchMs = values.watch === undefined ? null : parseDuration(values.watch);
      if (watchMs === 0 || (values.watch !== undefined && watchMs === null)) usageError(`--watch must be a duration like 30s, 1m or 1h, got "${values.watch}"`);
      if (values.resume && positionals.length === 0) usageError('--resume needs the ROUTE(s) to resume');
      if (values.resume && watchMs !== null) usageError('--resume judges once: it cannot be combined with --watch');
      const { runRollout } = await import('./cli/rollout');
      const { defaultDiffDb } = await import('../shadow/store/location');
      process.exitCode = await runRollout({
        routes: positionals, file: rulesFilePath(values.file), db: values.db ?? defaultDiffDb(), dryRun: Boolean(values['dry-run']),
        resume: Boolean(values.resume), json: Boolean(values.json), who: whoRuns(argv), unleashConfigured: Boolean(process.env.UNLEASH_URL),
      }, watchMs, (line) => console.log(line), (line) => process.stderr.write(`${line}\n`));
      return;
    }
    case 'report':
    case 'replay': {
      const { values, positionals } = parse(command, rest, {
        since: { type: 'string' }, out: { type: 'string' }, db: { type: 'string' }, rules: { type: 'string' }, retain: { type: 'string' },
        json: { type: 'boolean' }, route: { type: 'string' }, admin: { type: 'string' },
      });
      if (positionals.length > 0) usageError(`${command} takes no arguments, got "${positionals[0]}"`);
      const { parseDuration } = await import('../proxy/rules/duration');
      const sinceMs = parseDuration(values.since ?? '24h');
      const retainMs = parseDuration(values.retain ?? '30d');
      if (sinceMs === null) usageError(`--since must be a duration like 90m, 24h or 7d, got "${values.since}"`);
      if (retainMs === null) usageError(`--retain must be a duration like 30d, got "${values.retain}"`);
      const { defaultDiffDb } = await import('../shadow/store/location');
      const db = values.db ?? defaultDiffDb();
      const rules = values.rules ?? rulesFilePath(undefined);
      const warn = (line: string): void => { process.stderr.write(`${line}\n`); };
      if (command === 'report') {
        if (values.route || values.admin) usageError(`${values.route ? '--route' : '--admin'} is for replay`);
        const { runReport } = await import('./cli/report');
        process.exitCode = await runReport({ sinceMs: sinceMs!, out: values.out ?? path.join('data', 'report'), db, rules, retainMs: retainMs!, json: Boolean(values.json) }, (l) => console.log(l), warn);
      } else {
        if (values.out || values.json || values.retain) usageError('replay takes --since, --route, --db, --rules and --admin');
        if (values.admin !== undefined && !isHttpUrl(values.admin)) usageError(`--admin must be an http:// URL of the proxy's admin port, got "${values.admin}"`);
        const { runReplay } = await import('./cli/replay');
        process.exitCode = await runReplay({ sinceMs: sinceMs!, route: values.route, db, rules, concurrency: 8, timeoutMs: 5000, admin: values.admin }, (l) => console.log(l), warn);
      }
      return;
    }
    case 'traffic': {
      const { values, positionals } = parse(command, rest, {
        shoppers: { type: 'string' }, duration: { type: 'string' }, url: { type: 'string' }, json: { type: 'boolean' },
        flood: { type: 'string' }, rps: { type: 'string' }, 'max-in-flight': { type: 'string' }, admin: { type: 'string' },
      });
      if (positionals.length > 0) usageError(`traffic takes no arguments, got "${positionals[0]}"`);
      const shoppers = Number(values.shoppers ?? 10);
      const duration = Number(values.duration ?? 60);
      if (!Number.isInteger(shoppers) || shoppers < 1 || shoppers > 1000) usageError(`--shoppers must be a whole number from 1 to 1000, got "${values.shoppers}"`);
      if (!(duration > 0 && duration <= 3600)) usageError(`--duration must be seconds from 1 to 3600, got "${values.duration}"`);
      if ((values.rps !== undefined || values['max-in-flight'] !== undefined) && values.flood === undefined) usageError('--rps and --max-in-flight go with --flood ROUTE');
      const rps = Number(values.rps);
      if (values.flood !== undefined && !(Number.isInteger(rps) && rps >= 1 && rps <= 10000)) usageError(`--flood needs --rps N, a whole number from 1 to 10000${values.rps === undefined ? '' : `, got "${values.rps}"`}`);
      const maxInFlight = Number(values['max-in-flight'] ?? 256);
      if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1 && maxInFlight <= 10000)) usageError(`--max-in-flight must be a whole number from 1 to 10000, got "${values['max-in-flight']}"`);
      if (values.admin !== undefined && !isHttpUrl(values.admin)) usageError(`--admin must be an http:// URL of the proxy's admin port, got "${values.admin}"`);
      const { runTraffic } = await import('./cli/traffic');
      const { adminUrl } = await import('./cli/admin-client');
      const url = values.url ?? `http://127.0.0.1:${process.env.PROXY_PORT ?? 8080}`;
      const flood = values.flood === undefined ? undefined : { route: values.flood, rps, maxInFlight, admin: adminUrl(values.admin) };
      process.exitCode = await runTraffic({ url, shoppers, durationMs: duration * 1000, json: Boolean(values.json), flood }, (l) => console.log(l));
      return;
    }
    case undefined:
      return usageError('no command given');
    case '-v':
    case '--version': {
      process.stdout.write(`strangler ${packageVersion()}\n`);
      return;
    }
    case '-h':
    case '--help':
    case 'help': {
      // `strangler help ramp` is `strangler ramp --help`.
      const usage = rest.length === 1 ? commandUsage(rest[0]) : USAGE;
      if (usage === null) usageError(`unknown command "${rest[0]}"`, undefined);
      process.stdout.write(usage);
      return;
    }
    default:
      return usageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  // A CommandError is an expected refusal (bad file, unknown route, over budget): one line, exit 1.
  process.stderr.write(`strangler: ${error instanceof CommandError ? error.message : `unexpected error: ${error.message}`}\n`);
  process.exit(1);
});
