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

/**
 * BPE takes time quadratic in the length of one word: a 400 KB run without a space would block the
 * runtime for minutes. Text is therefore tokenized in pieces of at most this many characters, cut
 * before a space that starts a word (where the tokenizer splits anyway), else anywhere, which can
 * count a token more at such a cut.
 */
const maxPiece = 2000;

function pieces(text: string): string[] {
  const result: string[] = [];
  let start = 0;
  while (text.length - start > maxPiece) {
    const window = text.slice(start, start + maxPiece);
    // The last single space between two non-spaces: the tokenizer starts a word there anyway.
    let cut = /^[^]*\S(?= \S)/.exec(window)?.[0].length ?? maxPiece;
    // Never between the two halves of a surrogate pair.
    if (/[\ud800-\udbff]/.test(window[cut - 1]!)) cut--;
    result.push(window.slice(0, cut));
    start += cut;
  }
  return [...result, text.slice(start)];
}

export function countTokens(text: string, encoding: Encoding = 'o200k_base'): number {
  if (text === '') return 0;
  const t = tokenizer(encoding);
  return pieces(text).reduce((sum, piece) => sum + t.countTokens(piece), 0);
}

function encode(text: string, encoding: Encoding): number[] {
  const t = tokenizer(encoding);
  return pieces(text).flatMap((piece) => t.encode(piece));
}

/** The longest start of `text` that is at most `limit` tokens. */
export function truncateToTokens(text: string, limit: number, encoding: Encoding = 'o200k_base'): string {
  if (limit <= 0) return '';
  const tokens = encode(text, encoding);
  if (tokens.length <= limit) return text;
  let cut = tokenizer(encoding).decode(tokens.slice(0, limit));
  // A cut inside a multi-byte character decodes to U+FFFD; drop it, and re-check the count.
  cut = cut.replace(/\uFFFD+$/u, '');
  while (cut !== '' && countTokens(cut, encoding) > limit) cut = cut.slice(0, -1);
  return cut;
}

/** Content as the text a model reads: strings as they are, structured content as JSON. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  return JSON.stringify(content);
}
