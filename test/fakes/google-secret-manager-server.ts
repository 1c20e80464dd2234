import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32c } from '../../src/providers/google-secret-manager/crc32c.js';

/**
 * A local HTTP fake of Google Secret Manager's v1 REST API (google/cloud/secretmanager/v1
 * service.proto and resources.proto), for the calls Rotor makes and those tests arrange with:
 * secrets (list with filter and pages, create, get, patch with `updateMask` and etag), versions
 * (addVersion with `dataCrc32c`, list newest first, get, access, disable, enable, destroy with
 * etag), global and regional (`projects/*\/locations/*\/secrets/*`) names. It answers as the
 * service does: proto3 JSON in lowerCamelCase with empty fields left out, int64 as strings,
 * bytes as base64, resource names with the project *number*, `latest` = the newest created
 * version whatever its state, quoted etags that change on every modification and a stale one
 * refused with 400 FAILED_PRECONDITION, errors as `{error:{code,message,status}}`, and 401
 * UNAUTHENTICATED without the expected bearer token. Like Google's JSON parser it refuses a field
 * a request message does not have, and labels and annotations Google would refuse.
 */
export interface FakeGoogleVersion {
  number: number;
  state: 'ENABLED' | 'DISABLED' | 'DESTROYED';
  data: Buffer | null;
  createTime: string;
  destroyTime: string | null;
  etag: string;
  clientChecksum: boolean;
}

interface FakeGoogleSecret {
  project: string;
  location: string | null;
  id: string;
  createTime: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  versionAliases: Record<string, number>;
  etag: string;
  versions: FakeGoogleVersion[];
}

export interface RecordedGoogleRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface FakeGoogleOptions {
  token: string;
  /** Project id → project number, as responses name projects by number. */
  projects: Record<string, string>;
}

const MAX_PAYLOAD_BYTES = 65_536;
/** The fields of a Secret (resources.proto); anything else in a request is refused, as Google's JSON parser does. */
const SECRET_FIELDS = new Set([
  'name',
  'replication',
  'createTime',
  'labels',
  'topics',
  'expireTime',
  'ttl',
  'etag',
  'rotation',
  'versionAliases',
  'annotations',
  'customerManagedEncryption',
  'versionDestroyTtl',
]);
const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const ANNOTATION_KEY = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const MAX_LABELS = 64;
const MAX_ANNOTATION_BYTES = 16_384;
const ALIAS = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const MUTABLE_FIELDS: Record<string, 'labels' | 'annotations' | 'versionAliases'> = {
  labels: 'labels',
  annotations: 'annotations',
  version_aliases: 'versionAliases',
  versionAliases: 'versionAliases',
};

class GoogleError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeGoogleSecretManager {
  readonly requests: RecordedGoogleRequest[] = [];
  private readonly secrets = new Map<string, FakeGoogleSecret>();
  private server: Server | undefined;
  private failures: { remaining: number; code: number; status: string; matching?: RegExp; method?: string } = {
    remaining: 0,
    code: 0,
    status: '',
  };
  address = '';
  /** The fake's time, for create and destroy times: a test whose clock is injected points it there. */
  now: () => Date = () => new Date();
  private lostAnswer: { matching: RegExp; method: string; hold: boolean; carriedOut: boolean; then?: () => void } | undefined;
  /** Runs once just before the next modifying request is applied, e.g. to race a concurrent writer. */
  beforeNextChange: (() => void) | undefined;

