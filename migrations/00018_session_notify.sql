-- +goose Up
-- Every instance keeps the sessions it has just looked up in memory for a few seconds
-- (sessions.Store), so a page does not read its session from PostgreSQL on every request. A
-- change that can end a session or change who it is (a session ended, revoked or rotated, its
-- data changed, its user disabled, renamed, given another role or a new password) is announced
-- on the channel kycdesk_sessions when it commits, whichever instance or program made it, and
-- every listening instance forgets the session (session:<id>) or all of the user's sessions
-- (user:<id>; all, when the table is emptied) before using it again.
--
-- A session's last_seen_at moving forward (the request that touches it, once a minute) is not
-- announced: a cached copy with an older last_seen_at can only end earlier than the stored row,
-- and then the row is read again. Moving it backward is.

-- +goose StatementBegin
CREATE FUNCTION announce_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('kycdesk_sessions', 'all');
    ELSIF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('kycdesk_sessions', 'user:' || OLD.id);
    ELSE
        PERFORM pg_notify('kycdesk_sessions', 'session:' || OLD.id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER sessions_announce_update AFTER UPDATE ON sessions FOR EACH ROW
    WHEN (NEW.last_seen_at < OLD.last_seen_at OR NEW.data IS DISTINCT FROM OLD.data
          OR NEW.expires_at IS DISTINCT FROM OLD.expires_at OR NEW.user_id IS DISTINCT FROM OLD.user_id
          OR NEW.secret_hash IS DISTINCT FROM OLD.secret_hash OR NEW.id IS DISTINCT FROM OLD.id)
    EXECUTE FUNCTION announce_session_change();
CREATE TRIGGER sessions_announce_delete AFTER DELETE ON sessions FOR EACH ROW
    EXECUTE FUNCTION announce_session_change();
CREATE TRIGGER sessions_announce_truncate AFTER TRUNCATE ON sessions FOR EACH STATEMENT
    EXECUTE FUNCTION announce_session_change();
CREATE TRIGGER users_announce_update AFTER UPDATE ON users FOR EACH ROW
    EXECUTE FUNCTION announce_session_change();
CREATE TRIGGER users_announce_delete AFTER DELETE ON users FOR EACH ROW
    EXECUTE FUNCTION announce_session_change();

-- +goose Down
DROP TRIGGER users_announce_delete ON users;
DROP TRIGGER users_announce_update ON users;
DROP TRIGGER sessions_announce_truncate ON sessions;
DROP TRIGGER sessions_announce_delete ON sessions;
DROP TRIGGER sessions_announce_update ON sessions;
DROP FUNCTION announce_session_change();
