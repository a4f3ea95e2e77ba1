package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"kycdesk/internal/db"
	"kycdesk/internal/pgcluster"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func runCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"user", "add", "--help"}, {"audit", "--help"}} {
		out, err := runCmd(t, "", args...)
		if err != nil && !strings.Contains(err.Error(), "help requested") {
			t.Errorf("%v: %v", args, err)
		}
		if !strings.Contains(out, "Usage") && !strings.Contains(out, "kycdesk") {
			t.Errorf("%v printed no usage: %q", args, out)
		}
	}
	if _, err := runCmd(t, "", "frobnicate"); err == nil {
		t.Error("unknown command accepted")
	}
}

func TestUserAddAndAuditVerify(t *testing.T) {
	url := testenv.URL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("KYCDESK_DATA_DIR", t.TempDir())

	out, err := runCmd(t, "", "migrate")
	if err != nil || !strings.Contains(out, "migrations applied") {
		t.Fatalf("migrate: %v %q", err, out)
	}
	out, err = runCmd(t, "", "user", "add", "--email", "ops@example.com", "--role", "admin")
	if err != nil || !strings.Contains(out, "temporary password") {
		t.Fatalf("user add: %v %q", err, out)
	}
	out, err = runCmd(t, "a passphrase from stdin\n", "user", "add", "--email", "second@example.com", "--role", "reviewer", "--password-stdin")
	if err != nil || strings.Contains(out, "temporary password") {
		t.Fatalf("user add with stdin: %v %q", err, out)
	}
	if _, err := runCmd(t, "", "user", "add", "--email", "bad", "--role", "king"); err == nil ||
		!strings.Contains(err.Error(), "--email") || !strings.Contains(err.Error(), "--role") {
		t.Fatalf("bad flags: %v", err)
	}
	if _, err := runCmd(t, "", "user", "add", "--email", "ops@example.com", "--role", "admin"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate: %v", err)
	}

	out, err = runCmd(t, "", "audit", "verify")
	if err != nil || !strings.Contains(out, "verified: 2 rows") {
		t.Fatalf("verify on a fresh database: %v %q", err, out)
	}
	pool, err := db.Open(context.Background(), url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var id int64
	if err := pool.QueryRow(context.Background(), "SELECT min(id) FROM audit_events").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
		UPDATE audit_events SET actor_label = 'somebody else' WHERE id = `+strconv.FormatInt(id, 10)+`;
		ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, "", "audit", "verify")
	if err == nil || !strings.Contains(out, "BROKEN at row "+strconv.FormatInt(id, 10)) {
		t.Fatalf("tampered chain: %v %q", err, out)
	}
}

// A command run while the server is up finds the private cluster running and leaves it running
// when it ends; one that started the cluster stops it.
func TestCommandLeavesARunningClusterRunning(t *testing.T) {
	// The cluster may run as another OS user (under root, postgres): a directory it can reach.
	dir, err := os.MkdirTemp("", "kycdesk-cmd-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", "")
	t.Setenv("KYCDESK_DATA_DIR", dir)
	// The cluster as `serve` would have it: started by another process (here, this test).
	server, err := pgcluster.Start(context.Background(), pgcluster.Options{Dir: filepath.Join(dir, "postgres"), Throwaway: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = server.Stop() }()
	if err := server.EnsureDatabase(context.Background(), "kycdesk"); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, "", "migrate"); err != nil {
		t.Fatalf("migrate: %v %q", err, out)
	}
	if out, err := runCmd(t, "", "user", "add", "--email", "late@example.com", "--role", "reviewer"); err != nil {
		t.Fatalf("user add: %v %q", err, out)
	}
	pool, err := db.Open(context.Background(), server.URL("kycdesk"), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM users WHERE email = 'late@example.com'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the cluster does not answer after the commands: %v (%d users)", err, n)
	}
	pool.Close()

	// Stopped, the next command starts it and stops it again when done.
	if err := server.Stop(); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, "", "audit", "verify"); err != nil {
		t.Fatalf("audit verify: %v %q", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "postgres", "pgdata", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("a command that started the cluster left it running: %v", err)
	}
}
