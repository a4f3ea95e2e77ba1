// Package pgcluster runs a private PostgreSQL cluster from the system's binaries: the embedded
// default behind `make run`, and the throwaway cluster the tests use. It never touches a packaged
// cluster: the server listens only on a unix socket inside its own directory.
//
// PostgreSQL refuses to run as root, so when kycdesk runs as root the cluster's files belong to the
// `postgres` OS user and its commands run through runuser.
package pgcluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Options says where the cluster lives and how it runs.
type Options struct {
	// Dir holds the cluster's data directory ("pgdata") and its socket ("run").
	Dir string
	// Throwaway turns durability off (fsync, synchronous commit, full page writes): tests only.
	Throwaway bool
}

// Cluster is a running private cluster.
type Cluster struct {
	dataDir   string
	socketDir string
	binDir    string
	runAs     string // OS user that owns the cluster when we are root; "" otherwise
	started   bool   // we started it, so Stop stops it
}

// port only names the socket file; nothing listens on TCP.
const port = 5432

// ErrNoBinaries means PostgreSQL's server binaries are not installed.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql package, or set DATABASE_URL")

// FindBinaries returns the directory holding initdb and pg_ctl: $KYCDESK_PG_BIN, else the newest
// /usr/lib/postgresql/*/bin, else the directory of initdb on PATH.
func FindBinaries() (string, error) {
	if d := os.Getenv("KYCDESK_PG_BIN"); d != "" {
		if isFile(filepath.Join(d, "initdb")) {
			return d, nil
		}
		return "", fmt.Errorf("KYCDESK_PG_BIN=%s holds no initdb", d)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Start initialises the cluster on first use and starts it unless it is already running (a second
// `make run` reuses the same cluster and data).
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{dataDir: filepath.Join(dir, "pgdata"), binDir: bin}
	if os.Geteuid() == 0 {
		c.runAs = "postgres"
		if _, err := user.Lookup(c.runAs); err != nil {
			return nil, fmt.Errorf("running as root, PostgreSQL must run as the %q OS user, which does not exist: %w", c.runAs, err)
		}
	}
	c.socketDir = filepath.Join(dir, "run")
	if len(c.socketDir) > 90 {
		// A unix socket path is limited to about 107 bytes; a deep checkout gets a short one.
		sum := sha256.Sum256([]byte(dir))
		c.socketDir = filepath.Join(os.TempDir(), "kycdesk-pg-"+hex.EncodeToString(sum[:6]))
	}
	if err := c.prepareDirs(dir); err != nil {
		return nil, err
	}
	if !isFile(filepath.Join(c.dataDir, "PG_VERSION")) {
		if err := c.initdb(ctx); err != nil {
			return nil, err
		}
	}
	if c.running(ctx) {
		return c, nil
	}
	// A crash can leave a stale postmaster.pid; pg_ctl start copes with one whose process is gone.
	args := []string{"-D", c.dataDir, "-l", filepath.Join(c.dataDir, "server.log"), "-w", "-t", "60", "-o", c.serverOptions(opts.Throwaway), "start"}
	if out, err := c.cmd(ctx, "pg_ctl", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("start PostgreSQL: %w: %s%s", err, out, c.logTail())
	}
	c.started = true
	return c, nil
}

func (c *Cluster) serverOptions(throwaway bool) string {
	o := fmt.Sprintf("-k %s -p %d -c listen_addresses='' -c max_connections=200", c.socketDir, port)
	if throwaway {
		o += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	return o
}

func (c *Cluster) prepareDirs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, d := range []string{c.dataDir, c.socketDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return err
		}
	}
	if c.runAs == "" {
		return nil
	}
	// The parent must be traversable by the postgres user.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	u, _ := user.Lookup(c.runAs)
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, d := range []string{c.dataDir, c.socketDir} {
		if err := os.Chown(d, uid, gid); err != nil {
			return fmt.Errorf("give %s to %s: %w", d, c.runAs, err)
		}
	}
	if err := exec.Command("runuser", "-u", c.runAs, "--", "test", "-w", c.dataDir).Run(); err != nil {
		return fmt.Errorf("the %s OS user cannot reach %s: a parent directory is not traversable (e.g. a checkout under /root, which is mode 700). Clone kycdesk elsewhere, set KYCDESK_DATA_DIR to a directory outside it, or set DATABASE_URL", c.runAs, c.dataDir)
	}
	return nil
}

func (c *Cluster) initdb(ctx context.Context) error {
	out, err := c.cmd(ctx, "initdb", "-D", c.dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	return nil
}

func (c *Cluster) running(ctx context.Context) bool {
	return c.cmd(ctx, "pg_ctl", "-D", c.dataDir, "status").Run() == nil
}

func (c *Cluster) cmd(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.binDir, name)
	if c.runAs != "" {
		return exec.CommandContext(ctx, "runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	}
	return exec.CommandContext(ctx, path, args...)
}

func (c *Cluster) logTail() string {
	b, err := os.ReadFile(filepath.Join(c.dataDir, "server.log"))
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\nserver.log:\n" + string(b)
}

// URL is the connection string for database name over the cluster's socket.
func (c *Cluster) URL(name string) string {
	q := url.Values{"host": {c.socketDir}, "port": {strconv.Itoa(port)}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + name, RawQuery: q.Encode()}).String()
}

// EnsureDatabase creates database name unless it exists.
func (c *Cluster) EnsureDatabase(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := c.psql(ctx, "postgres", fmt.Sprintf("SELECT 1 FROM pg_database WHERE datname = '%s'", strings.ReplaceAll(name, "'", "''")))
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) == "1" {
		return nil
	}
	_, err = c.psql(ctx, "postgres", fmt.Sprintf(`CREATE DATABASE "%s"`, strings.ReplaceAll(name, `"`, `""`)))
	return err
}

func (c *Cluster) psql(ctx context.Context, dbname, sql string) (string, error) {
	cmd := c.cmd(ctx, "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", c.socketDir, "-p", strconv.Itoa(port), "-U", "postgres", "-d", dbname, "-c", sql)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("psql: %w: %s", err, stderr.String())
	}
	return out.String(), nil
}

// Started reports whether this process started the cluster (rather than finding it running).
func (c *Cluster) Started() bool { return c.started }

// Stop shuts the cluster down (fast mode: sessions are ended, data is safe).
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := c.cmd(ctx, "pg_ctl", "-D", c.dataDir, "-m", "fast", "-w", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("stop PostgreSQL: %w: %s", err, out)
	}
	return nil
}
