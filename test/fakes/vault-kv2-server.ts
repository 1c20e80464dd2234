import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP fake of the Vault endpoints Rotor uses, answering with the JSON shapes of
 * Vault's documentation: KV v2 `data/`, `metadata/` (read, write, LIST via `?list=true`),
 * `delete/` and `destroy/`, the `sys/internal/ui/mounts/:path` preflight the Vault CLI uses,
 * 403 `permission denied` on a wrong token and 404 `{"errors":[]}` on a missing secret.
 * Mounts of version 1 answer like KV v1: no `data/`/`metadata/` routes.
 */
export interface FakeVaultVersion {
  data: Record<string, unknown> | null;
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

interface FakeVaultSecret {
  versions: Map<number, FakeVaultVersion>;
  current_version: number;
  oldest_version: number;
  created_time: string;
  updated_time: string;
  custom_metadata: Record<string, string> | null;
  max_versions: number;
  cas_required: boolean;
}

export interface RecordedVaultRequest {
  method: string;
  path: string;
  namespace: string | undefined;
}

export interface FakeVaultOptions {
  token: string;
  /** Mount path → KV version. */
  mounts: Record<string, 1 | 2>;
}

export class FakeVaultServer {
  readonly requests: RecordedVaultRequest[] = [];
  private readonly secrets = new Map<string, Map<string, FakeVaultSecret>>();
  private server: Server | undefined;
  private failures: { remaining: number; status: number; errors: string[]; matching?: RegExp } = { remaining: 0, status: 0, errors: [] };
  /** While true every request is accepted and never answered, like a hung Vault. */
  hang = false;
  address = '';
  /** Runs once just before the next KV v2 data write is applied, e.g. to race a concurrent writer. */
  beforeNextWrite: (() => void) | undefined;
  /** Set by `loseNextWriteAnswer`: what runs once the next write is applied and its answer dropped. */
  private lostAnswer: { then: () => void } | undefined;

  constructor(private readonly options: FakeVaultOptions) {
    for (const mount of Object.keys(options.mounts)) this.secrets.set(mount, new Map());
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.address = `http://127.0.0.1:${port}`;
    return this.address;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server = undefined;
  }

  reset(): void {
    for (const store of this.secrets.values()) store.clear();
    this.requests.length = 0;
    this.failures = { remaining: 0, status: 0, errors: [] };
    this.hang = false;
    this.beforeNextWrite = undefined;
    this.lostAnswer = undefined;
  }

  /**
   * The next KV v2 data write is applied, then its connection is dropped without an answer: the
   * write landed but the client never hears so (a proxy or a network that failed on the way
   * back). `then` runs once the write is applied, e.g. to make Vault unreachable after it.
   */
  loseNextWriteAnswer(then: () => void = () => undefined): void {
    this.lostAnswer = { then };
  }

  /** The next `count` requests (those whose path matches `matching`, if given) answer `status` with `errors`, e.g. 503 while sealed. */
  failNext(count: number, status: number, errors: string[], matching?: RegExp): void {
    this.failures = { remaining: count, status, errors, ...(matching ? { matching } : {}) };
  }

  /** Writes a version as another Vault client would (out-of-band for Rotor). */
  putSecret(mount: string, path: string, data: Record<string, unknown>, customMetadata?: Record<string, string>): number {
    const secret = this.writeVersion(this.store(mount), path, data);
    if (customMetadata) secret.custom_metadata = { ...customMetadata };
    return secret.current_version;
  }

  version(mount: string, path: string, version: number): FakeVaultVersion | undefined {
    return this.store(mount).get(path)?.versions.get(version);
  }

