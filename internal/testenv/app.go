package testenv

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/config"
	"kycdesk/internal/db"
	"kycdesk/internal/obs"
	"kycdesk/internal/server"
	"kycdesk/internal/users"
)

// App is the whole kycdesk HTTP app on a local port, on its own database.
type App struct {
	URL    string
	Pool   *pgxpool.Pool
	Cfg    config.Config
	Server *server.Server
	logs   *syncWriter
}

// Logs returns every log line the app wrote so far.
func (a *App) Logs() string {
	a.logs.mu.Lock()
	defer a.logs.mu.Unlock()
	return a.logs.b.String()
}

// Config is the configuration tests run the app with.
func Config() config.Config {
	return config.Config{Env: "development", Addr: "127.0.0.1:0", BaseURL: "http://kycdesk.test", DBMaxConns: 10, DBBackgroundConns: 10,
		SessionIdle: 30 * time.Minute, SessionLifetime: 12 * time.Hour, CookieSecure: "false", LogLevel: "debug",
		LockAfter: 10, PasswordLinkTTL: 72 * time.Hour, MaxUploadBytes: 10 << 20, SLA: 24 * time.Hour, Simulator: true, Workers: true}
}

// NewApp starts the app on a fresh database. mutate, when given, adjusts the configuration.
func NewApp(t testing.TB, mutate ...func(*config.Config)) *App {
	t.Helper()
	cfg := Config()
	for _, m := range mutate {
		m(&cfg)
	}
	pool, err := db.Open(context.Background(), URL(t), cfg.DBMaxConns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return startApp(t, pool, "file://"+t.TempDir()+"/blobs", t.TempDir(), mutate...)
}

// NewInstances starts n instances of the app on one fresh database, as several servers behind a
// load balancer: each has its own pool, workers and simulator, and they share the image store and
// the data directory (so the key that seals vendor credentials).
func NewInstances(t testing.TB, n int, mutate ...func(*config.Config)) []*App {
	t.Helper()
	url := URL(t)
	blobs, data := "file://"+t.TempDir()+"/blobs", t.TempDir()
	apps := make([]*App, n)
	for i := range apps {
		pool, err := db.Open(context.Background(), url, Config().DBMaxConns)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		apps[i] = startApp(t, pool, blobs, data, mutate...)
	}
	return apps
}

// startApp starts the app on pool with the given image store and data directory.
func startApp(t testing.TB, pool *pgxpool.Pool, blobURL, dataDir string, mutate ...func(*config.Config)) *App {
	t.Helper()
	cfg := Config()
	for _, m := range mutate {
		m(&cfg)
	}
	logs := &syncWriter{}
	log := obs.NewLogger(logs, "debug")
	// The links the app hands out must point at the test server, so its address is known first.
	ts := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + ts.Listener.Addr().String()
	cfg.BlobURL = blobURL
	cfg.DataDir = dataDir
	srv, err := server.New(context.Background(), cfg, pool, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	if err := srv.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	listenSessions(t, srv)
	t.Cleanup(func() { srv.StopWorkers(10 * time.Second) })
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"level":"ERROR"`) {
				t.Log("app:", line)
			}
		}
	})
	return &App{URL: ts.URL, Pool: pool, Cfg: cfg, Server: srv, logs: logs}
}

// listenSessions lets the app cache sessions, as a served instance does (server.Serve).
func listenSessions(t testing.TB, srv *server.Server) {
	ctx, stop := context.WithCancel(context.Background())
	go srv.ListenSessions(ctx)
	t.Cleanup(stop)
}

type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// User is a user created for a test, with the password to sign in.
type User struct {
	ID       uuid.UUID
	Email    string
	Password string
	Role     string
}

// CreateUser adds an enabled user with role and a known password.
func (a *App) CreateUser(t testing.TB, role string) User {
	t.Helper()
	email := role + "-" + uuid.NewString()[:8] + "@example.com"
	pw := "test-password-" + uuid.NewString()[:8]
	svc := &users.Service{Pool: a.Pool, LinkTTL: time.Hour, BaseURL: a.URL}
	out, err := svc.Create(context.Background(), audit.System, users.NewUser{Email: email, Name: strings.ToUpper(role[:1]) + role[1:] + " Tester",
		Role: role, Setup: users.SetupGiven, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if a.Server != nil { // the app offers the new user (as an assignee) on its next page
		if err := a.Server.Store.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return User{ID: out.User.ID, Email: email, Password: pw, Role: role}
}

// Client is an HTTP client with its own cookie jar that does not follow redirects, so tests see
// the 303s themselves.
type Client struct {
	*http.Client
	base string
}

// NewClient returns a signed-out client.
func (a *App) NewClient() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{base: a.URL, Client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// SignIn signs the user in through the login form and returns the client.
func (a *App) SignIn(t testing.TB, u User) *Client {
	t.Helper()
	c := a.NewClient()
	res := c.PostForm(t, "/login", url.Values{"email": {u.Email}, "password": {u.Password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d: %s", u.Email, res.Status, res.Body)
	}
	return c
}

// Response is a read response.
type Response struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

// Doc parses the body as HTML for CSS-selector assertions.
func (r Response) Doc(t testing.TB) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Do sends req and reads the response.
func (c *Client) Do(t testing.TB, req *http.Request) Response {
	t.Helper()
	res, err := c.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: string(b), Location: res.Header.Get("Location")}
}

// Get requests path.
func (c *Client) Get(t testing.TB, path string) Response {
	t.Helper()
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Do(t, req)
}

// PostForm posts a url-encoded form to path, as a same-origin browser form would.
func (c *Client) PostForm(t testing.TB, path string, form url.Values, header ...string) Response {
	t.Helper()
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.Do(t, req)
}

// Exec runs a statement on the app's database, as a script or an operator would, and returns once
// the app has heard of every change it made to sessions and users (its session cache forgets
// them when PostgreSQL announces them, an instant after the commit).
func (a *App) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.Pool.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if err := a.Server.Store.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// AuditActions returns the actions of the audit events on a subject, newest first.
func (a *App) AuditActions(t testing.TB, subjectType, subjectID string) []string {
	t.Helper()
	rows, err := db.New(a.Pool).ListAuditEventsForSubject(context.Background(), db.ListAuditEventsForSubjectParams{
		SubjectType: subjectType, SubjectID: subjectID, MaxRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Action
	}
	return out
}

// CreateAPIToken adds an intake API token and returns its secret value.
func (a *App) CreateAPIToken(t testing.TB, name string) string {
	t.Helper()
	secret := "kyc_test_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	if _, err := db.New(a.Pool).CreateAPIToken(context.Background(), db.CreateAPITokenParams{Name: name, TokenHash: auth.TokenHash(secret)}); err != nil {
		t.Fatal(err)
	}
	return secret
}

// API sends a request to the intake API with token (empty: none) and returns the response.
func (c *Client) API(t testing.TB, method, path, token, contentType string, body []byte, header ...string) Response {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.Do(t, req)
}
