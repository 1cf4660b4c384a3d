-- The console's fleet health: how many sensors failed (status failed or timeout) or met problems
-- (meta.sensors.NAME.problems non-empty) in the agent's last facts, kept when a facts report is
-- stored so that GET /api/v1/fleet/summary counts them in SQL. NULL: no facts stored since this
-- column came (filled at the agent's next facts report).
ALTER TABLE agents ADD COLUMN failing_sensors INTEGER;
