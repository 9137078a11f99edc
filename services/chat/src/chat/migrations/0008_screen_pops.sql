-- The screen pop: per call, whose phone it is on and who is calling (call-events and crm's
-- contact.identified, in either order). An operator's pop is their latest call.
CREATE TABLE screen_pops (
    call_id text PRIMARY KEY,
    agent text,  -- the operator's sign-in subject, once the call rings on someone
    stage smallint NOT NULL,  -- 0 offered, 1 ringing, 2 answered, 3 ended
    queue text,
    caller_number text,
    changed_at timestamptz,  -- event time of the last call event that moved it
    identification jsonb,  -- crm's contact.identified: level, presented, candidates
    stored_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX screen_pops_agent ON screen_pops (agent, changed_at DESC) WHERE agent IS NOT NULL;
