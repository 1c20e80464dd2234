import type { SecretType } from '../../inventory/secret.js';
import type { RouteText, StepDefinition } from './step-definition.js';

/**
 * What differs between secret types, from the playbooks: where the new value comes from,
 * where it must be set before the switch, how to check it, and what to revoke afterwards.
 * The shared steps around these live in rotation-templates.ts and emergency-template.ts.
 */
export interface TypeProfile {
  /** Getting the new value from its issuer (issuer and manual routes); imperative. */
  mintTitle: string;
  /** How to get it, with the commands. */
  mint: string;
  /** The file a person writes the value to before putting it in the store. */
  file: string;
  /**
   * Getting the new value changes something at the issuer (a second key created, a secret rolled
   * with an expiry for the old one), not only on the person's machine: on the routes where a
   * person mints it, the creation step then waits for the approvals.
   */
  mintAtIssuer: boolean;
  /**
   * Even when Rotor creates it, the new version is a resource that outlives an abandoned rotation
   * (a KMS key cannot be deleted at once): the creation step waits for the approvals.
   */
  createAfterApprovals?: true;
  /** Steps between creating the new version and staging, in order. */
  prepare: readonly PrepareStep[];
  invalidate: { detail: string; required: boolean };
  /** The type's own checks, lower-case, joined into the verify and staging steps. */
  checks: string;
  /** Steps between verify and scheduling the removal. */
  afterVerify: readonly StepDefinition[];
  /** What to revoke at the issuer when the retention window ends: one sentence. */
  removal: string;
  emergency: { invalidate: string; revoke: string; logs: string };
}

export interface PrepareStep extends StepDefinition {
  /** Also part of the emergency checklist. */
  emergency: boolean;
}

/** "Read the new value, then …": where the value is, as the store says for a generated one. */
function withNewValue(then: string): RouteText {
  return {
    fromStore: (texts, method) => (method === 'generate' ? texts.readNewValue?.(then) : undefined),
    default: `With the new value at hand, ${then}`,
  };
}

const GENERATED = ['generate'] as const;
/** Every method but a store's rotation function, which sets the value itself and switches production at once. */
const NOT_WITH_A_LAMBDA = ['manual', 'generate', 'issuer'] as const;

const RESTART_WORKERS =
  'Restart the long-running workers that cached the old value (Celery, FastAPI, queue consumers) so they reload their configuration.';
const EMERGENCY_RESTART =
  'Restart the long-running workers that cached the compromised value (Celery, FastAPI, queue consumers), and revoke the sessions or tokens that were issued with it.';
const STILL_VALID = 'until then it stays valid, whatever the store holds';

