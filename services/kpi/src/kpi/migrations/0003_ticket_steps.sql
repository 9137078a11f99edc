-- kpi reads ticket-changes: a closed ticket may be reopened (open again) and a live one merged
-- (ended, neither resolved nor unresolved). A ticket's entity keeps its latest step among
-- closes, reopenings and merges (event time, then event id, as the reports order events), and
-- `ended_at` becomes that step's time when it ends the ticket (a close or a merge), NULL while
-- the ticket is open (never closed, or reopened since): no longer its earliest close.

UPDATE events SET entity = body ->> 'ticket_id' WHERE topic = 'ticket-changes';

ALTER TABLE entities RENAME COLUMN closed_at TO ended_at;
ALTER TABLE entities ADD COLUMN step_at timestamptz, ADD COLUMN step_id text COLLATE "C";

-- The steps of the events stored so far, as the batches place them.
INSERT INTO entities (kind, entity_id, step_at, step_id, ended_at)
SELECT 'ticket', s.entity, s.occurred_at, s.event_id, s.ended_at
FROM (
    SELECT DISTINCT ON (entity) entity, occurred_at, event_id,
           CASE WHEN event_type = 'ticket.state_changed' THEN NULL ELSE occurred_at END AS ended_at
    FROM events
    WHERE topic = 'ticket-closed'
       OR (topic = 'ticket-changes' AND event_type = 'ticket.merged')
       OR (topic = 'ticket-changes' AND event_type = 'ticket.state_changed'
           AND body ->> 'from_state' = 'closed' AND body ->> 'to_state' = 'open')
    ORDER BY entity, occurred_at DESC, event_id COLLATE "C" DESC
) AS s
ON CONFLICT (kind, entity_id) DO UPDATE SET
    step_at = EXCLUDED.step_at, step_id = EXCLUDED.step_id, ended_at = EXCLUDED.ended_at;
