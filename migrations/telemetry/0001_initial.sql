-- The telemetry database: raw device events, daily roll-ups and crash groups. Times are
-- Unix seconds (UTC); `day` is days since the Unix epoch. Append-only, like the portal's.

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    app_id       TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    install_id   TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('install', 'uninstall', 'update', 'launch', 'crash')),
    at           INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    stack        TEXT,
    signature    TEXT
);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_app ON events (app_id, version, at);

CREATE TABLE daily_rollups (
    app_id           TEXT    NOT NULL,
    version          TEXT    NOT NULL,
    day              INTEGER NOT NULL,
    installs         INTEGER NOT NULL DEFAULT 0,
    uninstalls       INTEGER NOT NULL DEFAULT 0,
    updates          INTEGER NOT NULL DEFAULT 0,
    launches         INTEGER NOT NULL DEFAULT 0,
    crashes          INTEGER NOT NULL DEFAULT 0,
    active_installs  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, version, day)
);

CREATE TABLE crash_groups (
    app_id        TEXT    NOT NULL,
    signature     TEXT    NOT NULL,
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    occurrences   INTEGER NOT NULL,
    sample_stack  TEXT    NOT NULL,
    PRIMARY KEY (app_id, signature)
);
