-- The queues' order, nearest deadline first, then the highest priority, then the oldest, is
-- one index per way in: by team, by holder (or nobody: unassigned), or all live tickets. The
-- priority is indexed negated because a row comparison (the queue's keyset cursor) runs
-- every column the same way.
DROP INDEX tickets_live_by_due;
CREATE INDEX tickets_live_by_team ON tickets
    (team, (coalesce(sla_due_at, 'infinity')), (-priority_rank), opened_at, ticket_id)
    WHERE state NOT IN ('closed', 'merged');
CREATE INDEX tickets_live_by_assignee ON tickets
    (assignee, (coalesce(sla_due_at, 'infinity')), (-priority_rank), opened_at, ticket_id)
    WHERE state NOT IN ('closed', 'merged');
CREATE INDEX tickets_live ON tickets
    ((coalesce(sla_due_at, 'infinity')), (-priority_rank), opened_at, ticket_id)
    WHERE state NOT IN ('closed', 'merged');
