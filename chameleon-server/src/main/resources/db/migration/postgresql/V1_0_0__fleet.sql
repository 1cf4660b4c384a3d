-- Chameleon control plane, schema 1.0.0 (PostgreSQL). The H2 file of the same version
-- (../h2/V1_0_0__fleet.sql) differs only where the two databases' DDL does.

-- Numbers taken under a row lock, so they become visible in the order they were taken
-- (events and audit are paged "after N"); 'config' grows with every change of what agents get.
CREATE TABLE counters (
    name  VARCHAR(40) PRIMARY KEY,
    n     BIGINT      NOT NULL
);
INSERT INTO counters (name, n) VALUES ('events', 0), ('audit', 0), ('config', 0);

-- Bundle versions and fact revisions: monotonic, order with commits not needed.
CREATE SEQUENCE bundle_versions START WITH 1;
CREATE SEQUENCE agent_revisions START WITH 1;

-- The fleet's bundle-signing public key(s); the private key stays in each replica's data folder.
CREATE TABLE server_keys (
    key_id     VARCHAR(16)              PRIMARY KEY,
    algorithm  VARCHAR(16)              NOT NULL,
    public_key TEXT                     NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Operators' API tokens. secret_hash: SHA-256 (hex) of the token's 256-bit random secret.
CREATE TABLE api_tokens (
    id          VARCHAR(40)              PRIMARY KEY,
    name        VARCHAR(200)             NOT NULL,
    role        VARCHAR(16)              NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    secret_hash CHAR(64)                 NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    created_by  VARCHAR(200)             NOT NULL,
    revoked_at  TIMESTAMP WITH TIME ZONE
);

CREATE TABLE enroll_tokens (
    id          VARCHAR(40)              PRIMARY KEY,
    name        VARCHAR(200)             NOT NULL,
    secret_hash CHAR(64)                 NOT NULL,
    labels      TEXT                     NOT NULL,
    max_uses    INTEGER                  NOT NULL CHECK (max_uses > 0),
    uses        INTEGER                  NOT NULL DEFAULT 0,
    expires_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    created_by  VARCHAR(200)             NOT NULL,
    revoked_at  TIMESTAMP WITH TIME ZONE
);

CREATE TABLE agents (
    id                VARCHAR(40)              PRIMARY KEY,
    hostname          VARCHAR(253)             NOT NULL,
    agent_version     VARCHAR(64)              NOT NULL,
    labels            TEXT                     NOT NULL,
    secret_hash       CHAR(64)                 NOT NULL,
    enroll_token_id   VARCHAR(40),
    enrolled_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    last_seen_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    -- revision of facts + labels: readers keep parsed facts and reload a row when it moved
    rev               BIGINT                   NOT NULL,
    hypervisor        VARCHAR(40),
    cloud             VARCHAR(40),
    container         VARCHAR(40),
    facts             TEXT,
    facts_hash        CHAR(64),
    facts_at          TIMESTAMP WITH TIME ZONE,
    plan              TEXT,
    plan_at           TIMESTAMP WITH TIME ZONE,
    current_values    TEXT,
    current_values_at TIMESTAMP WITH TIME ZONE,
    status            TEXT,
    status_at         TIMESTAMP WITH TIME ZONE,
    mode              VARCHAR(20),
    pending_changes   INTEGER,
    drift             INTEGER,
    running_bundle    BIGINT,
    bundle_key        CHAR(64),
    bundle_version    BIGINT                   NOT NULL DEFAULT 0,
    bundle_at         TIMESTAMP WITH TIME ZONE,
    -- the policy-set versions in that bundle (JSON), so every replica builds the same bytes for it
    bundle_entries    TEXT
);
CREATE INDEX agents_platform ON agents (hypervisor, cloud, container);
CREATE INDEX agents_last_seen ON agents (last_seen_at);

-- Every report an agent sent, once: (agent_id, report_id) is the idempotency key.
-- payload is kept for plans, change sets, events and status; facts and current values are kept
-- on the agent's row only (payload NULL here).
CREATE TABLE reports (
    id          BIGSERIAL                PRIMARY KEY,
    agent_id    VARCHAR(40)              NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    report_id   VARCHAR(128)             NOT NULL,
    kind        VARCHAR(20)              NOT NULL,
    agent_time  TIMESTAMP WITH TIME ZONE NOT NULL,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL,
    payload     TEXT,
    CONSTRAINT reports_once UNIQUE (agent_id, report_id)
);
CREATE INDEX reports_agent_kind ON reports (agent_id, kind, id);
CREATE INDEX reports_received ON reports (received_at);

-- The fleet-wide feed: agents' events and change sets, enrollments, rollout steps.
CREATE TABLE events (
    seq      BIGINT                   PRIMARY KEY,
    at       TIMESTAMP WITH TIME ZONE NOT NULL,
    agent_id VARCHAR(40),
    kind     VARCHAR(40)              NOT NULL,
    summary  TEXT                     NOT NULL,
    detail   TEXT
);
CREATE INDEX events_agent ON events (agent_id, seq);

-- Every operator write: who, what, when, from where.
CREATE TABLE audit (
    seq         BIGINT                   PRIMARY KEY,
    at          TIMESTAMP WITH TIME ZONE NOT NULL,
    actor_id    VARCHAR(40)              NOT NULL,
    actor_name  VARCHAR(200)             NOT NULL,
    role        VARCHAR(16)              NOT NULL,
    action      VARCHAR(60)              NOT NULL,
    target      VARCHAR(300)             NOT NULL,
    remote_addr VARCHAR(64)              NOT NULL,
    request_id  VARCHAR(64)              NOT NULL,
    detail      TEXT
);

-- Uploaded policy sets (YAML of Policy, Profile and PolicyTest documents), every version kept.
CREATE TABLE policy_versions (
    name       VARCHAR(63)              NOT NULL,
    version    INTEGER                  NOT NULL,
    yaml       TEXT                     NOT NULL,
    sha256     CHAR(64)                 NOT NULL,
    summary    TEXT                     NOT NULL,
    comment    VARCHAR(500)             NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    created_by VARCHAR(200)             NOT NULL,
    PRIMARY KEY (name, version)
);

-- A policy set given to the agents a selector picks; stable_version is what every matching
-- agent gets outside a running rollout (NULL: nothing yet).
CREATE TABLE assignments (
    name           VARCHAR(63)              PRIMARY KEY,
    policy         VARCHAR(63)              NOT NULL,
    selector       TEXT                     NOT NULL,
    stable_version INTEGER,
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    created_by     VARCHAR(200)             NOT NULL,
    updated_at     TIMESTAMP WITH TIME ZONE NOT NULL
);

-- A staged rollout of one version to an assignment: canary, then percentages, then all.
-- stage: 0 = canary only, k = steps[k-1] percent; state: running, paused, completed, rolled-back.
CREATE TABLE rollouts (
    id               VARCHAR(40)              PRIMARY KEY,
    assignment       VARCHAR(63)              NOT NULL REFERENCES assignments (name) ON DELETE CASCADE,
    from_version     INTEGER,
    to_version       INTEGER                  NOT NULL,
    canary_agents    TEXT                     NOT NULL,
    canary_selector  TEXT,
    steps            TEXT                     NOT NULL,
    stage            INTEGER                  NOT NULL,
    state            VARCHAR(20)              NOT NULL,
    interval_seconds INTEGER,
    next_step_at     TIMESTAMP WITH TIME ZONE,
    started_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    created_by       VARCHAR(200)             NOT NULL
);
CREATE INDEX rollouts_assignment ON rollouts (assignment, started_at);
