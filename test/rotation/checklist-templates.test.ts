import { describe, expect, it } from 'vitest';
import { SECRET_TYPES, type SecretType } from '../../src/inventory/secret.js';
import type { RevocationOrder } from '../../src/rotation/checklists/emergency-template.js';
import { MAX_STEP_DETAIL_LENGTH, MAX_STEP_TITLE_LENGTH, STEP_ID } from '../../src/rotation/checklists/checklist-step.js';
import { resolveChecklist } from '../../src/rotation/checklists/resolve-checklist.js';
import { outline, routeInput, ROUTES, secretFor, type RouteName } from './support.js';

/** Every type on every route it can take (storage keys come from IAM, never generated). */
const COMBINATIONS = SECRET_TYPES.flatMap((type) =>
  ROUTES.filter((route) => !(type === 'storage' && route.endsWith('_generate'))).map((route) => [type, route] as const),
);

function table(emergency: boolean, revocationOrder?: RevocationOrder, types: readonly SecretType[] = SECRET_TYPES): string {
  return types
    .flatMap((type) =>
      COMBINATIONS.filter(([t]) => t === type).map(([, route]) => {
        const input = { ...routeInput(route, secretFor({ type })), emergency, ...(revocationOrder ? { revocationOrder } : {}) };
        return `${type} ${route}: ${outline(resolveChecklist(input))}`;
      }),
    )
    .join('\n');
}

describe('rotation templates', () => {
  it('have these steps for every type, provider and value source', () => {
    expect(table(false)).toMatchInlineSnapshot(`
      "database manual: create_version set_new_value! update_staging test_staging promote! redeploy! invalidate_caches! verify schedule_removal record_evidence
      database aws_generate: create_version=create_version set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      database aws_issuer: create_version=detect_version set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      database aws_rotation: create_version=await_provider_rotation! promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      database vault_generate: create_version=create_version! set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      database vault_issuer: create_version=detect_version! set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      api_key manual: create_version! update_staging test_staging promote! redeploy! invalidate_caches! verify schedule_removal record_evidence
      api_key aws_generate: create_version=create_version set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      api_key aws_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      api_key aws_rotation: create_version=await_provider_rotation! promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      api_key vault_generate: create_version=create_version! set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      api_key vault_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      jwt manual: create_version publish_public_key! update_staging test_staging promote! redeploy! invalidate_caches!? verify keep_old_public_key schedule_removal record_evidence
      jwt aws_generate: create_version=create_version publish_public_key! update_staging test_staging promote=promote! redeploy! invalidate_caches!? verify=verify keep_old_public_key schedule_removal=schedule_removal record_evidence
      jwt aws_issuer: create_version=detect_version publish_public_key! update_staging test_staging promote=promote! redeploy! invalidate_caches!? verify=verify keep_old_public_key schedule_removal=schedule_removal record_evidence
      jwt aws_rotation: create_version=await_provider_rotation! promote=promote! redeploy! invalidate_caches!? verify=verify keep_old_public_key schedule_removal=schedule_removal record_evidence
      jwt vault_generate: create_version=create_version! publish_public_key! update_staging test_staging promote=promote! redeploy! invalidate_caches!? verify=verify keep_old_public_key schedule_removal=schedule_removal record_evidence
      jwt vault_issuer: create_version=detect_version! publish_public_key! update_staging test_staging promote=promote! redeploy! invalidate_caches!? verify=verify keep_old_public_key schedule_removal=schedule_removal record_evidence
      redis manual: create_version set_new_value! update_staging test_staging promote! redeploy! invalidate_caches! verify schedule_removal record_evidence
      redis aws_generate: create_version=create_version set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      redis aws_issuer: create_version=detect_version set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      redis aws_rotation: create_version=await_provider_rotation! promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      redis vault_generate: create_version=create_version! set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      redis vault_issuer: create_version=detect_version! set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      webhook manual: create_version! accept_both_secrets! update_staging test_staging promote! redeploy! invalidate_caches! verify schedule_removal record_evidence
      webhook aws_generate: create_version=create_version accept_both_secrets! set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      webhook aws_issuer: create_version=detect_version! accept_both_secrets! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      webhook aws_rotation: create_version=await_provider_rotation! promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      webhook vault_generate: create_version=create_version! accept_both_secrets! set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      webhook vault_issuer: create_version=detect_version! accept_both_secrets! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      smtp manual: create_version! update_staging test_staging promote! redeploy! invalidate_caches! verify schedule_removal record_evidence
      smtp aws_generate: create_version=create_version set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      smtp aws_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      smtp aws_rotation: create_version=await_provider_rotation! promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      smtp vault_generate: create_version=create_version! set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      smtp vault_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      storage manual: create_version! update_staging test_staging promote! redeploy! invalidate_caches! verify deactivate_previous! schedule_removal record_evidence
      storage aws_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify deactivate_previous! schedule_removal=schedule_removal record_evidence
      storage aws_rotation: create_version=await_provider_rotation! promote=promote! redeploy! invalidate_caches! verify=verify deactivate_previous! schedule_removal=schedule_removal record_evidence
      storage vault_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify deactivate_previous! schedule_removal=schedule_removal record_evidence
      observability manual: create_version! update_staging test_staging promote! redeploy! invalidate_caches! verify schedule_removal record_evidence
      observability aws_generate: create_version=create_version set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      observability aws_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      observability aws_rotation: create_version=await_provider_rotation! promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      observability vault_generate: create_version=create_version! set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      observability vault_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      kms_key manual: create_version! update_staging test_staging promote! redeploy! invalidate_caches!? verify schedule_removal record_evidence
      kms_key aws_generate: create_version=create_version! update_staging test_staging promote=promote! redeploy! invalidate_caches!? verify=verify schedule_removal=schedule_removal record_evidence
      kms_key aws_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches!? verify=verify schedule_removal=schedule_removal record_evidence
      kms_key aws_rotation: create_version=await_provider_rotation! promote=promote! redeploy! invalidate_caches!? verify=verify schedule_removal=schedule_removal record_evidence
      kms_key vault_generate: create_version=create_version! update_staging test_staging promote=promote! redeploy! invalidate_caches!? verify=verify schedule_removal=schedule_removal record_evidence
      kms_key vault_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches!? verify=verify schedule_removal=schedule_removal record_evidence
      generic manual: create_version! update_staging test_staging promote! redeploy! invalidate_caches! verify schedule_removal record_evidence
      generic aws_generate: create_version=create_version set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      generic aws_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      generic aws_rotation: create_version=await_provider_rotation! promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      generic vault_generate: create_version=create_version! set_new_value! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence
      generic vault_issuer: create_version=detect_version! update_staging test_staging promote=promote! redeploy! invalidate_caches! verify=verify schedule_removal=schedule_removal record_evidence"
    `);
  });

  it('hold together on every combination: ids, titles, details, actions, gates', () => {
    for (const [type, route] of COMBINATIONS) {
      for (const emergency of [false, true]) {
        const steps = resolveChecklist({ ...routeInput(route, secretFor({ type })), emergency });
        const where = `${type} ${route}${emergency ? ' emergency' : ''}`;
        expect(new Set(steps.map((step) => step.id)).size, where).toBe(steps.length);
        for (const step of steps) {
          expect(step.id, where).toMatch(STEP_ID);
          expect(step.title.length, `${where} ${step.id}`).toBeLessThanOrEqual(MAX_STEP_TITLE_LENGTH);
          expect(step.detail, `${where} ${step.id}`).not.toBeNull();
          expect((step.detail as string).length, `${where} ${step.id}`).toBeLessThanOrEqual(MAX_STEP_DETAIL_LENGTH);
          expect(step.detail, `${where} ${step.id}: unresolved placeholder`).not.toMatch(/\{[a-z_]+\}/);
          if (route === 'manual') expect(step.action, where).toBeNull();
          if (emergency) expect(step.gate, where).toBeNull();
          if (emergency) expect(step.required, where).toBe(true);
        }
        const actions = steps.map((step) => step.action).filter((action) => action !== null);
        const expected = route === 'manual' ? [] : creationAndAfter(route, emergency);
        expect([...actions].sort(), where).toEqual([...expected].sort());
        if (!emergency) expect(steps.find((step) => step.id === 'promote')?.gate, where).toBe('approval');
      }
    }
  });
});

