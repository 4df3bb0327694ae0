/**
 * The long-running processes, each alone: `strangler proxy`, `strangler legacy` and
 * `strangler service NAME` (what `strangler start` runs, and what a container runs). Each loads
 * only its own code.
 */
import { parse, usageError, type CommandCall } from './command-line';

export async function proxyCommand(call: CommandCall): Promise<void> {
  parse(call, {});
  const { runProxyProcess } = await import('../../proxy/main');
  await runProxyProcess();
}

/**
 * With an OTLP endpoint set, a shop process traces itself; the instrumentations are loaded before
 * Express is, and not at all otherwise.
 */
async function traceShop(name: string): Promise<void> {
  const { shopTracingWanted } = await import('../../legacy-monolith/src/tracing-wanted');
  if (!shopTracingWanted()) return;
  const { startShopTracing } = await import('../../legacy-monolith/src/tracing');
  startShopTracing(name);
}

export async function legacyCommand(call: CommandCall): Promise<void> {
  parse(call, {});
  await traceShop('shop-legacy');
  const { startLegacy } = await import('../../legacy-monolith/src/main');
  await startLegacy();
}

const SERVICES = {
  catalog: async () => (await import('../../extracted/catalog/src/main')).catalogService,
  pricing: async () => (await import('../../extracted/pricing/src/main')).pricingService,
  checkout: async () => (await import('../../extracted/checkout/src/main')).checkoutService,
};

export async function serviceCommand(call: CommandCall): Promise<void> {
  const { positionals } = parse(call, {});
  const name = positionals[0] as keyof typeof SERVICES | undefined;
  if (name === undefined || positionals.length > 1 || !(name in SERVICES)) usageError('service needs one NAME: catalog, pricing or checkout', call.command);
  await traceShop(`shop-${name}`);
  const { startService } = await import('../../extracted/service');
  await startService(await SERVICES[name]());
}
