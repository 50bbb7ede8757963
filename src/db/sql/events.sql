-- Functions and triggers of the events outbox (src/db/schema/events.ts, issue 20). Repeatable SQL, applied by
-- migrate() whenever this text changes; every statement is safe to run again.

-- The outbox is a record of what happened: never edited, never removed (a consumer's dedupe key must keep
-- meaning the same thing). Deliveries refer to it. Its place in the feed lives in event_feed (numbered there).
DROP TRIGGER IF EXISTS events_only_numbered ON events;
DROP FUNCTION IF EXISTS events_only_numbered();
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events is append-only (% refused)', TG_OP USING ERRCODE = '55000';
END;
$$;
DROP TRIGGER IF EXISTS events_append_only ON events;
CREATE TRIGGER events_append_only
  BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();

-- Every event gets its feed row in the statement that writes it, whoever writes it (recordEvents, event_record):
-- one insert per statement from the transition table (a finalize's 2,000 events are one insert here too).
CREATE OR REPLACE FUNCTION events_enter_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO event_feed (event_id, tx_id, member_id) SELECT n.id, n.tx_id, n.member_id FROM new_events n;
  RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS events_enter_feed ON events;
CREATE TRIGGER events_enter_feed
  AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION events_enter_feed();

-- A feed row changes once: the dispatcher numbers it (seq from null to a number, nothing else). Never removed.
CREATE OR REPLACE FUNCTION event_feed_only_numbered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.event_id = OLD.event_id
     AND NEW.tx_id = OLD.tx_id AND NEW.member_id IS NOT DISTINCT FROM OLD.member_id THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'event_feed rows are only numbered (% refused)', TG_OP USING ERRCODE = '55000';
END;
$$;
DROP TRIGGER IF EXISTS event_feed_only_numbered ON event_feed;
CREATE TRIGGER event_feed_only_numbered
  BEFORE UPDATE OR DELETE ON event_feed
  FOR EACH ROW EXECUTE FUNCTION event_feed_only_numbered();

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
