-- Activities held per subtree and day: the summary's "activities" (any status, by start day) for a city
-- counted 132,000 activities of 15,000 units (60-80 ms); here it is the city's own ~365 rows. An activity
-- is counted once, when created, for its unit and every unit above it (units never move; an activity's
-- unit and start never change and it is never deleted: activities_guard). Written at commit by a deferred
-- trigger (an activity's creation is rare; the rows of a day are held for the instant of a commit).
CREATE TABLE report_subtree_activity_days (
  unit_id uuid NOT NULL,
  day date NOT NULL,
  activities integer NOT NULL DEFAULT 0,
  CONSTRAINT report_subtree_activity_days_pk PRIMARY KEY (unit_id, day) INCLUDE (activities)
);
