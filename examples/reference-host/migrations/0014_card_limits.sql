-- A card's spending limit (largest payment, USD), shown with the card. The core's wallet holds
-- the limit it enforces; this column is its copy for listings, written in the same transaction.
ALTER TABLE cards ADD COLUMN spending_limit TEXT;
