import type http from 'node:http';

/**
 * Streams an upstream response to the shopper. If the upstream dies mid-body, the shopper's
 * connection is destroyed so they see an abort, never a complete-looking response (http-proxy
 * leaves it hanging). If the shopper goes away, the upstream response is destroyed so its socket
 * is released at once.
 */
export function relayResponse(
  upstream: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  headers: http.OutgoingHttpHeaders,
  onDone: (completed: boolean) => void,
): void {
  let done = false;
  const finish = (completed: boolean): void => {
    if (done) return;
    done = true;
    onDone(completed);
  };
  upstream.on('error', () => undefined); // the close handler below acts on it
  upstream.once('close', () => {
    if (!upstream.complete) {
      res.destroy();
      finish(false);
    }
  });
  res.once('close', () => {
    if (!res.writableFinished) {
      upstream.destroy();
      finish(false);
    } else {
      finish(true);
    }
  });
  res.writeHead(status, headers);
  upstream.pipe(res);
}
