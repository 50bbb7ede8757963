-- 双报到 by consent (security issue 15). A registration used to take effect the moment anyone over the community
-- recorded it, so a community secretary could pull any member id into their scope. Now a registration is asked
-- for by the member or their home side (pending), and the community accepts or declines it; only an accepted
-- registration puts the member in the community's scope. Either side may end it later: the row stays, so the
-- history of who served where is kept. The state machine's trigger (member_registrations_transition) is repeatable
-- SQL in src/db/sql/members.sql.
ALTER TABLE member_registrations
  ADD COLUMN status text NOT NULL DEFAULT 'accepted',
  ADD COLUMN requested_by uuid REFERENCES users (id),
  ADD COLUMN decided_by uuid REFERENCES users (id),
  ADD COLUMN decided_at timestamptz,
  ADD COLUMN decline_reason text,
  ADD COLUMN ended_by uuid REFERENCES users (id),
  ADD COLUMN ended_at timestamptz,
  ADD COLUMN end_reason text;
--> statement-breakpoint
-- Registrations recorded before this migration were in force. Those the audit trail shows were made by neither the
-- member nor staff over the member's home unit (the hole this migration closes) are ended, not deleted: the
-- community loses the member from its scope, and what happened stays readable.
UPDATE member_registrations r
   SET status = 'ended', ended_at = now(),
       end_reason = 'ended by migration 0029: recorded by the community side without the member''s consent'
 WHERE EXISTS (
         SELECT 1 FROM audit_events e
          WHERE e.action = 'member.register' AND e.after ->> 'id' = r.id::text)
   AND NOT EXISTS (
         SELECT 1
           FROM audit_events e
           JOIN users u ON u.id = e.actor_user_id
           JOIN members m ON m.id = r.member_id
           JOIN org_units home ON home.id = m.org_unit_id
          WHERE e.action = 'member.register' AND e.after ->> 'id' = r.id::text
            AND (u.member_id = r.member_id
                 OR EXISTS (SELECT 1 FROM role_grants g JOIN org_units gu ON gu.id = g.org_unit_id
                             WHERE g.user_id = u.id AND g.role IN ('admin', 'secretary')
                               AND home.path LIKE gu.path || '%')));
--> statement-breakpoint
UPDATE member_registrations SET decided_at = created_at WHERE status = 'accepted';
--> statement-breakpoint
-- From now on every writer says which state it creates.
ALTER TABLE member_registrations ALTER COLUMN status DROP DEFAULT;
--> statement-breakpoint
ALTER TABLE member_registrations
  ADD CONSTRAINT member_registrations_status_chk
    CHECK (status IN ('pending', 'accepted', 'declined', 'ended')),
  -- Each state carries exactly the facts of how it was reached.
  ADD CONSTRAINT member_registrations_decided_chk
    CHECK ((status = 'pending') = (decided_at IS NULL) OR (status = 'ended' AND decided_at IS NULL)),
  ADD CONSTRAINT member_registrations_ended_chk CHECK ((status = 'ended') = (ended_at IS NOT NULL)),
  ADD CONSTRAINT member_registrations_decline_chk CHECK (decline_reason IS NULL OR status = 'declined');
--> statement-breakpoint
-- One live registration (pending or accepted) per member and community; ended and declined ones are history.
DROP INDEX IF EXISTS member_registrations_uq;
--> statement-breakpoint
CREATE UNIQUE INDEX member_registrations_live_uq ON member_registrations (member_id, org_unit_id)
  WHERE status IN ('pending', 'accepted');
--> statement-breakpoint
CREATE INDEX member_registrations_member_idx ON member_registrations (member_id);
--> statement-breakpoint
-- Who created a login. A user with no grant and no member record yet is inside the scope of its creator only (and
-- of admin), so a fresh login of one community is not visible to, or claimable by, another community's secretary.
ALTER TABLE users ADD COLUMN created_by uuid REFERENCES users (id);
--> statement-breakpoint
-- 公示 floor: the fewest days any round below a unit may keep results on the notice board (null: inherited;
-- default 1). Set from above (admin, or staff whose grant sits above the unit), so a branch cannot lower its own.
ALTER TABLE org_units ADD COLUMN min_publicity_days integer;
--> statement-breakpoint
ALTER TABLE org_units ADD CONSTRAINT org_units_min_publicity_chk
  CHECK (min_publicity_days IS NULL OR min_publicity_days BETWEEN 0 AND 60);
