import { ValidationError, type ValidationIssue } from '../core/errors.js';
import { findCredentialShape } from '../inventory/credential-shapes.js';
import { refuseUnsafeText } from '../inventory/free-text-guard.js';
import type { Secret } from '../inventory/secret.js';
import type { StoreCatalog } from '../providers/store-kind.js';
import { parseChangeTicket } from '../rotation/change-ticket.js';
import { REVOCATION_ORDERS, type RevocationOrder } from '../rotation/checklists/emergency-template.js';
import { SEVERITIES, type Severity } from './incident.js';

export const MAX_REASON_LENGTH = 500;
export const MAX_STATUS_UPDATE_LENGTH = 1500;
const MAX_URL_LENGTH = 500;

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

/** How one free-text field of an incident is refused: its field, name and limit, and what each refusal says. */
interface FreeTextRules {
  where: string;
  what: string;
  max: number;
  missing: { message: string; hint: string };
  credential: (shape: string) => { message: string; hint: string };
}

/**
 * Free text an incident records and posts: required, bounded, and never a credential. A refused
 * text is not echoed: a panicked responder may paste the leaked value itself, and it must not be
 * kept, logged or posted anywhere.
 */
function parseIncidentText(text: string | null | undefined, rules: FreeTextRules): string {
  const trimmed = (text ?? '').trim();
  const refuse = (refusal: { message: string; hint: string }): never => {
    throw new ValidationError(refusal.message, [{ where: rules.where, message: refusal.hint }]);
  };
  if (trimmed === '') return refuse(rules.missing);
  if (trimmed.length > rules.max)
    return refuse({ message: `The ${rules.what} is ${trimmed.length} characters long.`, hint: `keep it under ${rules.max} characters` });
  const shape = findCredentialShape(trimmed);
  if (shape) return refuse(rules.credential(shape));
  refuseUnsafeText(trimmed, { where: rules.where, what: rules.what });
  return trimmed;
}

/** The reason `/revoke` was given. */
export function parseReason(text: string | null | undefined): string {
  return parseIncidentText(text, {
    where: 'reason',
    what: 'reason',
    max: MAX_REASON_LENGTH,
    missing: { message: 'Give a reason: what happened, in a few words.', hint: 'say why the secret is revoked' },
    credential: (shape) => ({
      message: `The reason looks like it holds ${shape}. Never paste a secret's value: say where it leaked instead. Nothing was recorded.`,
      hint: `it looks like it holds ${shape}; describe the leak, never paste the value`,
    }),
  });
}

/** A status update on an incident. */
export function parseStatusUpdate(text: string | null | undefined): string {
  return parseIncidentText(text, {
    where: 'update',
    what: 'update',
    max: MAX_STATUS_UPDATE_LENGTH,
    missing: { message: 'Write the status update.', hint: 'say where the incident stands' },
    credential: (shape) => ({
      message: `The update looks like it holds ${shape}; nothing was posted.`,
      hint: `it looks like it holds ${shape}: never paste a secret's value`,
    }),
  });
}

/**
 * Why a responder closes an incident while the compromised version is still live (optional:
 * null when not given). Recorded in the timeline and the audit log and posted, so it is held to
 * the same rules as every other free text: bounded, and never a credential.
 */
export function parseOverrideReason(text: string | null | undefined): string | null {
  if ((text ?? '').trim() === '') return null;
  return parseIncidentText(text, {
    where: 'override',
    what: 'override reason',
    max: MAX_REASON_LENGTH,
    missing: { message: 'Give the reason to close anyway.', hint: 'say why the incident closes with the version live' },
    credential: (shape) => ({
      message: `The override reason looks like it holds ${shape}. Never paste a secret's value: say why the incident may close instead. Nothing was recorded.`,
      hint: `it looks like it holds ${shape}; never paste a secret's value`,
    }),
  });
}

/** The postmortem's link, which closing an incident records: an http(s) URL. */
export function parsePostmortemUrl(text: string | null | undefined): string {
  const url = (text ?? '').trim();
  const refuse = (message: string): never => {
    throw new ValidationError(`The postmortem link ${message}`, [{ where: 'postmortem', message: message.replace(/\.$/, '') }]);
  };
  if (url === '') return refuse('is required: closing an incident records where its postmortem is.');
  if (url.length > MAX_URL_LENGTH) return refuse(`is ${url.length} characters long; at most ${MAX_URL_LENGTH}.`);
  if (!/^https?:\/\/[^\s<>"|]+$/.test(url)) return refuse('must be an http:// or https:// URL, such as the postmortem document or ticket.');
  refuseUnsafeText(text ?? '', { where: 'postmortem', what: 'postmortem link' });
  refuseUnsafeText(url, { where: 'postmortem', what: 'postmortem link' }, { url: true });
  return url;
}

/**
 * Checks the confirmation form against the secret it revokes: the name typed exactly, a
 * severity, a ticket id or URL if any, the order of disabling, and destroy only for Vault. Every
 * problem is reported on its field at once.
 */
export function parseRevocation(
  secret: Secret,
  reasonText: string | null,
  input: RevocationInput,
  stores: StoreCatalog,
): RevocationRequest {
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
    issues.push({
      where: 'confirm',
      message: typed === '' ? `type ${secret.name} to confirm` : `that is not the secret's name; type ${secret.name} exactly`,
    });
  }
  const severity = SEVERITIES.find((candidate) => candidate === input.severity) ?? null;
  if (!severity) issues.push({ where: 'severity', message: `choose one of ${SEVERITIES.join(', ')}` });
  const order = REVOCATION_ORDERS.find((candidate) => candidate === (input.order ?? 'replace_then_disable')) ?? null;
  if (!order) issues.push({ where: 'order', message: 'choose replace, then disable, or disable now' });
  const ticketText = (input.ticket ?? '').trim();
  const ticket = ticketText === '' ? null : collect(() => parseChangeTicket(ticketText));
  if (input.destroy && !stores.of(secret.provider).capabilities.destroy) {
    const destroyers = stores.kinds.filter((kind) => kind.capabilities.destroy).map((kind) => kind.label);
    issues.push({
      where: 'destroy',
      message: `destroying a version is for ${destroyers.join(' or ')}; ${secret.name} is in ${secret.provider}`,
    });
  }
  if (issues.length > 0 || reason === null || severity === null || order === null) {
    throw new ValidationError(
      `The revocation of ${secret.name} was not confirmed: ${issues.map((issue) => `${issue.where}: ${issue.message}`).join('; ')}.`,
      issues,
    );
  }
  return { reason, severity, ticket, order, destroy: input.destroy };
}
