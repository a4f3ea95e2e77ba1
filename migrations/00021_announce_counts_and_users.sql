-- +goose Up
-- Every queue page shows the tab counts and the users a case may be assigned to. Instances keep
-- both in memory between requests while they hear of their changes (db.Kept, sessions.Store):
-- a change of the status counters is announced on kycdesk_counts when it commits, and a new
-- user on kycdesk_sessions as a changed one is (user:<id>, migration 00018). Announcements made in
-- one transaction are folded into one.

-- +goose StatementBegin
CREATE FUNCTION announce_status_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kycdesk_counts', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION announce_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kycdesk_sessions', 'user:' || NEW.id);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER case_status_counts_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON case_status_counts
    FOR EACH STATEMENT EXECUTE FUNCTION announce_status_counts();
CREATE TRIGGER users_announce_insert AFTER INSERT ON users FOR EACH ROW
    EXECUTE FUNCTION announce_new_user();

-- +goose Down
DROP TRIGGER users_announce_insert ON users;
DROP TRIGGER case_status_counts_announce ON case_status_counts;
DROP FUNCTION announce_new_user();
DROP FUNCTION announce_status_counts();
