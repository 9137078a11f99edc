-- The retention round deletes messages oldest first; an erasure finds a customer's chats.
CREATE INDEX chat_messages_sent_at ON chat_messages (sent_at);
CREATE INDEX chats_by_customer ON chats (customer_id);
