-- Users of a client's dashboard and the access levels (named sets of permissions) they hold.
CREATE TABLE access_levels (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    access_level_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (client_id, email);
