-- balcão core schema, SQLite dialect. Kept in step with migrations/postgres/0001_core.sql:
-- the same tables and columns; dates as 'YYYY-MM-DD' text, instants as RFC 3339 UTC text,
-- flags as 0/1, money as integer centavos (the sqlx Any driver reads only these).

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE resellers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    sees_documents INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    reseller_id INTEGER REFERENCES resellers(id),
    email TEXT,
    telegram_id INTEGER UNIQUE,
    invite_hash TEXT UNIQUE,
    invite_expires_at TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE staff_roles (
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    role_id INTEGER NOT NULL REFERENCES roles(id),
    PRIMARY KEY (staff_id, role_id)
);

CREATE TABLE clients (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    reseller_id INTEGER NOT NULL REFERENCES resellers(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    trade_name TEXT NOT NULL DEFAULT '',
    document TEXT,
    rg_ie TEXT NOT NULL DEFAULT '',
    birth_date TEXT,
    street TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL DEFAULT '',
    complement TEXT NOT NULL DEFAULT '',
    district TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    phones TEXT NOT NULL DEFAULT '',
    emails TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    name_key TEXT NOT NULL,
    trade_key TEXT NOT NULL,
    city_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX clients_name_key ON clients (name_key);
CREATE INDEX clients_trade_key ON clients (trade_key);
CREATE INDEX clients_city_key ON clients (city_key);
-- Inside one reseller, the prefix pass of a search walks these in order.
CREATE INDEX clients_reseller_name ON clients (reseller_id, name_key);
CREATE INDEX clients_reseller_trade ON clients (reseller_id, trade_key);
CREATE INDEX clients_reseller_city ON clients (reseller_id, city_key);
CREATE INDEX clients_document ON clients (document);

-- Trigram index over the normalized keys, kept in step by triggers; queried
-- with LIKE '%term%' on one column, which FTS5 answers from the index.
CREATE VIRTUAL TABLE clients_fts USING fts5 (
    name_key, trade_key, city_key, phones,
    content = 'clients', content_rowid = 'id', tokenize = 'trigram', detail = 'none'
);
CREATE TRIGGER clients_fts_insert AFTER INSERT ON clients BEGIN
    INSERT INTO clients_fts (rowid, name_key, trade_key, city_key, phones)
    VALUES (new.id, new.name_key, new.trade_key, new.city_key, new.phones);
END;
CREATE TRIGGER clients_fts_delete AFTER DELETE ON clients BEGIN
    INSERT INTO clients_fts (clients_fts, rowid, name_key, trade_key, city_key, phones)
    VALUES ('delete', old.id, old.name_key, old.trade_key, old.city_key, old.phones);
END;
CREATE TRIGGER clients_fts_update AFTER UPDATE OF name_key, trade_key, city_key, phones ON clients BEGIN
    INSERT INTO clients_fts (clients_fts, rowid, name_key, trade_key, city_key, phones)
    VALUES ('delete', old.id, old.name_key, old.trade_key, old.city_key, old.phones);
    INSERT INTO clients_fts (rowid, name_key, trade_key, city_key, phones)
    VALUES (new.id, new.name_key, new.trade_key, new.city_key, new.phones);
END;

CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    price_cents INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE routing_points (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE
);

CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    price_cents INTEGER NOT NULL,
    billing_method TEXT NOT NULL,
    due_day INTEGER NOT NULL,
    salesperson_id INTEGER REFERENCES staff(id),
    salesperson_name TEXT,
    routing_point_id INTEGER REFERENCES routing_points(id),
    status TEXT NOT NULL,
    import_key TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX subscriptions_client ON subscriptions (client_id);

CREATE TABLE receivables (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    due_date TEXT NOT NULL,
    description TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    paid_cents INTEGER NOT NULL DEFAULT 0,
    settled_on TEXT,
    import_key TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX receivables_client_due ON receivables (client_id, due_date);

CREATE TABLE settlements (
    id INTEGER PRIMARY KEY,
    receivable_id INTEGER NOT NULL REFERENCES receivables(id),
    paid_on TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    method TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX settlements_receivable ON settlements (receivable_id);

CREATE TABLE ticket_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE contact_channels (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    protocol TEXT NOT NULL UNIQUE,
    reseller_id INTEGER NOT NULL REFERENCES resellers(id),
    client_id INTEGER NOT NULL REFERENCES clients(id),
    subscription_id INTEGER REFERENCES subscriptions(id),
    routing_point_id INTEGER REFERENCES routing_points(id),
    contact_name TEXT NOT NULL,
    problem TEXT NOT NULL,
    channel_id INTEGER NOT NULL REFERENCES contact_channels(id),
    ticket_type_id INTEGER NOT NULL REFERENCES ticket_types(id),
    assignee_staff_id INTEGER REFERENCES staff(id),
    assignee_role_id INTEGER REFERENCES roles(id),
    checks TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    resolved_on_first_contact INTEGER NOT NULL DEFAULT 0,
    resolution TEXT NOT NULL DEFAULT '',
    opened_by INTEGER REFERENCES staff(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    resolved_at TEXT
);
CREATE INDEX tickets_client ON tickets (client_id);
CREATE INDEX tickets_assignee_staff ON tickets (assignee_staff_id, status);
CREATE INDEX tickets_assignee_role ON tickets (assignee_role_id, status);

CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at TEXT NOT NULL,
    actor_staff_id INTEGER REFERENCES staff(id),
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id);

CREATE TABLE work_orders (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    reseller_id INTEGER NOT NULL REFERENCES resellers(id),
    client_id INTEGER NOT NULL REFERENCES clients(id),
    visit_date TEXT NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    technician_id INTEGER REFERENCES staff(id),
    address TEXT NOT NULL,
    task TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX work_orders_ticket ON work_orders (ticket_id);
CREATE INDEX work_orders_technician ON work_orders (technician_id, visit_date);
