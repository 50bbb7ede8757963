-- report_unit_days: the points of report_unit_months per home unit and service-zone DAY, for the days at
-- the edges of a period that is not whole months ("12 March to 3 May" reads 12-31 March and 1-3 May here,
-- April from report_unit_months). Read raw, those edge days made a city's summary join every member of
-- the city to 300,000 postings (7-12 s); here they are one index-only range per unit. Whole months stay
-- on report_unit_months (a unit posts on most days: a year of days is ~30 times the rows of its months).
-- Kept by the same deferred commit-time trigger as report_unit_months (no new lock order: the day row of
-- a unit is taken right after its month row), moved with a member, rebuilt with the other rollups.
CREATE TABLE report_unit_days (
  org_unit_id uuid NOT NULL,
  day date NOT NULL,
  issued bigint NOT NULL DEFAULT 0,
  deducted bigint NOT NULL DEFAULT 0,
  earning_postings integer NOT NULL DEFAULT 0,
  redeemed bigint NOT NULL DEFAULT 0,
  redemptions integer NOT NULL DEFAULT 0,
  CONSTRAINT report_unit_days_pk PRIMARY KEY (org_unit_id, day) INCLUDE (issued, deducted, redeemed, redemptions)
);
