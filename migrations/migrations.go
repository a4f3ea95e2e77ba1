// Package migrations embeds the SQL migrations so the binary carries its own schema.
package migrations

import "embed"

// FS holds every migration file, applied in order by goose.
//
//go:embed *.sql
var FS embed.FS
