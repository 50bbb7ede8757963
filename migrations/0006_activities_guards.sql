
-- Serial numbers only go up: a number once handed out is never handed out again.
ALTER TABLE service_certificate_serials ADD CONSTRAINT service_certificate_serials_seq_chk CHECK (last_seq > 0);
--> statement-breakpoint
CREATE INDEX activities_verified_idx ON activities (org_unit_id, starts_at) WHERE status = 'verified';
--> statement-breakpoint
CREATE INDEX service_requests_confirmed_idx ON service_requests (member_id, completed_at) WHERE status = 'confirmed';
