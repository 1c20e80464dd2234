import { ValidationError, type ValidationIssue } from '../core/errors.js';
import { findCredentialShape } from '../inventory/credential-shapes.js';
import type { Secret } from '../inventory/secret.js';
import { parseChangeTicket } from '../rotation/change-ticket.js';
import { REVOCATION_ORDERS, type RevocationOrder } from '../rotation/emergency-template.js';
import { SEVERITIES, type Severity } from './incident.js';

export const MAX_REASON_LENGTH = 500;

/** What the confirmation form carries, as typed or chosen. */
export interface RevocationInput {
  /** The secret's full name, typed again to confirm. */
  confirmName: string | null;
  severity: string | null;
  ticket: string | null;
  order: string | null;
  destroy: boolean;
}

/** A confirmed revocation, every field checked. */
export interface RevocationRequest {
  reason: string;
  severity: Severity;
  ticket: string | null;
  order: RevocationOrder;
  destroy: boolean;
}

/**
 * Checks the reason `/revoke` was given. Never echoed when refused: a panicked responder may
 * paste the leaked value itself, and it must not be kept, logged or posted anywhere.
 */
export function parseReason(text: string | null | undefined): string {
  const reason = (text ?? '').trim();
  if (reason === '') throw new ValidationError('Give a reason: what happened, in a few words.', [{ where: 'reason', message: 'say why the secret is revoked' }]);
  if (reason.length > MAX_REASON_LENGTH) {
    throw new ValidationError(`The reason is ${reason.length} characters long.`, [{ where: 'reason', message: `keep it under ${MAX_REASON_LENGTH} characters` }]);
  }
  const shape = findCredentialShape(reason);
  if (shape) {
    throw new ValidationError(`The reason looks like it holds ${shape}. Never paste a secret's value: say where it leaked instead. Nothing was recorded.`, [
      { where: 'reason', message: `it looks like it holds ${shape}; describe the leak, never paste the value` },
    ]);
  }
  return reason;
}

/**
 * Checks the confirmation form against the secret it revokes: the name typed exactly, a
 * severity, a ticket id or URL if any, the order of disabling, and destroy only for Vault. Every
 * problem is reported on its field at once.
 */
export function parseRevocation(secret: Secret, reasonText: string | null, input: RevocationInput): RevocationRequest {
  const issues: ValidationIssue[] = [];
  const collect = <T>(parse: () => T): T | null => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues);
      return null;
    }
  };
  const reason = collect(() => parseReason(reasonText));
  const typed = (input.confirmName ?? '').trim();
  if (typed !== secret.name) {
    issues.push({ where: 'confirm', message: typed === '' ? `type ${secret.name} to confirm` : `that is not the secret's name; type ${secret.name} exactly` });
  }
  const severity = SEVERITIES.find((candidate) => candidate === input.severity) ?? null;
  if (!severity) issues.push({ where: 'severity', message: `choose one of ${SEVERITIES.join(', ')}` });
  const order = REVOCATION_ORDERS.find((candidate) => candidate === (input.order ?? 'replace_then_disable')) ?? null;
  if (!order) issues.push({ where: 'order', message: 'choose replace, then disable, or disable now' });
  const ticketText = (input.ticket ?? '').trim();
  const ticket = ticketText === '' ? null : collect(() => parseChangeTicket(ticketText));
  if (input.destroy && secret.provider !== 'vault') issues.push({ where: 'destroy', message: `destroying a version is for Vault; ${secret.name} is in ${secret.provider}` });
  if (issues.length > 0 || reason === null || severity === null || order === null) {
    throw new ValidationError(`The revocation of ${secret.name} was not confirmed: ${issues.map((issue) => `${issue.where}: ${issue.message}`).join('; ')}.`, issues);
  }
  return { reason, severity, ticket, order, destroy: input.destroy };
}
