-- Functions and triggers of the events outbox (src/db/schema/events.ts, issue 20). Repeatable SQL, applied by
-- migrate() whenever this text changes; every statement is safe to run again.

-- The outbox is a record of what happened: never edited, never removed (a consumer's dedupe key must keep
-- meaning the same thing). Deliveries refer to it. The one change allowed is the dispatcher numbering an event
-- for the feed, once (feed_seq from null to a number, nothing else).
DROP TRIGGER IF EXISTS events_append_only ON events;
CREATE OR REPLACE FUNCTION events_only_numbered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.feed_seq IS NULL AND NEW.feed_seq IS NOT NULL
     AND (to_jsonb(NEW) - 'feed_seq') = (to_jsonb(OLD) - 'feed_seq') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'events is append-only (% refused)', TG_OP USING ERRCODE = '55000';
END;
$$;
DROP TRIGGER IF EXISTS events_only_numbered ON events;
CREATE TRIGGER events_only_numbered
  BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_only_numbered();

-- One event written from inside a database function (the redemption functions of rewards.sql, which are one
-- statement each for speed): the same row recordEvents (src/modules/events/record.ts) writes, from the jsonb
-- events/record.ts preparedEvent() builds: {id, type, orgUnitId, subjectType, subjectId, memberId, data}.
-- A null event writes nothing (recording off: the benchmark's comparison only).
CREATE OR REPLACE FUNCTION event_record(p_event jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_event IS NULL OR jsonb_typeof(p_event) = 'null' THEN
    RETURN;
  END IF;
  INSERT INTO events (id, type, org_unit_id, org_path, subject_type, subject_id, member_id, data)
  VALUES ((p_event->>'id')::uuid, p_event->>'type', (p_event->>'orgUnitId')::uuid,
          (SELECT u.path FROM org_units u WHERE u.id = (p_event->>'orgUnitId')::uuid),
          p_event->>'subjectType', (p_event->>'subjectId')::uuid, (p_event->>'memberId')::uuid,
          p_event->'data');
END;
$$;
