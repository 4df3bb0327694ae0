import type { ProxyConfig } from '../config';
import type { Logger } from '../observability/logger';
import type { SharedRules } from '../rules/store';
import type { RunningProxy, StartProxy } from '../running-proxy';
import { isToWorker, type ToPrimary, type ToWorker } from './protocol';

function send(message: ToPrimary): void {
  // The channel is gone when the primary died; the 'disconnect' handler below stops this worker.
  if (process.connected) process.send!(message);
}

/**
 * A node:cluster worker: it says hello, waits for the rules its primary validated, serves
 * shoppers on the shared port, takes each new epoch, and answers the primary's questions. It
 * stops (draining) when the primary says so, on SIGTERM or SIGINT, and when the primary is gone.
 * `startProxy` is main.ts's, handed in so that the two modules do not import each other.
 */
export async function runClusterWorker(config: ProxyConfig, log: Logger, startProxy: StartProxy): Promise<void> {
  let running: RunningProxy | null = null;
  let first: ((rules: SharedRules) => void) | null = null;
  // A new epoch that arrived while the worker was still starting on the first one.
  let newer = null as SharedRules | null;
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'worker stopping');
    void (running?.stop() ?? Promise.resolve()).then(() => { log.flush(); process.exit(0); });
  };
  const adopt = (proxy: RunningProxy, rules: SharedRules): void => {
    try {
      proxy.store.adopt(rules);
      send({ type: 'strangler:applied', epoch: rules.epoch });
    } catch (error) {
      // The primary compiled the same text; only different code on each side gets here.
      log.error({ epoch: rules.epoch, error: (error as Error).message }, 'worker could not take the primary\'s rules; still serving its last table');
    }
  };
  const onMessage = (message: ToWorker): void => {
    switch (message.type) {
      case 'strangler:rules': {
        if (running !== null) { adopt(running, message.rules); return; }
        if (first !== null) { const resolve = first; first = null; resolve(message.rules); } else newer = message.rules;
        return;
      }
      case 'strangler:ask': {
        const id = message.id;
        if (running === null) { send({ type: 'strangler:answer', id, error: 'worker is starting' }); return; }
        running.answer(message.what).then(
          (body) => send({ type: 'strangler:answer', id, body }),
          (error: Error) => send({ type: 'strangler:answer', id, error: error.message }),
        );
        return;
      }
      case 'strangler:stop': stop('the primary asked'); return;
    }
  };
  process.on('message', (message: unknown) => { if (isToWorker(message)) onMessage(message); });
  // The primary reloads on SIGHUP; a worker that got one too (a signal to the process group) ignores it.
  process.on('SIGHUP', () => undefined);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop(signal));
  process.once('disconnect', () => stop('the primary is gone'));

  const rules = await new Promise<SharedRules>((resolve) => { first = resolve; send({ type: 'strangler:hello' }); });
  try {
    running = await startProxy(config, log, { rules });
  } catch (error) {
    const { code, port } = error as Error & { code?: string; port?: number };
    send({ type: 'strangler:failed', message: (error as Error).message, code, port });
    log.flush();
    process.exit(code === 'EADDRINUSE' || code === 'EACCES' ? 78 : 1);
  }
  send({ type: 'strangler:ready', proxyPort: running.proxyPort, epoch: running.store.current().epoch });
  if (newer !== null && newer.epoch > running.store.current().epoch) adopt(running, newer);
}
