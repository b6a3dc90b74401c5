-- The portal's initial schema. Times are Unix seconds (UTC). Append-only: never edit a
-- migration once it has been released; add a new file instead.

-- People who sign in, and the external identities (provider, subject) that map to them.
CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    email       TEXT,
    disabled    INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at  INTEGER NOT NULL
);

CREATE TABLE identities (
    provider    TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_account ON identities (account_id);

-- Rights beyond developing one's own apps (which every account has).
CREATE TABLE account_roles (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role        TEXT    NOT NULL CHECK (role IN ('reviewer', 'admin')),
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, role)
);

-- Developers' Ed25519 public keys; uploads must be signed by an unrevoked one.
CREATE TABLE signing_keys (
    key_id      TEXT    PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    public_key  TEXT    NOT NULL UNIQUE,
    label       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX signing_keys_account ON signing_keys (account_id);

CREATE TABLE apps (
    app_id        TEXT    PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES accounts (id),
    name          TEXT    NOT NULL,
    -- Risk-based auto-approval: NULL follows the operator's setting, 0/1 is an admin's override.
    auto_approve  INTEGER CHECK (auto_approve IN (0, 1)),
    created_at    INTEGER NOT NULL
);
CREATE INDEX apps_owner ON apps (owner_id);

-- Uploaded versions and their review state machine:
-- pending -> in_review -> published | rejected; published -> suspended.
CREATE TABLE versions (
    id             INTEGER PRIMARY KEY,
    app_id         TEXT    NOT NULL REFERENCES apps (app_id),
    version        TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'in_review', 'published', 'rejected', 'suspended')),
    channel        TEXT    CHECK (channel IN ('stable', 'beta')),
    size           INTEGER NOT NULL CHECK (size >= 0),
    sha256         TEXT    NOT NULL,
    key_id         TEXT    NOT NULL REFERENCES signing_keys (key_id),
    manifest       TEXT    NOT NULL,
    report         TEXT,
    reject_reason  TEXT,
    uploaded_by    INTEGER NOT NULL REFERENCES accounts (id),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (app_id, version)
);
CREATE INDEX versions_state ON versions (state);

-- Signed release statements, one per version and channel it was published on.
CREATE TABLE releases (
    id            INTEGER PRIMARY KEY,
    version_id    INTEGER NOT NULL REFERENCES versions (id),
    channel       TEXT    NOT NULL CHECK (channel IN ('stable', 'beta')),
    statement     TEXT    NOT NULL,
    published_at  INTEGER NOT NULL,
    UNIQUE (version_id, channel)
);

-- The signed index's serial per channel; bumped in the transaction that changes a release.
CREATE TABLE index_serials (
    channel     TEXT    PRIMARY KEY CHECK (channel IN ('stable', 'beta')),
    serial      INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Automated review jobs, claimed by workers with a lease.
CREATE TABLE review_jobs (
    id                INTEGER PRIMARY KEY,
    version_id        INTEGER NOT NULL UNIQUE REFERENCES versions (id),
    state             TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'errored')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    lease_owner       TEXT,
    lease_expires_at  INTEGER,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX review_jobs_claim ON review_jobs (state, lease_expires_at);

-- API tokens: only a hash is stored; the prefix finds the row and is shown to the owner.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    prefix        TEXT    NOT NULL UNIQUE,
    hash          BLOB    NOT NULL,
    scopes        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- Browser sessions (the PASETO token carries the id; revoking the row ends the session).
CREATE TABLE sessions (
    id            TEXT    PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX sessions_account ON sessions (account_id);

-- `mosis login` device authorisation: the CLI polls with the device code (stored hashed),
-- the user approves the short user code in the dashboard.
CREATE TABLE device_authorizations (
    device_code_hash  BLOB    PRIMARY KEY,
    user_code         TEXT    NOT NULL UNIQUE,
    scopes            TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'consumed')),
    account_id        INTEGER REFERENCES accounts (id),
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    decided_at        INTEGER
);

-- Security-relevant events, for admins and for each account's own trail.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor_id  INTEGER REFERENCES accounts (id),
    action    TEXT    NOT NULL,
    target    TEXT    NOT NULL DEFAULT '',
    detail    TEXT    NOT NULL DEFAULT '{}',
    ip        TEXT
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
