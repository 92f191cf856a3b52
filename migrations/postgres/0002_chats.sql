-- Conversation state of each Telegram chat, so a restart or another instance
-- continues where every user was. Kept in step with migrations/sqlite/0002_chats.sql.
CREATE TABLE conversations (
    chat_id BIGINT PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
