-- Each member's cumulative verified hours (issue 22: the balance's volunteer star in its one statement). Filled by
-- report_rollups_rebuild(), which runs when src/db/sql/reports.sql changes (it does with this table), kept by the
-- hours triggers (reports.sql, activities_corrections.sql).
CREATE TABLE "report_member_hours" (
	"member_id" uuid PRIMARY KEY NOT NULL,
	"hours_cents" bigint DEFAULT 0 NOT NULL
);
