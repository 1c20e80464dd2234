import type { SyncFinding, SyncReport } from './sync-service.js';

/** The sync report as lines of text, for the CLI and the announcement channel alike. */
export function renderSyncReport(report: SyncReport): string[] {
  const verb = report.dryRun ? 'would record' : 'recorded';
  const lines = [
    `Checked ${report.checked} provider-backed secret${report.checked === 1 ? '' : 's'}${report.dryRun ? ' (dry run: nothing written)' : ''}.`,
  ];
  const section = (title: string, findings: SyncFinding[]) => {
    if (findings.length === 0) return;
    lines.push(`${title}:`);
    for (const finding of findings) lines.push(`  ${finding.secret}: ${finding.message}`);
  };
  section(`Rotations outside Rotor (${verb})`, report.rotations);
  section(`Current versions (${verb})`, report.baselines);
  section('References that no longer resolve', report.unresolved);
  section('Drift', report.drift);
  section('Not checked this time', report.failures);
  if (lines.length === 1) lines.push('Everything matches.');
  return lines;
}
