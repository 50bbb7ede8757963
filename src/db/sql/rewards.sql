-- Functions, triggers and views of the rewards catalogue, stock and redemptions (src/db/schema/rewards.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- Stock movements are the stock's ledger: append-only, so the cached counters on rewards can always be
-- re-derived and audited. A correction is a new movement (release, write-off), never an edit.
DROP TRIGGER IF EXISTS reward_stock_movements_no_update_delete ON reward_stock_movements;
CREATE TRIGGER reward_stock_movements_no_update_delete
  BEFORE UPDATE OR DELETE ON reward_stock_movements
  FOR EACH ROW EXECUTE FUNCTION refuse_write('55000', '%1$s is append-only (%2$s refused)');

-- A redemption leaves `reserved` once and never comes back: fulfilled, cancelled and expired are final,
-- and what was reserved (member, reward, quantity, price) never changes. This is the database's half of
-- "fulfil and cancel happen once" (the service's half is the conditional UPDATE ... WHERE status = 'reserved').
-- On the counter's path (redemption_end's update): one PL/pgSQL call of plain comparisons, nothing read.
CREATE OR REPLACE FUNCTION redemptions_guard_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'reserved' AND NEW.status IS DISTINCT FROM OLD.status THEN
    RAISE EXCEPTION 'redemption % is % and cannot become %', OLD.id, OLD.status, NEW.status USING ERRCODE = '55000';
  END IF;
  IF NEW.member_id <> OLD.member_id OR NEW.reward_id <> OLD.reward_id OR NEW.org_unit_id <> OLD.org_unit_id
     OR NEW.quantity <> OLD.quantity OR NEW.points_cost <> OLD.points_cost OR NEW.amount <> OLD.amount
     OR NEW.created_at <> OLD.created_at THEN
    RAISE EXCEPTION 'what a redemption reserved never changes' USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS redemptions_guard_transition ON redemptions;
CREATE TRIGGER redemptions_guard_transition
  BEFORE UPDATE ON redemptions
  FOR EACH ROW EXECUTE FUNCTION redemptions_guard_transition();

DROP TRIGGER IF EXISTS redemptions_kept ON redemptions;
CREATE TRIGGER redemptions_kept
  BEFORE DELETE ON redemptions
  FOR EACH ROW EXECUTE FUNCTION refuse_write('55000', 'redemptions are never deleted');

-- A reward is kept by a community office (社区): the service says so with 400, and the database refuses a
-- reward on any other kind of unit too, so no other write path can put a catalogue on a branch or a street.
DROP TRIGGER IF EXISTS rewards_unit_is_community ON rewards;
CREATE TRIGGER rewards_unit_is_community
  BEFORE INSERT OR UPDATE OF org_unit_id ON rewards
  FOR EACH ROW WHEN (org_unit_kind(NEW.org_unit_id) IS DISTINCT FROM 'community')
  EXECUTE FUNCTION refuse_write('23514', 'a reward belongs to a community unit');

-- Replaced by refuse_write (_shared.sql) in the triggers above.
DROP FUNCTION IF EXISTS reward_stock_movements_append_only();
DROP FUNCTION IF EXISTS rewards_unit_is_community();

-- The counter's two hot commands as one statement each (issue 9, redemption cycle). A createRedemption
-- used to be 18 round trips inside one transaction (BEGIN, key, savepoint, five reads, seven writes, a
-- re-read, COMMIT) and a cancel 11; every round trip is a socket write and read on both sides, and the
-- transaction held its row locks through all of them. Now the service reads in one statement what it
-- decides on itself and makes one call of the functions below, which run in their own implicit transaction
-- (or the caller's: the sweep).
--
-- One owner for each rule (issue 16). What can race is decided here and nowhere else, the way a ledger
-- does it: lock, decide once, commit once. The functions take the rows a concurrent request could change
-- (the member's account, the reward's stock, the redemption's status) under lock, decide stock, available
-- points, the yearly limit and "still reserved" on what they hold, and only then write, so a refusal has
-- written nothing and is an answer, not an error: one typed row (outcome 'refused', the API's error code,
-- its figures as jsonb detail), which rewards/redemptions.ts maps to the problem body. What cannot race
-- stays in TypeScript: who may see the member and the reward, the reward being active, the threshold
-- (the service reads those in one statement first; a change in between orders this command just before
-- it), and the status an ending gives (ENDING_STATUS, rewards/domain.ts). An exception from these functions
-- is a broken invariant (500), never a refusal.
--
-- Each takes one jsonb command (rewards/redemption-repo.ts builds it). Ledger postings arrive as the
-- ledger prepared them (ledger/service.ts prepareHold, prepareSettlement: id, legs, chain content), keyed
-- as ledger_post's parameters without the p_; they are written with ledger_post, which keeps its own
-- guards (available covers a hold, a settlement needs the hold and settles it once).
--
-- ledger_post, reward_move_stock and audit_record are the single definitions of those writes: the TypeScript
-- repos call them too (ledger/repo.ts post, rewards/repo.ts moveStock, audit/writer.ts recordAudit).

-- One stock movement and the cached counters it changes. A movement that takes from what is available
-- (reserve, write off) is conditional on it: no row back means "not enough available", nothing written.
CREATE OR REPLACE FUNCTION reward_move_stock(
  p_reward uuid, p_kind text, p_quantity integer,
  p_received integer, p_handed_out integer, p_written_off integer, p_reserved integer,
  p_redemption uuid, p_note text, p_actor uuid)
RETURNS TABLE (movement_id uuid, available integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_on_hand integer := p_received - p_handed_out - p_written_off;
  v_available_delta integer := p_received - p_handed_out - p_written_off - p_reserved;
  v_available integer;
  v_movement uuid;
BEGIN
  UPDATE rewards SET
      stock_received = stock_received + p_received,
      stock_handed_out = stock_handed_out + p_handed_out,
      stock_written_off = stock_written_off + p_written_off,
      stock_on_hand = stock_on_hand + v_on_hand,
      stock_reserved = stock_reserved + p_reserved,
      stock_available = stock_available + v_available_delta,
      updated_at = now()
   WHERE id = p_reward AND (v_available_delta >= 0 OR stock_available >= -v_available_delta)
  RETURNING stock_available INTO v_available;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  INSERT INTO reward_stock_movements (reward_id, kind, quantity, redemption_id, note, actor_user_id)
  VALUES (p_reward, p_kind, p_quantity, p_redemption, p_note, p_actor)
  RETURNING id INTO v_movement;
  RETURN QUERY SELECT v_movement, v_available;
END;
$$;

-- The positional signatures these functions had before issue 16: dropped, so no old overload lingers.
DROP FUNCTION IF EXISTS redemption_reserve(uuid, text, text, text, jsonb, uuid, uuid, uuid, uuid, integer, bigint,
  bigint, timestamptz, integer, timestamptz, timestamptz, uuid, text, text);
DROP FUNCTION IF EXISTS redemption_end(uuid, text, uuid, text, text, timestamptz, uuid, text, bigint, bigint, uuid,
  text, text, bigint, integer, integer, integer, jsonb);

-- Reserves a reward for a member: createRedemption's write, after the checks that cannot race passed.
--
-- The check order of POST /redemptions, written here and only here (README and the route's description
-- refer to it). When several checks fail, the first one answers:
--   1. 400 validation_failed        the body's shape (route schema)
--   2. 409 idempotency_key_reused   the key holds an answer to another request (to this one: it replays)
--   3. 404 not_found                in turn: a member (not a clerk) asking for someone else ('member'); the
--                                   reward outside what the caller may hand out ('reward'; before the member,
--                                   so a clerk learns nothing of an unseen member's catalogue); the member not
--                                   visible to the clerk ('member'); the reward not in the member's catalogue
--                                   ('reward')
--   4. 409 invalid_state            the reward is not active
--   5. 422 below_threshold          lifetime earned points < the nearest redemptionThreshold
--                                   {lifetimeEarned, threshold}
--   -- 1-5 in TypeScript (rewards/redemptions.ts, createRedemption); 6-8 here, under the locks --
--   6. 422 limit_reached            this calendar year's reserved + fulfilled units of the reward + quantity
--                                   > perMemberLimit {limit, taken}
--   7. 422 out_of_stock             the reward's available stock < quantity {available}
--   8. 422 insufficient_points      the member's available points (balance - held) < quantity * pointsCost
--
-- cmd: {userId, key, operation, requestHash, answer (the 201 body), id, memberId, rewardId, orgUnitId,
--       quantity, pointsCost, amount, at, yearStart, yearEnd (the service zone's calendar year), hold (the
--       ledger's prepared hold posting), event (redemption.reserved, as events' preparedEvent builds it, written
--       in the same statement by event_record, events.sql; null writes none)}.
-- One row back:
--   ('ok', NULL, NULL, NULL)            reserved: the key with its answer, the redemption, the hold, the stock
--                                       movement and the audit event, all written;
--   ('refused', code, detail, NULL)     6-8 above: nothing written (the service stores the refusal under the
--                                       key, so a retry with the key answers the same);
--   ('stored', NULL, NULL, stored)      the key already held an answer, {requestHash, statusCode,
--                                       responseBody}: a concurrent request with the same key got there
--                                       first; nothing written.
-- Locks, in the order every redemption function takes them (so two never wait on each other in a circle):
-- the member's account, then the reward row (shared by every redemption of that reward: taken last, held
-- the least), then the key. Every reservation by the member queues on the first, so the year's count below
-- cannot be raced past the limit.
CREATE OR REPLACE FUNCTION redemption_reserve(cmd jsonb)
RETURNS TABLE (outcome text, code text, detail jsonb, stored json)
LANGUAGE plpgsql AS $$
DECLARE
  v_user uuid := (cmd->>'userId')::uuid;
  v_key text := cmd->>'key';
  v_id uuid := (cmd->>'id')::uuid;
  v_member uuid := (cmd->>'memberId')::uuid;
  v_reward uuid := (cmd->>'rewardId')::uuid;
  v_unit uuid := (cmd->>'orgUnitId')::uuid;
  v_quantity integer := (cmd->>'quantity')::integer;
  v_amount bigint := (cmd->>'amount')::bigint;
  v_answer jsonb := cmd->'answer';
  v_points bigint;
  v_stock integer;
  v_limit integer;
  v_taken integer;
BEGIN
  -- Lock.
  SELECT a.balance - a.held INTO v_points FROM ledger_accounts a WHERE a.member_id = v_member
     FOR NO KEY UPDATE;
  SELECT r.stock_available, r.per_member_limit INTO v_stock, v_limit FROM rewards r WHERE r.id = v_reward
     FOR NO KEY UPDATE;
  -- Decide, once, in the order above.
  IF v_limit IS NOT NULL THEN
    SELECT coalesce(sum(d.quantity), 0) INTO v_taken FROM redemptions d
     WHERE d.member_id = v_member AND d.reward_id = v_reward AND d.status IN ('reserved', 'fulfilled')
       AND d.created_at >= (cmd->>'yearStart')::timestamptz AND d.created_at < (cmd->>'yearEnd')::timestamptz;
    IF v_taken + v_quantity > v_limit THEN
      RETURN QUERY SELECT 'refused', 'limit_reached', jsonb_build_object('limit', v_limit, 'taken', v_taken),
                          NULL::json;
      RETURN;
    END IF;
  END IF;
  IF coalesce(v_stock, 0) < v_quantity THEN
    RETURN QUERY SELECT 'refused', 'out_of_stock', jsonb_build_object('available', coalesce(v_stock, 0)),
                        NULL::json;
    RETURN;
  END IF;
  IF coalesce(v_points, 0) < v_amount THEN
    RETURN QUERY SELECT 'refused', 'insufficient_points', '{}'::jsonb, NULL::json;
    RETURN;
  END IF;
  -- Commit. The key first: a concurrent request with the same key that got here first (it held these locks
  -- before us) has its answer there, and that is this request's answer too.
  INSERT INTO idempotency_keys (user_id, key, operation, request_hash, status_code, response_body)
  VALUES (v_user, v_key, cmd->>'operation', cmd->>'requestHash', 201, v_answer::json)
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'stored', NULL::text, NULL::jsonb,
                        json_build_object('requestHash', k.request_hash, 'statusCode', k.status_code,
                                          'responseBody', k.response_body)
      FROM idempotency_keys k WHERE k.user_id = v_user AND k.key = v_key;
    RETURN;
  END IF;
  INSERT INTO redemptions (id, member_id, reward_id, org_unit_id, quantity, points_cost, amount, hold_id,
                           created_by, created_at)
  VALUES (v_id, v_member, v_reward, v_unit, v_quantity, (cmd->>'pointsCost')::bigint, v_amount,
          cmd->'hold'->>'id', v_user, (cmd->>'at')::timestamptz);
  PERFORM 1 FROM jsonb_to_record(cmd->'hold') AS h(
           id uuid, kind text, member_id uuid, amount bigint, held_change bigint, earned_change bigint,
           counter_account_id uuid, memo text, reason text, reference_type text, reference_id uuid,
           effective_date date, actor_user_id uuid, content text,
           need_available bigint, need_held bigint, settles uuid),
         LATERAL ledger_post(h.id, h.kind, h.member_id, h.amount, h.held_change, h.earned_change,
           h.counter_account_id, h.memo, h.reason, h.reference_type, h.reference_id, h.effective_date,
           h.actor_user_id, h.content, h.need_available, h.need_held, h.settles);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the hold of redemption % was refused under the lock that decided it', v_id;
  END IF;
  PERFORM 1 FROM reward_move_stock(v_reward, 'reserved', v_quantity, 0, 0, 0, v_quantity, v_id, NULL, v_user);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'stock of reward % was refused under the lock that decided it', v_reward;
  END IF;
  PERFORM audit_record(v_user, 'redemption.create', 'redemption', v_id, v_unit, NULL, v_answer);
  PERFORM event_record(cmd->'event');
  RETURN QUERY SELECT 'ok', NULL::text, NULL::jsonb, NULL::json;
END;
$$;

-- Ends a reserved redemption: fulfil (held points posted to the community's redemption account, stock handed
-- out), cancel or expire (hold voided, stock released). Only a reserved redemption ends, once: the
-- conditional update on status = 'reserved' locks the row and decides in one step, so fulfil, cancel and the
-- expiry sweep racing for one redemption end it one way; the others find it ended.
--
-- cmd: {id, ending ('fulfil' | 'cancel' | 'expire': names the audit action), status (what the ending makes of
--       it: ENDING_STATUS), actorUserId (null: the sweep), reason, note (the stock movement's), at, posting
--       (the ledger's prepared settlement), answer (the 200 body), event (redemption.fulfilled / .cancelled /
--       .expired for event_record, events.sql)}.
-- One row back: ('ok', NULL, NULL) ended and all of it written; ('refused', 'invalid_state', {status}) the
-- redemption is no longer reserved ({status}: what it is, 'missing' if there is none), nothing written.
-- The posting and the stock movement follow from the row this update locked: what a redemption reserved never
-- changes (redemptions_guard_transition), so the row the service prepared the posting from is this row.
-- Locks: the redemption row, then the member's account (ledger_post), then the reward row.
CREATE OR REPLACE FUNCTION redemption_end(cmd jsonb)
RETURNS TABLE (outcome text, code text, detail jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid := (cmd->>'id')::uuid;
  v_status text := cmd->>'status';
  v_actor uuid := (cmd->>'actorUserId')::uuid;
  v_at timestamptz := (cmd->>'at')::timestamptz;
  v_posting text := cmd->'posting'->>'id';
  r record;
  v_found text;
BEGIN
  -- Lock and decide.
  UPDATE redemptions d SET
      status = v_status,
      fulfilled_at = CASE WHEN v_status = 'fulfilled' THEN v_at END,
      fulfilled_by = CASE WHEN v_status = 'fulfilled' THEN v_actor END,
      cancelled_at = CASE WHEN v_status = 'cancelled' THEN v_at END,
      cancelled_by = CASE WHEN v_status = 'cancelled' THEN v_actor END,
      cancel_reason = CASE WHEN v_status = 'cancelled' THEN cmd->>'reason' END,
      expired_at = CASE WHEN v_status = 'expired' THEN v_at END,
      capture_transaction_id = CASE WHEN v_status = 'fulfilled' THEN v_posting END,
      release_transaction_id = CASE WHEN v_status <> 'fulfilled' THEN v_posting END
   WHERE d.id = v_id AND d.status = 'reserved'
  RETURNING d.reward_id, d.org_unit_id, d.quantity INTO r;
  IF NOT FOUND THEN
    SELECT d.status INTO v_found FROM redemptions d WHERE d.id = v_id;
    RETURN QUERY SELECT 'refused', 'invalid_state', jsonb_build_object('status', coalesce(v_found, 'missing'));
    RETURN;
  END IF;
  -- Commit.
  PERFORM 1 FROM jsonb_to_record(cmd->'posting') AS p(
           id uuid, kind text, member_id uuid, amount bigint, held_change bigint, earned_change bigint,
           counter_account_id uuid, memo text, reason text, reference_type text, reference_id uuid,
           effective_date date, actor_user_id uuid, content text,
           need_available bigint, need_held bigint, settles uuid),
         LATERAL ledger_post(p.id, p.kind, p.member_id, p.amount, p.held_change, p.earned_change,
           p.counter_account_id, p.memo, p.reason, p.reference_type, p.reference_id, p.effective_date,
           p.actor_user_id, p.content, p.need_available, p.need_held, p.settles);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the hold of redemption % is missing or already settled', v_id;
  END IF;
  PERFORM 1 FROM reward_move_stock(r.reward_id, CASE WHEN v_status = 'fulfilled' THEN 'handed_out' ELSE 'released' END,
                                   r.quantity, 0, CASE WHEN v_status = 'fulfilled' THEN r.quantity ELSE 0 END, 0,
                                   -r.quantity, v_id, cmd->>'note', v_actor);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'stock of reward % does not cover redemption %', r.reward_id, v_id;
  END IF;
  PERFORM audit_record(v_actor, 'redemption.' || (cmd->>'ending'), 'redemption', v_id, r.org_unit_id,
                       '{"status":"reserved"}'::jsonb, cmd->'answer');
  PERFORM event_record(cmd->'event');
  RETURN QUERY SELECT 'ok', NULL::text, NULL::jsonb;
END;
$$;
