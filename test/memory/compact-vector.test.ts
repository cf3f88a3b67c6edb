/**
 * The compact (int8 + scale) vectors of long-term memory against exact float32 cosine, on 10,000
 * seeded synthetic vectors of 384 and of 1,536 dimensions in clusters, with queries near stored
 * vectors. Two figures: the compact form's own top 10 (recall@10 0.987 and 0.980 here: it only
 * swaps the 10th and 11th when their cosines differ by less than about 0.0005), and the compact
 * top 15 ranked again by float32 cosine, as a recall does with the records it reads (recall@10
 * 1.000; ≥ 0.99 is asserted). The same search quantized to 2 bits falls far below both, so the
 * checks can fail. Plus the stored form's round trip and the built-in embedder's and
 * `msg.embedding`'s rules. No DynamoDB: pure computation, about 5 s.
 */
import assert from 'node:assert/strict';
import {
  compactToBase64,
  decodeCompact,
  dequantize,
  encodeCompact,
  candidatesPerResult,
  cosineToCompact,
  highest,
  quantize,
  squaredLength,
} from '../../lib/memory/compact-vector';
import { assertSameEmbedder, builtInEmbedder, builtInEmbedding, embedText, parseEmbedding } from '../../lib/memory/embedding';
import { MemoryInputError } from '../../lib/errors/input-errors';
import { gaussian, prng } from '../support/prng';

const count = 10_000;
const k = 10;

/**
 * Vectors as embeddings are: in clusters (texts about the same thing), not spread evenly. 250
 * centres, each vector a centre plus noise, so a query's neighbours are close to each other too
 * and the top 10 is decided by small differences, which is where quantizing could hurt.
 */
function corpus(dimension: number, seed: number): { vectors: Float32Array[]; queries: Float32Array[] } {
  const normal = gaussian(prng(seed));
  const random = prng(seed + 1);
  const centres = Array.from({ length: 250 }, () => Float32Array.from({ length: dimension }, normal));
  const vectors = Array.from({ length: count }, () => {
    const centre = centres[Math.floor(random() * centres.length)]!;
    return centre.map((x) => x + 0.6 * normal());
  });
  // Queries near some stored vectors: a stored vector moved by noise, as a rephrased question is.
  const queries = Array.from({ length: dimension > 1000 ? 30 : 60 }, () =>
    vectors[Math.floor(random() * count)]!.map((x) => x + 0.4 * normal()));
  return { vectors, queries };
}

function floatCosine(a: Float32Array, b: Float32Array, aNorm: number, bNorm: number): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / (aNorm * bNorm);
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));

interface Recall {
  /** The compact form's own top 10. */
  compact: number;
  /** The compact top 15 ranked again by float32 cosine, as a recall does with the records it reads. */
  rescored: number;
}

/** Mean share of the exact top 10 that the compact search (at `bits`) also returns in its top 10. */
function recallAt10(dimension: number, seed: number, bits: number[]): Map<number, Recall> {
  const { vectors, queries } = corpus(dimension, seed);
  const norms = vectors.map(norm);
  const exactScore = (query: Float32Array, queryNorm: number) => (i: number) => floatCosine(query, vectors[i]!, queryNorm, norms[i]!);
  const exact = queries.map((query) => highest(count, k, exactScore(query, norm(query))));
  const result = new Map<number, Recall>();
  for (const b of bits) {
    // Stored as they would be, through the bytes, so the test covers what a recall reads.
    const stored = vectors.map((v) => decodeCompact(encodeCompact(quantize(v, b))).values);
    const lengths = stored.map(squaredLength);
    const found = { compact: 0, rescored: 0 };
    queries.forEach((query, q) => {
      const queryNorm = norm(query);
      const candidates = highest(count, Math.ceil(k * candidatesPerResult), (i) => cosineToCompact(query, queryNorm, stored[i]!, lengths[i]!));
      const rescored = highest(candidates.length, k, (c) => exactScore(query, queryNorm)(candidates[c]!)).map((c) => candidates[c]!);
      found.compact += candidates.slice(0, k).filter((i) => exact[q]!.includes(i)).length;
      found.rescored += rescored.filter((i) => exact[q]!.includes(i)).length;
    });
    result.set(b, { compact: found.compact / (queries.length * k), rescored: found.rescored / (queries.length * k) });
  }
  return result;
}

