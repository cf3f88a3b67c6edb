/** The ratio table on stdout and the figures as JSON under bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Row {
  case: string;
  ours: string;
  raw: string;
  ratio: number | undefined;
  target: string;
  /** undefined: no target on this row (information only). */
  pass: boolean | undefined;
}

export const ms = (v: number) => `${v.toFixed(2)} ms`;

export function row(name: string, ours: string, raw: string, ratio: number | undefined, target?: { max?: number; min?: number }): Row {
  let pass: boolean | undefined;
  let targetText = '—';
  if (target && ratio !== undefined) {
    if (target.max !== undefined) { pass = ratio <= target.max; targetText = `≤ ${target.max.toFixed(2)}`; }
    if (target.min !== undefined) { pass = ratio >= target.min; targetText = `≥ ${target.min.toFixed(2)}`; }
  }
  return { case: name, ours, raw, ratio, target: targetText, pass };
}

export function table(rows: Row[]): string {
  const cells = rows.map((r) => [
    r.case, r.ours, r.raw, r.ratio === undefined ? '—' : r.ratio.toFixed(2), r.target, r.pass === undefined ? '—' : r.pass ? 'pass' : 'MISS',
  ]);
  const header = ['case', 'ours', 'raw', 'ratio', 'target', 'pass/miss'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => '| ' + c.map((v, i) => v.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.map(line)].join('\n');
}

export function writeResults(dir: string, mode: string, data: unknown): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${mode}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}
