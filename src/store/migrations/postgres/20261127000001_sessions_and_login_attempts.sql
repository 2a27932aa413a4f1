-- BFF sessions and the pre-login state of OIDC logins (PostgreSQL).
-- Times are Unix seconds. Ids are stored only as their SHA-256, tokens only sealed (AES-256-GCM).

CREATE TABLE sessions (
    id_hash BYTEA PRIMARY KEY NOT NULL,
    customer_email TEXT NOT NULL,
    provider TEXT NOT NULL,
    cart_id TEXT,
    customer_token_sealed BYTEA NOT NULL,
    customer_token_expires_at BIGINT NOT NULL,
    id_token_sealed BYTEA,
    refresh_token_sealed BYTEA,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    absolute_expires_at BIGINT NOT NULL
);

CREATE INDEX sessions_idle_expires_at ON sessions (idle_expires_at);
CREATE INDEX sessions_absolute_expires_at ON sessions (absolute_expires_at);

CREATE TABLE login_attempts (
    id_hash BYTEA PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    state TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier_sealed BYTEA NOT NULL,
    return_to TEXT NOT NULL,
    guest_cart_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX login_attempts_expires_at ON login_attempts (expires_at);