describe('compact vectors (int8 with a scale)', function () {
  this.timeout(120_000);

  for (const [dimension, seed] of [[384, 20261201], [1536, 20261202]] as const) {
    it(`find float32 cosine's top 10 of ${count.toLocaleString('en-US')} vectors of ${dimension} dimensions (int8, rescored), and 2 bits do not`, function () {
      const recall = recallAt10(dimension, seed, [8, 2]);
      const eight = recall.get(8)!;
      const two = recall.get(2)!;
      const figures = (r: Recall) => `top 10 ${r.compact.toFixed(4)}, top 15 rescored ${r.rescored.toFixed(4)}`;
      console.log(`      recall@10, ${dimension} dimensions: int8 ${figures(eight)}; 2-bit ${figures(two)}`);
      assert.ok(eight.rescored >= 0.99, `int8 rescored recall@10 is ${eight.rescored}`);
      // The compact top 10 alone loses only near-ties at the edge (see candidatesPerResult); a floor, so a worse quantizer shows.
      assert.ok(eight.compact >= 0.97, `int8 recall@10 is ${eight.compact}`);
      // The same checks on a form too coarse for them: if these passed, the ones above would prove nothing.
      assert.ok(two.rescored < 0.99 && two.compact < 0.97, `2-bit recall@10 is ${figures(two)}`);
    });
  }

  it('are stored as format byte, float32 scale and one byte per dimension, and read back from bytes or base64', function () {
    const vector = Float32Array.from({ length: 384 }, gaussian(prng(7)));
    const compact = quantize(vector);
    const bytes = encodeCompact(compact);
    assert.equal(bytes.length, 5 + 384);
    for (const stored of [bytes, compactToBase64(compact)]) {
      const back = decodeCompact(stored);
      assert.equal(back.scale, compact.scale);
      assert.deepEqual([...back.values], [...compact.values]);
    }
    // Each number is off by at most half a step.
    const decoded = dequantize(compact);
    assert.ok(decoded.every((x, i) => Math.abs(x - vector[i]!) <= compact.scale / 2 + 1e-6));
    assert.throws(() => decodeCompact(Uint8Array.of(2, 0, 0, 0, 0, 1)), /format 1/);
  });

  it('compare a zero vector as 0 with everything', function () {
    const zero = quantize(new Float32Array(8));
    assert.equal(zero.scale, 0);
    assert.equal(cosineToCompact(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), Math.sqrt(204), zero.values, squaredLength(zero.values)), 0);
    // And its exact cosine otherwise: the stored scale cancels out.
    const stored = quantize(Float32Array.of(3, 0, 0, 0, 0, 0, 0, 4));
    assert.ok(Math.abs(cosineToCompact(Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0), 1, stored.values, squaredLength(stored.values)) - 0.6) < 0.01);
  });
});

describe('the built-in embedder (hashed n-grams)', function () {
  it('is deterministic, L2-normalised and of its stated dimension', function () {
    const a = builtInEmbedding('Ana is allergic to peanuts');
    assert.deepEqual([a.embedder, a.dimension, a.vector.length], ['hashed-ngrams-v1', 384, 384]);
    assert.deepEqual([...a.vector], [...embedText('Ana is allergic to peanuts')]);
    assert.ok(Math.abs(norm(a.vector) - 1) < 1e-6);
    assert.equal(norm(embedText('!!! ...')), 0);
  });

  it('ranks a text sharing words and word pieces above unrelated ones', function () {
    const query = embedText('does Ana have a peanut allergy?');
    const texts = ['Ana is allergic to peanuts', 'The concert starts at eight', 'Bruno prefers window seats', 'Tickets cost 40 euros'];
    const scores = texts.map((text) => floatCosine(query, embedText(text), 1, 1));
    assert.equal(scores.indexOf(Math.max(...scores)), 0, `scores ${scores.map((s) => s.toFixed(3)).join(', ')}`);
  });

  it('takes msg.embedding only as 1 to 4,096 finite numbers, not all 0', function () {
    assert.equal(parseEmbedding([0.1, -2, 3e-5], 'embedding').dimension, 3);
    const refused = (value: unknown, message: RegExp) =>
      assert.throws(() => parseEmbedding(value, 'embedding'), (error: unknown) => error instanceof MemoryInputError && message.test(error.message));
    refused('0.1,0.2', /^embedding: must be an array of 1 to 4096 numbers/);
    refused([], /^embedding: has 0 numbers; an embedding has 1 to 4096$/);
    refused(new Array(4097).fill(1), /has 4097 numbers/);
    refused([1, Number.NaN], /^embedding: item 1 is not a finite number$/);
    refused([1, '2'], /item 1 is not a finite number/);
    refused([1e39], /item 0 is not a finite number/);
    refused([0, 0], /every number is 0/);
  });

  it('refuses comparing vectors of different embedders or dimensions', function () {
    assert.throws(() => assertSameEmbedder(builtInEmbedder, { embedder: 'external', dimension: 1536 }), /hashed-ngrams-v1 \(384 dimensions\).*external \(1536 dimensions\)/);
    assert.doesNotThrow(() => assertSameEmbedder(builtInEmbedder, { ...builtInEmbedder }));
  });
});
