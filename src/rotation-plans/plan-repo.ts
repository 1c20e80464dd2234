import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';

export interface PlanVariant {
  position: number;
  secretId: number;
  secretName: string;
  environment: string;
  automatic: boolean;
  verifiedAt: string | null;
  /** The rotation that verified it, once one did. */
  rotationId: number | null;
}

export interface RotationPlan {
  id: number;
  key: string;
  state: 'active' | 'done';
  startedBy: string;
  startedAt: string;
  endedAt: string | null;
  variants: PlanVariant[];
}

interface PlanRow {
  id: number;
  key: string;
  state: string;
  started_by: string;
  started_at: string;
  ended_at: string | null;
}

interface VariantRow {
  position: number;
  secret_id: number;
  secret_name: string;
  environment: string;
  automatic: number;
  verified_at: string | null;
  rotation_id: number | null;
}

/** Rotation plans and their variants; writes are made inside the callers' audit records. */
export class RotationPlanRepo {
  constructor(private readonly db: Db) {}

  get(id: number): RotationPlan | null {
    const row = statement(this.db, 'SELECT * FROM rotation_plans WHERE id = ?').get(id) as PlanRow | undefined;
    if (!row) return null;
    const variants = statement(
      this.db,
      `SELECT v.*, s.name AS secret_name FROM rotation_plan_variants v JOIN secrets s ON s.id = v.secret_id
       WHERE v.plan_id = ? ORDER BY v.position`,
    ).all(id) as VariantRow[];
    return {
      id: row.id,
      key: row.key,
      state: row.state as RotationPlan['state'],
      startedBy: row.started_by,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      variants: variants.map((variant) => ({
        position: variant.position,
        secretId: variant.secret_id,
        secretName: variant.secret_name,
        environment: variant.environment,
        automatic: variant.automatic === 1,
        verifiedAt: variant.verified_at,
        rotationId: variant.rotation_id,
      })),
    };
  }

  /** The active plan a secret is a variant of, or null. */
  activeFor(secretId: number): RotationPlan | null {
    const row = statement(
      this.db,
      `SELECT p.id FROM rotation_plans p JOIN rotation_plan_variants v ON v.plan_id = p.id
       WHERE p.state = 'active' AND v.secret_id = ?`,
    ).get(secretId) as { id: number } | undefined;
    return row ? this.get(row.id) : null;
  }

  /** The plan a rotation verified a variant of (active or done), or null. */
  ofRotation(rotationId: number): RotationPlan | null {
    const row = statement(this.db, 'SELECT plan_id FROM rotation_plan_variants WHERE rotation_id = ?').get(rotationId) as
      | { plan_id: number }
      | undefined;
    return row ? this.get(row.plan_id) : null;
  }

  activeForKey(key: string): RotationPlan | null {
    const row = statement(this.db, `SELECT id FROM rotation_plans WHERE state = 'active' AND key = ?`).get(key) as
      | { id: number }
      | undefined;
    return row ? this.get(row.id) : null;
  }

  insert(
    key: string,
    startedBy: string,
    now: string,
    variants: readonly Omit<PlanVariant, 'verifiedAt' | 'secretName' | 'rotationId'>[],
  ): number {
    const { id } = statement(
      this.db,
      `INSERT INTO rotation_plans (key, state, started_by, started_at) VALUES (?, 'active', ?, ?) RETURNING id`,
    ).get(key, startedBy, now) as { id: number };
    for (const variant of variants)
      statement(
        this.db,
        'INSERT INTO rotation_plan_variants (plan_id, position, secret_id, environment, automatic) VALUES (?, ?, ?, ?, ?)',
      ).run(id, variant.position, variant.secretId, variant.environment, variant.automatic ? 1 : 0);
    return id;
  }

  /** Marks a variant verified once, by the rotation that verified it; false when it already was. */
  markVerified(planId: number, position: number, at: string, rotationId: number): boolean {
    return (
      statement(
        this.db,
        'UPDATE rotation_plan_variants SET verified_at = ?, rotation_id = ? WHERE plan_id = ? AND position = ? AND verified_at IS NULL',
      ).run(at, rotationId, planId, position).changes === 1
    );
  }

  finish(planId: number, at: string): void {
    statement(this.db, `UPDATE rotation_plans SET state = 'done', ended_at = ? WHERE id = ? AND state = 'active'`).run(at, planId);
  }
}
