-- Clients form a tree: the root (the platform operator, the first client) has no parent; a client
-- made through the management API is a child of the caller's client. Clients made before the tree
-- existed become children of the root.
ALTER TABLE clients ADD COLUMN parent_id TEXT;
UPDATE clients SET parent_id = (SELECT c.id FROM clients c ORDER BY c.created_at, c.id LIMIT 1)
 WHERE id <> (SELECT c.id FROM clients c ORDER BY c.created_at, c.id LIMIT 1);
CREATE INDEX clients_by_parent ON clients (parent_id);
