-- Browser sign-in: provider round trips, the first-run bootstrap link, and the context
-- shown when a user approves a device login or reviews their sessions.

-- An authorization-code flow in progress: created when the browser leaves for the
-- provider, taken (deleted) when it comes back, so a callback can be used once.
CREATE TABLE sign_in_flows (
    state_hash     BLOB    PRIMARY KEY,
    provider       TEXT    NOT NULL,
    nonce          TEXT    NOT NULL,
    pkce_verifier  TEXT    NOT NULL,
    next           TEXT    NOT NULL DEFAULT '/apps',
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);
CREATE INDEX sign_in_flows_expiry ON sign_in_flows (expires_at);

-- One-time links that sign the visitor in as the first admin (stored hashed).
CREATE TABLE bootstrap_links (
    hash        BLOB    PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

-- What the CLI says about itself (self-reported) and where it asked from.
ALTER TABLE device_authorizations ADD COLUMN client TEXT NOT NULL DEFAULT '';
ALTER TABLE device_authorizations ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE device_authorizations ADD COLUMN ip TEXT;

-- Where a session was started from, for the account page.
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
