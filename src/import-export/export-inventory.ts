import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { stringify as stringifyYaml } from 'yaml';
import { neutralizeCell } from '../core/spreadsheet-cells.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { Secret } from '../inventory/secret.js';

export const EXPORT_FORMATS = ['yaml', 'json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Export columns, in order; each is a key `rotor import` reads back (and the names it lists as accepted). */
export const INVENTORY_COLUMNS = [
  'name',
  'type',
  'description',
  'owner',
  'backup_owner',
  'team',
  'consumers',
  'provider',
  'provider_ref',
  'interval_days',
  'last_rotated',
  'next_rotation',
  'status',
  'retrieval_instructions',
  'tags',
  'checklist',
  'value_source',
  'value_field',
  'access',
  'break_glass',
  'target',
] as const;

type ExportRecord = Partial<Record<(typeof INVENTORY_COLUMNS)[number], unknown>>;

function toRecord(secret: Secret): ExportRecord {
  const record: ExportRecord = {
    name: secret.name,
    type: secret.type,
    description: secret.description,
    owner: secret.owner,
    backup_owner: secret.backupOwner,
    team: secret.team,
    consumers: secret.consumers.length > 0 ? secret.consumers : null,
    access: secret.access.length > 0 ? secret.access : null,
    break_glass: secret.breakGlass ? true : null,
    provider: secret.provider,
    provider_ref: secret.providerRef,
    interval_days: secret.intervalDays,
    last_rotated: secret.lastRotated,
    // Only a never-rotated secret's due date is information; otherwise it is derived.
    next_rotation: secret.lastRotated === null ? secret.nextRotation : null,
    status: secret.lifecycle,
    retrieval_instructions: secret.retrievalInstructions,
    tags: Object.keys(secret.tags).length > 0 ? secret.tags : null,
    checklist: secret.checklistOverride,
    value_source: secret.valueSource,
    value_field: secret.valueField,
    target: secret.target,
  };
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null)) as ExportRecord;
}

/** The whole inventory in a format `rotor import` reads back to the same inventory. */
export function exportInventory(repo: InventoryRepo, format: ExportFormat): string {
  const records = Array.from(repo.iterateAll(), toRecord);
  switch (format) {
    case 'json':
      return `${JSON.stringify({ secrets: records }, null, 2)}\n`;
    case 'yaml':
      return stringifyYaml({ secrets: records }, { lineWidth: 0 });
    case 'csv':
      return stringifyCsv(
        records.map((record) => INVENTORY_COLUMNS.map((column) => csvCell(record[column]))),
        { header: true, columns: [...INVENTORY_COLUMNS] },
      );
  }
}

/** Lists and maps go into CSV as JSON, so commas inside them survive the round trip; no cell can run as a formula. */
function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return neutralizeCell(JSON.stringify(value));
  return neutralizeCell(String(value));
}
