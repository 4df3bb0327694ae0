import fc from 'fast-check';
import type { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { closeFrame, FrameBoundary } from '../websocket/frames';
import { handshakeRefusal, type HandshakeFacts } from '../websocket/handshake';

// ws exports its frame encoder and decoder (ws/index.js); @types/ws does not declare them.
const { Sender, Receiver } = WebSocket as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
  Receiver: new (options: { isServer: boolean }) => EventEmitter & { write(chunk: Buffer): void };
};

/** ws's own encoder is the oracle for frame layout (7-, 16- and 64-bit lengths, masked or not). */
function frame(size: number, masked: boolean, fin = true): Buffer {
  return Buffer.concat(Sender.frame(Buffer.alloc(size, 7), { fin, opcode: fin ? 2 : 0, mask: masked, readOnly: false, rsv1: false }));
}

const sizes = fc.oneof(fc.integer({ min: 0, max: 130 }), fc.constantFrom(125, 126, 127, 65535, 65536, 70000));

describe('FrameBoundary finds frame ends from headers alone', () => {
  test('wherever the stream is cut into chunks, it is between frames exactly at each frame end', () => {
    fc.assert(fc.property(fc.array(fc.tuple(sizes, fc.boolean()), { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 70000 }), { minLength: 1, maxLength: 8 }), (frames, cuts) => {
      const encoded = frames.map(([size, masked]) => frame(size, masked));
      const ends = new Set<number>();
      let at = 0;
      for (const f of encoded) { at += f.length; ends.add(at); }
      const stream = Buffer.concat(encoded);
      const tracker = new FrameBoundary();
      let offset = 0;
      let cut = 0;
      while (offset < stream.length) {
        const size = Math.min(cuts[cut++ % cuts.length], stream.length - offset);
        // Byte by byte near the edges is too slow for 70 kB frames: check at each chunk end.
        tracker.feed(stream.subarray(offset, offset + size));
        offset += size;
        expect(tracker.atBoundary).toBe(ends.has(offset));
      }
      expect(tracker.atBoundary).toBe(true);
    }), { numRuns: 200 });
  });

  test('untilBoundary says how many bytes of a chunk finish the frame in flight', () => {
    const tracker = new FrameBoundary();
    const first = frame(1000, false);
    const second = frame(10, false);
    tracker.feed(first.subarray(0, 500));
    expect(tracker.atBoundary).toBe(false);
    const rest = Buffer.concat([first.subarray(500), second]);
    expect(tracker.untilBoundary(rest)).toBe(first.length - 500);
    expect(tracker.atBoundary).toBe(true);
    expect(tracker.untilBoundary(second)).toBe(0);
    tracker.feed(second.subarray(0, 1));
    expect(tracker.untilBoundary(second.subarray(1, 5))).toBe(-1);
  });

  test('a 1 MiB frame (64-bit length) and an empty ping are each one frame', () => {
    const tracker = new FrameBoundary();
    const big = frame(1024 * 1024, true);
    tracker.feed(big.subarray(0, 9));
    expect(tracker.atBoundary).toBe(false);
    tracker.feed(big.subarray(9));
    expect(tracker.atBoundary).toBe(true);
    tracker.feed(Buffer.from([0x89, 0x00]));
    expect(tracker.atBoundary).toBe(true);
  });
});

test('closeFrame is a close frame ws reads back with its code and reason, masked (to a server) or not (to a client)', async () => {
  for (const [masked, isServer] of [[false, false], [true, true]] as const) {
    const receiver = new Receiver({ isServer });
    const got = new Promise<[number, string]>((resolve) => receiver.on('conclude', (code: number, reason: Buffer) => resolve([code, reason.toString()])));
    receiver.write(closeFrame(1001, 'proxy shutting down', masked));
    expect(await got).toEqual([1001, 'proxy shutting down']);
  }
});

describe('handshakeRefusal (RFC 6455 §4.2.1)', () => {
  const good: HandshakeFacts = {
    method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1,
    headers: { host: 'shop', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' },
  };
  const with_ = (change: Partial<HandshakeFacts>, headers: Record<string, string | undefined> = {}): HandshakeFacts => ({ ...good, ...change, headers: { ...good.headers, ...headers } });
  test.each([
    ['a proper handshake', with_({}), null],
    ['POST', with_({ method: 'POST' }), 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['HTTP/1.0', with_({ httpVersionMinor: 0 }), 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['no Host', with_({}, { host: undefined }), 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['no key', with_({}, { 'sec-websocket-key': undefined }), 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['a short key', with_({}, { 'sec-websocket-key': 'c2hvcnQ=' }), 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['two keys (joined by Node)', with_({}, { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ==' }), 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['version 8', with_({}, { 'sec-websocket-version': '8' }), 'STRANGLER_ERR_WEBSOCKET_VERSION'],
    ['no version', with_({}, { 'sec-websocket-version': undefined }), 'STRANGLER_ERR_WEBSOCKET_VERSION'],
    ['a body', with_({}, { 'content-length': '36' }), 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['Transfer-Encoding', with_({}, { 'transfer-encoding': 'chunked' }), 'STRANGLER_ERR_BAD_HANDSHAKE'],
    ['Content-Length: 0', with_({}, { 'content-length': '0' }), null],
  ])('%s', (_name, facts, code) => {
    expect(handshakeRefusal(facts)?.code ?? null).toBe(code);
  });
});
