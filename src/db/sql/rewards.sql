-- Functions, triggers and views of the rewards catalogue, stock and redemptions (src/db/schema/rewards.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- Stock movements are the stock's ledger: append-only, so the cached counters on rewards can always be
-- re-derived and audited. A correction is a new movement (release, write-off), never an edit.
CREATE OR REPLACE FUNCTION reward_stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'reward_stock_movements is append-only (% refused)', TG_OP USING ERRCODE = '55000';
END;
$$;

DROP TRIGGER IF EXISTS reward_stock_movements_no_update_delete ON reward_stock_movements;
CREATE TRIGGER reward_stock_movements_no_update_delete
  BEFORE UPDATE OR DELETE ON reward_stock_movements
  FOR EACH ROW EXECUTE FUNCTION reward_stock_movements_append_only();

-- A redemption leaves `reserved` once and never comes back: fulfilled, cancelled and expired are final,
-- and what was reserved (member, reward, quantity, price) never changes. This is the database's half of
-- "fulfil and cancel happen once" (the service's half is the conditional UPDATE ... WHERE status = 'reserved').
CREATE OR REPLACE FUNCTION redemptions_guard_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'redemptions are never deleted' USING ERRCODE = '55000';
  END IF;
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
  BEFORE UPDATE OR DELETE ON redemptions
  FOR EACH ROW EXECUTE FUNCTION redemptions_guard_transition();

-- A reward is kept by a community office (社区): the service says so with 400, and the database refuses a
-- reward on any other kind of unit too, so no other write path can put a catalogue on a branch or a street.
CREATE OR REPLACE FUNCTION rewards_unit_is_community() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM org_units WHERE id = NEW.org_unit_id AND kind = 'community') THEN
    RAISE EXCEPTION 'a reward belongs to a community unit' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS rewards_unit_is_community ON rewards;
CREATE TRIGGER rewards_unit_is_community
  BEFORE INSERT OR UPDATE OF org_unit_id ON rewards
  FOR EACH ROW EXECUTE FUNCTION rewards_unit_is_community();

-- The counter's two hot commands as one statement each (issue 9, redemption cycle). A createRedemption
-- used to be 18 round trips inside one transaction (BEGIN, key, savepoint, five reads, seven writes, a
-- re-read, COMMIT) and a cancel 11; every round trip is a socket write and read on both sides, and the
-- transaction held its row locks through all of them. Now the service reads what it needs to decide in one
-- statement, decides in TypeScript (the check order of rewards/domain.ts), and writes everything in one call
-- of the functions below, which run in their own implicit transaction (or the caller's, for the sweep and
-- fulfil). A write that the conditions refuse raises SQLSTATE VP422 with the refusal's code as message and
-- its figures as JSON detail: the whole statement rolls back, nothing is half-written.
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

-- Reserves a reward (createRedemption after the service's checks passed): the Idempotency-Key with its final
-- answer first (a concurrent request with the same key waits on it, then finds it), the per-member limit
-- re-counted under the (member, reward) advisory lock, the redemption, the points hold, the stock, the audit
-- event. Lock order as everywhere: key > member account > reward row (the shared one last, so others queue on
-- it for the least time). Returns 'done', or 'stored' with what the key already holds.
CREATE OR REPLACE FUNCTION redemption_reserve(
  p_user uuid, p_key text, p_operation text, p_request_hash text, p_answer jsonb,
  p_id uuid, p_member uuid, p_reward uuid, p_unit uuid, p_quantity integer, p_points_cost bigint,
  p_amount bigint, p_at timestamptz,
  p_limit integer, p_year_start timestamptz, p_year_end timestamptz,
  p_hold_id uuid, p_memo text, p_content text)
RETURNS TABLE (outcome text, status_code integer, response_body json, request_hash text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_taken integer;
  v_available integer;
BEGIN
  INSERT INTO idempotency_keys (user_id, key, operation, request_hash, status_code, response_body)
  VALUES (p_user, p_key, p_operation, p_request_hash, 201, p_answer::json)
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'stored'::text, k.status_code, k.response_body, k.request_hash
      FROM idempotency_keys k WHERE k.user_id = p_user AND k.key = p_key;
    RETURN;
  END IF;
  IF p_limit IS NOT NULL THEN
    -- One member's redemptions of one reward are serialised, so the count cannot be raced past the limit.
    PERFORM pg_advisory_xact_lock(hashtextextended('redeem:' || p_member || ':' || p_reward, 0));
    SELECT coalesce(sum(quantity), 0) INTO v_taken FROM redemptions
     WHERE member_id = p_member AND reward_id = p_reward AND status IN ('reserved', 'fulfilled')
       AND created_at >= p_year_start AND created_at < p_year_end;
    IF v_taken + p_quantity > p_limit THEN
      RAISE EXCEPTION 'limit_reached' USING ERRCODE = 'VP422',
        DETAIL = json_build_object('limit', p_limit, 'taken', v_taken)::text;
    END IF;
  END IF;
  INSERT INTO redemptions (id, member_id, reward_id, org_unit_id, quantity, points_cost, amount, hold_id,
                           created_by, created_at)
  VALUES (p_id, p_member, p_reward, p_unit, p_quantity, p_points_cost, p_amount, p_hold_id::text, p_user, p_at);
  PERFORM 1 FROM ledger_post(p_hold_id, 'hold', p_member, 0, p_amount, 0, NULL, p_memo, NULL, 'redemption', p_id,
                             NULL, p_user, p_content, p_amount, NULL, NULL);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'insufficient_points' USING ERRCODE = 'VP422', DETAIL = '{}';
  END IF;
  PERFORM 1 FROM reward_move_stock(p_reward, 'reserved', p_quantity, 0, 0, 0, p_quantity, p_id, NULL, p_user);
  IF NOT FOUND THEN
    SELECT stock_available INTO v_available FROM rewards WHERE id = p_reward;
    RAISE EXCEPTION 'out_of_stock' USING ERRCODE = 'VP422',
      DETAIL = json_build_object('available', coalesce(v_available, 0))::text;
  END IF;
  PERFORM audit_record(p_user, 'redemption.create', 'redemption', p_id, p_unit, NULL, p_answer);
  RETURN QUERY SELECT 'done'::text, 201, p_answer::json, p_request_hash;
END;
$$;

-- Ends a reserved redemption: fulfil (points posted to the community's redemption account, stock handed out),
-- cancel or expire (hold voided, stock released). The conditional update on status = 'reserved' decides a
-- race between them; the loser gets VP422 invalid_state with the status it found. The ledger transaction's id,
-- legs and chain content come from the service (ledger/service.ts prepares them for every posting).
CREATE OR REPLACE FUNCTION redemption_end(
  p_id uuid, p_ending text, p_actor uuid, p_reason text, p_note text, p_at timestamptz,
  p_tx_id uuid, p_kind text, p_amount bigint, p_held_change bigint, p_counter uuid, p_memo text, p_content text,
  p_need_held bigint, p_quantity integer, p_handed_out integer, p_reserved integer, p_answer jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  v_status text;
BEGIN
  UPDATE redemptions SET
      status = CASE p_ending WHEN 'fulfil' THEN 'fulfilled' WHEN 'cancel' THEN 'cancelled' ELSE 'expired' END,
      fulfilled_at = CASE WHEN p_ending = 'fulfil' THEN p_at END,
      fulfilled_by = CASE WHEN p_ending = 'fulfil' THEN p_actor END,
      cancelled_at = CASE WHEN p_ending = 'cancel' THEN p_at END,
      cancelled_by = CASE WHEN p_ending = 'cancel' THEN p_actor END,
      cancel_reason = CASE WHEN p_ending = 'cancel' THEN p_reason END,
      expired_at = CASE WHEN p_ending = 'expire' THEN p_at END,
      capture_transaction_id = CASE WHEN p_ending = 'fulfil' THEN p_tx_id::text END,
      release_transaction_id = CASE WHEN p_ending <> 'fulfil' THEN p_tx_id::text END
   WHERE id = p_id AND status = 'reserved'
  RETURNING reward_id, org_unit_id, member_id, amount, quantity INTO r;
  IF NOT FOUND THEN
    SELECT status INTO v_status FROM redemptions WHERE id = p_id;
    RAISE EXCEPTION 'invalid_state' USING ERRCODE = 'VP422',
      DETAIL = json_build_object('status', coalesce(v_status, 'missing'))::text;
  END IF;
  IF r.amount <> p_need_held OR r.quantity <> p_quantity THEN
    RAISE EXCEPTION 'redemption % changed under its ending (amount %, quantity %)', p_id, r.amount, r.quantity;
  END IF;
  PERFORM 1 FROM ledger_post(p_tx_id, p_kind, r.member_id, p_amount, p_held_change, 0, p_counter, p_memo, NULL,
                             'redemption', p_id, NULL, p_actor, p_content, NULL, p_need_held, p_id);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the hold of redemption % is missing or already settled', p_id;
  END IF;
  PERFORM 1 FROM reward_move_stock(r.reward_id, CASE WHEN p_ending = 'fulfil' THEN 'handed_out' ELSE 'released' END,
                                   p_quantity, 0, p_handed_out, 0, p_reserved, p_id, p_note, p_actor);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'stock of reward % does not cover redemption %', r.reward_id, p_id;
  END IF;
  PERFORM audit_record(p_actor, 'redemption.' || p_ending, 'redemption', p_id, r.org_unit_id,
                       '{"status":"reserved"}'::jsonb, p_answer);
END;
$$;
