CREATE TABLE "ledger_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"member_id" uuid,
	"org_unit_id" uuid NOT NULL,
	"balance" bigint DEFAULT 0 NOT NULL,
	"held" bigint DEFAULT 0 NOT NULL,
	"lifetime_earned" bigint DEFAULT 0 NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	"head_hash" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_accounts_kind_chk" CHECK ("ledger_accounts"."kind" in ('member','issuance','redemption')),
	CONSTRAINT "ledger_accounts_member_chk" CHECK (("ledger_accounts"."kind" = 'member') = ("ledger_accounts"."member_id" is not null)),
	CONSTRAINT "ledger_accounts_held_chk" CHECK ("ledger_accounts"."held" >= 0),
	CONSTRAINT "ledger_accounts_uncached_chk" CHECK ("ledger_accounts"."kind" = 'member' or ("ledger_accounts"."balance" = 0 and "ledger_accounts"."held" = 0 and "ledger_accounts"."lifetime_earned" = 0 and "ledger_accounts"."version" = 0))
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ledger_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"transaction_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"held_change" bigint DEFAULT 0 NOT NULL,
	"account_version" bigint,
	"balance_after" bigint,
	"held_after" bigint,
	CONSTRAINT "ledger_entries_nonzero_chk" CHECK ("ledger_entries"."amount" <> 0 or "ledger_entries"."held_change" <> 0),
	CONSTRAINT "ledger_entries_state_chk" CHECK (("ledger_entries"."account_version" is null) = ("ledger_entries"."balance_after" is null) and ("ledger_entries"."account_version" is null) = ("ledger_entries"."held_after" is null)
          and ("ledger_entries"."held_change" = 0 or "ledger_entries"."account_version" is not null)),
	CONSTRAINT "ledger_entries_hold_covered_chk" CHECK ("ledger_entries"."held_change" <= 0 or "ledger_entries"."balance_after" - "ledger_entries"."held_after" >= 0)
);
--> statement-breakpoint
CREATE TABLE "ledger_transactions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"member_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"chain_seq" bigint NOT NULL,
	"hash" text NOT NULL,
	"memo" text NOT NULL,
	"reason" text,
	"reference_type" text,
	"reference_id" uuid,
	"effective_date" date NOT NULL,
	"actor_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_transactions_kind_chk" CHECK ("ledger_transactions"."kind" in ('award','deduction','adjustment','reversal','hold','post','void')),
	CONSTRAINT "ledger_transactions_reference_chk" CHECK (case "ledger_transactions"."kind"
            when 'reversal' then "ledger_transactions"."reference_type" = 'transaction' and "ledger_transactions"."reference_id" is not null
            when 'hold' then "ledger_transactions"."reference_type" = 'redemption' and "ledger_transactions"."reference_id" is not null
            when 'post' then "ledger_transactions"."reference_type" = 'redemption' and "ledger_transactions"."reference_id" is not null
            when 'void' then "ledger_transactions"."reference_type" = 'redemption' and "ledger_transactions"."reference_id" is not null
            else "ledger_transactions"."reference_type" is null or "ledger_transactions"."reference_type" = 'claim' end),
	CONSTRAINT "ledger_transactions_reason_chk" CHECK ("ledger_transactions"."kind" not in ('adjustment','reversal') or length(btrim(coalesce("ledger_transactions"."reason", ''))) > 0)
);
--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD CONSTRAINT "ledger_transactions_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD CONSTRAINT "ledger_transactions_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD CONSTRAINT "ledger_transactions_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_accounts_member_uq" ON "ledger_accounts" USING btree ("member_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_accounts_office_uq" ON "ledger_accounts" USING btree ("kind","org_unit_id") WHERE "ledger_accounts"."kind" <> 'member';--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_account_version_uq" ON "ledger_entries" USING btree ("account_id","account_version");--> statement-breakpoint
CREATE INDEX "ledger_entries_account_idx" ON "ledger_entries" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_transaction_idx" ON "ledger_entries" USING btree ("transaction_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_chain_uq" ON "ledger_transactions" USING btree ("account_id","chain_seq");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_claim_uq" ON "ledger_transactions" USING btree ("reference_id") WHERE "ledger_transactions"."reference_type" = 'claim';--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_hold_uq" ON "ledger_transactions" USING btree ("reference_id") WHERE "ledger_transactions"."kind" = 'hold';--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_settle_uq" ON "ledger_transactions" USING btree ("reference_id") WHERE "ledger_transactions"."kind" in ('post','void');--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_reversal_uq" ON "ledger_transactions" USING btree ("reference_id") WHERE "ledger_transactions"."kind" = 'reversal';--> statement-breakpoint
CREATE INDEX "ledger_transactions_created_idx" ON "ledger_transactions" USING btree ("created_at");