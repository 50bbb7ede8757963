-- Functions, triggers and views of activities, participations, service requests and certificates (src/db/schema/activities.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- Recorded hours are at most the activity's length, and a verified activity's hours are final. The row
-- lock FOR SHARE on the activity makes a participation write and a verification serialise: either the
-- hours land before the activity is verified (and are verified with it) or they are refused after.
-- The guard also fills in the length (callers need not know it).
CREATE OR REPLACE FUNCTION activity_participants_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a record;
BEGIN
  SELECT status, length_cents INTO a FROM activities
   WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.activity_id ELSE NEW.activity_id END FOR SHARE;
  IF a.status = 'verified' THEN
    RAISE EXCEPTION 'the activity is verified: its hours are final (% refused)', TG_OP
      USING ERRCODE = '23514', CONSTRAINT = 'activity_participants_verified_chk';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND (NEW.activity_id <> OLD.activity_id OR NEW.member_id <> OLD.member_id) THEN
    RAISE EXCEPTION 'a participation never moves to another activity or member' USING ERRCODE = '55000';
  END IF;
  NEW.activity_length_cents := a.length_cents;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS activity_participants_guard ON activity_participants;
CREATE TRIGGER activity_participants_guard
  BEFORE INSERT OR UPDATE OR DELETE ON activity_participants
  FOR EACH ROW EXECUTE FUNCTION activity_participants_guard();

-- An activity goes open > verified once and stays so; where and when it took place never changes, since
-- the recorded hours were checked against that length. Activities are never deleted (hours cite them).
CREATE OR REPLACE FUNCTION activities_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'verified' AND NEW IS DISTINCT FROM OLD THEN
    RAISE EXCEPTION 'activity % is verified and final', OLD.id USING ERRCODE = '55000';
  END IF;
  IF NEW.starts_at <> OLD.starts_at OR NEW.ends_at <> OLD.ends_at OR NEW.org_unit_id <> OLD.org_unit_id
     OR NEW.created_by <> OLD.created_by OR NEW.created_at <> OLD.created_at THEN
    RAISE EXCEPTION 'an activity''s unit and period never change' USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS activities_guard ON activities;
CREATE TRIGGER activities_guard
  BEFORE UPDATE ON activities
  FOR EACH ROW EXECUTE FUNCTION activities_guard();

DROP TRIGGER IF EXISTS activities_kept ON activities;
CREATE TRIGGER activities_kept
  BEFORE DELETE ON activities
  FOR EACH ROW EXECUTE FUNCTION refuse_write('55000', 'activities are never deleted');

-- The service request state machine, in the database's words (its moves: state_move_allowed, _shared.sql). The
-- service's half is the conditional UPDATE ... WHERE status = <expected>, which makes one of two racing steps find
-- nothing to update.
CREATE OR REPLACE FUNCTION service_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.org_unit_id <> OLD.org_unit_id OR NEW.created_by <> OLD.created_by OR NEW.created_at <> OLD.created_at THEN
    RAISE EXCEPTION 'a service request''s unit never changes' USING ERRCODE = '55000';
  END IF;
  IF NOT state_move_allowed('service_requests', OLD.status, NEW.status) THEN
    RAISE EXCEPTION 'service request % cannot go from % to %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = '23514', CONSTRAINT = 'service_requests_transition_chk';
  END IF;
  IF OLD.status IN ('confirmed', 'cancelled') AND NEW IS DISTINCT FROM OLD THEN
    RAISE EXCEPTION 'service request % is % and final', OLD.id, OLD.status USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS service_requests_guard ON service_requests;
CREATE TRIGGER service_requests_guard
  BEFORE UPDATE ON service_requests
  FOR EACH ROW EXECUTE FUNCTION service_requests_guard();

DROP TRIGGER IF EXISTS service_requests_kept ON service_requests;
CREATE TRIGGER service_requests_kept
  BEFORE DELETE ON service_requests
  FOR EACH ROW EXECUTE FUNCTION refuse_write('55000', 'service requests are never deleted');

-- Declines and certificates are records of what happened: never edited, never removed.
DROP TRIGGER IF EXISTS service_request_declines_append_only ON service_request_declines;
CREATE TRIGGER service_request_declines_append_only
  BEFORE UPDATE OR DELETE ON service_request_declines
  FOR EACH ROW EXECUTE FUNCTION refuse_write('55000', '%1$s is append-only (%2$s refused)');

-- A certificate is a record as printed: never removed, and the one change it takes is its revocation (revoked_at,
-- revocation_reason and revoked_by set once, from nothing); every other column stays as issued. Revoking again is
-- refused as 23514 service_certificates_revoked_once_chk (the service answers 409 already_revoked first).
DROP TRIGGER IF EXISTS service_certificates_append_only ON service_certificates;
CREATE TRIGGER service_certificates_append_only
  BEFORE DELETE ON service_certificates
  FOR EACH ROW EXECUTE FUNCTION refuse_write('55000', '%1$s is append-only (%2$s refused)');

DROP TRIGGER IF EXISTS service_certificates_revoke_only ON service_certificates;
CREATE TRIGGER service_certificates_revoke_only
  BEFORE UPDATE ON service_certificates
  FOR EACH ROW WHEN ((to_jsonb(NEW) - 'revoked_at' - 'revocation_reason' - 'revoked_by')
                     IS DISTINCT FROM (to_jsonb(OLD) - 'revoked_at' - 'revocation_reason' - 'revoked_by'))
  EXECUTE FUNCTION refuse_write('55000', 'a service certificate is kept as issued; only its revocation is written');

DROP TRIGGER IF EXISTS service_certificates_revoked_once ON service_certificates;
CREATE TRIGGER service_certificates_revoked_once
  BEFORE UPDATE ON service_certificates
  FOR EACH ROW WHEN (OLD.revoked_at IS NOT NULL)
  EXECUTE FUNCTION refuse_write('23514', 'service certificate %3$s is already revoked',
                                'service_certificates_revoked_once_chk');

-- A member's request for a certificate (service_certificate_requests): its member, unit, period and asking never
-- change; its status moves once (state_move_allowed, _shared.sql: pending -> issued | declined), and an issued one
-- names a certificate issued from it (service_certificates.request_id). The CHECKs tie each state to its columns;
-- the service's half is the conditional UPDATE ... WHERE status = 'pending'. Never deleted.
CREATE OR REPLACE FUNCTION service_certificate_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.member_id <> OLD.member_id OR NEW.org_unit_id <> OLD.org_unit_id OR NEW.period_from <> OLD.period_from
     OR NEW.period_to <> OLD.period_to OR NEW.requested_by <> OLD.requested_by
     OR NEW.requested_at <> OLD.requested_at THEN
    RAISE EXCEPTION 'a certificate request''s member, unit and period never change' USING ERRCODE = '55000';
  END IF;
  IF OLD.status <> 'pending' AND NEW IS DISTINCT FROM OLD THEN
    RAISE EXCEPTION 'certificate request % is % and final', OLD.id, OLD.status
      USING ERRCODE = '23514', CONSTRAINT = 'service_certificate_requests_transition_chk';
  END IF;
  IF NOT state_move_allowed('service_certificate_requests', OLD.status, NEW.status) THEN
    RAISE EXCEPTION 'certificate request % cannot go from % to %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = '23514', CONSTRAINT = 'service_certificate_requests_transition_chk';
  END IF;
  IF NEW.status = 'issued' AND NOT EXISTS (
       SELECT 1 FROM service_certificates c
       WHERE c.id = NEW.certificate_id AND c.request_id = NEW.id AND c.member_id = NEW.member_id
         AND c.issuer_org_unit_id = NEW.org_unit_id) THEN
    RAISE EXCEPTION 'certificate request % is issued only with a certificate issued from it', OLD.id
      USING ERRCODE = '23514', CONSTRAINT = 'service_certificate_requests_certificate_chk';
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS service_certificate_requests_guard ON service_certificate_requests;
CREATE TRIGGER service_certificate_requests_guard
  BEFORE UPDATE ON service_certificate_requests
  FOR EACH ROW EXECUTE FUNCTION service_certificate_requests_guard();

DROP TRIGGER IF EXISTS service_certificate_requests_kept ON service_certificate_requests;
CREATE TRIGGER service_certificate_requests_kept
  BEFORE DELETE ON service_certificate_requests
  FOR EACH ROW EXECUTE FUNCTION refuse_write('55000', 'certificate requests are never deleted');

-- A certificate issued from a request is for that request's member, by that request's unit, while it is pending.
CREATE OR REPLACE FUNCTION service_certificates_request_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM service_certificate_requests r
                 WHERE r.id = NEW.request_id AND r.member_id = NEW.member_id
                   AND r.org_unit_id = NEW.issuer_org_unit_id AND r.status = 'pending') THEN
    RAISE EXCEPTION 'a certificate issued from request % must be for its member, by its unit, while it is pending',
      NEW.request_id USING ERRCODE = '23514', CONSTRAINT = 'service_certificates_request_chk';
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS service_certificates_request_check ON service_certificates;
CREATE TRIGGER service_certificates_request_check
  BEFORE INSERT ON service_certificates
  FOR EACH ROW WHEN (NEW.request_id IS NOT NULL)
  EXECUTE FUNCTION service_certificates_request_check();

