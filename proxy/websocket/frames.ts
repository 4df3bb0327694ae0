import { randomBytes } from 'node:crypto';

/**
 * Where WebSocket frames begin and end in one direction of a tunnel (RFC 6455 §5.2), read from
 * the frame headers alone: payloads are skipped by their length, never looked at, so permessage-
 * deflate and fragmentation make no difference. The proxy needs this only to write a close frame of
 * its own at shutdown: a control frame may go between two frames (§5.4), never inside one.
 * Cost per chunk: one step per frame header in it, whatever the payload sizes.
 */
export class FrameBoundary {
  /** The header read so far (at most 2 + 8 length + 4 mask bytes). */
  private readonly header = Buffer.alloc(14);
  private have = 0;
  private need = 2;
  private payloadLeft = 0;

  /** True between two frames: nothing of a frame has been seen without its end. */
  get atBoundary(): boolean {
    return this.have === 0 && this.payloadLeft === 0;
  }

  /** Takes a whole chunk into account. */
  feed(chunk: Buffer): void {
    this.consume(chunk, false);
  }

  /**
   * Takes bytes of `chunk` up to the first frame end and returns how many that is (0 when already
   * between frames); -1 when the whole chunk is taken and a frame is still open.
   */
  untilBoundary(chunk: Buffer): number {
    if (this.atBoundary) return 0;
    return this.consume(chunk, true);
  }

  private consume(chunk: Buffer, stopAtBoundary: boolean): number {
    let i = 0;
    while (i < chunk.length) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, chunk.length - i);
        this.payloadLeft -= take;
        i += take;
        if (this.payloadLeft === 0 && stopAtBoundary) return i;
        continue;
      }
      this.header[this.have++] = chunk[i++];
      if (this.have === 2) {
        const length7 = this.header[1] & 0x7f;
        const masked = (this.header[1] & 0x80) !== 0;
        this.need = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (masked ? 4 : 0);
      }
      if (this.have >= 2 && this.have === this.need) {
        const length7 = this.header[1] & 0x7f;
        this.payloadLeft = length7 === 126 ? this.header.readUInt16BE(2) : length7 === 127 ? Number(this.header.readBigUInt64BE(2)) : length7;
        this.have = 0;
        this.need = 2;
        if (this.payloadLeft === 0 && stopAtBoundary) return i;
      }
    }
    return stopAtBoundary ? -1 : i;
  }
}

/** RFC 6455 §7.4.1: 1001 "going away", a server going down. */
export const CLOSE_GOING_AWAY = 1001;

/**
 * A close frame (opcode 0x8, FIN) with a status code and a short reason. `masked` for frames a
 * client sends (§5.3: every client-to-server frame is masked), unmasked for frames to a client.
 */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123); // a control frame's payload is at most 125 bytes
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  if (!masked) return Buffer.concat([Buffer.from([0x88, payload.length]), payload]);
  const key = randomBytes(4);
  for (let i = 0; i < payload.length; i++) payload[i] ^= key[i % 4];
  return Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), key, payload]);
}
