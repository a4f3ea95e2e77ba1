package testenv

import (
	"context"
	"io"
	"net/http/httptest"
	"testing"

	"kycdesk/internal/config"
	"kycdesk/internal/db"
	"kycdesk/internal/obs"
	"kycdesk/internal/server"
)

// NewAppAt starts the app on the database at url (a migrated database, e.g. from URL) with a pool
// of cfg.DBMaxConns connections, as production sizes it. It is for benchmarks: they fill the
// database first, and their logs, still formatted at cfg.LogLevel so they cost what they cost in
// production, go to io.Discard rather than into memory. Logs therefore returns nothing. The
// process's garbage collector is set as kycdesk serve sets it (config.TuneGC).
func NewAppAt(t testing.TB, url string, mutate ...func(*config.Config)) *App {
	t.Helper()
	config.TuneGC() // the process collects garbage as a served instance does
	cfg := Config()
	for _, m := range mutate {
		m(&cfg)
	}
	pool, err := db.Open(context.Background(), url, cfg.DBMaxConns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ts := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + ts.Listener.Addr().String()
	cfg.BlobURL = "file://" + t.TempDir() + "/blobs"
	cfg.DataDir = t.TempDir()
	srv, err := server.New(context.Background(), cfg, pool, obs.NewLogger(io.Discard, cfg.LogLevel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	listenSessions(t, srv)
	return &App{URL: ts.URL, Pool: pool, Cfg: cfg, Server: srv, logs: &syncWriter{}}
}
