-- SLA: each ticket's policy, its earliest deadline not met (queues list the nearest first) and
-- when the watcher must look at it next; the alerts already published, once per deadline.
ALTER TABLE tickets
    ADD COLUMN sla_policy text,
    ADD COLUMN sla_due_at timestamptz,
    ADD COLUMN sla_check_at timestamptz;

DROP INDEX tickets_live_by_team;
CREATE INDEX tickets_live_by_due ON tickets
    (team, (coalesce(sla_due_at, 'infinity')), priority_rank DESC, opened_at, ticket_id)
    WHERE state NOT IN ('closed', 'merged');
CREATE INDEX tickets_sla_check ON tickets (sla_check_at) WHERE sla_check_at IS NOT NULL;

CREATE TABLE sla_alerts (
    ticket_id text NOT NULL REFERENCES tickets ON DELETE CASCADE,
    target text NOT NULL,
    level text NOT NULL,  -- warning, breached
    due_at timestamptz NOT NULL,  -- a deadline that moves (a reopening) is alerted again
    alerted_at timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, target, level, due_at)
);
