import { describeError } from '../core/errors.js';
import type { StoreBinding } from '../providers/store-binding.js';
import { describeEndpoint, strategyLine, type TargetDescription } from '../targets/target-description.js';
import type { PreflightCheck } from './rotation.js';
import type { TargetAccess } from './steps/target-access.js';

/** The preflight's findings about a secret's target, and the target when it names one. */
export interface TargetFindings {
  target: TargetDescription | null;
  checks: PreflightCheck[];
}

/**
 * Before anything changes: the target the secret names, the managing credential read from the
 * store logs in and may change the target's logins, the logins exist (and, alternating, share
 * their group role), and the current value names one of them. Each problem blocks the start
 * with what to run to fix it; nothing is changed at the target or the store.
 */
export async function targetPreflight(targets: TargetAccess, bound: StoreBinding, passwordField: string): Promise<TargetFindings> {
  let target: TargetDescription | null;
  try {
    target = await targets.targetOf(bound);
  } catch (error) {
    return { target: null, checks: [{ check: 'target', status: 'blocking', message: describeError(error) }] };
  }
  if (!target) return { target: null, checks: [] };
  const checks: PreflightCheck[] = [
    { check: 'target', status: 'ok', message: `Rotor sets it at ${describeEndpoint(target)} (TLS ${target.tls}). ${strategyLine(target)}` },
  ];
  try {
    const report = await targets.withManaging(bound, target, (managing) => targets.engine(target).preflight(target, managing));
    for (const problem of report.problems)
      checks.push({
        check: `target_${problem.check}`,
        status: 'blocking',
        message: problem.fix ? `${problem.message} Fix: ${problem.fix.split('\n').join(' ')}` : problem.message,
      });
    for (const warning of report.warnings) checks.push({ check: `target_${warning.check}`, status: 'warning', message: warning.message });
    await targets.alongside(bound, passwordField);
    await targets.withCredential(bound, null, target, passwordField, async () => undefined);
  } catch (error) {
    checks.push({ check: 'target_access', status: 'blocking', message: describeError(error) });
  }
  return { target, checks };
}