export const TYPE_PROFILES: Readonly<Record<SecretType, TypeProfile>> = {
  database: {
    mintTitle: 'Create the new database password',
    mint: 'Choose a new password (e.g. `openssl rand -hex 32`: hex is safe in a connection string or URL, where base64 brings `/ + =`); if the secret holds a connection string or JSON, compose the full new value with it.',
    file: 'new-secret.txt',
    mintAtIssuer: false,
    prepare: [
      {
        id: 'set_new_value',
        family: null,
        title: 'Set the new password on the database (ALTER USER)',
        detail: withNewValue(
          "set it: `\\password <user>` in psql (it keeps the password out of shell history and logs) or `ALTER USER <user> WITH PASSWORD '…';`; for an RDS master user, `aws rds modify-db-instance --db-instance-identifier <db> --master-user-password …`. With a single database user the old password stops working at once: keep the window short, or alternate between two users.",
        ),
        required: true,
        routes: NOT_WITH_A_LAMBDA,
        emergency: true,
        irreversible: true,
        undo: {
          label: 'The previous password is set on the database again',
          detail:
            "`\\password <user>` in psql, or `ALTER USER <user> WITH PASSWORD '…';` with the previous password (RDS master user: `aws rds modify-db-instance --master-user-password`). If the rotation alternated two users and the previous one still logs in, there is nothing to set.",
        },
      },
    ],
    invalidate: {
      detail:
        "Connection pools keep the connections opened with the old password: recycle them (restart PgBouncer or the application's pool) and restart long-running workers (Celery, FastAPI). `SELECT usename, client_addr, backend_start FROM pg_stat_activity;` shows what is still connected.",
      required: true,
    },
    checks: "`psql -h <host> -U <user> -d <database> -c 'SELECT 1;'` with the new password returns 1 row",
    afterVerify: [],
    removal:
      "With two alternating users, take the old user's login away when the window ends (`ALTER USER <old-user> NOLOGIN;`); a single user's old password stopped working at ALTER USER.",
    emergency: {
      invalidate:
        "Changing a password does not close the connections opened with it: end them (`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '<user>' AND pid <> pg_backend_pid();`, consumers reconnect with the new password) and restart the workers that cached the old one.",
      revoke:
        "The database user's password is what grants access, whatever the store holds: check that the compromised one is refused (`psql` with it fails). Until the new password is set, lock the user (`ALTER USER <user> NOLOGIN;`, then `LOGIN` once it is).",
      logs: "the database's connection log (`log_connections`) for logins from unknown hosts",
    },
  },
  redis: {
    mintTitle: 'Create the new Redis password',
    mint: 'Choose a new password (e.g. `openssl rand -hex 32`: hex is safe in a `redis://` URL, where base64 brings `/ + =`); on ElastiCache it becomes the new AUTH token.',
    file: 'new-secret.txt',
    mintAtIssuer: false,
    prepare: [
      {
        id: 'set_new_value',
        family: null,
        title: 'Add the new password to Redis beside the old one',
        detail: withNewValue(
          'add it so that both work during the overlap: `ACL SETUSER <user> >new-password`, then `ACL SAVE` (or update the ACL file); on ElastiCache, `aws elasticache modify-replication-group --replication-group-id <group> --auth-token … --auth-token-update-strategy ROTATE --apply-immediately`. `CONFIG SET requirepass` would replace the old password at once.',
        ),
        required: true,
        routes: NOT_WITH_A_LAMBDA,
        emergency: true,
        irreversible: true,
      },
    ],
    invalidate: {
      detail:
        'Restart the clients that hold connections or cache the old password (workers, Celery). Clear sessions or caches only where your policy wants it: delete the targeted keys, or `redis-cli FLUSHALL` if that is acceptable.',
      required: true,
    },
    checks: '`redis-cli -h <host> -a "$REDIS_PASSWORD" PING` with the new password answers `PONG`',
    afterVerify: [],
    removal:
      'When the window ends, remove the old password: `ACL SETUSER <user> <old-password` (ElastiCache: `--auth-token-update-strategy SET` with the new token).',
    emergency: {
      invalidate:
        'Close the connections authenticated with the compromised password (`CLIENT KILL USER <user>`; consumers reconnect with the new one) and clear what may have been read: the targeted keys, or `redis-cli FLUSHALL` if that is acceptable.',
      revoke:
        'Remove the compromised password: `ACL SETUSER <user> <old-password` (ElastiCache: `--auth-token-update-strategy SET` with the new token), then check that `AUTH` with it fails.',
      logs: '`ACL LOG` and the connection logs for unknown clients',
    },
  },
  jwt: {
    mintTitle: 'Generate the new signing key pair',
    mint: 'Generate it offline, with a new key id (`kid`): `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out jwt-new.pem`, and its public key with `openssl pkey -in jwt-new.pem -pubout -out jwt-new.pub.pem`. (An HS256 shared secret is a random string instead: tag the secret `rotor:value_source=generate` to let Rotor create it.)',
    file: 'jwt-new.pem',
    mintAtIssuer: false,
    prepare: [
      {
        id: 'publish_public_key',
        family: null,
        title: 'Publish the new public key beside the old one (dual-publish)',
        detail:
          "Before anything signs with the new key, add its public key, with its own `kid`, to the JWKS (or every verifier's key list) next to the old one, and deploy the verifiers; check that `curl -s https://<issuer>/.well-known/jwks.json` lists both key ids. For an HS256 shared secret, make the verifiers accept the old and the new secret instead.",
        required: true,
        routes: NOT_WITH_A_LAMBDA,
        emergency: true,
        irreversible: true,
      },
    ],
    invalidate: {
      detail:
        'Not needed with dual-publish: tokens signed with the old key stay valid until they expire. To end sessions anyway, force token reissue (restart the app pods) and delete the session keys in Redis (the targeted keys, or `redis-cli FLUSHALL` if that is acceptable).',
      required: false,
    },
    checks:
      'the authentication endpoints issue new tokens whose header carries the new `kid`, and a token issued before the switch still verifies',
    afterVerify: [
      {
        id: 'keep_old_public_key',
        family: null,
        title: 'Keep the old public key published until the old tokens expire',
        detail:
          'Tokens signed with the old key stay valid until they expire: note the longest token lifetime here. The old public key leaves the JWKS only after it, even when that is later than the {retention_hours} h retention window.',
        required: true,
      },
    ],
    removal: 'Remove the old public key from the JWKS only once the last token signed with it has expired.',
    emergency: {
      invalidate:
        'Every token signed with the compromised key must stop working: force reissue (restart the app pods), delete the session keys in Redis (the targeted keys, or `redis-cli FLUSHALL` if that is acceptable), and revoke the refresh tokens issued in the incident window.',
      revoke:
        "Remove the compromised public key from the JWKS and every verifier's key list (for HS256, the compromised secret), so that tokens signed with it are refused; check that such a token is rejected.",
      logs: 'the authentication logs for tokens carrying the compromised `kid`',
    },
  },
  api_key: {
    mintTitle: 'Create the new key at the issuer',
    mint: "Create a second key in the issuer's dashboard with the same permissions (Stripe: roll the key and let the old one expire after the retention window; OpenAI, Groq: create a new key), and keep the old one active.",
    file: 'new-secret.txt',
    mintAtIssuer: true,
    prepare: [
      {
        id: 'set_new_value',
        family: null,
        title: 'Register the new key with the service that checks it',
        detail: withNewValue('add it to the keys the service accepts, beside the old one, so that both work during the overlap.'),
        required: true,
        routes: GENERATED,
        emergency: true,
        irreversible: true,
      },
    ],
    invalidate: { detail: RESTART_WORKERS, required: true },
    checks: 'an authenticated call with the new key succeeds, with no 401 or 403 in the logs',
    afterVerify: [],
    removal:
      'When the window ends, revoke the old key: at the issuer (Stripe: the expiry chosen when rolling; OpenAI, Groq: delete it in the dashboard) or, for your own service, remove it from the keys it accepts.',
    emergency: {
      invalidate: EMERGENCY_RESTART,
      revoke: `Revoke the compromised key at the issuer (Stripe: roll it with immediate expiry; OpenAI, Groq: delete it) or, for your own service, remove it from the keys it accepts; ${STILL_VALID}.`,
      logs: "the issuer's request logs (Stripe: Developers → Logs; OpenAI: usage) for calls you did not make",
    },
  },
  webhook: {
    mintTitle: 'Create the new webhook signing secret',
    mint: 'Roll the secret at the issuer (Stripe: Developers → Webhooks → Roll secret, keeping the old one valid through the overlap), or, for your own endpoints, generate one (`openssl rand -hex 32`).',
    file: 'new-secret.txt',
    mintAtIssuer: true,
    prepare: [
      {
        id: 'accept_both_secrets',
        family: null,
        title: 'Accept signatures made with the old or the new secret',
        detail:
          'Deploy the receivers so that they check a signature against the new secret, then the old one, and accept either during the overlap: nothing signed with the old secret may be rejected yet. Issuers that roll a secret with an overlap (Stripe among them) sign each delivery with both until the old one expires.',
        required: true,
        routes: NOT_WITH_A_LAMBDA,
        emergency: false,
        irreversible: true,
      },
      {
        id: 'set_new_value',
        family: null,
        title: 'Give the new secret to the other side of the webhook',
        detail: withNewValue(
          'share it over a secure channel: if you send the webhooks, with the receivers; if you receive them, register it with the sender.',
        ),
        required: true,
        routes: GENERATED,
        emergency: true,
        irreversible: true,
      },
    ],
    invalidate: {
      detail: 'Restart the workers that cached the old secret; nothing else holds sessions on a webhook secret.',
      required: true,
    },
    checks: 'a test delivery signed with the new secret is accepted (Stripe: `stripe trigger payment_intent.succeeded`)',
    afterVerify: [],
    removal:
      'When the window ends, remove the old secret from the receivers so that they accept only the new one (at Stripe it expires at the time chosen when rolling).',
    emergency: {
      invalidate:
        'Restart the workers that cached the compromised secret, and set aside the events signed with it during the incident window: forged ones may be among them.',
      revoke:
        'Expire the compromised secret at once at the sender (Stripe: roll it with immediate expiry) and remove it from the receivers, so that forged deliveries are refused.',
      logs: "the receivers' logs for deliveries from unexpected sources or with unknown event ids",
    },
  },
  smtp: {
    mintTitle: 'Create the new API key at the mail provider',
    mint: 'Create a new API key with the same scopes at the mail provider (SendGrid: Settings → API Keys → Create API Key) and keep the old one active; for your own SMTP server, choose a new password.',
    file: 'new-secret.txt',
    mintAtIssuer: true,
    prepare: [
      {
        id: 'set_new_value',
        family: null,
        title: 'Set the new password on the mail server',
        detail: withNewValue('set it for the sending account on your SMTP server.'),
        required: true,
        routes: GENERATED,
        emergency: true,
        irreversible: true,
        undo: {
          label: 'The previous password is set on the mail server again',
          detail:
            'Set the previous password for the sending account on the SMTP server, so the previous version the store goes back to works.',
        },
      },
    ],
    invalidate: { detail: RESTART_WORKERS, required: true },
    checks:
      'a test message sent through the provider is delivered and appears in its activity log, and the workers log no authentication failures',
    afterVerify: [],
    removal: 'When the window ends, delete the old API key at the mail provider (SendGrid: Settings → API Keys).',
    emergency: {
      invalidate: EMERGENCY_RESTART,
      revoke: `Delete the compromised API key at the mail provider (SendGrid: Settings → API Keys → Delete), or change the SMTP account's password; ${STILL_VALID}.`,
      logs: "the mail provider's activity log for messages you did not send",
    },
  },
  storage: {
    mintTitle: 'Create a second access key',
    mint: "Create it for the IAM user: `aws iam create-access-key --user-name <iam-user> --query 'AccessKey.{AccessKeyId:AccessKeyId,SecretAccessKey:SecretAccessKey}' > new-secret.json`. IAM allows two keys per user: delete an inactive old one first (`aws iam list-access-keys --user-name <iam-user>`).",
    file: 'new-secret.json',
    mintAtIssuer: true,
    prepare: [],
    invalidate: {
      detail: 'Restart the long-running workers and SDK clients that hold the old key (clients keep their credentials for their lifetime).',
      required: true,
    },
    checks:
      'with the new key, `aws sts get-caller-identity` names the expected IAM user, and a test object can be written to and read from the bucket',
    afterVerify: [
      {
        id: 'deactivate_previous',
        family: null,
        title: 'Deactivate the old access key',
        detail:
          'Once `aws iam get-access-key-last-used --access-key-id <old-key-id>` shows no use since the switch: `aws iam update-access-key --user-name <iam-user> --access-key-id <old-key-id> --status Inactive`. To roll back, set it `Active` again; it is deleted when the retention window ends.',
        required: true,
        irreversible: true,
      },
    ],
    removal:
      'When the window ends, delete the old access key: `aws iam delete-access-key --user-name <iam-user> --access-key-id <old-key-id>`.',
    emergency: {
      invalidate:
        'Temporary credentials obtained with the compromised key (`aws sts get-session-token`) stay valid until they expire and cannot be revoked: attach to the IAM user a policy that denies every action to tokens issued before now (condition `aws:TokenIssueTime`).',
      revoke: `\`aws iam update-access-key --user-name <iam-user> --access-key-id <compromised-key-id> --status Inactive\`, then \`aws iam delete-access-key\` with the same ids once the investigation no longer needs it; ${STILL_VALID}.`,
      logs: 'CloudTrail by key (`aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=<compromised-key-id>`)',
    },
  },
  observability: {
    mintTitle: 'Create the new key at the provider',
    mint: 'Create a new key at the provider (Datadog: Organization Settings → API Keys or Application Keys; Grafana: a new service account token) and keep the old one active; for the Grafana admin, choose a new password.',
    file: 'new-secret.txt',
    mintAtIssuer: true,
    prepare: [
      {
        id: 'set_new_value',
        family: null,
        title: 'Set the new password on the observability service',
        detail: withNewValue('set it; for the Grafana admin, `grafana cli admin reset-admin-password …` on the Grafana host.'),
        required: true,
        routes: GENERATED,
        emergency: true,
        irreversible: true,
        undo: {
          label: 'The previous password is set on the observability service again',
          detail:
            'For the Grafana admin, `grafana cli admin reset-admin-password` with the previous password; a key created beside the old one needs nothing.',
        },
      },
    ],
    invalidate: { detail: 'Restart the agents and workers that cached the old key so they reload their configuration.', required: true },
    checks: 'the agents report again (`datadog-agent status` shows the API key as valid), and the Grafana login works in the web UI',
    afterVerify: [],
    removal: 'When the window ends, revoke the old key at the provider.',
    emergency: {
      invalidate:
        "Restart the agents that cached the compromised key, and end the sessions opened with it (Grafana: revoke the user's sessions).",
      revoke: `Revoke the compromised key at the provider (Datadog: API Keys → Revoke), or change the compromised password; ${STILL_VALID}.`,
      logs: "the provider's audit trail for actions you did not take",
    },
  },
  kms_key: {
    mintTitle: 'Create the new KMS key',
    mint: 'Create a key like the current one: `aws kms create-key --description "App key <YYYYMMDD>"` with the same `--key-spec`, `--key-usage`, `--policy` and `--tags`.',
    file: 'new-key-id.txt',
    mintAtIssuer: true,
    createAfterApprovals: true,
    prepare: [],
    invalidate: {
      detail:
        'Nothing to invalidate: consumers name the alias, and KMS finds the key of existing ciphertext by itself. Restart only services that cached the key id or ARN instead of the alias.',
      required: false,
    },
    checks:
      'the services that encrypt or decrypt through the alias work, and their logs show no `DisabledException`, `NotFoundException`, `KMSInvalidStateException` or `AccessDeniedException` from KMS',
    afterVerify: [],
    removal:
      'Data encrypted under the old key cannot be decrypted once the key is deleted: re-encrypt what must outlive it (`aws kms re-encrypt`) before the deletion date.',
    emergency: {
      invalidate:
        'Re-encrypt the data keys and ciphertext made with the compromised key under the new one (`aws kms re-encrypt`), and restart services that cached the old key id or ARN.',
      revoke: 'Rotor disables the compromised key; keep it disabled (not deleted) until every ciphertext under it has been re-encrypted.',
      logs: 'CloudTrail (`Decrypt`, `GenerateDataKey`, `ReEncrypt` on the compromised key by unexpected principals)',
    },
  },
  generic: {
    mintTitle: 'Create the new value at its issuer',
    mint: 'Create the new value the way its issuer requires.',
    file: 'new-secret.txt',
    mintAtIssuer: true,
    prepare: [
      {
        id: 'set_new_value',
        family: null,
        title: 'Set the new value where it is checked',
        detail: withNewValue('set it in the system that checks it, beside the old one if it can hold both.'),
        required: true,
        routes: GENERATED,
        emergency: true,
        irreversible: true,
        undo: {
          label: 'The previous value is accepted again where it is checked',
          detail: 'If the new value replaced the previous one where it is checked, set the previous one there again.',
        },
      },
    ],
    invalidate: { detail: RESTART_WORKERS, required: true },
    checks: 'the logs show no authentication errors',
    afterVerify: [],
    removal: 'When the window ends, revoke the old value at its issuer.',
    emergency: {
      invalidate: EMERGENCY_RESTART,
      revoke: `Revoke the compromised value wherever it is accepted; ${STILL_VALID}.`,
      logs: 'the logs of the system that checks it',
    },
  },
};
