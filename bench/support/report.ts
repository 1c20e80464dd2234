/** Figures, their statistics, the printed table and bench/results.json. */
import { writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

export interface Figure {
  section: string;
  label: string;
  unit: 'ms' | 'MB' | 'req/s' | 'msg/min' | 'count';
  /** Null while the thing measured does not exist yet. */
  rotor: number | null;
  /** What the same work costs at its floor (bare Bolt, a raw query, a raw insert), measured in the same run. */
  floor: number | null;
  /** Rotor / floor. */
  ratio: number | null;
  /** The target for this figure, in words. */
  target?: string;
  met?: boolean;
  note?: string;
}

export function figure(fields: Omit<Figure, 'ratio'> & { ratio?: number | null }): Figure {
  const ratio =
    fields.ratio !== undefined
      ? fields.ratio
      : fields.rotor !== null && fields.floor !== null && fields.floor > 0
        ? fields.rotor / fields.floor
        : null;
  return { ...fields, ratio };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function machine(): { cpus: number; model: string; memoryGiB: number; node: string; kernel: string } {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    kernel: release(),
  };
}

function show(value: number | null, unit: Figure['unit']): string {
  if (value === null || Number.isNaN(value)) return '—';
  const digits = unit === 'ms' && value < 10 ? 2 : unit === 'ms' && value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${unit}`;
}

/** The table as Markdown, so the same text goes to the terminal and into the README. */
export function renderTable(figures: readonly Figure[]): string {
  const lines = ['| figure | Rotor | floor | ratio | target | met |', '|---|---:|---:|---:|---|:-:|'];
  for (const item of figures) {
    const ratio = item.ratio === null || Number.isNaN(item.ratio) ? '—' : `${item.ratio.toFixed(2)}×`;
    const met = item.met === undefined ? '' : item.met ? 'yes' : '**no**';
    const label = item.note ? `${item.label} (${item.note})` : item.label;
    lines.push(`| ${label} | ${show(item.rotor, item.unit)} | ${show(item.floor, item.unit)} | ${ratio} | ${item.target ?? ''} | ${met} |`);
  }
  return lines.join('\n');
}

export function writeResults(
  path: string,
  results: { startedAt: string; durationS: number; figures: readonly Figure[]; details: Record<string, unknown> },
): void {
  writeFileSync(path, `${JSON.stringify({ ...results, machine: machine() }, null, 2)}\n`);
}
