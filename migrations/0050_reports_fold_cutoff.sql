-- The fold in two steps (src/db/sql/reports.sql): report_points_fold_begin moves points_fold_cutoff, the postings'
-- side (a posting in a month before it also appends report_subtree_month_deltas), under a lock held only for the
-- postings in flight; report_points_fold_finish then folds up to it without holding up postings, and moves
-- points_folded_before, the readers' side, up to it. Never behind the readers' side.
ALTER TABLE "report_settings" ADD COLUMN "points_fold_cutoff" date DEFAULT '-infinity' NOT NULL;--> statement-breakpoint
UPDATE "report_settings" SET "points_fold_cutoff" = "points_folded_before";--> statement-breakpoint
ALTER TABLE "report_settings" ADD CONSTRAINT "report_settings_points_fold_cutoff_chk" CHECK (("report_settings"."points_fold_cutoff" = '-infinity' or extract(day from "report_settings"."points_fold_cutoff") = 1) and "report_settings"."points_folded_before" <= "report_settings"."points_fold_cutoff");
