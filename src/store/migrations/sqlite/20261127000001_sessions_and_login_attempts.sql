-- BFF sessions and the pre-login state of OIDC logins (SQLite).
-- Times are Unix seconds. Ids are stored only as their SHA-256, tokens only sealed (AES-256-GCM).

CREATE TABLE sessions (
    id_hash BLOB PRIMARY KEY NOT NULL,
    customer_email TEXT NOT NULL,
    provider TEXT NOT NULL,
    cart_id TEXT,
    customer_token_sealed BLOB NOT NULL,
    customer_token_expires_at INTEGER NOT NULL,
    id_token_sealed BLOB,
    refresh_token_sealed BLOB,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    absolute_expires_at INTEGER NOT NULL
);

CREATE INDEX sessions_idle_expires_at ON sessions (idle_expires_at);
CREATE INDEX sessions_absolute_expires_at ON sessions (absolute_expires_at);

CREATE TABLE login_attempts (
    id_hash BLOB PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    state TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier_sealed BLOB NOT NULL,
    return_to TEXT NOT NULL,
    guest_cart_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX login_attempts_expires_at ON login_attempts (expires_at);