  private store(mount: string): Map<string, FakeVaultSecret> {
    const store = this.secrets.get(mount);
    if (!store) throw new Error(`fake Vault has no mount ${mount}`);
    return store;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://vault.invalid');
    const method = request.method ?? 'GET';
    const body = await readJson(request);
    this.requests.push({ method, path: url.pathname + url.search, namespace: headerOf(request, 'x-vault-namespace') });
    if (this.hang) return;
    if (this.failures.remaining > 0 && (!this.failures.matching || this.failures.matching.test(url.pathname))) {
      this.failures.remaining -= 1;
      return send(response, this.failures.status, { errors: this.failures.errors });
    }
    if (headerOf(request, 'x-vault-token') !== this.options.token) return send(response, 403, { errors: ['permission denied'] });
    if (!url.pathname.startsWith('/v1/')) return send(response, 404, { errors: [] });
    const apiPath = url.pathname.slice('/v1/'.length).split('/').map(decodeURIComponent).join('/');

    const preflight = /^sys\/internal\/ui\/mounts\/(.+)$/.exec(apiPath);
    if (preflight) return this.handlePreflight(response, preflight[1] as string);

    const mount = this.mountOf(apiPath);
    if (!mount) return send(response, 404, { errors: [`no handler for route "${apiPath}". route entry not found.`] });
    const rest = apiPath.slice(mount.length + 1);
    if (this.options.mounts[mount] === 1) return this.handleKv1(response, method);
    const match = /^(data|metadata|delete|undelete|destroy)\/(.*)$/.exec(rest);
    if (!match) return send(response, 404, { errors: [] });
    const [, operation, path = ''] = match;
    const store = this.store(mount);
    const listing = url.searchParams.get('list');
    if (operation === 'metadata' && method === 'GET' && (listing === 'true' || listing === '1'))
      return this.handleList(response, store, path);
    if (method === 'LIST' && operation === 'metadata') return this.handleList(response, store, path);
    switch (`${operation} ${method}`) {
      case 'data GET':
        return this.handleRead(response, store.get(path), url.searchParams.get('version'));
      case 'data POST':
      case 'data PUT':
        return this.handleWrite(response, store, path, body);
      case 'metadata GET':
        return this.handleReadMetadata(response, store.get(path));
      case 'metadata POST':
      case 'metadata PUT':
        return this.handleWriteMetadata(response, store, path, body);
      case 'delete POST':
      case 'delete PUT':
        return this.markVersions(response, store.get(path), body, (version) => {
          version.deletion_time = new Date().toISOString();
        });
      case 'destroy POST':
      case 'destroy PUT':
        return this.markVersions(response, store.get(path), body, (version) => {
          version.destroyed = true;
          version.data = null;
        });
      default:
        return send(response, 405, { errors: ['1 error occurred:\n\t* unsupported operation\n\n'] });
    }
  }

  private handlePreflight(response: ServerResponse, path: string): void {
    const mount = this.mountOf(path);
    if (!mount)
      return send(response, 400, {
        errors: [`preflight capability check returned 403, please ensure client's policies grant access to path "${path}/"`],
      });
    const version = String(this.options.mounts[mount]);
    send(
      response,
      200,
      envelope({
        type: 'kv',
        path: `${mount}/`,
        description: 'key/value secret storage',
        options: { version },
        accessor: `kv_${mount}`,
        local: false,
        seal_wrap: false,
        external_entropy_access: false,
        config: {},
      }),
    );
  }

  /** KV v1 stores flat keys, so `data/…` and `metadata/…` are just missing keys there. */
  private handleKv1(response: ServerResponse, method: string): void {
    if (method === 'GET') return send(response, 404, { errors: [] });
    send(response, 204, undefined);
  }

  private handleRead(response: ServerResponse, secret: FakeVaultSecret | undefined, requested: string | null): void {
    if (!secret) return send(response, 404, { errors: [] });
    const number = requested === null || requested === '0' ? secret.current_version : Number(requested);
    const version = secret.versions.get(number);
    if (!version) return send(response, 404, { errors: [] });
    const metadata = {
      created_time: version.created_time,
      custom_metadata: secret.custom_metadata,
      deletion_time: version.deletion_time,
      destroyed: version.destroyed,
      version: number,
    };
    if (version.deletion_time !== '' || version.destroyed) return send(response, 404, envelope({ data: null, metadata }));
    send(response, 200, envelope({ data: version.data, metadata }));
  }

