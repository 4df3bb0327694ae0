import { isSeeded, openShopDb } from '../../legacy-monolith/src/db/open';
import { seedShop } from '../../legacy-monolith/src/db/seed';
import { noArguments, parse, type CommandCall } from './command-line';

/** `strangler seed [--reset]`: create and seed the shop database, once unless --reset. */
export async function seedCommand(call: CommandCall): Promise<void> {
  const { values, positionals } = parse(call, { reset: { type: 'boolean' } });
  noArguments(positionals, call.command);
  const db = openShopDb();
  if (isSeeded(db) && !values.reset) {
    console.log('the shop database is already seeded (use --reset to start again)');
  } else {
    const summary = seedShop(db, { reset: Boolean(values.reset) });
    console.log(`seeded: ${summary.categories} categories, ${summary.products} products, ${summary.variants} variants, ${summary.promotions} promotions`);
  }
  db.close();
}
