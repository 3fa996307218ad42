DROP TABLE release_wal_marks;
