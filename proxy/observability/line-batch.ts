/** Where a full batch goes: one synchronous write of many lines (pino's sonic-boom in sync mode). */
export interface LineSink {
  write(data: string): unknown;
}

/**
 * Collects log lines into one string and hands it to the sink once it reaches `minLength`
 * characters, so a busy proxy makes one write per few dozen lines instead of one per line.
 *
 * sonic-boom can buffer by itself (`minLength`), but it measures the byte length of its whole
 * pending buffer on every line, which flattens a growing string each time: about 1 µs per line
 * at 4 KiB in a micro-benchmark and several µs per request in the proxy. Here a line costs one
 * string append and a length check; the sink keeps what it does well (partial writes, EAGAIN).
 * Every line of the process goes through the same batch, so lines stay in order.
 */
export class LineBatch {
  private pending = '';

  /**
   * `maxLength` (chars) bounds a write: processes sharing one stdout pipe (cluster workers) keep
   * each write at most PIPE_BUF (4096) bytes, which the kernel never interleaves with another's.
   */
  constructor(private readonly sink: LineSink, private readonly minLength: number, private readonly maxLength = Infinity) {}

  write(line: string): void {
    if (this.pending.length + line.length > this.maxLength) this.drain();
    this.pending += line;
    if (this.pending.length >= this.minLength) this.drain();
  }

  /**
   * pino calls this from `logger.flush()`: what is pending is written now. (Not sonic-boom's
   * flushSync, which also fsyncs: a disk flush every 200 ms is not what a log line needs.)
   */
  flush(callback?: (error?: Error) => void): void {
    try {
      this.drain();
    } catch (error) {
      if (callback) { callback(error as Error); return; }
      throw error;
    }
    callback?.();
  }

  drain(): void {
    if (this.pending === '') return;
    const batch = this.pending;
    this.pending = '';
    this.sink.write(batch);
  }
}
