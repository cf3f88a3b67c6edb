/**
 * Vectors for long-term memory records (issue 13), with no Node-RED in it.
 *
 * A record's vector comes from `msg.embedding` (any embedding service wired before the node) or,
 * when none is given, from the built-in embedder here, so the pack works offline, in `npm start`'s
 * demo and in tests, with no network and no model download. The built-in one is feature hashing:
 * word unigrams and bigrams and character 3-grams of the normalised text, each hashed to one of
 * `dimension` buckets with a second hash choosing the sign (so colliding features cancel out on
 * average instead of piling up), then L2-normalised. It finds texts that share words or word
 * pieces ("allergic to peanuts" / "peanut allergy"), not synonyms: an embedding service does that.
 *
 * Every vector travels with the id of what made it (`EmbedderId`), and a recall never compares
 * vectors of different embedders or dimensions (`assertSameEmbedder`). Changing anything that
 * changes the built-in vectors (tokenising, weights, hashes, dimension) needs a new id
 * (`hashed-ngrams-v2`), or stored records would be compared with vectors made another way.
 */
import { MemoryInputError } from '../errors/input-errors';

/** Who made a vector and how long it is: vectors compare only with vectors of the same two. */
export interface EmbedderId {
  /** `hashed-ngrams-v1` for the built-in embedder; `external` (or the name a flow gives) for `msg.embedding`. */
  embedder: string;
  dimension: number;
}

export interface Embedding extends EmbedderId {
  vector: Float32Array;
}

/** The built-in embedder's id and dimension: 384, as the small sentence-embedding models have. */
export const builtInEmbedder = { embedder: 'hashed-ngrams-v1', dimension: 384 } as const satisfies EmbedderId;

/** What `msg.embedding` may be: DynamoDB's vector index takes at most 4,096 dimensions. */
export const maxEmbeddingDimension = 4096;

/**
 * How much each kind of feature weighs. Words carry the meaning; bigrams reward the same words in
 * the same order; 3-grams catch inflections and typos ("peanut" / "peanuts") and texts without
 * spaces (Japanese), but are many per word, so each weighs less.
 */
const weights = { word: 1, bigram: 0.7, trigram: 0.35 } as const;

/**
 * 32-bit FNV-1a over the string's UTF-16 code units, from `seed`. Not cryptographic: it only has
 * to spread features over buckets the same way in every process and version of Node.js
 * (`Math.random` or a per-process hash seed would not).
 */
function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final avalanche: FNV's low bits alone depend too little on the last characters for `% dimension`.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

const bucketSeed = 0x811c9dc5;
const signSeed = 0x5bd1e995;

/** Lower case, compatibility forms folded (full-width letters, ligatures), split into words of letters and digits. */
export function words(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * The built-in vector of `text`: deterministic, L2-normalised, `dimension` long. A text with no
 * letters or digits has no features and gives the zero vector, which compares as 0 with everything.
 */
export function embedText(text: string, dimension: number = builtInEmbedder.dimension): Float32Array {
  const vector = new Float32Array(dimension);
  const add = (feature: string, weight: number) => {
    const bucket = fnv1a(feature, bucketSeed) % dimension;
    vector[bucket]! += (fnv1a(feature, signSeed) & 1) === 0 ? weight : -weight;
  };
  const tokens = words(text);
  tokens.forEach((word, i) => {
    // Prefixes keep the three kinds apart: the word "ana" and the 3-gram "ana" are different features.
    add(`w:${word}`, weights.word);
    if (i > 0) add(`b:${tokens[i - 1]} ${word}`, weights.bigram);
    // Padding marks word starts and ends, so "art" in "artist" and in "start" differ.
    const padded = ` ${word} `;
    // By code point, so a character outside the BMP (an emoji, a rare kanji) is one character.
    const chars = [...padded];
    for (let j = 0; j + 3 <= chars.length; j++) add(`c:${chars.slice(j, j + 3).join('')}`, weights.trigram);
  });
  return normalised(vector);
}

/** The vector scaled to length 1 (in place); the zero vector stays zero. */
function normalised(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const x of vector) sum += x * x;
  if (sum === 0) return vector;
  const inverse = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i]! *= inverse;
  return vector;
}

/**
 * A float32 vector as DynamoDB numbers: nine significant digits tell every float32 value apart, and
 * a number is billed by its digits (about one byte per two), so this is about half of what the
 * seventeen digits of its double would cost, and the vector index keeps float32 anyway.
 */
export function float32Numbers(vector: Float32Array): number[] {
  return Array.from(vector, (value) => Number(value.toPrecision(9)));
}

/** The built-in embedding of `text`, with its embedder id. */
export function builtInEmbedding(text: string): Embedding {
  return { ...builtInEmbedder, vector: embedText(text, builtInEmbedder.dimension) };
}

/**
 * `value` as an embedding a flow gave (`msg.embedding`): an array of 1 to 4,096 finite numbers, not
 * all 0 (a zero vector has no direction, so no cosine). `field` names it in the error, e.g.
 * `embedding` or `embedding[2]` for the third record of a `remember` of an array. Nothing is
 * normalised here: cosine does not need it, and the stored vector is the flow's own.
 */
export function parseEmbedding(value: unknown, field: string, embedder = 'external'): Embedding {
  if (!Array.isArray(value)) throw new MemoryInputError('input.embedding-array', { field, maximum: maxEmbeddingDimension });
  if (value.length < 1 || value.length > maxEmbeddingDimension) {
    throw new MemoryInputError('input.embedding-dimension', { field, dimension: value.length, maximum: maxEmbeddingDimension });
  }
  const vector = new Float32Array(value.length);
  let zero = true;
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i];
    // Also refuses numbers beyond float32's range, which would become Infinity when stored.
    if (typeof x !== 'number' || !Number.isFinite(x) || !Number.isFinite(Math.fround(x))) {
      throw new MemoryInputError('input.embedding-number', { field, index: i });
    }
    vector[i] = x;
    if (vector[i] !== 0) zero = false;
  }
  if (zero) throw new MemoryInputError('input.embedding-zero', { field });
  return { embedder, dimension: value.length, vector };
}

/**
 * Refuses comparing a query with stored vectors of another embedder or dimension: their cosine
 * would be a number, but a meaningless one, and a recall would quietly return noise.
 */
export function assertSameEmbedder(stored: EmbedderId, query: EmbedderId): void {
  if (stored.embedder !== query.embedder || stored.dimension !== query.dimension) {
    throw new MemoryInputError('input.embedder-mismatch', {
      stored: stored.embedder,
      storedDimension: stored.dimension,
      query: query.embedder,
      queryDimension: query.dimension,
    });
  }
}