  private handleWrite(response: ServerResponse, store: Map<string, FakeVaultSecret>, path: string, body: Record<string, unknown>): void {
    const data = body.data;
    if (typeof data !== 'object' || data === null) return send(response, 400, { errors: ['no data provided'] });
    const options = (body.options ?? {}) as { cas?: unknown };
    const interloper = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    interloper?.();
    const existing = store.get(path);
    if (options.cas !== undefined) {
      if (Number(options.cas) !== (existing?.current_version ?? 0)) {
        return send(response, 400, { errors: ['check-and-set parameter did not match the current version'] });
      }
    } else if (existing?.cas_required) {
      return send(response, 400, { errors: ['check-and-set parameter required for this call'] });
    }
    const secret = this.writeVersion(store, path, data as Record<string, unknown>);
    const lost = this.lostAnswer;
    if (lost) {
      this.lostAnswer = undefined;
      lost.then();
      response.socket?.destroy();
      return;
    }
    const version = secret.versions.get(secret.current_version) as FakeVaultVersion;
    send(
      response,
      200,
      envelope({
        created_time: version.created_time,
        custom_metadata: secret.custom_metadata,
        deletion_time: '',
        destroyed: false,
        version: secret.current_version,
      }),
    );
  }

  private handleReadMetadata(response: ServerResponse, secret: FakeVaultSecret | undefined): void {
    if (!secret) return send(response, 404, { errors: [] });
    const versions = Object.fromEntries(
      [...secret.versions].map(([number, version]) => [
        String(number),
        { created_time: version.created_time, deletion_time: version.deletion_time, destroyed: version.destroyed },
      ]),
    );
    send(
      response,
      200,
      envelope({
        cas_required: secret.cas_required,
        created_time: secret.created_time,
        current_version: secret.current_version,
        custom_metadata: secret.custom_metadata,
        delete_version_after: '0s',
        max_versions: secret.max_versions,
        oldest_version: secret.oldest_version,
        updated_time: secret.updated_time,
        versions,
      }),
    );
  }

  private handleWriteMetadata(
    response: ServerResponse,
    store: Map<string, FakeVaultSecret>,
    path: string,
    body: Record<string, unknown>,
  ): void {
    const now = new Date().toISOString();
    const secret = store.get(path) ?? {
      versions: new Map(),
      current_version: 0,
      oldest_version: 0,
      created_time: now,
      updated_time: now,
      custom_metadata: null,
      max_versions: 0,
      cas_required: false,
    };
    if (body.custom_metadata !== undefined) secret.custom_metadata = body.custom_metadata as Record<string, string>;
    if (typeof body.cas_required === 'boolean') secret.cas_required = body.cas_required;
    if (typeof body.max_versions === 'number') secret.max_versions = body.max_versions;
    secret.updated_time = now;
    store.set(path, secret);
    send(response, 204, undefined);
  }

  private handleList(response: ServerResponse, store: Map<string, FakeVaultSecret>, path: string): void {
    const prefix = path === '' || path.endsWith('/') ? path : `${path}/`;
    const keys = new Set<string>();
    for (const key of store.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      keys.add(slash < 0 ? rest : rest.slice(0, slash + 1));
    }
    if (keys.size === 0) return send(response, 404, { errors: [] });
    send(response, 200, envelope({ keys: [...keys].sort() }));
  }

  private markVersions(
    response: ServerResponse,
    secret: FakeVaultSecret | undefined,
    body: Record<string, unknown>,
    mark: (version: FakeVaultVersion) => void,
  ): void {
    const versions = body.versions;
    if (!Array.isArray(versions) || versions.length === 0) return send(response, 400, { errors: ['no version number provided'] });
    for (const number of versions) {
      const version = secret?.versions.get(Number(number));
      if (version) mark(version);
    }
    send(response, 204, undefined);
  }

  private writeVersion(store: Map<string, FakeVaultSecret>, path: string, data: Record<string, unknown>): FakeVaultSecret {
    const now = new Date().toISOString();
    const secret = store.get(path) ?? {
      versions: new Map(),
      current_version: 0,
      oldest_version: 0,
      created_time: now,
      updated_time: now,
      custom_metadata: null,
      max_versions: 0,
      cas_required: false,
    };
    secret.current_version += 1;
    if (secret.oldest_version === 0) secret.oldest_version = 1;
    secret.versions.set(secret.current_version, { data: { ...data }, created_time: now, deletion_time: '', destroyed: false });
    secret.updated_time = now;
    store.set(path, secret);
    return secret;
  }

  private mountOf(apiPath: string): string | undefined {
    return Object.keys(this.options.mounts)
      .filter((mount) => apiPath === mount || apiPath.startsWith(`${mount}/`))
      .sort((a, b) => b.length - a.length)[0];
  }
}

function envelope(data: unknown): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: 'kv',
  };
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
