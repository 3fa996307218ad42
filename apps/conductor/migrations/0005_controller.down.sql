ALTER TABLE audit_log DROP COLUMN channel;
ALTER TABLE audit_log DROP COLUMN identity;
DROP TABLE controllers;
DROP TRIGGER control_requests_notify ON control_requests;
DROP FUNCTION control_requests_notify();
DROP TABLE control_requests;
