-- Stock movements are the stock's ledger: append-only, so the cached counters on rewards can always be
-- re-derived and audited. A correction is a new movement (release, write-off), never an edit.
CREATE OR REPLACE FUNCTION reward_stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'reward_stock_movements is append-only (% refused)', TG_OP USING ERRCODE = '55000';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER reward_stock_movements_no_update_delete
  BEFORE UPDATE OR DELETE ON reward_stock_movements
  FOR EACH ROW EXECUTE FUNCTION reward_stock_movements_append_only();
--> statement-breakpoint
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
--> statement-breakpoint
CREATE TRIGGER redemptions_guard_transition
  BEFORE UPDATE OR DELETE ON redemptions
  FOR EACH ROW EXECUTE FUNCTION redemptions_guard_transition();