-- A certificate's serial number is handed out once: the counter only goes up and is never removed.
DROP TRIGGER IF EXISTS service_certificate_serials_guard ON service_certificate_serials;
CREATE TRIGGER service_certificate_serials_guard
  BEFORE UPDATE ON service_certificate_serials
  FOR EACH ROW WHEN (NEW.last_seq <= OLD.last_seq)
  EXECUTE FUNCTION refuse_write('55000', 'certificate serial numbers only go up');

DROP TRIGGER IF EXISTS service_certificate_serials_kept ON service_certificate_serials;
CREATE TRIGGER service_certificate_serials_kept
  BEFORE DELETE ON service_certificate_serials
  FOR EACH ROW EXECUTE FUNCTION refuse_write('55000', 'certificate serial numbers only go up');

-- Replaced by refuse_write (_shared.sql) in the triggers above.
DROP FUNCTION IF EXISTS activities_append_only();
DROP FUNCTION IF EXISTS service_certificate_serials_guard();

-- The current hours of each participation (更正, issue 18): the newest correction's figure, else the hours as
-- recorded (and, once the activity is verified, as verified); `recorded_hours_cents` is the latter, `corrections`
-- how many corrections there are. The one definition of "a participation's hours" that totals, certificates,
-- reports and claims read (verified_service_hours below, the activities and reports modules' queries).
-- A view rather than a column of activity_participants kept by a trigger: nothing to keep in step (loaders that
-- write with triggers off, the rollup rebuild, the guard above that freezes a verified activity's participants
-- stays as strict as it was), and the verified figure and every correction stay visible as written. Corrections
-- are rare, so the newest-per-participation side of the join is small. Their guards and rollup trigger:
-- activities_corrections.sql. Here because verified_service_hours reads it and this file sorts first.
CREATE OR REPLACE VIEW activity_participant_hours AS
  SELECT p.activity_id, p.member_id, coalesce(c.hours_cents, p.hours_cents) AS hours_cents,
         p.hours_cents AS recorded_hours_cents, coalesce(c.corrections, 0) AS corrections
    FROM activity_participants p
    LEFT JOIN (SELECT DISTINCT ON (activity_id, member_id) activity_id, member_id, hours_cents,
                      count(*) OVER (PARTITION BY activity_id, member_id) AS corrections
                 FROM activity_hours_corrections
                ORDER BY activity_id, member_id, created_at DESC, id DESC) c
      ON c.activity_id = p.activity_id AND c.member_id = p.member_id;

-- Verified service hours, one row per record: a participation in a verified activity (at its current, possibly
-- corrected, figure), or a confirmed service request. Only these count anywhere (totals, certificates, reports).
-- `occurred_at` is the activity's start or the request's completion; `::date` of it is the service-zone date,
-- since every connection runs with the service time zone.
CREATE OR REPLACE VIEW verified_service_hours AS
  SELECT 'activity'::text AS source, a.id AS source_id, p.member_id, a.org_unit_id, a.title,
         a.starts_at AS occurred_at, p.hours_cents
    FROM activity_participant_hours p JOIN activities a ON a.id = p.activity_id
   WHERE a.status = 'verified'
  UNION ALL
  SELECT 'service_request'::text, r.id, r.member_id, r.org_unit_id, r.title, r.completed_at, r.hours_cents
    FROM service_requests r
   WHERE r.status = 'confirmed';
