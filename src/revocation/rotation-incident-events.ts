import type { AuditEventInput } from '../audit/audit-event.js';
import { SLACK_USER_ID } from '../inventory/secret.js';
import type { RotationRecord } from '../rotation/rotation.js';

/** An incident event to record: what the timeline, the thread and the evidence show. */
export interface NewIncidentEvent {
  actor: string;
  kind: string;
  /** Makes the same event recorded twice land once. */
  key: string;
  /** Plain text; people appear by Slack user id and are listed in `details.people`. */
  summary: string;
  details?: Record<string, unknown>;
}

/** Kinds kept in the timeline but not posted in the thread (a provider still working, say). */
export const QUIET_EVENT_KINDS: ReadonlySet<string> = new Set(['step_waiting']);

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** The Slack users an event names, so views can mention them (CLI actors and `rotor` are not people). */
export function peopleOf(...ids: (string | null | undefined)[]): string[] {
  return [...new Set(ids.filter((id): id is string => typeof id === 'string' && SLACK_USER_ID.test(id)))];
}

/**
 * The incident's view of one change to its emergency rotation: each rotation audit event becomes
 * a timeline event, keyed by the rotation's version so a change is recorded once.
 */
export function incidentEventsOf(record: RotationRecord, events: readonly AuditEventInput[]): NewIncidentEvent[] {
  const { rotation } = record;
  return events.flatMap((event, index): NewIncidentEvent[] => {
    const details = (event.details ?? {}) as Record<string, unknown>;
    const key = `rotation:${rotation.id}:v${rotation.version}:${index}`;
    const title = str(details.title) ?? str(details.step) ?? 'a step';
    const base = {
      actor: event.actor,
      key,
      details: {
        rotation: rotation.id,
        ...pick(details, ['step', 'action', 'versionId', 'replacementVersionId', 'previousVersionId', 'error', 'reason', 'note']),
        people: peopleOf(event.actor),
      },
    };
    switch (event.action) {
      case 'rotation.started':
        return [
          {
            ...base,
            kind: 'rotation_started',
            summary: `Emergency rotation #${rotation.id} started with the emergency checklist (${record.steps.length} steps); break-glass: no approvals wait, security signs it off afterwards.`,
          },
        ];
      case 'rotation.step_done': {
        // The step's result is spread into the event, so `action` names what the provider did.
        if (details.step === 'disable_compromised') {
          const how = DISABLED_HOW[String(details.action)] ?? 'by hand';
          return [
            {
              ...base,
              kind: 'disabled',
              summary: `${event.actor} disabled the compromised version${str(details.versionId) ? ` ${String(details.versionId)}` : ''}: ${how}.`,
            },
          ];
        }
        const version = str(details.versionId);
        const note = str(details.note);
        return [
          {
            ...base,
            kind: 'step_done',
            summary: `${event.actor} did “${title}”${version ? ` (version ${version})` : ''}${note ? `: ${note}` : ''}.`,
          },
        ];
      }
      case 'rotation.step_failed':
        return [{ ...base, kind: 'step_failed', summary: `“${title}” failed: ${str(details.error) ?? 'no reason given'}` }];
      case 'rotation.step_skipped':
        return [{ ...base, kind: 'step_skipped', summary: `${event.actor} skipped “${title}”: ${str(details.reason) ?? ''}` }];
      case 'rotation.step_waiting':
        return [{ ...base, kind: 'step_waiting', summary: `“${title}”: waiting for the provider.` }];
      case 'rotation.taken_over':
        return [
          {
            ...base,
            kind: 'rotation_taken_over',
            summary: `${event.actor} took over the emergency rotation from ${str(details.from) ?? 'its holder'}.`,
            details: { ...base.details, people: peopleOf(event.actor, str(details.from)) },
          },
        ];
      case 'rotation.completed':
        return [
          {
            ...base,
            kind: 'rotation_completed',
            summary: `${event.actor} completed the emergency rotation: version ${rotation.newVersionId ?? '—'} is current.`,
          },
        ];
      case 'rotation.abandoned':
        return [
          { ...base, kind: 'rotation_abandoned', summary: `${event.actor} abandoned the emergency rotation: ${str(details.reason) ?? ''}` },
        ];
      default:
        return [];
    }
  });
}

const DISABLED_HOW: Readonly<Record<string, string>> = {
  labels_removed: 'every staging label removed at AWS',
  soft_deleted: 'soft-deleted in Vault',
  disabled: 'disabled in Google Secret Manager',
  destroyed: 'destroyed in Vault',
};

function pick(details: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => details[key] !== undefined).map((key) => [key, details[key]]));
}
