-- SLA warnings and breaches from ticket-sla (kpi did not read the topic before): per local hour
-- of publication, target, cluster, priority and team ('' when the ticket had none), the
-- distinct events of each kind, moved by the batch that stores them.
CREATE TABLE sla_buckets (
    hour     timestamp NOT NULL,
    target   text NOT NULL,
    cluster  text NOT NULL,
    priority text NOT NULL,
    team     text NOT NULL,
    warnings bigint NOT NULL DEFAULT 0,
    breaches bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, target, cluster, priority, team)
);
