-- The console's fleet health: agents with a health-gate failure or an error in a recent window,
-- counted from the events feed by kind and time (GET /api/v1/fleet/summary).
CREATE INDEX events_kind_at ON events (kind, at);
