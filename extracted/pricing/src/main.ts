import { pricingApi } from '../../../legacy-monolith/src/http/api/pricing-api';
import { startService, type ServiceDefinition } from '../../service';

/** The pricing service: active promotions, a product's sale price, and quotes for lines with a coupon. */
export const pricingService: ServiceDefinition = { name: 'pricing', portEnv: 'PRICING_PORT', defaultPort: 3102, routes: pricingApi };

if (require.main === module) {
  startService(pricingService).catch((error) => { console.error(error); process.exit(1); });
}
