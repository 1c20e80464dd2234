import { systemClock } from '../../core/clock.js';
import type { StoreKind, StoreSecretKey } from '../store-kind.js';
import { googleAccessTokenSourceFromEnv } from './google-access-token.js';
import { GOOGLE_STORE_KIND, GoogleSecretManagerProvider } from './google-secret-manager-provider.js';
import { PENDING_ALIAS } from './google-secret-manager-store.js';
import { googleStepTexts } from './google-step-texts.js';
import { parseGsmSecretRef, validateVersionAlias, type GsmSecretRef } from './gsm-secret-ref.js';

const flagsOf = (ref: GsmSecretRef) => `--project=${ref.project}${ref.location ? ` --location=${ref.location}` : ''}`;
const enabled = (labels: readonly string[]) => labels.includes('enabled');
const aliasesOf = (labels: readonly string[]) => labels.filter((label) => label.startsWith('alias:')).map((label) => label.slice(6));

/**
 * Google Secret Manager, read through the version alias the policy names
 * (`google_secret_manager.version_alias`, e.g. `current`) or through `latest` when it names none.
 * The two read paths differ in what the port's capabilities say, not in the domain: with an
 * alias, a new version waits under `rotor-pending` until promote moves the alias (staged, like
 * AWS); with `latest`, an added version is current at once, so approvals come before it and a
 * rollback adds the earlier payload again (like Vault). Versions are disabled to take them out
 * of service, destroyed only when asked.
 */
export function googleSecretManagerStore(versionAlias: string | null): StoreKind {
  if (versionAlias) validateVersionAlias('the policy', versionAlias);
  const read = versionAlias ?? 'latest';
  const store: StoreKind = {
    kind: GOOGLE_STORE_KIND,
    label: 'Google Secret Manager',
    shortLabel: 'Google',
    capabilities: {
      byHand: false,
      stagedVersions: versionAlias !== null,
      promotesOnCreate: versionAlias === null,
      storeRotation: false,
      destroy: true,
      disableNeedsReplacement: true,
      restoreByRewrite: versionAlias === null,
      values: 'readable',
      discovery: { requiresMount: null },
    },
    setup: 'set GOOGLE_OAUTH_ACCESS_TOKEN, or run Rotor on Google Cloud with a service account (the metadata server, or GCE_METADATA_HOST)',
    references: {
      what: 'its resource name, projects/<project>/secrets/<secret>',
      validate: (secretName, ref) => void parseGsmSecretRef(secretName, ref),
      placeholders: ['gsm_project', 'gsm_secret', 'gsm_location_flag', 'gsm_alias'],
      placeholderValues(secretName, ref) {
        const parsed = parseGsmSecretRef(secretName, ref);
        return {
          gsm_project: parsed.project,
          gsm_secret: parsed.secret,
          gsm_location_flag: parsed.location ? ` --location=${parsed.location}` : '',
          gsm_alias: read,
        };
      },
      explicitField: () => null,
      defaultField: null,
      keyOf(ref) {
        const parsed = parseGsmSecretRef('this secret', ref);
        return {
          provider: GOOGLE_STORE_KIND,
          scope: parsed.location ? `projects/${parsed.project}/locations/${parsed.location}` : `projects/${parsed.project}`,
          name: parsed.secret,
        };
      },
      sameSecret: (a: StoreSecretKey, b: StoreSecretKey) => a.name === b.name && a.scope === b.scope,
      describeKey: (key) => `the Google secret ${key.scope}/secrets/${key.name}`,
      outsideScope: () => null,
    },
    commands: {
      writeNewVersion(secretName, ref, file) {
        const parsed = parseGsmSecretRef(secretName, ref);
        return `gcloud secrets versions add ${parsed.secret} ${flagsOf(parsed)} --data-file=${file}`;
      },
      removePending(ref) {
        if (!versionAlias) return null;
        const parsed = parseGsmSecretRef('this secret', ref);
        return `gcloud secrets update ${parsed.secret} ${flagsOf(parsed)} --remove-version-aliases=${PENDING_ALIAS}`;
      },
      rollBackTo(ref, versionId) {
        const parsed = parseGsmSecretRef('this secret', ref);
        return versionAlias
          ? `gcloud secrets update ${parsed.secret} ${flagsOf(parsed)} --update-version-aliases=${versionAlias}=${versionId}`
          : `gcloud secrets versions access ${versionId} --secret=${parsed.secret} ${flagsOf(parsed)} | gcloud secrets versions add ${parsed.secret} ${flagsOf(parsed)} --data-file=-`;
      },
      disableVersion(secretName, ref, versionId, options) {
        const parsed = parseGsmSecretRef(secretName, ref);
        const verb = options.destroy ? 'destroy' : 'disable';
        const takeOut = `gcloud secrets versions ${verb} ${versionId} --secret=${parsed.secret} ${flagsOf(parsed)}`;
        if (options.live) return [takeOut];
        const placeholder = `openssl rand -base64 32 | gcloud secrets versions add ${parsed.secret} ${flagsOf(parsed)} --data-file=-`;
        return versionAlias
          ? [
              placeholder,
              `gcloud secrets update ${parsed.secret} ${flagsOf(parsed)} --update-version-aliases=${versionAlias}=<the version just added>`,
              takeOut,
            ]
          : [placeholder, takeOut];
      },
      retrieve(secretName, ref) {
        const parsed = parseGsmSecretRef(secretName, ref);
        return `gcloud secrets versions access ${read} --secret=${parsed.secret} ${flagsOf(parsed)}`;
      },
    },
    texts: googleStepTexts(versionAlias),
    preflight(description, subject) {
      const pending = description.others.find((version) => version.labels.includes(`alias:${PENDING_ALIAS}`));
      if (!versionAlias || !pending) return [];
      return [
        {
          check: 'pending',
          status: 'blocking',
          message: `Version ${pending.versionId} still waits under the alias ${PENDING_ALIAS} from an earlier attempt, which would make this rotation fail half-way. Remove the alias first: ${store.commands.removePending(subject.ref, pending.versionId)}`,
        },
      ];
    },
    isPending: (version) => version.labels.includes(`alias:${PENDING_ALIAS}`),
    stillServes(version, current) {
      if (!enabled(version.labels)) return null;
      return current ? `it is the version consumers read (${read})` : 'it is still enabled';
    },
    compromisedStillLive(versionId, version) {
      if (!enabled(version.labels)) return null;
      const aliases = aliasesOf(version.labels);
      return `version ${versionId} is still enabled in Google Secret Manager${aliases.length > 0 ? ` (the alias ${aliases.join(', ')} names it)` : ''}`;
    },
    connect: (setup) =>
      new GoogleSecretManagerProvider(
        {
          tokens: googleAccessTokenSourceFromEnv(setup.env, setup.clock ?? systemClock),
          fingerprinter: setup.fingerprinter,
          ...(setup.env.GOOGLE_SECRET_MANAGER_ENDPOINT ? { endpoint: setup.env.GOOGLE_SECRET_MANAGER_ENDPOINT } : {}),
          ...(setup.retry ? { retry: setup.retry } : {}),
        },
        versionAlias,
      ),
  };
  return store;
}
