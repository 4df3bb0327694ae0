import { catalogApi } from '../../../legacy-monolith/src/http/api/catalog-api';
import { stockFeed } from '../../../legacy-monolith/src/http/live/stock-feed';
import { startService, type ServiceDefinition } from '../../service';

/** The catalog service: categories, product listing and search, product detail, live stock (WebSocket). */
export const catalogService: ServiceDefinition = { name: 'catalog', portEnv: 'CATALOG_PORT', defaultPort: 3101, routes: catalogApi, upgrades: (shop) => stockFeed(shop) };

if (require.main === module) {
  startService(catalogService).catch((error) => { console.error(error); process.exit(1); });
}
