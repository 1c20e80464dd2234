import { RotorError, ValidationError } from '../../core/errors.js';
import type { Secret } from '../../inventory/secret.js';
import type { ProviderOperationsService } from '../../providers/provider-operations-service.js';
import type { StoreBinding } from '../../providers/store-binding.js';
import type { CredentialTarget, LoginCredential } from '../../targets/credential-target.js';
import { describeEndpoint, inactiveRole, type TargetDescription, type TargetEngine } from '../../targets/target-description.js';
import { TargetError } from '../../targets/target-error.js';
import { parseInventoryTarget, parseSecretValueTarget } from '../../targets/target-parsing.js';

/** The credential target of each engine (src/targets/postgres, src/targets/redis), given by the runtime. */
export type CredentialTargets = { readonly [Engine in TargetEngine]: CredentialTarget<Extract<TargetDescription, { engine: Engine }>> };

/** The field of a secret's JSON value that holds the login name (AWS's convention). */
const USERNAME_FIELD = 'username';

/**
 * What the target steps of a rotation need, whatever the store: where the credential is used
 * (the inventory's `target`, else the secret's JSON value in AWS's convention), the managing
 * credential read from its store at the moment it is needed, and the login a version names.
 * Values pass through memory inside one store call and one target call; none is returned.
 */
export class TargetAccess {
  constructor(
    private readonly deps: {
      operations: ProviderOperationsService;
      /** Null: none configured (a service made without the runtime); a target step then says so. */
      engines: CredentialTargets | null;
      secretOf(name: string): Pick<Secret, 'target'> | null;
    },
  ) {}

  engine(target: TargetDescription): CredentialTarget {
    if (!this.deps.engines)
      throw new RotorError('config', `This Rotor has no credential targets configured, so it cannot reach ${describeEndpoint(target)}.`);
    return this.deps.engines[target.engine] as CredentialTarget;
  }

  /**
   * The secret's target: its inventory `target`, else the target its current JSON value
   * describes when the value carries an `engine`; null when it names none.
   */
  async targetOf(bound: StoreBinding): Promise<TargetDescription | null> {
    const setting = this.deps.secretOf(bound.name)?.target ?? null;
    if (setting) return parseInventoryTarget(setting);
    if (!this.deps.operations.lendsValues(bound)) return null;
    return this.deps.operations.lendValue(bound, null, async (text) => (namesEngine(text) ? parseSecretValueTarget(text) : null));
  }

  async requireTarget(bound: StoreBinding): Promise<TargetDescription> {
    const target = await this.targetOf(bound);
    if (!target)
      throw new RotorError(
        'validation',
        `${bound.name} names no target: set one with \`rotor edit ${bound.name} --target '{…}'\` or put engine, host and username in its JSON value.`,
      );
    return target;
  }

  /**
   * Lends the managing credential (a JSON value with `username` and `password`, AWS's
   * `masterarn` convention) to `use`, read from the rotated secret's store at this moment.
   */
  async withManaging<T>(bound: StoreBinding, target: TargetDescription, use: (managing: LoginCredential) => Promise<T>): Promise<T> {
    const ref = target.managingSecretRef;
    if (!ref)
      throw new TargetError(
        'managing_refused',
        `The target of ${bound.name} (${describeEndpoint(target)}) names no managing credential: add \`managing_ref\` (the store reference of a secret holding the managing login's username and password) to its target, or \`masterarn\` to its JSON value.`,
      );
    const managing: StoreBinding = { name: ref, provider: bound.provider, providerRef: ref };
    try {
      return await this.deps.operations.lendValue(managing, null, (text) =>
        use(loginOf(text, `The managing credential ${ref}`, 'password')),
      );
    } catch (error) {
      if (error instanceof RotorError && error.code === 'not_found')
        throw new TargetError(
          'managing_refused',
          `The managing credential of ${bound.name}, ${ref}, is not in the store (${error.message}): create it, or correct \`managing_ref\`.`,
          { cause: error },
        );
      throw error;
    }
  }

