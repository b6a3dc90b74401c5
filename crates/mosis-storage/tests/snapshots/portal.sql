CREATE TABLE account_roles (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role        TEXT    NOT NULL CHECK (role IN ('reviewer', 'admin')),
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, role)
);

CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    email       TEXT,
    disabled    INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at  INTEGER NOT NULL
);

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

CREATE TABLE apps (
    app_id        TEXT    PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES accounts (id),
    name          TEXT    NOT NULL,
    -- Risk-based auto-approval: NULL follows the operator's setting, 0/1 is an admin's override.
    auto_approve  INTEGER CHECK (auto_approve IN (0, 1)),
    created_at    INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor_id  INTEGER REFERENCES accounts (id),
    action    TEXT    NOT NULL,
    target    TEXT    NOT NULL DEFAULT '',
    detail    TEXT    NOT NULL DEFAULT '{}',
    ip        TEXT
);

CREATE TABLE bootstrap_links (
    hash        BLOB    PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

CREATE TABLE device_authorizations (
    device_code_hash  BLOB    PRIMARY KEY,
    user_code         TEXT    NOT NULL UNIQUE,
    scopes            TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'consumed')),
    account_id        INTEGER REFERENCES accounts (id),
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    decided_at        INTEGER
, client TEXT NOT NULL DEFAULT '', host TEXT NOT NULL DEFAULT '', ip TEXT);

CREATE TABLE identities (
    provider    TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (provider, subject)
);

CREATE TABLE index_serials (
    channel     TEXT    PRIMARY KEY CHECK (channel IN ('stable', 'beta')),
    serial      INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE releases (
    id            INTEGER PRIMARY KEY,
    version_id    INTEGER NOT NULL REFERENCES versions (id),
    channel       TEXT    NOT NULL CHECK (channel IN ('stable', 'beta')),
    statement     TEXT    NOT NULL,
    published_at  INTEGER NOT NULL,
    UNIQUE (version_id, channel)
);

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

CREATE TABLE schema_migrations (
             name        TEXT    PRIMARY KEY,
             sha256      TEXT    NOT NULL,
             applied_at  INTEGER NOT NULL
         );

CREATE TABLE sessions (
    id            TEXT    PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER
, ip TEXT, user_agent TEXT NOT NULL DEFAULT '');

CREATE TABLE sign_in_flows (
    state_hash     BLOB    PRIMARY KEY,
    provider       TEXT    NOT NULL,
    nonce          TEXT    NOT NULL,
    pkce_verifier  TEXT    NOT NULL,
    next           TEXT    NOT NULL DEFAULT '/apps',
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);

CREATE TABLE signing_keys (
    key_id      TEXT    PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    public_key  TEXT    NOT NULL UNIQUE,
    label       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

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
    updated_at     INTEGER NOT NULL, reviewed_by INTEGER REFERENCES accounts (id), auto_approved INTEGER NOT NULL DEFAULT 0 CHECK (auto_approved IN (0, 1)), icon_sha256 TEXT, requested_channel TEXT CHECK (requested_channel IN ('stable', 'beta')),
    UNIQUE (app_id, version)
);

CREATE INDEX api_tokens_account ON api_tokens (account_id);

CREATE INDEX apps_owner ON apps (owner_id);

CREATE INDEX audit_log_actor ON audit_log (actor_id, id);

CREATE INDEX identities_account ON identities (account_id);

CREATE INDEX review_jobs_claim ON review_jobs (state, lease_expires_at);

CREATE INDEX sessions_account ON sessions (account_id);

CREATE INDEX sign_in_flows_expiry ON sign_in_flows (expires_at);

CREATE INDEX signing_keys_account ON signing_keys (account_id);

CREATE INDEX versions_state ON versions (state);
