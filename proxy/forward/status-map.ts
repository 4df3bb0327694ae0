import type { StranglerErrorCode } from '../errors';
import type { ForwardFailure } from './failure';

/** The one place that maps a forwarding failure to what the shopper is told (YARP's ForwarderError mapping). */
export function errorCodeFor(failure: ForwardFailure): StranglerErrorCode {
  switch (failure) {
    case 'timeout': return 'STRANGLER_ERR_UPSTREAM_TIMEOUT';
    case 'refused': return 'STRANGLER_ERR_UPSTREAM_REFUSED';
    case 'reset': return 'STRANGLER_ERR_UPSTREAM_RESET';
    case 'malformed': return 'STRANGLER_ERR_UPSTREAM_MALFORMED';
    case 'client-gone': return 'STRANGLER_ERR_CLIENT_GONE';
    case 'error': return 'STRANGLER_ERR_UPSTREAM_FAILED';
    case 'overloaded': return 'STRANGLER_ERR_OVERLOADED';
  }
}
