-- Issue 23 item 5: a plan's variant remembers the rotation that verified it, so that rotation's
-- completion announcement goes into the plan's one thread in the announcement channel.
ALTER TABLE rotation_plan_variants ADD COLUMN rotation_id INTEGER REFERENCES rotations (id);

CREATE INDEX rotation_plan_variants_by_rotation ON rotation_plan_variants (rotation_id);