  constructor(private readonly options: FakeGoogleOptions) {}

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.address = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.address;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server = undefined;
  }

  reset(): void {
    this.secrets.clear();
    this.requests.length = 0;
    this.failures = { remaining: 0, code: 0, status: '' };
    this.beforeNextChange = undefined;
    this.lostAnswer = undefined;
    this.now = () => new Date();
  }

  /**
   * The next `method` request whose path matches is carried out and its answer is lost: the
   * connection is dropped, or with `hold` left open unanswered (until `stop`), as when the network
   * fails or Rotor is killed after Google acted. `then` runs once it is carried out (a kill). With
   * `carriedOut: false` the request is lost on its way in instead: dropped, and Google does nothing.
   */
  loseNextAnswer(options: { matching: RegExp; method: string; hold?: boolean; carriedOut?: boolean; then?: () => void }): void {
    this.lostAnswer = {
      matching: options.matching,
      method: options.method,
      hold: options.hold ?? false,
      carriedOut: options.carriedOut ?? true,
      ...(options.then ? { then: options.then } : {}),
    };
  }

  /** The next `count` requests (whose path matches `matching` and whose method is `method`, if given) fail with this status. */
  failNext(count: number, code: number, status: string, matching?: RegExp, method?: string): void {
    this.failures = { remaining: count, code, status, ...(matching ? { matching } : {}), ...(method ? { method } : {}) };
  }

  /** Creates a secret as its owner would (out-of-band for Rotor). */
  createSecret(name: string, options: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): void {
    const { project, location, id } = this.parseSecretName(name);
    this.secrets.set(this.keyOf(project, location, id), {
      project,
      location,
      id,
      createTime: this.now().toISOString(),
      labels: { ...(options.labels ?? {}) },
      annotations: { ...(options.annotations ?? {}) },
      versionAliases: {},
      etag: newEtag(),
      versions: [],
    });
  }

  /** Adds a version as another client would; returns its number. */
  addVersion(name: string, data: string | Buffer): number {
    return this.append(this.secretNamed(name), Buffer.from(data), false).number;
  }

  /** Points a version alias as another client would (changes the secret's etag). */
  setAlias(name: string, alias: string, version: number): void {
    const secret = this.secretNamed(name);
    secret.versionAliases[alias] = version;
    secret.etag = newEtag();
  }

  /** Sets annotations as another client would (changes the secret's etag). */
  annotate(name: string, annotations: Record<string, string>): void {
    const secret = this.secretNamed(name);
    secret.annotations = { ...secret.annotations, ...annotations };
    secret.etag = newEtag();
  }

  /** Changes the secret's labels behind Rotor's back, so an etag Rotor read is stale. */
  touch(name: string): void {
    this.secretNamed(name).etag = newEtag();
  }

  /** Changes a version's etag behind Rotor's back (someone enabled it again, say). */
  touchVersion(name: string, number: number): void {
    const version = this.secretNamed(name).versions.find((candidate) => candidate.number === number);
    if (!version) throw new Error(`the fake has no version ${number} of ${name}`);
    version.etag = newEtag();
  }

  secret(name: string): Readonly<FakeGoogleSecret> {
    return this.secretNamed(name);
  }

  version(name: string, number: number): Readonly<FakeGoogleVersion> | undefined {
    return this.secretNamed(name).versions.find((version) => version.number === number);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://secretmanager.invalid');
    const method = request.method ?? 'GET';
    let body: Record<string, unknown> = {};
    try {
      body = await readJson(request);
    } catch {
      return sendError(response, new GoogleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
    }
    this.requests.push({ method, path: url.pathname + url.search, body });
    if (
      this.failures.remaining > 0 &&
      (!this.failures.matching || this.failures.matching.test(url.pathname)) &&
      (!this.failures.method || this.failures.method === method)
    ) {
      this.failures.remaining -= 1;
      return sendError(
        response,
        new GoogleError(this.failures.code, this.failures.status, `The service is currently ${this.failures.status.toLowerCase()}.`),
      );
    }
    if (request.headers.authorization !== `Bearer ${this.options.token}`) {
      return sendError(
        response,
        new GoogleError(
          401,
          'UNAUTHENTICATED',
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        ),
      );
    }
    const dropped = this.lostAnswer;
    if (dropped && !dropped.carriedOut && dropped.method === method && dropped.matching.test(url.pathname)) {
      this.lostAnswer = undefined;
      request.socket.destroy();
      return;
    }
    try {
      const answer = this.route(method, decodeURIComponent(url.pathname), url.searchParams, body);
      const lost = this.lostAnswer;
      if (lost && lost.method === method && lost.matching.test(url.pathname)) {
        this.lostAnswer = undefined;
        lost.then?.();
        if (!lost.hold) request.socket.destroy();
        return;
      }
      send(response, 200, answer);
    } catch (error) {
      if (error instanceof GoogleError) return sendError(response, error);
      sendError(response, new GoogleError(500, 'INTERNAL', String(error)));
    }
  }

  private route(method: string, path: string, query: URLSearchParams, body: Record<string, unknown>): unknown {
    const match =
      /^\/v1\/(projects\/[^/]+(?:\/locations\/[^/]+)?)\/secrets(?:\/([^/:]+)(?:\/versions(?:\/([^/:]+))?)?)?(?::([A-Za-z]+))?$/.exec(path);
    if (!match) throw new GoogleError(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`);
    const [, parent = '', secretId, versionId, verb] = match;
    const versionsPath = path.includes('/versions');
    if (secretId === undefined) {
      if (method === 'GET' && !verb) return this.listSecrets(parent, query);
      if (method === 'POST' && !verb) return this.createFromRequest(parent, query, body);
      throw unsupported(method, path);
    }
    const secret = this.find(`${parent}/secrets/${secretId}`);
    if (!versionsPath) {
      if (method === 'GET' && !verb) return this.secretJson(secret);
      if (method === 'PATCH' && !verb) return this.patch(secret, query, body);
      if (method === 'POST' && verb === 'addVersion') return this.addFromRequest(secret, body);
      throw unsupported(method, path);
    }
    if (versionId === undefined) {
      if (method === 'GET' && !verb) return this.listVersions(secret, query);
      throw unsupported(method, path);
    }
    const version = this.resolveVersion(secret, versionId);
    if (method === 'GET' && !verb) return this.versionJson(secret, version);
    if (method === 'GET' && verb === 'access') return this.access(secret, version);
    if (method === 'POST' && (verb === 'disable' || verb === 'enable' || verb === 'destroy'))
      return this.changeState(secret, version, verb, body);
    throw unsupported(method, path);
  }

  private listSecrets(parent: string, query: URLSearchParams): unknown {
    const { project, location } = this.parseParent(parent);
    const matches = parseFilter(query.get('filter') ?? '');
    const all = [...this.secrets.values()]
      .filter((secret) => secret.project === project && secret.location === location && matches(secret.labels))
      .sort((a, b) => b.createTime.localeCompare(a.createTime));
    return page(all, query, (secret) => this.secretJson(secret), 'secrets');
  }

  private createFromRequest(parent: string, query: URLSearchParams, body: Record<string, unknown>): unknown {
    const id = query.get('secretId') ?? '';
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(id)) throw new GoogleError(400, 'INVALID_ARGUMENT', 'Invalid secret_id.');
    const name = `${parent}/secrets/${id}`;
    const { project, location } = this.parseParent(parent);
    if (this.secrets.has(this.keyOf(project, location, id)))
      throw new GoogleError(409, 'ALREADY_EXISTS', `Secret [${this.nameOf(project, location, id)}] already exists.`);
    this.createSecret(name, { labels: (body.labels ?? {}) as Record<string, string> });
    return this.secretJson(this.find(name));
  }

  private patch(secret: FakeGoogleSecret, query: URLSearchParams, body: Record<string, unknown>): unknown {
    const mask = (query.get('updateMask') ?? query.get('update_mask') ?? '').split(',').filter((path) => path !== '');
    if (mask.length === 0) throw new GoogleError(400, 'INVALID_ARGUMENT', 'update_mask is required.');
    const fields = mask.map((path) => {
      const field = MUTABLE_FIELDS[path];
      if (!field) throw new GoogleError(400, 'INVALID_ARGUMENT', `Invalid update_mask provided: field "${path}" cannot be updated.`);
      return field;
    });
    refuseUnknownFields(body, SECRET_FIELDS, 'secret');
    if (fields.includes('labels')) checkLabels((body.labels ?? {}) as Record<string, unknown>);
    if (fields.includes('annotations')) checkAnnotations((body.annotations ?? {}) as Record<string, unknown>);
    this.checkEtag(body.etag, secret.etag);
    this.raceOnce();
    this.checkEtag(body.etag, secret.etag);
    for (const field of fields) {
      const value = (body[field] ?? {}) as Record<string, string>;
      if (field === 'versionAliases') {
        const aliases: Record<string, number> = {};
        for (const [alias, raw] of Object.entries(value)) {
          if (!ALIAS.test(alias) || /^(latest|new)$/i.test(alias))
            throw new GoogleError(400, 'INVALID_ARGUMENT', `Invalid version alias: ${alias}.`);
          const number = Number(raw);
          const target = secret.versions.find((version) => version.number === number);
          if (!target)
            throw new GoogleError(
              400,
              'INVALID_ARGUMENT',
              `Version alias ${alias} points to version ${String(raw)}, which does not exist.`,
            );
          if (target.state === 'DESTROYED')
            throw new GoogleError(400, 'FAILED_PRECONDITION', `Version alias ${alias} cannot point to a destroyed version.`);
          aliases[alias] = number;
        }
        if (Object.keys(aliases).length > 50)
          throw new GoogleError(400, 'INVALID_ARGUMENT', 'A secret can have at most 50 version aliases.');
        secret.versionAliases = aliases;
      } else {
        secret[field] = { ...value };
      }
    }
    secret.etag = newEtag();
    return this.secretJson(secret);
  }

  private addFromRequest(secret: FakeGoogleSecret, body: Record<string, unknown>): unknown {
    refuseUnknownFields(body, new Set(['parent', 'payload']), 'add_secret_version_request');
    refuseUnknownFields((body.payload ?? {}) as Record<string, unknown>, new Set(['data', 'dataCrc32c']), 'payload');
    const payload = (body.payload ?? {}) as { data?: unknown; dataCrc32c?: unknown };
    if (typeof payload.data !== 'string') throw new GoogleError(400, 'INVALID_ARGUMENT', 'Secret Payload cannot be empty.');
    const data = Buffer.from(payload.data, 'base64');
    if (data.length > MAX_PAYLOAD_BYTES) throw new GoogleError(400, 'INVALID_ARGUMENT', 'Secret Payload cannot be larger than 64KiB.');
    const checksum = payload.dataCrc32c === undefined ? null : String(payload.dataCrc32c);
    if (checksum !== null && checksum !== String(crc32c(data))) throw new GoogleError(400, 'INVALID_ARGUMENT', 'Checksum mismatch.');
    this.raceOnce();
    return this.versionJson(secret, this.append(secret, data, checksum !== null));
  }

  private listVersions(secret: FakeGoogleSecret, query: URLSearchParams): unknown {
    const filter = query.get('filter') ?? '';
    const state = /^state:(ENABLED|DISABLED|DESTROYED)$/.exec(filter)?.[1];
    if (filter !== '' && !state) throw new GoogleError(400, 'INVALID_ARGUMENT', `Invalid filter: ${filter}`);
    const versions = [...secret.versions].reverse().filter((version) => !state || version.state === state);
    return page(versions, query, (version) => this.versionJson(secret, version), 'versions');
  }

  private access(secret: FakeGoogleSecret, version: FakeGoogleVersion): unknown {
    if (version.state !== 'ENABLED' || version.data === null) {
      throw new GoogleError(
        400,
        'FAILED_PRECONDITION',
        `Secret Version [${this.versionName(secret, version)}] is in ${version.state} state.`,
      );
    }
    return {
      name: this.versionName(secret, version),
      payload: { data: version.data.toString('base64'), dataCrc32c: String(crc32c(version.data)) },
    };
  }

  private changeState(
    secret: FakeGoogleSecret,
    version: FakeGoogleVersion,
    verb: 'disable' | 'enable' | 'destroy',
    body: Record<string, unknown>,
  ): unknown {
    refuseUnknownFields(body, new Set(['name', 'etag']), `${verb}_secret_version_request`);
    this.checkEtag(body.etag, version.etag);
    if (version.state === 'DESTROYED')
      throw new GoogleError(400, 'FAILED_PRECONDITION', `Secret Version [${this.versionName(secret, version)}] is in DESTROYED state.`);
    this.raceOnce();
    this.checkEtag(body.etag, version.etag);
    if (verb === 'destroy') {
      version.state = 'DESTROYED';
      version.data = null;
      version.destroyTime = this.now().toISOString();
    } else {
      version.state = verb === 'disable' ? 'DISABLED' : 'ENABLED';
    }
    version.etag = newEtag();
    return this.versionJson(secret, version);
  }

  private append(secret: FakeGoogleSecret, data: Buffer, clientChecksum: boolean): FakeGoogleVersion {
    const created = {
      number: secret.versions.length + 1,
      state: 'ENABLED' as const,
      data,
      createTime: this.now().toISOString(),
      destroyTime: null,
      etag: newEtag(),
      clientChecksum,
    };
    secret.versions.push(created);
    return created;
  }

  private resolveVersion(secret: FakeGoogleSecret, id: string): FakeGoogleVersion {
    const number = id === 'latest' ? secret.versions.length : /^\d+$/.test(id) ? Number(id) : secret.versionAliases[id];
    const version = number === undefined ? undefined : secret.versions.find((candidate) => candidate.number === number);
    if (!version) {
      const name = `${this.nameOf(secret.project, secret.location, secret.id)}/versions/${id}`;
      throw new GoogleError(
        404,
        'NOT_FOUND',
        id === 'latest'
          ? `Secret [${this.nameOf(secret.project, secret.location, secret.id)}] not found or has no versions.`
          : `Secret Version [${name}] not found.`,
      );
    }
    return version;
  }

  private checkEtag(given: unknown, current: string): void {
    if (typeof given === 'string' && given !== '' && given !== current) {
      throw new GoogleError(
        400,
        'FAILED_PRECONDITION',
        'The etag provided in the request does not match the current etag of the resource.',
      );
    }
  }

  private raceOnce(): void {
    const interloper = this.beforeNextChange;
    this.beforeNextChange = undefined;
    interloper?.();
  }

  private secretJson(secret: FakeGoogleSecret): Record<string, unknown> {
    return compact({
      name: this.nameOf(secret.project, secret.location, secret.id),
      replication: secret.location ? undefined : { automatic: {} },
      createTime: secret.createTime,
      labels: secret.labels,
      etag: secret.etag,
      versionAliases: Object.fromEntries(Object.entries(secret.versionAliases).map(([alias, number]) => [alias, String(number)])),
      annotations: secret.annotations,
    });
  }

  private versionJson(secret: FakeGoogleSecret, version: FakeGoogleVersion): Record<string, unknown> {
    return compact({
      name: this.versionName(secret, version),
      createTime: version.createTime,
      destroyTime: version.destroyTime ?? undefined,
      state: version.state,
      replicationStatus: secret.location ? undefined : { automatic: {} },
      etag: version.etag,
      clientSpecifiedPayloadChecksum: version.clientChecksum || undefined,
    });
  }

  private versionName(secret: FakeGoogleSecret, version: FakeGoogleVersion): string {
    return `${this.nameOf(secret.project, secret.location, secret.id)}/versions/${version.number}`;
  }

  private nameOf(project: string, location: string | null, id: string): string {
    const number = this.options.projects[project] ?? project;
    return location ? `projects/${number}/locations/${location}/secrets/${id}` : `projects/${number}/secrets/${id}`;
  }

  private find(name: string): FakeGoogleSecret {
    const { project, location, id } = this.parseSecretName(name);
    const secret = this.secrets.get(this.keyOf(project, location, id));
    if (!secret) throw new GoogleError(404, 'NOT_FOUND', `Secret [${this.nameOf(project, location, id)}] not found or has no versions.`);
    return secret;
  }

  private secretNamed(name: string): FakeGoogleSecret {
    try {
      return this.find(name);
    } catch {
      throw new Error(`the fake has no secret ${name}`);
    }
  }

  private parseParent(parent: string): { project: string; location: string | null } {
    const match = /^projects\/([^/]+)(?:\/locations\/([^/]+))?$/.exec(parent);
    if (!match) throw new GoogleError(400, 'INVALID_ARGUMENT', `Invalid parent: ${parent}`);
    return { project: this.projectId(match[1] as string), location: match[2] ?? null };
  }

  private parseSecretName(name: string): { project: string; location: string | null; id: string } {
    const match = /^(projects\/[^/]+(?:\/locations\/[^/]+)?)\/secrets\/([^/]+)$/.exec(name);
    if (!match) throw new GoogleError(400, 'INVALID_ARGUMENT', `Invalid resource name: ${name}`);
    return { ...this.parseParent(match[1] as string), id: match[2] as string };
  }

  /** Requests may name a project by id or number; the fake stores secrets by id. */
  private projectId(given: string): string {
    if (given in this.options.projects) return given;
    const byNumber = Object.entries(this.options.projects).find(([, number]) => number === given);
    if (!byNumber) throw new GoogleError(403, 'PERMISSION_DENIED', `Permission denied on resource project ${given}.`);
    return byNumber[0];
  }

  private keyOf(project: string, location: string | null, id: string): string {
    return `${project}/${location ?? ''}/${id}`;
  }
}

/** Google's JSON parser refuses a field the message does not have, naming it. */
function refuseUnknownFields(body: Record<string, unknown>, known: ReadonlySet<string>, message: string): void {
  const unknown = Object.keys(body).find((field) => !known.has(field));
  if (unknown !== undefined)
    throw new GoogleError(
      400,
      'INVALID_ARGUMENT',
      `Invalid JSON payload received. Unknown name "${unknown}" at '${message}': Cannot find field.`,
    );
}

function checkLabels(labels: Record<string, unknown>): void {
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) throw new GoogleError(400, 'INVALID_ARGUMENT', `A secret can have at most ${MAX_LABELS} labels.`);
  for (const [key, value] of entries)
    if (!LABEL_KEY.test(key) || typeof value !== 'string' || !LABEL_VALUE.test(value))
      throw new GoogleError(400, 'INVALID_ARGUMENT', `Label key or value is invalid: ${key}.`);
}

function checkAnnotations(annotations: Record<string, unknown>): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    if (!ANNOTATION_KEY.test(key) || typeof value !== 'string')
      throw new GoogleError(400, 'INVALID_ARGUMENT', `Annotation key or value is invalid: ${key}.`);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > MAX_ANNOTATION_BYTES)
    throw new GoogleError(400, 'INVALID_ARGUMENT', `The annotations of a secret may total at most ${MAX_ANNOTATION_BYTES} bytes.`);
}

/** The filter forms Rotor sends: `labels.<key>:*` (has the label) and `labels.<key>=<value>`, joined by AND or spaces. */
function parseFilter(filter: string): (labels: Record<string, string>) => boolean {
  const terms = filter.split(/\s+(?:AND\s+)?/).filter((term) => term !== '');
  const checks = terms.map((term) => {
    const match = /^labels\.([\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62})(:|=)(.+)$/u.exec(term);
    if (!match) throw new GoogleError(400, 'INVALID_ARGUMENT', `Invalid filter: ${filter}`);
    const [, key = '', operator, value = ''] = match;
    return (labels: Record<string, string>) => (operator === ':' && value === '*' ? key in labels : labels[key] === value);
  });
  return (labels) => checks.every((check) => check(labels));
}

function page<T>(all: T[], query: URLSearchParams, toJson: (item: T) => unknown, field: string): Record<string, unknown> {
  const size = Math.min(Number(query.get('pageSize') ?? '0') || 25_000, 25_000);
  const start = Number(query.get('pageToken') || '0');
  const slice = all.slice(start, start + size);
  const next = start + size < all.length ? String(start + size) : undefined;
  return compact({ [field]: slice.map(toJson), nextPageToken: next, totalSize: all.length });
}

/** proto3 JSON leaves out fields at their default: empty maps and lists, empty strings, zero, false. */
function compact(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => {
      if (value === undefined || value === '' || value === 0 || value === false) return false;
      if (Array.isArray(value)) return value.length > 0;
      if (typeof value === 'object' && value !== null) return Object.keys(value).length > 0;
      return true;
    }),
  );
}

function newEtag(): string {
  return `"${randomBytes(7).toString('hex')}"`;
}

function unsupported(method: string, path: string): GoogleError {
  return new GoogleError(404, 'NOT_FOUND', `The requested URL ${method} ${path} was not found on this server.`);
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
}

function sendError(response: ServerResponse, error: GoogleError): void {
  send(response, error.code, { error: { code: error.code, message: error.message, status: error.status } });
}