describe('what a generated value is and keeps, as the checklists say it', () => {
  it('suggest only passwords that are safe in a URL or a DSN, and say that a generated value keeps the shape', () => {
    for (const [type, route] of COMBINATIONS) {
      for (const emergency of [false, true]) {
        for (const step of resolveChecklist({ ...routeInput(route, secretFor({ type })), emergency })) {
          // base64 brings `/ + =`, which break a connection string or a URL as they are.
          expect(`${step.title} ${step.detail}`, `${type} ${route} ${step.id}`).not.toMatch(/rand -base64|base64url/);
        }
      }
    }
    for (const route of ['aws_generate', 'vault_generate'] as const) {
      const create = resolveChecklist(routeInput(route, secretFor({ type: 'database' }))).find((step) => step.id === 'create_version');
      expect(create?.detail).toContain('48 letters and digits, safe as it is in a URL or a DSN');
      expect(create?.detail).toContain('keeps the shape of the current one');
      expect(create?.detail).toContain('every other field stays as it is');
      expect(create?.detail).not.toContain('holds only');
    }
    const database = resolveChecklist(routeInput('aws_issuer', secretFor({ type: 'database' }))).find(
      (step) => step.id === 'create_version',
    );
    expect(database?.detail).toContain('`openssl rand -hex 32`');
  });
});

function creationAndAfter(route: RouteName, emergency: boolean): string[] {
  const creation = {
    aws_generate: 'create_version',
    vault_generate: 'create_version',
    aws_issuer: 'detect_version',
    vault_issuer: 'detect_version',
    aws_rotation: 'await_provider_rotation',
  }[route as Exclude<RouteName, 'manual'>];
  return emergency ? [creation, 'promote', 'verify', 'disable_compromised'] : [creation, 'promote', 'verify', 'schedule_removal'];
}

