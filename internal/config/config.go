// Package config reads kycdesk's settings from environment variables and validates them at start,
// so a mistyped value stops the process with a message that names the variable.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Config is every setting kycdesk reads. See Vars for the names, defaults and meanings.
type Config struct {
	Env         string // "development" or "production"
	Addr        string
	BaseURL     string
	DatabaseURL string // empty: the private cluster under DataDir
	DataDir     string
	// DBMaxConns bounds the connections requests use at once; DBBackgroundConns those of the
	// job queue and its workers and of exports, which hold theirs for long.
	DBMaxConns        int32
	DBBackgroundConns int32
	SessionIdle       time.Duration
	SessionLifetime   time.Duration
	CookieSecure      string // "auto", "true" or "false"
	TrustProxy        bool
	LogLevel          string
	LockAfter         int
	PasswordLinkTTL   time.Duration
	MetricsToken      string
	BlobURL           string
	MaxUploadBytes    int64
	SLA               time.Duration
	SecretsURL        string
	Simulator         bool // the built-in vendor simulator answers for vendors that are not configured
	Workers           bool // this instance runs check jobs
	// CheckTimeout bounds one run of a check job; CheckRescueAfter is how long a job may stay
	// running before another instance takes its instance for dead and runs it again.
	CheckTimeout     time.Duration
	CheckRescueAfter time.Duration
}

// DefaultDBMaxConns is KYCDESK_DB_MAX_CONNS' default: twice the CPUs this process may use and
// one (GOMAXPROCS, which follows a container's CPU limit), from 4 to 20: the statements
// PostgreSQL runs well at once when it shares the machine (the private cluster). With more, a
// saturated instance keeps more PostgreSQL processes runnable than there are CPUs, and each
// statement waits for one in turn (README, "Benchmarks": on two cores, 20 connections gave the
// queue page a p99 about twice that of 5, at the same throughput).
func DefaultDBMaxConns() int { return min(20, max(4, 2*runtime.GOMAXPROCS(0)+1)) }

// GCPercent and MemoryLimit are how kycdesk has the Go runtime collect garbage where GOGC and
// GOMEMLIMIT do not say otherwise (TuneGC). It keeps little between requests and a page
// allocates much for it: with Go's default of 100 (collect each time the heap has doubled) the
// collector ran many times a second under load and took 9% of a queue page's CPU; at 400, a
// saturated instance served 5–30% more pages (README, "Benchmarks"). The soft limit bounds what
// that growth allows after a big image was decoded (40 megapixels are 160 MB as pixels): nearing
// it, the collector runs more often.
const (
	GCPercent   = 400
	MemoryLimit = 1 << 30
)

// TuneGC applies GCPercent unless GOGC is set, and unless GOMEMLIMIT is set, a soft memory limit:
// MemoryLimit, or three quarters of the container's memory (cgroup v2's memory.max) when that is
// less, so that in a small container the collector works harder rather than the kernel killing
// the process.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit(cgroupMemory("/sys/fs/cgroup/memory.max")))
	}
}

// memoryLimit is the soft limit for a container of the given memory (0: none known).
func memoryLimit(container int64) int64 {
	if container > 0 && container/4*3 < MemoryLimit {
		return container / 4 * 3
	}
	return MemoryLimit
}

