-- The review pipeline: who decided each version (NULL with auto_approved = 1 when the
-- risk-based rule published it), the icon's hash, so an update's listing can be
-- compared with the last published version's without opening its package, and the
-- channel the developer asked for (`mosis publish --channel beta`).
ALTER TABLE versions ADD COLUMN reviewed_by INTEGER REFERENCES accounts (id);
ALTER TABLE versions ADD COLUMN auto_approved INTEGER NOT NULL DEFAULT 0 CHECK (auto_approved IN (0, 1));
ALTER TABLE versions ADD COLUMN icon_sha256 TEXT;
ALTER TABLE versions ADD COLUMN requested_channel TEXT CHECK (requested_channel IN ('stable', 'beta'));
