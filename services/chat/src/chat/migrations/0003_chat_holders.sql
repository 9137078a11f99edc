-- Every operator a chat has had: who joined it, or was passed it. An operator reads the chats
-- they hold or held (a transfer leaves the earlier holder their own conversation).
CREATE TABLE chat_holders (
    chat_id text NOT NULL REFERENCES chats,
    operator_id text NOT NULL,
    PRIMARY KEY (chat_id, operator_id)
);
INSERT INTO chat_holders (chat_id, operator_id)
    SELECT chat_id, operator_id FROM chats WHERE operator_id IS NOT NULL
    UNION SELECT chat_id, agent FROM chat_messages WHERE agent IS NOT NULL;
