DROP TABLE login_failures;
DROP TABLE outbox_events;