// cgroupMemory reads a cgroup v2 memory.max file: the bytes, or 0 when there is no limit ("max")
// or no such file.
func cgroupMemory(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// DefaultDBBackgroundConns is KYCDESK_DB_BACKGROUND_CONNS' default.
const DefaultDBBackgroundConns = 10

// Var documents one environment variable.
type Var struct {
	Name, Default, Meaning string
}

// Vars lists every variable with its default, in the order the README shows them.
var Vars = []Var{
	{"KYCDESK_ENV", "development", "`development` or `production`. Production requires DATABASE_URL, secure cookies, a metrics token and https vendor URLs."},
	{"KYCDESK_ADDR", "127.0.0.1:8080", "Address the HTTP server listens on."},
	{"KYCDESK_BASE_URL", "http://KYCDESK_ADDR", "Public URL of the app, used in links that are handed out (set-password links)."},
	{"DATABASE_URL", "(empty)", "PostgreSQL connection string. Empty: kycdesk starts its private cluster under the data directory."},
	{"KYCDESK_DATA_DIR", ".data", "Where the private cluster, the image store and the local keys live."},
	{"KYCDESK_DB_MAX_CONNS", "2 × CPUs + 1 (4 to 20)", "Connections the requests' statements use at once, per instance: by default for this host's CPUs (GOMAXPROCS); with PostgreSQL elsewhere, about twice its cores shared out among the instances. More only makes each statement wait for a CPU inside PostgreSQL rather than for a connection here."},
	{"KYCDESK_DB_BACKGROUND_CONNS", "10", "Connections of the job queue and the check workers (their statements, the vendor call log) and of exports (each holds one while it streams), kept apart so that they never leave pages waiting."},
	{"KYCDESK_SESSION_IDLE", "30m", "A session ends after this long without a request."},
	{"KYCDESK_SESSION_LIFETIME", "12h", "A session ends this long after sign-in, however active."},
	{"KYCDESK_COOKIE_SECURE", "auto", "`auto` (Secure when served over TLS or KYCDESK_BASE_URL is https), `true` or `false`."},
	{"KYCDESK_TRUST_PROXY", "false", "Take the client address from the last entry of X-Forwarded-For, the one the proxy in front of kycdesk added (only behind one proxy you control)."},
	{"KYCDESK_LOG_LEVEL", "info", "`debug`, `info`, `warn` or `error`. Logs are JSON lines on standard error."},
	{"KYCDESK_LOCK_AFTER", "10", "Failed sign-ins on one email before the account is locked until an admin unlocks it (a growing delay starts after 5)."},
	{"KYCDESK_PASSWORD_LINK_TTL", "72h", "How long a one-time set-password link stays valid."},
	{"KYCDESK_METRICS_TOKEN", "(empty)", "When set, /metrics requires `Authorization: Bearer <token>`; required in production."},
	{"KYCDESK_BLOB_URL", "file://KYCDESK_DATA_DIR/blobs", "Where images are stored (gocloud.dev blob URL): a directory by default, `s3://bucket?region=…&endpoint=…` for S3 or an S3-compatible store, `gs://bucket` for Google Cloud Storage."},
	{"KYCDESK_MAX_UPLOAD_MB", "10", "Largest image or PDF accepted, in megabytes."},
	{"KYCDESK_SLA_HOURS", "24", "A case open longer than this is marked as past its SLA in the queue."},
	{"KYCDESK_SECRETS_URL", "(empty)", "gocloud.dev secrets keeper URL for vendor credentials; `base64key://<32-byte key, base64url>` shares one key between instances. Empty: a local key generated once into the data directory."},
	{"KYCDESK_SIMULATOR", "auto", "`auto` (on in development, off in production), `on` or `off`: the built-in vendor simulator answers for vendors with no credentials, under /sim."},
	{"KYCDESK_WORKERS", "true", "Whether this instance runs vendor checks (set false on web-only instances)."},
	{"KYCDESK_CHECK_TIMEOUT", "6m", "Longest one run of a vendor check may take (waiting for the vendor's concurrency limit included); it is then cancelled and retried."},
	{"KYCDESK_CHECK_RESCUE_AFTER", "KYCDESK_CHECK_TIMEOUT + 1m", "A check still running after this long is taken for abandoned (its instance died) and run again by an instance with workers. Must be longer than KYCDESK_CHECK_TIMEOUT."},
}

// Load reads the environment. Every problem is reported, not only the first.
func Load() (Config, error) {
	var errs []error
	get := func(name, def string) string {
		if v, ok := os.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	dur := func(name, def string) time.Duration {
		v := get(name, def)
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q is not a positive duration (e.g. 30m, 12h)", name, v))
		}
		return d
	}
	integer := func(name, def string, lo, hi int) int {
		v := get(name, def)
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			errs = append(errs, fmt.Errorf("%s=%q must be a whole number from %d to %d", name, v, lo, hi))
		}
		return n
	}
	boolean := func(name, def string) bool {
		v := get(name, def)
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q must be true or false", name, v))
		}
		return b
	}

	c := Config{
		Env:               get("KYCDESK_ENV", "development"),
		Addr:              get("KYCDESK_ADDR", "127.0.0.1:8080"),
		DatabaseURL:       get("DATABASE_URL", ""),
		DataDir:           get("KYCDESK_DATA_DIR", ".data"),
		DBMaxConns:        int32(integer("KYCDESK_DB_MAX_CONNS", strconv.Itoa(DefaultDBMaxConns()), 2, 1000)),
		DBBackgroundConns: int32(integer("KYCDESK_DB_BACKGROUND_CONNS", strconv.Itoa(DefaultDBBackgroundConns), 2, 1000)),
		SessionIdle:       dur("KYCDESK_SESSION_IDLE", "30m"),
		SessionLifetime:   dur("KYCDESK_SESSION_LIFETIME", "12h"),
		CookieSecure:      get("KYCDESK_COOKIE_SECURE", "auto"),
		TrustProxy:        boolean("KYCDESK_TRUST_PROXY", "false"),
		LogLevel:          get("KYCDESK_LOG_LEVEL", "info"),
		LockAfter:         integer("KYCDESK_LOCK_AFTER", "10", 6, 1000),
		PasswordLinkTTL:   dur("KYCDESK_PASSWORD_LINK_TTL", "72h"),
		MetricsToken:      get("KYCDESK_METRICS_TOKEN", ""),
		MaxUploadBytes:    int64(integer("KYCDESK_MAX_UPLOAD_MB", "10", 1, 100)) << 20,
		SLA:               time.Duration(integer("KYCDESK_SLA_HOURS", "24", 1, 24*365)) * time.Hour,
		SecretsURL:        get("KYCDESK_SECRETS_URL", ""),
		Workers:           boolean("KYCDESK_WORKERS", "true"),
		CheckTimeout:      dur("KYCDESK_CHECK_TIMEOUT", "6m"),
	}
	c.CheckRescueAfter = c.CheckTimeout + time.Minute
	if get("KYCDESK_CHECK_RESCUE_AFTER", "") != "" {
		c.CheckRescueAfter = dur("KYCDESK_CHECK_RESCUE_AFTER", "")
	}
	if c.CheckTimeout > 0 && c.CheckRescueAfter > 0 && c.CheckRescueAfter <= c.CheckTimeout {
		errs = append(errs, fmt.Errorf("KYCDESK_CHECK_RESCUE_AFTER (%s) must be longer than KYCDESK_CHECK_TIMEOUT (%s): a check still running would be run twice", c.CheckRescueAfter, c.CheckTimeout))
	}
	switch sim := get("KYCDESK_SIMULATOR", "auto"); sim {
	case "auto":
		c.Simulator = c.Env != "production"
	case "on", "off":
		c.Simulator = sim == "on"
	default:
		errs = append(errs, fmt.Errorf("KYCDESK_SIMULATOR=%q must be auto, on or off", sim))
	}
	c.BaseURL = strings.TrimRight(get("KYCDESK_BASE_URL", "http://"+c.Addr), "/")

	if c.Env != "development" && c.Env != "production" {
		errs = append(errs, fmt.Errorf("KYCDESK_ENV=%q must be development or production", c.Env))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("KYCDESK_ADDR=%q must be host:port (e.g. 127.0.0.1:8080)", c.Addr))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("KYCDESK_BASE_URL=%q must be an http(s) URL", c.BaseURL))
	}
	switch c.CookieSecure {
	case "auto", "true", "false":
	default:
		errs = append(errs, fmt.Errorf("KYCDESK_COOKIE_SECURE=%q must be auto, true or false", c.CookieSecure))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("KYCDESK_LOG_LEVEL=%q must be debug, info, warn or error", c.LogLevel))
	}
	if c.SessionIdle > 0 && c.SessionLifetime > 0 && c.SessionIdle > c.SessionLifetime {
		errs = append(errs, fmt.Errorf("KYCDESK_SESSION_IDLE (%s) cannot be longer than KYCDESK_SESSION_LIFETIME (%s)", c.SessionIdle, c.SessionLifetime))
	}
	if c.Env == "production" {
		if c.DatabaseURL == "" {
			errs = append(errs, errors.New("DATABASE_URL is required when KYCDESK_ENV=production"))
		}
		if c.CookieSecure == "false" {
			errs = append(errs, errors.New("KYCDESK_COOKIE_SECURE=false is not allowed when KYCDESK_ENV=production"))
		}
		if c.MetricsToken == "" {
			errs = append(errs, errors.New("KYCDESK_METRICS_TOKEN is required when KYCDESK_ENV=production: /metrics is not served to anyone who asks"))
		}
	}
	if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	c.BlobURL = get("KYCDESK_BLOB_URL", "file://"+filepath.ToSlash(filepath.Join(c.DataDir, "blobs")))
	if u, err := url.Parse(c.BlobURL); err != nil || u.Scheme == "" {
		errs = append(errs, fmt.Errorf("KYCDESK_BLOB_URL=%q must be a blob URL such as file:///var/lib/kycdesk/blobs or s3://bucket", c.BlobURL))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// Production reports whether kycdesk runs in production mode.
func (c Config) Production() bool { return c.Env == "production" }

// SecureCookies reports whether cookies must carry the Secure flag regardless of the request.
func (c Config) SecureCookies() bool {
	return c.CookieSecure == "true" || (c.CookieSecure == "auto" && strings.HasPrefix(c.BaseURL, "https://"))
}
