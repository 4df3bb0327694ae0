/**
 * A view of `bytes` whose ArrayBuffer can go in a postMessage transfer list (added to `list`).
 * The Buffer itself when it is the whole of its ArrayBuffer; otherwise a copy of just its bytes.
 * Node's small Buffers are views on a shared 8 KB pool slab: transferring that would detach every
 * other Buffer on it (Node refuses it anyway), and cloning the view would copy the whole slab.
 */
export function transferable(bytes: Uint8Array, list: Set<ArrayBuffer>): Uint8Array {
  const whole = bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    && !list.has(bytes.buffer);
  // new Uint8Array(typedArray) copies into an ArrayBuffer of its own (never from the pool).
  const owned = whole ? bytes : new Uint8Array(bytes);
  list.add(owned.buffer as ArrayBuffer);
  return owned;
}
