-- Throttling shared by every API process (security issue 15): without these each process counted in its own
-- memory, so N processes meant N times the attempts. Times are Unix milliseconds of the API processes' clocks
-- (bigint), so the windows a process keeps in memory and the ones stored here agree.
-- Fixed-window counters: login, refresh and certificate-verification budgets per address, and the per-caller budget
-- on every request (batched by each process, see src/shared/counters.ts). Lost on a crash, by design: a rate
-- limit that forgets a minute of counts is harmless, and an unlogged table writes no WAL on the hot path.
CREATE UNLOGGED TABLE auth_counters (
  key text PRIMARY KEY,
  count bigint NOT NULL,
  window_end_ms bigint NOT NULL
);
--> statement-breakpoint
-- Failed logins per account (key 'a:<username>') and per account and address ('a:<username>@<address>'), with the
-- time before which the next attempt is refused (growing delays past a few failures); forgotten after a quiet day.
CREATE TABLE auth_failures (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  blocked_until_ms bigint NOT NULL,
  expires_at_ms bigint NOT NULL
);
--> statement-breakpoint
-- Addresses that logged in successfully to an account (for 30 days): a locked account still admits the right
-- password from them, so failures sent from elsewhere cannot lock the member out.
CREATE TABLE auth_known_addresses (
  account text NOT NULL,
  address text NOT NULL,
  expires_at_ms bigint NOT NULL,
  PRIMARY KEY (account, address)
);
