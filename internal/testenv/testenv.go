// Package testenv gives tests the real things: a throwaway PostgreSQL cluster per test binary, a
// fresh database per test cloned from a migrated template, the whole HTTP app on a local port, and
// a signed-in HTTP client. No database is mocked.
//
// A package's tests call testenv.Main from TestMain. With KYCDESK_TEST_DATABASE_URL set, that
// server is used instead of a private cluster. Under CI=true a missing PostgreSQL or browser fails
// the run; elsewhere the tests that need one are skipped with the reason.
package testenv

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"

	"kycdesk/internal/db"
	"kycdesk/internal/pgcluster"
	"kycdesk/migrations"
)

var (
	baseURL  string // admin connection to the test server
	startErr error
)

// CI reports whether the tests run in CI, where nothing may be skipped for a missing tool.
func CI() bool { return os.Getenv("CI") == "true" }

// Main starts the test cluster (unless one is configured), runs the tests and stops it.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	baseURL = os.Getenv("KYCDESK_TEST_DATABASE_URL")
	if baseURL == "" {
		dir, err := os.MkdirTemp("", "kycdesk-test-pg-")
		if err != nil {
			startErr = err
			return m.Run()
		}
		defer os.RemoveAll(dir)
		c, err := pgcluster.Start(context.Background(), pgcluster.Options{Dir: dir, Throwaway: true})
		if err != nil {
			startErr = err
		} else {
			defer func() {
				if err := c.Stop(); err != nil {
					fmt.Fprintln(os.Stderr, "testenv:", err)
				}
			}()
			baseURL = c.URL("postgres")
		}
	}
	return m.Run()
}

// Skip skips (or, in CI, fails) the test with reason.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if CI() {
		t.Fatalf("CI=true and %s", reason)
	}
	t.Skip(reason)
}

type migrator struct{}

var migrationsHash = func() string {
	h := sha256.New()
	h.Write([]byte("river v0.51.1")) // the job queue's own migrations come with its version
	names, _ := fs.Glob(migrations.FS, "*.sql")
	sort.Strings(names)
	for _, n := range names {
		b, _ := migrations.FS.ReadFile(n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}()

func (migrator) Hash() (string, error) { return migrationsHash, nil }

func (migrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	pool, err := db.Open(ctx, conf.URL(), 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	return db.Migrate(ctx, pool)
}

// URL returns the connection string of a fresh, migrated database for this test, dropped after it.
func URL(t testing.TB) string {
	t.Helper()
	if startErr != nil {
		Skip(t, "no PostgreSQL for tests: "+startErr.Error())
	}
	if baseURL == "" {
		Skip(t, "no PostgreSQL for tests: call testenv.Main from TestMain")
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	conf := pgtestdb.Config{DriverName: "pgx", User: u.User.Username(), Host: u.Hostname(), Port: u.Port(),
		Database: "postgres", Options: u.RawQuery, ForceTerminateConnections: true}
	if pw, ok := u.User.Password(); ok {
		conf.Password = pw
	}
	if conf.Host == "" {
		conf.Host = "localhost"
	}
	if conf.Port == "" {
		conf.Port = "5432"
	}
	return pgtestdb.Custom(t, conf, migrator{}).URL()
}

// DB returns a pool on a fresh, migrated database for this test.
func DB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(context.Background(), URL(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// TempDir returns a directory that outlives nothing but the test, traversable by the postgres
// user (for tests that start a cluster of their own).
func TempDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "kycdesk-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	_ = os.Chmod(d, 0o755)
	return filepath.Clean(d)
}
