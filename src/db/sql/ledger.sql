-- Functions, triggers and views of the points ledger (src/db/schema/ledger.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- Ledger invariants held by PostgreSQL itself, so a bug in TypeScript (or a hand-typed UPDATE) cannot break them.

-- 1. Append-only: entries and transactions are never changed or removed; a correction is a reversal.
DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION refuse_write('restrict_violation',
    'ledger %1$s are append-only: %2$s refused (post a reversal instead)');

DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON ledger_entries;
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_write('restrict_violation',
    'ledger %1$s are append-only: %2$s refused (post a reversal instead)');

DROP TRIGGER IF EXISTS ledger_transactions_append_only ON ledger_transactions;
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION refuse_write('restrict_violation',
    'ledger %1$s are append-only: %2$s refused (post a reversal instead)');

DROP TRIGGER IF EXISTS ledger_transactions_no_truncate ON ledger_transactions;
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_write('restrict_violation',
    'ledger %1$s are append-only: %2$s refused (post a reversal instead)');

-- Replaced by refuse_write (_shared.sql) in the triggers above.
DROP FUNCTION IF EXISTS ledger_refuse_change();

-- 2. Double entry: at commit, every transaction has entries and they sum to zero. Deferred, because the
--    header and its entries are inserted by separate statements (or CTE parts) of one transaction.
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n bigint; total numeric;
BEGIN
  SELECT count(*), coalesce(sum(amount), 0) INTO n, total FROM ledger_entries WHERE transaction_id = NEW.id;
  IF n = 0 OR total <> 0 THEN
    RAISE EXCEPTION 'ledger transaction % does not balance (% entries, sum %)', NEW.id, n, total
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transactions_balanced';
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_transactions_balanced ON ledger_transactions;
CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- 3. Holds never make available negative. A row CHECK sees only the new row, so it cannot tell a hold
--    (must keep balance - held >= 0) from a deduction (may leave a debt while holds are outstanding):
--    this trigger fires only when `held` grows. The same rule is the CHECK ledger_entries_hold_covered_chk
--    on the hold's entry, and the conditional UPDATE in TypeScript decides it first.
CREATE OR REPLACE FUNCTION ledger_refuse_overdraw() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'hold of % would leave account % with available %', NEW.held - OLD.held, NEW.id, NEW.balance - NEW.held
    USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_accounts_hold_covered';
END $$;

DROP TRIGGER IF EXISTS ledger_accounts_hold_covered ON ledger_accounts;
CREATE TRIGGER ledger_accounts_hold_covered BEFORE UPDATE ON ledger_accounts
  FOR EACH ROW WHEN (NEW.held > OLD.held AND NEW.balance - NEW.held < 0)
  EXECUTE FUNCTION ledger_refuse_overdraw();

-- 4. Cached state is justified by an entry: at commit, each state a member account passed through is the
--    state recorded on its entry of that version, and its chain head is that version's transaction hash.
--    A plain `UPDATE ledger_accounts SET balance = ...` therefore fails.
CREATE OR REPLACE FUNCTION ledger_check_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
       SELECT 1 FROM ledger_entries e
       WHERE e.account_id = NEW.id AND e.account_version = NEW.version
         AND e.balance_after = NEW.balance AND e.held_after = NEW.held)
     OR NOT EXISTS (
       SELECT 1 FROM ledger_transactions t
       WHERE t.account_id = NEW.id AND t.chain_seq = NEW.version AND t.hash = NEW.head_hash) THEN
    RAISE EXCEPTION 'cached state of ledger account % (version %) is not justified by its entries', NEW.id, NEW.version
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_accounts_cache_justified';
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_accounts_cache_justified ON ledger_accounts;
CREATE CONSTRAINT TRIGGER ledger_accounts_cache_justified AFTER INSERT OR UPDATE ON ledger_accounts
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (NEW.kind = 'member' AND (NEW.version > 0 OR NEW.balance <> 0 OR NEW.held <> 0))
  EXECUTE FUNCTION ledger_check_cache();

-- One link of a member's hash chain (tamper evidence): sha256 of the previous link's hash, the transaction's
-- canonical content (ledger/domain.ts canonicalContent, built by the caller) and '|' with its effective date,
-- as hex. The one definition of the formula: ledger_post writes each link with it, and verifyLedger
-- (ledger/verify.ts) recomputes the stored links with it. STABLE, not IMMUTABLE: to_char is stable, and a
-- SQL function whose body is no more volatile than declared is inlined into the statement that calls it.
CREATE OR REPLACE FUNCTION ledger_chain_link(p_previous text, p_content text, p_effective_date date)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT encode(sha256(convert_to(
    p_previous || p_content || '|' || to_char(p_effective_date, 'YYYY-MM-DD'), 'UTF8')), 'hex')
$$;

