-- The entities of the non-call topics (tickets, chats, interactions, CSAT answers, contact
-- requests, agents) and the moment each counts at in a report, so that a report and /metrics
-- read the events of the entities near their period instead of every stored event.

-- The entity an event belongs to (NULL for call events, which have their own state rows).
ALTER TABLE events ADD COLUMN entity text;
UPDATE events SET entity = CASE topic
        WHEN 'agent-events' THEN body ->> 'agent_id'
        WHEN 'ticket-opened' THEN body ->> 'ticket_id'
        WHEN 'ticket-assigned' THEN body ->> 'ticket_id'
        WHEN 'ticket-closed' THEN body ->> 'ticket_id'
        WHEN 'chat-events' THEN body ->> 'chat_id'
        WHEN 'interactions' THEN body ->> 'interaction_id'
        WHEN 'csat-responses' THEN body ->> 'response_id'
        WHEN 'contact-requests' THEN body ->> 'request_id'
        WHEN 'contact-outcomes' THEN body ->> 'request_id'
    END
WHERE topic <> 'call-events';
-- An entity's events; an agent's events over a span of time.
CREATE INDEX events_by_entity ON events (entity, topic, occurred_at) WHERE topic <> 'call-events';
-- An agent's logouts: a timeline replayed from one starts from nothing (see agents.timeline).
CREATE INDEX events_agent_logouts ON events (entity, occurred_at)
    WHERE topic = 'agent-events' AND event_type = 'agent.logged_out';
-- Nothing reads a whole topic any more.
DROP INDEX events_by_topic;

-- One row per entity. `placed_at` is the moment it counts at in the reports: a ticket's
-- earliest opening, a chat's earliest start, an interaction's start as its latest version says,
-- a CSAT answer's latest version, a contact request's earliest publication (NULL while that
-- event is unknown; agents have none). `rank_at`, `rank_id` order the event that set it
-- (event time, then event id, as the reports order events: the C collation is Python's
-- string order). A ticket also keeps its opening channel and its earliest close.
CREATE TABLE entities (
    kind      text NOT NULL,
    entity_id text NOT NULL,
    rank_at   timestamptz,
    rank_id   text COLLATE "C",
    placed_at timestamptz,
    channel   text,
    closed_at timestamptz,
    PRIMARY KEY (kind, entity_id)
);
-- The entities of a kind placed in a span of time.
CREATE INDEX entities_placed ON entities (kind, placed_at);
-- Tickets closed from a moment on (the backlog report).
CREATE INDEX entities_closed ON entities (kind, closed_at);
-- Tickets open now (the backlog series of /metrics, the backlog report).
CREATE INDEX entities_open_tickets ON entities (channel, placed_at)
    WHERE kind = 'ticket' AND closed_at IS NULL AND placed_at IS NOT NULL;

-- The entities of the events stored so far, placed as the batches would have placed them.
INSERT INTO entities (kind, entity_id, rank_at, rank_id, placed_at, channel)
SELECT DISTINCT ON (entity) 'ticket', entity, occurred_at, event_id, occurred_at, body ->> 'channel'
FROM events WHERE topic = 'ticket-opened'
ORDER BY entity, occurred_at, event_id COLLATE "C";
INSERT INTO entities (kind, entity_id, closed_at)
SELECT 'ticket', entity, min(occurred_at) FROM events WHERE topic = 'ticket-closed' GROUP BY entity
ON CONFLICT (kind, entity_id) DO UPDATE SET closed_at = EXCLUDED.closed_at;
INSERT INTO entities (kind, entity_id, rank_at, rank_id, placed_at)
SELECT DISTINCT ON (entity) 'chat', entity, occurred_at, event_id, occurred_at
FROM events WHERE topic = 'chat-events' AND event_type = 'chat.started'
ORDER BY entity, occurred_at, event_id COLLATE "C";
INSERT INTO entities (kind, entity_id, rank_at, rank_id, placed_at)
SELECT DISTINCT ON (entity) 'interaction', entity, occurred_at, event_id,
       (body ->> 'started_at')::timestamptz
FROM events WHERE topic = 'interactions'
ORDER BY entity, occurred_at DESC, event_id COLLATE "C" DESC;
INSERT INTO entities (kind, entity_id, rank_at, rank_id, placed_at)
SELECT DISTINCT ON (entity) 'csat', entity, occurred_at, event_id, occurred_at
FROM events WHERE topic = 'csat-responses'
ORDER BY entity, occurred_at DESC, event_id COLLATE "C" DESC;
INSERT INTO entities (kind, entity_id, rank_at, rank_id, placed_at)
SELECT DISTINCT ON (entity) 'request', entity, occurred_at, event_id, occurred_at
FROM events WHERE topic = 'contact-requests'
ORDER BY entity, occurred_at, event_id COLLATE "C";
INSERT INTO entities (kind, entity_id)
SELECT DISTINCT 'agent', entity FROM events WHERE topic = 'agent-events';
