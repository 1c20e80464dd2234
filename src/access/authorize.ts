import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { RotorError } from '../core/errors.js';
import { decide, type AccessRequest, type HolderGroup } from './permissions.js';

/** A refusal: what was refused and who may do it instead. */
export class AccessDeniedError extends RotorError {
  readonly reason: string;
  readonly whoMay: readonly HolderGroup[];

  constructor(reason: string, whoMay: readonly HolderGroup[]) {
    super('forbidden', reason);
    this.name = 'AccessDeniedError';
    this.reason = reason;
    this.whoMay = whoMay;
  }
}

/**
 * Asks `decide` and, on a refusal, records it in the audit log (who tried what on which
 * secret) before throwing. Every surface that changes or starts anything calls this first.
 */
export function authorize(policy: Policy, audit: AuditLog, request: AccessRequest): void {
  const decision = decide(policy, request);
  if (decision.allowed) return;
  audit.log({
    actor: request.actor,
    action: 'access.denied',
    secret: request.secret?.name ?? null,
    details: { attempted: request.action, reason: decision.reason, channel: request.channelId },
  });
  throw new AccessDeniedError(decision.reason, decision.whoMay);
}