describe('emergency checklist', () => {
  it('replaces, then disables, on every type and route', () => {
    expect(table(true)).toMatchInlineSnapshot(`
      "database manual: create_version set_new_value promote hotfix_deploy verify invalidate_sessions revoke_at_issuer disable_compromised search_logs incident_report
      database aws_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      database aws_issuer: create_version=detect_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      database aws_rotation: create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      database vault_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      database vault_issuer: create_version=detect_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      api_key manual: create_version promote hotfix_deploy verify invalidate_sessions revoke_at_issuer disable_compromised search_logs incident_report
      api_key aws_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      api_key aws_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      api_key aws_rotation: create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      api_key vault_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      api_key vault_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      jwt manual: create_version publish_public_key promote hotfix_deploy verify invalidate_sessions revoke_at_issuer disable_compromised search_logs incident_report
      jwt aws_generate: create_version=create_version publish_public_key promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      jwt aws_issuer: create_version=detect_version publish_public_key promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      jwt aws_rotation: create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      jwt vault_generate: create_version=create_version publish_public_key promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      jwt vault_issuer: create_version=detect_version publish_public_key promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      redis manual: create_version set_new_value promote hotfix_deploy verify invalidate_sessions revoke_at_issuer disable_compromised search_logs incident_report
      redis aws_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      redis aws_issuer: create_version=detect_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      redis aws_rotation: create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      redis vault_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      redis vault_issuer: create_version=detect_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      webhook manual: create_version promote hotfix_deploy verify invalidate_sessions revoke_at_issuer disable_compromised search_logs incident_report
      webhook aws_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      webhook aws_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      webhook aws_rotation: create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      webhook vault_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      webhook vault_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      smtp manual: create_version promote hotfix_deploy verify invalidate_sessions revoke_at_issuer disable_compromised search_logs incident_report
      smtp aws_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      smtp aws_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      smtp aws_rotation: create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      smtp vault_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      smtp vault_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      storage manual: create_version promote hotfix_deploy verify invalidate_sessions revoke_at_issuer disable_compromised search_logs incident_report
      storage aws_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      storage aws_rotation: create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      storage vault_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      observability manual: create_version promote hotfix_deploy verify invalidate_sessions revoke_at_issuer disable_compromised search_logs incident_report
      observability aws_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      observability aws_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      observability aws_rotation: create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      observability vault_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      observability vault_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      kms_key manual: create_version promote hotfix_deploy verify invalidate_sessions revoke_at_issuer disable_compromised search_logs incident_report
      kms_key aws_generate: create_version=create_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      kms_key aws_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      kms_key aws_rotation: create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      kms_key vault_generate: create_version=create_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      kms_key vault_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      generic manual: create_version promote hotfix_deploy verify invalidate_sessions revoke_at_issuer disable_compromised search_logs incident_report
      generic aws_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      generic aws_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      generic aws_rotation: create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      generic vault_generate: create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report
      generic vault_issuer: create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions revoke_at_issuer disable_compromised=disable_compromised search_logs incident_report"
    `);
  });

  it('disables first when the responder chose to disable now', () => {
    expect(table(true, 'disable_now', ['database', 'api_key'])).toMatchInlineSnapshot(`
      "database manual: disable_compromised revoke_at_issuer create_version set_new_value promote hotfix_deploy verify invalidate_sessions search_logs incident_report
      database aws_generate: disable_compromised=disable_compromised revoke_at_issuer create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions search_logs incident_report
      database aws_issuer: disable_compromised=disable_compromised revoke_at_issuer create_version=detect_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions search_logs incident_report
      database aws_rotation: disable_compromised=disable_compromised revoke_at_issuer create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions search_logs incident_report
      database vault_generate: disable_compromised=disable_compromised revoke_at_issuer create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions search_logs incident_report
      database vault_issuer: disable_compromised=disable_compromised revoke_at_issuer create_version=detect_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions search_logs incident_report
      api_key manual: disable_compromised revoke_at_issuer create_version promote hotfix_deploy verify invalidate_sessions search_logs incident_report
      api_key aws_generate: disable_compromised=disable_compromised revoke_at_issuer create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions search_logs incident_report
      api_key aws_issuer: disable_compromised=disable_compromised revoke_at_issuer create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions search_logs incident_report
      api_key aws_rotation: disable_compromised=disable_compromised revoke_at_issuer create_version=await_provider_rotation promote=promote hotfix_deploy verify=verify invalidate_sessions search_logs incident_report
      api_key vault_generate: disable_compromised=disable_compromised revoke_at_issuer create_version=create_version set_new_value promote=promote hotfix_deploy verify=verify invalidate_sessions search_logs incident_report
      api_key vault_issuer: disable_compromised=disable_compromised revoke_at_issuer create_version=detect_version promote=promote hotfix_deploy verify=verify invalidate_sessions search_logs incident_report"
    `);
  });
});