  /** Lends the login a version of the secret names: its `username` (or the target's one login) and the value field's password. */
  withCredential<T>(
    bound: StoreBinding,
    versionId: string | null,
    target: TargetDescription,
    passwordField: string,
    use: (credential: LoginCredential) => Promise<T>,
  ): Promise<T> {
    return this.deps.operations.lendValue(bound, versionId, (text) =>
      use(credentialOf(text, target, passwordField, `Version ${versionId ?? 'current'} of ${bound.name}`)),
    );
  }

  /** The login a version names, read without its password (login names are not secret). */
  loginIn(bound: StoreBinding, versionId: string | null, target: TargetDescription, passwordField: string): Promise<string> {
    return this.withCredential(bound, versionId, target, passwordField, async (credential) => credential.username);
  }

  /**
   * What else the new version must say beside its password: with alternating PostgreSQL roles,
   * the `username` of the role that is inactive now (the current value names the active one).
   */
  async alongside(bound: StoreBinding, passwordField: string): Promise<Record<string, string> | undefined> {
    const target = await this.targetOf(bound);
    if (!target || target.engine !== 'postgres' || target.roles.strategy !== 'alternating-users') return undefined;
    const active = await this.loginIn(bound, null, target, passwordField);
    return { [USERNAME_FIELD]: inactiveRole(target.roles.roles, active) };
  }
}

const accessByDeps = new WeakMap<object, TargetAccess>();

/**
 * The rotation service's TargetAccess: the one the runtime gave it (with the credential targets),
 * else one over its inventory that reads targets but reaches none, made once per service.
 */
export function targetAccessOf(deps: {
  targets?: TargetAccess;
  operations: ProviderOperationsService;
  inventory: { get(name: string): Pick<Secret, 'target'> | undefined | null };
}): TargetAccess {
  if (deps.targets) return deps.targets;
  let access = accessByDeps.get(deps);
  if (!access) {
    access = new TargetAccess({
      operations: deps.operations,
      engines: null,
      secretOf: (name) => deps.inventory.get(name) ?? null,
    });
    accessByDeps.set(deps, access);
  }
  return access;
}

function namesEngine(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'engine' in parsed;
  } catch {
    return false;
  }
}

function fieldsOf(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which is the secret: not kept.
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ValidationError(`${what} is not a JSON object, so it names no login to set at the target.`, [
      { where: 'value', message: 'expected a JSON object with username and password (AWS convention)' },
    ]);
  return parsed as Record<string, unknown>;
}

function stringField(fields: Record<string, unknown>, name: string, what: string): string {
  const value = fields[name];
  if (typeof value !== 'string' || value.length === 0)
    throw new ValidationError(`${what} is not the JSON shape the target needs.`, [
      { where: name, message: `must be a non-empty string (the ${name === USERNAME_FIELD ? 'login name' : 'password'})` },
    ]);
  return value;
}

function loginOf(text: string, what: string, passwordField: string): LoginCredential {
  const fields = fieldsOf(text, what);
  return { username: stringField(fields, USERNAME_FIELD, what), password: stringField(fields, passwordField, what) };
}

/** The login of a version: a PostgreSQL role named by `username` (one of the target's), or the target's one login. */
function credentialOf(text: string, target: TargetDescription, passwordField: string, what: string): LoginCredential {
  const fields = fieldsOf(text, what);
  const password = stringField(fields, passwordField, what);
  let login: string;
  if (target.engine === 'redis') login = target.user;
  else if (target.roles.strategy === 'single-user') login = target.roles.role;
  else return { username: stringField(fields, USERNAME_FIELD, what), password };
  const named = fields[USERNAME_FIELD];
  if (typeof named === 'string' && named !== login)
    throw new TargetError(
      'bad_request',
      `${what} names login "${named}", but its target at ${describeEndpoint(target)} rotates "${login}" only: correct the target or the value's username.`,
    );
  return { username: login, password };
}
