import type { LoginCheck, LoginCredential } from '../targets/credential-target.js';
import type { TargetDescription } from '../targets/target-description.js';
import type { CheckResult } from './check-result.js';
import { describeCheck, type CheckSpec } from './check-spec.js';
import { getStatus } from './http-check.js';

/** What the checks of one step run need: the time, the new credential for one call, and a login at a database or Redis. */
export interface CheckContext {
  at: string;
  attempt: number;
  step: string;
  /** Lends the new version's login (its `username` and password field) to `use`, for that call only. */
  withLogin<T>(use: (credential: LoginCredential) => Promise<T>): Promise<T>;
  /** A fresh login as `credential` and a trivial command (SELECT 1; AUTH + PING). */
  verifyLogin(target: TargetDescription, credential: LoginCredential): Promise<LoginCheck>;
}

/** Runs every check one after the other (they are few) and returns each one's result; a check never throws. */
export async function runChecks(specs: readonly CheckSpec[], context: CheckContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const spec of specs) results.push(await runCheck(spec, context));
  return results;
}

async function runCheck(spec: CheckSpec, context: CheckContext): Promise<CheckResult> {
  const { what, where } = describeCheck(spec);
  const base = { what, where, at: context.at, attempt: context.attempt, step: context.step };
  if (spec.kind === 'http') {
    const answer = await getStatus(spec.url, spec.timeoutSeconds);
    if (answer.kind === 'no_answer') return { ...base, outcome: 'failed', latencyMs: answer.latencyMs, detail: answer.why };
    const passed = answer.status === spec.expectStatus;
    return {
      ...base,
      outcome: passed ? 'passed' : 'failed',
      latencyMs: answer.latencyMs,
      detail: passed ? `answered ${answer.status}` : `answered ${answer.status}, expected ${spec.expectStatus}`,
    };
  }
  try {
    const check = await withinSeconds(
      spec.timeoutSeconds,
      context.withLogin(async (credential) => context.verifyLogin(loginTarget(spec, credential.username), credential)),
    );
    if (check === null)
      return { ...base, outcome: 'failed', latencyMs: null, detail: `no answer within ${spec.timeoutSeconds} s (timed out)` };
    return {
      ...base,
      outcome: 'passed',
      latencyMs: check.latencyMs,
      detail: spec.kind === 'postgres' ? 'logged in, SELECT 1 returned 1' : 'AUTH accepted, PONG',
    };
  } catch (error) {
    // Target errors name the place and the login, never the password (src/targets/target-error.ts).
    return { ...base, outcome: 'failed', latencyMs: null, detail: error instanceof Error ? error.message.slice(0, 300) : 'failed' };
  }
}

/** The place a login check logs in at, as a credential target with that one login. */
function loginTarget(spec: Exclude<CheckSpec, { kind: 'http' }>, username: string): TargetDescription {
  const endpoint = { host: spec.host, port: spec.port, tls: spec.tls, managingSecretRef: null };
  return spec.kind === 'postgres'
    ? { engine: 'postgres', ...endpoint, database: spec.database, roles: { strategy: 'single-user', role: username } }
    : { engine: 'redis', ...endpoint, user: username };
}

/** The promise's value, or null once `seconds` have passed without it. */
async function withinSeconds<T>(seconds: number, promise: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), seconds * 1000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
