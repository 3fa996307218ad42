DROP TABLE invite_codes;
DROP TABLE users;
