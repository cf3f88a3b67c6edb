/**
 * Vectors stored compactly, for the exact search that works on any engine (issue 13): each number
 * quantized to a signed 8-bit integer with one scale per vector (symmetric, no offset: cosine only
 * needs directions). A 1,536-dimension vector is 1,541 bytes instead of 6,144 as float32 (or about
 * 8 KB as a DynamoDB list of numbers), so a recall reads a quarter of the capacity units, and the
 * cosine is computed on the stored integers without decoding them.
 *
 * The stored form is one byte string, a DynamoDB binary (or its base64 in a string attribute):
 *
 *   byte 0       format, 1
 *   bytes 1..4   scale, float32 little-endian (value = integer × scale)
 *   bytes 5..    one int8 per dimension
 *
 * Quantizing loses at most half a step (scale / 2) per number. test/memory/compact-vector.test.ts
 * shows what that does to a search: the compact top 10 against float32 cosine's on 10,000 vectors.
 */

/** A quantized vector: `values[i] × scale` is about the original's `i`th number. */
export interface CompactVector {
  scale: number;
  values: Int8Array;
}

const format = 1;
const headerBytes = 5;

/**
 * `vector` quantized to `bits` bits per number (8 unless a test asks for fewer, to show what
 * precision the search needs): the largest magnitude maps to the largest level, so nothing clips.
 */
export function quantize(vector: ArrayLike<number>, bits = 8): CompactVector {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new RangeError(`bits must be 2 to 8, not ${bits}`);
  const levels = 2 ** (bits - 1) - 1;
  let largest = 0;
  for (let i = 0; i < vector.length; i++) largest = Math.max(largest, Math.abs(vector[i]!));
  const values = new Int8Array(vector.length);
  // The zero vector stays zero with scale 0: it compares as 0 with everything (see cosine).
  if (largest === 0) return { scale: 0, values };
  // The scale is stored as float32; quantizing with that same rounded scale keeps encode and decode exact.
  const scale = Math.fround(largest / levels);
  for (let i = 0; i < vector.length; i++) values[i] = Math.max(-levels, Math.min(levels, Math.round(vector[i]! / scale)));
  return { scale, values };
}

/** The approximate float vector back. */
export function dequantize(compact: CompactVector): Float32Array {
  const result = new Float32Array(compact.values.length);
  for (let i = 0; i < result.length; i++) result[i] = compact.values[i]! * compact.scale;
  return result;
}

/** The stored bytes of a compact vector (a DynamoDB binary attribute). */
export function encodeCompact(compact: CompactVector): Uint8Array {
  const bytes = new Uint8Array(headerBytes + compact.values.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, format);
  view.setFloat32(1, compact.scale, true);
  bytes.set(new Uint8Array(compact.values.buffer, compact.values.byteOffset, compact.values.length), headerBytes);
  return bytes;
}

/**
 * A compact vector from its stored bytes (a Uint8Array from a binary attribute, or the base64
 * string of one). The values share the bytes' memory: nothing is copied on the recall path.
 */
export function decodeCompact(stored: Uint8Array | string): CompactVector {
  const bytes = typeof stored === 'string' ? Buffer.from(stored, 'base64') : stored;
  // An item written by a later version, or damaged, must fail loudly rather than rank by garbage.
  if (bytes.length < headerBytes + 1 || bytes[0] !== format) throw new RangeError('not a compact vector of format 1');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return { scale: view.getFloat32(1, true), values: new Int8Array(bytes.buffer, bytes.byteOffset + headerBytes, bytes.length - headerBytes) };
}

/** Base64 of the stored bytes, for a string attribute. */
export function compactToBase64(compact: CompactVector): string {
  return Buffer.from(encodeCompact(compact)).toString('base64');
}

/** The sum of squares of the stored integers (the decoded vector's squared length over scale²). */
export function squaredLength(values: Int8Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return sum;
}

/**
 * Exact cosine between a query, kept as float (it is not stored, so nothing is gained by
 * quantizing it, and quantizing both sides would add the query's rounding to the stored one's),
 * and a stored vector as decoded: the stored scale cancels out. 0 when either is the zero vector.
 * `queryLength` is the query's Euclidean length and `storedLength` the stored integers'
 * `squaredLength`, both computed once per recall and once per cached vector, not per comparison.
 */
export function cosineToCompact(query: ArrayLike<number>, queryLength: number, stored: Int8Array, storedLength: number): number {
  if (query.length !== stored.length) throw new RangeError(`vectors of ${query.length} and ${stored.length} dimensions cannot be compared`);
  if (queryLength === 0 || storedLength === 0) return 0;
  let dot = 0;
  for (let i = 0; i < stored.length; i++) dot += query[i]! * stored[i]!;
  return dot / (queryLength * Math.sqrt(storedLength));
}

/**
 * How many candidates a recall takes from the compact search for each result it returns, before
 * it ranks them again by the records' full float32 vectors. Int8 moves a cosine by about 0.0002,
 * and among 10,000 vectors the 10th and 11th best are often closer than that, so the compact top
 * 10 alone swaps a neighbour at the edge in 1–2 searches of 100 (recall@10 0.98–0.99 in
 * test/memory/compact-vector.test.ts); the exact top 10 has always been inside the compact top 15
 * there. The recall reads the candidate records anyway, to return their fields.
 */
export const candidatesPerResult = 1.5;

/**
 * The indexes 0 … count − 1 of the `k` highest scores, highest first (ties: the lower index).
 * One pass, keeping a sorted list of at most `k`: k is at most 100 (DynamoDB's own top-k limit), so
 * this beats sorting every score of a large scope.
 */
export function highest(count: number, k: number, score: (index: number) => number): number[] {
  const best: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = score(i);
    if (best.length === k && !(s > scores[k - 1]!)) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && scores[at - 1]! < s) at--;
    best.splice(at, 0, i);
    scores.splice(at, 0, s);
    if (best.length > k) {
      best.pop();
      scores.pop();
    }
  }
  return best;
}
