/**
 * Token counts with a real tokenizer (OpenAI's o200k_base by default, or cl100k_base, via
 * gpt-tokenizer). Its tables are large, so each loads on first use, not when Node-RED loads the pack.
 */
type Counter = (text: string) => number;
interface Tokenizer {
  countTokens: Counter;
  encode: (text: string) => number[];
  decode: (tokens: number[]) => string;
}

export const encodings = ['o200k_base', 'cl100k_base'] as const;
export type Encoding = (typeof encodings)[number];

const loaded: Partial<Record<Encoding, Tokenizer>> = {};

function tokenizer(encoding: Encoding): Tokenizer {
  // Literal paths, so bundlers and the tarball test see them.
  loaded[encoding] ??= encoding === 'cl100k_base'
    ? (require('gpt-tokenizer/encoding/cl100k_base') as Tokenizer)
    : (require('gpt-tokenizer/encoding/o200k_base') as Tokenizer);
  return loaded[encoding]!;
}

export function countTokens(text: string, encoding: Encoding = 'o200k_base'): number {
  return text === '' ? 0 : tokenizer(encoding).countTokens(text);
}

/** The longest start of `text` that is at most `limit` tokens. */
export function truncateToTokens(text: string, limit: number, encoding: Encoding = 'o200k_base'): string {
  if (limit <= 0) return '';
  const t = tokenizer(encoding);
  const tokens = t.encode(text);
  if (tokens.length <= limit) return text;
  let cut = t.decode(tokens.slice(0, limit));
  // A cut inside a multi-byte character decodes to U+FFFD; drop it, and re-check the count.
  cut = cut.replace(/\uFFFD+$/u, '');
  while (cut !== '' && t.countTokens(cut) > limit) cut = cut.slice(0, -1);
  return cut;
}

/** Content as the text a model reads: strings as they are, structured content as JSON. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  return JSON.stringify(content);
}
