-- name: GetVendorSettings :one
SELECT * FROM vendor_settings WHERE vendor = @vendor AND environment = @environment;

-- name: ListEnvironmentVendorSettings :many
-- Every vendor's settings in one environment (vendorsettings reads one vendor's from them, so
-- that a page behind a read memo reads them once).
SELECT * FROM vendor_settings WHERE environment = @environment ORDER BY vendor;

-- name: ListVendorSettings :many
SELECT * FROM vendor_settings ORDER BY vendor, environment;

-- name: UpsertVendorSettings :one
INSERT INTO vendor_settings (vendor, environment, enabled, config, secrets, secrets_set, timeout_seconds, concurrency, updated_by, updated_at)
VALUES (@vendor, @environment, @enabled, @config, @secrets, @secrets_set, @timeout_seconds, @concurrency, sqlc.narg(updated_by), now())
ON CONFLICT (vendor, environment) DO UPDATE SET enabled = EXCLUDED.enabled, config = EXCLUDED.config,
    secrets = EXCLUDED.secrets, secrets_set = EXCLUDED.secrets_set, timeout_seconds = EXCLUDED.timeout_seconds,
    concurrency = EXCLUDED.concurrency, updated_by = EXCLUDED.updated_by, updated_at = now()
RETURNING *;

-- name: ListAppSettings :many
-- Every app setting (a few small rows): db.Queries.AppSetting reads one from them.
SELECT key, value FROM app_settings ORDER BY key;

-- name: SetAppSetting :exec
INSERT INTO app_settings (key, value, updated_by, updated_at) VALUES (@key, @value, sqlc.narg(updated_by), now())
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now();
