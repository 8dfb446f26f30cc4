ALTER TABLE sign_in_attempts DROP COLUMN step;
ALTER TABLE organizations DROP COLUMN two_factor_required;
ALTER TABLE sessions DROP COLUMN awaiting_code;
DROP TABLE recovery_codes;
DROP TABLE two_factor;
