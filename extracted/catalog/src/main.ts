import { catalogApi } from '../../../legacy-monolith/src/http/api/catalog-api';
import { startService, type ServiceDefinition } from '../../service';

/** The catalog service: categories, product listing and search, product detail. */
export const catalogService: ServiceDefinition = { name: 'catalog', portEnv: 'CATALOG_PORT', defaultPort: 3101, routes: catalogApi };

if (require.main === module) {
  startService(catalogService).catch((error) => { console.error(error); process.exit(1); });
}
