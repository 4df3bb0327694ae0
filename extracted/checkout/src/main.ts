import { checkoutApi } from '../../../legacy-monolith/src/http/api/checkout-api';
import { startService, type ServiceDefinition } from '../../service';

/** The checkout service: quote (tax + shipping), idempotent order creation, order lookup. */
export const checkoutService: ServiceDefinition = { name: 'checkout', portEnv: 'CHECKOUT_PORT', defaultPort: 3103, routes: checkoutApi };

if (require.main === module) {
  startService(checkoutService).catch((error) => { console.error(error); process.exit(1); });
}
