-- 0004_limits: one length limit per field, the same in the validator
-- (libesports/match.h) and in the columns, so a message the validator accepts
-- is never refused by the server. Names (team, tournament, title) take 255
-- characters and so do their keys; a tournament's ext_key is 'name:' plus a
-- name key. The delivery properties (AMQP short strings: any bytes, at most
-- 255) are kept as the bytes the broker gave, so a message id that is not
-- UTF-8 is recorded exactly instead of being refused.

ALTER TABLE titles MODIFY name_key VARCHAR(255) NOT NULL;
ALTER TABLE tournaments MODIFY ext_key VARCHAR(300) NOT NULL, MODIFY name_key VARCHAR(255) NOT NULL;
ALTER TABLE teams MODIFY name_key VARCHAR(255) NOT NULL;
ALTER TABLE messages
    MODIFY exchange VARBINARY(255) NULL,
    MODIFY routing_key VARBINARY(255) NULL,
    MODIFY message_id VARBINARY(255) NULL;
