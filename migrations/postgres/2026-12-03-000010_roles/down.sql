DROP TABLE user_events;
DELETE FROM users WHERE role IN ('finance', 'steward');
ALTER TABLE users DROP COLUMN deactivated_at;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('owner', 'supervisor'));