-- Every posting is ledger_post_many, the one definition of a posting: the redemption counter's writes (issue 9)
-- call it through ledger_post in their one statement (see redemption_reserve in rewards.sql), the TypeScript
-- repos through ledger_post for one posting (ledger/repo.ts post) and directly for a batch (ledger/repo.ts
-- postMany, a round's finalize).

-- Postings, set-based: for each element of p_postings (a JSON array of objects keyed by ledger_post's parameter
-- names without the p_; a missing key is null) the conditional update of the member account (balance, held,
-- lifetime earned, version and hash-chain head move together), the transaction row with the new chain hash,
-- and its entries (the member entry records the state after it). One statement per wave: a member with n
-- postings in the batch is in waves 1..n in array order, so each statement moves each account one chain step
-- and the next wave sees it (a batch of distinct members, or a single posting, is one statement). Returns a row
-- per posting written; a posting whose condition failed (available or held short, already settled, or no
-- account) has no row and wrote nothing. Accounts are locked in the statement's join order: a caller posting
-- for several members at once sorts the batch by member (ledger/service.ts postClaimResults).
CREATE OR REPLACE FUNCTION ledger_post_many(p_postings jsonb)
RETURNS TABLE (id uuid, created_at timestamptz, balance bigint, held bigint, version bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_waves bigint := 1;
BEGIN
  IF jsonb_array_length(p_postings) <> 1 THEN
    SELECT coalesce(max(n), 0) INTO v_waves
    FROM (SELECT count(*) AS n FROM jsonb_array_elements(p_postings) e GROUP BY e ->> 'member_id') c;
  END IF;
  FOR v_wave IN 1..v_waves LOOP
    RETURN QUERY
    WITH x AS (
      SELECT x.*, coalesce(x.effective_date, current_date) AS d
      FROM (SELECT x.*, row_number() OVER (PARTITION BY x.member_id ORDER BY e.n) AS wave
            FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS e(j, n),
                 jsonb_to_record(e.j) AS x(
                   id uuid, kind text, member_id uuid, amount bigint, held_change bigint, earned_change bigint,
                   counter_account_id uuid, memo text, reason text, reference_type text, reference_id uuid,
                   effective_date date, actor_user_id uuid, content text,
                   need_available bigint, need_held bigint, settles uuid)) x
      WHERE x.wave = v_wave),
    -- Every later part reads acct alone (no join back to x or t: a wave's size is not known when the plan is
    -- made, and a join planned for one row would compare every pair). created_at is now(), the column's default,
    -- written and returned alike; the entries' foreign key to their transaction is checked at statement end.
    acct AS (
      UPDATE ledger_accounts a
         SET balance = a.balance + x.amount,
             held = a.held + x.held_change,
             lifetime_earned = a.lifetime_earned + x.earned_change,
             version = a.version + 1,
             head_hash = ledger_chain_link(a.head_hash, x.content, x.d)
        FROM x
       WHERE a.member_id = x.member_id
         AND (x.need_available IS NULL OR a.balance - a.held >= x.need_available)
         AND (x.need_held IS NULL OR a.held >= x.need_held)
         AND (x.settles IS NULL OR NOT EXISTS (
               SELECT 1 FROM ledger_transactions s
               WHERE s.reference_id = x.settles AND s.kind IN ('post', 'void')))
      RETURNING x.id AS tx_id, x.kind, x.member_id, x.amount, x.held_change, x.counter_account_id, x.memo, x.reason,
                x.reference_type, x.reference_id, x.d, x.actor_user_id,
                a.id AS account_id, a.balance, a.held, a.version, a.head_hash),
    t AS (
      INSERT INTO ledger_transactions (id, kind, member_id, account_id, chain_seq, hash, memo, reason,
                                       reference_type, reference_id, effective_date, actor_user_id, created_at)
      SELECT tx_id, kind, member_id, account_id, version, head_hash, memo, reason,
             reference_type, reference_id, d, actor_user_id, now()
      FROM acct),
    e AS (
      INSERT INTO ledger_entries (transaction_id, account_id, amount, held_change, account_version,
                                  balance_after, held_after)
      SELECT tx_id, account_id, amount, held_change, version, balance, held
      FROM acct
      UNION ALL
      SELECT tx_id, counter_account_id, -amount, 0, NULL, NULL, NULL
      FROM acct WHERE counter_account_id IS NOT NULL AND amount <> 0)
    SELECT acct.tx_id, now(), acct.balance, acct.held, acct.version FROM acct;
  END LOOP;
END;
$$;

-- One posting (ledger_post_many of one), in the parameters the redemption functions and ledger/repo.ts pass.
CREATE OR REPLACE FUNCTION ledger_post(
  p_id uuid, p_kind text, p_member uuid, p_amount bigint, p_held_change bigint, p_earned_change bigint,
  p_counter uuid, p_memo text, p_reason text, p_reference_type text, p_reference_id uuid,
  p_effective_date date, p_actor uuid, p_content text,
  p_need_available bigint, p_need_held bigint, p_settles uuid)
RETURNS TABLE (id uuid, created_at timestamptz, balance bigint, held bigint, version bigint)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT * FROM ledger_post_many(jsonb_build_array(jsonb_build_object(
    'id', p_id, 'kind', p_kind, 'member_id', p_member, 'amount', p_amount, 'held_change', p_held_change,
    'earned_change', p_earned_change, 'counter_account_id', p_counter, 'memo', p_memo, 'reason', p_reason,
    'reference_type', p_reference_type, 'reference_id', p_reference_id, 'effective_date', p_effective_date,
    'actor_user_id', p_actor, 'content', p_content, 'need_available', p_need_available,
    'need_held', p_need_held, 'settles', p_settles)));
END;
$$;

-- Nobody corrects their own points: an adjustment or reversal whose actor is the login of the member it moves is
-- refused here too, not only by the service (403 recused). The WHEN clause keeps every other kind (scoring results,
-- redemptions) free of the lookup.
CREATE OR REPLACE FUNCTION ledger_corrections_recused() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM users WHERE id = NEW.actor_user_id AND member_id = NEW.member_id) THEN
    RAISE EXCEPTION 'nobody corrects the points of their own member record' USING ERRCODE = '23514',
      CONSTRAINT = 'ledger_transactions_recused_chk';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS ledger_transactions_recused ON ledger_transactions;
CREATE TRIGGER ledger_transactions_recused BEFORE INSERT ON ledger_transactions
  FOR EACH ROW WHEN (NEW.kind IN ('adjustment', 'reversal') AND NEW.actor_user_id IS NOT NULL)
  EXECUTE FUNCTION ledger_corrections_recused();
