/**
 * The proxy as `strangler proxy` runs it, plus one hook for the soak test: started with
 * `node --expose-gc`, SIGUSR2 runs a full garbage collection, so the heap the soak test reads is
 * what is retained, not what happens to be uncollected yet.
 */
import { runProxyProcess } from '../../proxy/main';

const gc = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => { gc?.(); });
void runProxyProcess();
