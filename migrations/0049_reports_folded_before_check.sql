-- The fold's boundary (report_settings.points_folded_before) splits a report's period into folded months and open
-- ones: it is the first of a month, or '-infinity' before the first fold, checked by the database.
ALTER TABLE "report_settings" ADD CONSTRAINT "report_settings_points_folded_before_chk" CHECK ("report_settings"."points_folded_before" = '-infinity' or extract(day from "report_settings"."points_folded_before") = 1);
