#!/usr/bin/env node
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runCheck, type CheckFormat } from './check-command';

const USAGE = `usage: strangler <command> [options]

commands:
  start                     the whole shop behind the proxy (as npm start)
  proxy                     the routing proxy alone
  legacy                    the legacy monolith alone
  service NAME              one extracted service: catalog | pricing | checkout
  seed [--reset]            create and seed the shop database
  check [FILE] [--json | --format github]
                            validate a rules file (exit 0 ok, 1 errors)
`;

/** A usage error: one line saying what was wrong, then the usage, exit 2. */
function usageError(message: string): never {
  process.stderr.write(`strangler: ${message}\n${USAGE}`);
  process.exit(2);
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError((error as Error).message.split('\n')[0]);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      parse(rest, {});
      const { runLauncher } = await import('./launcher');
      await runLauncher(path.resolve(__filename));
      return;
    }
    case 'proxy': {
      parse(rest, {});
      const { runProxyProcess } = await import('../proxy/main');
      await runProxyProcess();
      return;
    }
    case 'legacy': {
      parse(rest, {});
      const { startLegacy } = await import('../legacy-monolith/src/main');
      await startLegacy();
      return;
    }
    case 'service': {
      const { positionals } = parse(rest, {});
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
      const { values, positionals } = parse(rest, { reset: { type: 'boolean' } });
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
      const { values, positionals } = parse(rest, { json: { type: 'boolean' }, format: { type: 'string' } });
      if (positionals.length > 1) usageError(`check takes at most one FILE, got ${positionals.length}`);
      const format = values.json ? 'json' : (values.format ?? 'text');
      if (format !== 'text' && format !== 'json' && format !== 'github') usageError(`--format must be text, json or github, got "${format}"`);
      process.exitCode = runCheck(positionals[0], format as CheckFormat, (line) => console.log(line));
      return;
    }
    case undefined:
      return usageError('no command given');
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return;
    default:
      return usageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`strangler: ${error.message}\n`);
  process.exit(1);
});
