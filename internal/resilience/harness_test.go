package resilience

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/auth"
	"kycdesk/internal/checks"
	"kycdesk/internal/db"
	"kycdesk/internal/intake"
	"kycdesk/internal/sessions"
	"kycdesk/internal/simulator"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/cynopsis"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// buildBinary compiles cmd/kycdesk from this working tree into a directory of the test's.
func buildBinary(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		testenv.Skip(t, "the go command is not on PATH: the binary under test cannot be built")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "kycdesk")
	start := time.Now()
	cmd := exec.Command(goCmd, "build", "-o", bin, "./cmd/kycdesk")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/kycdesk: %v\n%s", err, out)
	}
	t.Logf("built kycdesk in %s", time.Since(start).Round(100*time.Millisecond))
	return bin
}

// options shape a harness.
type options struct {
	// Latency is added by the simulated vendors before every answer.
	Latency time.Duration
	// CheckTimeout and RescueAfter are KYCDESK_CHECK_TIMEOUT and KYCDESK_CHECK_RESCUE_AFTER.
	CheckTimeout, RescueAfter time.Duration
	// Concurrency is every vendor's concurrency limit.
	Concurrency int
	// BlobURL is KYCDESK_BLOB_URL; empty: a directory of the test's, shared by every instance.
	BlobURL string
	// Env is added to every process's environment (AWS credentials for the object store).
	Env []string
}

// harness is what the processes under test share: the binary, one database, one vendor
// simulator, one secrets key, one image store, an API token.
type harness struct {
	t      *testing.T
	bin    string
	pool   *pgxpool.Pool
	sim    *simulator.Simulator
	simURL string
	env    []string
	token  string

	mu sync.Mutex
	// serverErrors are the 5xx answers the API gave (each request was sent again with its
	// Idempotency-Key, as the API asks of clients), for the report.
	serverErrors []string
}

func newHarness(t *testing.T, o options) *harness {
	t.Helper()
	dbURL := testenv.URL(t) // first: without PostgreSQL there is nothing to build for
	h := &harness{t: t, bin: buildBinary(t)}
	var err error
	if h.pool, err = db.Open(context.Background(), dbURL, 5); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.pool.Close)

	h.sim = simulator.New(simulator.Options{Latency: o.Latency})
	ts := httptest.NewServer(h.sim.Handler())
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		h.sim.Close()
	})
	h.simURL = ts.URL

	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	blobURL := o.BlobURL
	if blobURL == "" {
		blobURL = "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "blobs"))
	}
	h.env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"DATABASE_URL=" + dbURL,
		"KYCDESK_ENV=development",
		"KYCDESK_LOG_LEVEL=info",
		"KYCDESK_COOKIE_SECURE=false",
		"KYCDESK_DB_MAX_CONNS=12",
		"KYCDESK_SIMULATOR=off",
		"KYCDESK_WORKERS=true",
		"KYCDESK_BLOB_URL=" + blobURL,
		"KYCDESK_SECRETS_URL=base64key://" + base64.URLEncoding.EncodeToString(key),
		"KYCDESK_CHECK_TIMEOUT=" + o.CheckTimeout.String(),
		"KYCDESK_CHECK_RESCUE_AFTER=" + o.RescueAfter.String(),
	}, o.Env...)
	h.configureVendors(o.Concurrency)

	h.token = "kyc_resilience_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	q := db.New(h.pool)
	if _, err := q.CreateAPIToken(context.Background(), db.CreateAPITokenParams{Name: "resilience", TokenHash: auth.TokenHash(h.token)}); err != nil {
		t.Fatal(err)
	}
	// Documents that arrive through the API get the default checks, as an admin would set it.
	if err := q.SetAppSetting(context.Background(), db.SetAppSettingParams{Key: "checks.auto_run", Value: []byte("true")}); err != nil {
		t.Fatal(err)
	}
	return h
}

// cli runs a kycdesk command (not serve) against the shared database and returns its output.
func (h *harness) cli(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, args...)
	cmd.Env = append(h.env, "KYCDESK_DATA_DIR="+h.t.TempDir())
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// configureVendors points the five integrations at the test's simulator through `kycdesk vendor
// set`, the operator's own way, secrets on standard input.
func (h *harness) configureVendors(concurrency int) {
	h.t.Helper()
	st := h.sim.Settings(h.simURL)
	type setting struct {
		vendor  vendors.Name
		values  []string // key=value
		secrets []string // key=value, sent on standard input
	}
	domain := strconv.FormatInt(st.Cynopsis.DomainID, 10)
	all := []setting{
		{vendors.CynopsisOCR, []string{"auth_url=" + st.Cynopsis.AuthURL, "ocr_url=" + st.Cynopsis.OCRURL, "client_id=" + st.Cynopsis.ClientID, "domain_id=" + domain},
			[]string{"client_secret=" + st.Cynopsis.ClientSecret}},
		{vendors.Artemis, []string{"auth_url=" + st.Artemis.AuthURL, "artemis_url=" + st.Artemis.ArtemisURL, "client_id=" + st.Artemis.ClientID, "domain_id=" + domain},
			[]string{"client_secret=" + st.Artemis.ClientSecret}},
		{vendors.Apptenticate, []string{"base_url=" + st.Apptenticate.BaseURL, "username=" + st.Apptenticate.Username},
			[]string{"password=" + st.Apptenticate.Password}},
		{vendors.Argos, []string{"base_url=" + st.Argos.BaseURL}, []string{"api_key=" + st.Argos.APIKey}},
		{vendors.OOTO, []string{"base_url=" + st.OOTO.BaseURL, "app_id=" + st.OOTO.AppID}, []string{"app_key=" + st.OOTO.AppKey}},
	}
	for _, s := range all {
		args := []string{"vendor", "set", "--vendor", string(s.vendor), "--env", "sandbox", "--enabled=true",
			"--timeout", "10", "--concurrency", strconv.Itoa(concurrency)}
		for _, v := range s.values {
			args = append(args, "--set", v)
		}
		var stdin strings.Builder
		for _, kv := range s.secrets {
			k, v, _ := strings.Cut(kv, "=")
			args = append(args, "--secret-stdin", k)
			stdin.WriteString(v + "\n")
		}
		if out, err := h.cli(stdin.String(), args...); err != nil {
			h.t.Fatalf("kycdesk %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// addUser creates a user with `kycdesk user add` and returns the password.
func (h *harness) addUser(email, role string) string {
	h.t.Helper()
	pw := "resilience-" + uuid.NewString()[:12]
	if out, err := h.cli(pw+"\n", "user", "add", "--email", email, "--role", role, "--password-stdin"); err != nil {
		h.t.Fatalf("kycdesk user add: %v\n%s", err, out)
	}
	return pw
}

// proc is one kycdesk server process, restartable on the same address.
type proc struct {
	name    string
	h       *harness
	URL     string
	env     []string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	runs   []run
}

// run is one life of a process.
type run struct {
	spawned, ready time.Time
}

// newProc prepares a server on a free local port, with its own data directory.
func (h *harness) newProc(name string, env ...string) *proc {
	h.t.Helper()
	addr := unusedAddr(h.t)
	p := &proc{name: name, h: h, URL: "http://" + addr, logPath: filepath.Join(h.t.TempDir(), name+".log")}
	p.env = append(append([]string{}, h.env...), "KYCDESK_ADDR="+addr, "KYCDESK_BASE_URL="+p.URL, "KYCDESK_DATA_DIR="+h.t.TempDir())
	p.env = append(p.env, env...)
	h.t.Cleanup(func() {
		if p.running() {
			p.signal(syscall.SIGKILL)
			<-p.exited
		}
		if h.t.Failed() {
			h.t.Logf("%s: last log lines:\n%s", p.name, p.tail(40))
		}
		// KYCDESK_RESILIENCE_LOGS keeps every server's whole log, for a run worth reading.
		if dir := os.Getenv("KYCDESK_RESILIENCE_LOGS"); dir != "" {
			if b, err := os.ReadFile(p.logPath); err == nil && os.MkdirAll(dir, 0o755) == nil {
				dst := filepath.Join(dir, h.t.Name()+"-"+p.name+".log")
				if err := os.WriteFile(dst, b, 0o644); err == nil {
					h.t.Logf("%s: log kept in %s", p.name, dst)
				}
			}
		}
	})
	return p
}

// unusedAddr returns a loopback address nothing listens on, with a port below the kernel's
// ephemeral range: a port the kernel handed out (":0") and closed again can be handed out
// at once to another socket (an outgoing connection, another test's listener) before the
// server binds it, or between two lives of a restarted server. Ports below the range are given
// out by no one; the address is checked free when chosen.
func unusedAddr(t *testing.T) string {
	t.Helper()
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 12000 {
				low = n
			}
		}
	}
	for range 200 {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(10000+mrand.IntN(low-10000)))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		_ = l.Close()
		return addr
	}
	t.Fatal("no free loopback port below the ephemeral range")
	return ""
}

// start starts the server and waits until it answers /readyz.
func (p *proc) start() {
	t := p.h.t
	t.Helper()
	f, err := os.OpenFile(p.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "--- %s, life %d ---\n", p.name, len(p.runs)+1)
	cmd := exec.Command(p.h.bin, "serve")
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = f, f
	r := run{spawned: time.Now()}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-exited:
			t.Fatalf("%s exited while starting:\n%s", p.name, p.tail(30))
		default:
		}
		if ready(p.URL) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not become ready within a minute:\n%s", p.name, p.tail(30))
		}
		time.Sleep(25 * time.Millisecond)
	}
	r.ready = time.Now()
	p.mu.Lock()
	p.runs = append(p.runs, r)
	p.mu.Unlock()
}

func ready(base string) bool {
	c := http.Client{Timeout: time.Second}
	res, err := c.Get(base + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *proc) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(sig)
	}
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would, and waits for it to go.
// lives returns the process's lives so far, the first first.
func (p *proc) lives() []run {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.runs)
}

func (p *proc) kill() {
	p.signal(syscall.SIGKILL)
	<-p.exited
}

// stop asks the process to stop (SIGTERM) and waits for it, up to limit; it reports how long the
// process took.
func (p *proc) stop(limit time.Duration) time.Duration {
	t := p.h.t
	t.Helper()
	start := time.Now()
	p.signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(limit):
		p.kill()
		t.Errorf("%s did not stop within %s of SIGTERM: killed", p.name, limit)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("%s exited with status %d after SIGTERM:\n%s", p.name, code, p.tail(20))
	}
	return time.Since(start)
}

// tail returns the last n lines the process wrote, over all its lives.
func (p *proc) tail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// failures returns the errors the process logged for requests that failed on its side, with how
// often each came.
func (p *proc) failures() map[string]int {
	b, _ := os.ReadFile(p.logPath)
	out := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, `"msg":"request failed"`) {
			continue
		}
		var rec struct {
			Error string `json:"error"`
			Path  string `json:"path"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil {
			out[rec.Error]++
		}
	}
	return out
}

// serverErrorReport is the report's line on server errors: the 5xx answers the API gave and the
// errors the processes logged for them.
func (h *harness) serverErrorReport(procs ...*proc) string {
	h.mu.Lock()
	n := len(h.serverErrors)
	h.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d server errors answered to the API client (each sent again with its Idempotency-Key)", n)
	for _, p := range procs {
		for msg, k := range p.failures() {
			fmt.Fprintf(&b, "\n  %s logged %d× %q", p.name, k, msg)
		}
	}
	return b.String()
}

// client is an HTTP client that does not follow redirects.
var client = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// intakeDoc is a customer pushed through the API, with its case and document.
type intakeDoc struct {
	seed       uint64
	customerID uuid.UUID
	caseID     uuid.UUID
	documentID uuid.UUID
	frontID    uuid.UUID
}

// apiCall sends one API request and decodes a 201 answer into out.
func (h *harness) apiCall(base, path, contentType, key string, body []byte, out any) error {
	for try := 1; ; try++ {
		req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+h.token)
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Idempotency-Key", key)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		if res.StatusCode >= 500 && try < 3 {
			h.mu.Lock()
			h.serverErrors = append(h.serverErrors, fmt.Sprintf("POST %s: %d (request %s)", path, res.StatusCode, res.Header.Get("X-Request-Id")))
			h.mu.Unlock()
			continue
		}
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("POST %s: status %d: %s", path, res.StatusCode, b)
		}
		return json.Unmarshal(b, out)
	}
}

// pushCustomer creates a customer with a specimen passport (front and selfie) through base's
// intake API; the document's default checks start by themselves (checks.auto_run).
func (h *harness) pushCustomer(base string, seed uint64) intakeDoc {
	h.t.Helper()
	d, err := h.push(base, seed)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// push is pushCustomer for any goroutine: it reports failure instead of ending the test.
func (h *harness) push(base string, seed uint64) (intakeDoc, error) {
	sp := specimen.Generate(seed, specimen.Options{})
	in, _ := json.Marshal(map[string]string{
		"external_ref": fmt.Sprintf("resilience-%d", seed), "given_names": sp.GivenNames, "surname": sp.Surname,
		"date_of_birth": sp.DateOfBirth.Format("2006-01-02"), "nationality": sp.Nationality, "residence_country": sp.Nationality,
		"email": fmt.Sprintf("customer%d@example.com", seed), "address": sp.Address,
	})
	var cust intake.CustomerJSON
	if err := h.apiCall(base, "/api/v1/customers", "application/json", fmt.Sprintf("customer-%d", seed), in, &cust); err != nil {
		return intakeDoc{}, err
	}
	if len(cust.Cases) != 1 {
		return intakeDoc{}, fmt.Errorf("customer %d: %d cases, want 1", seed, len(cust.Cases))
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"type": "passport", "issuing_country": sp.IssuingCountry, "number": sp.DocumentNumber,
		"issue_date": sp.IssueDate.Format("2006-01-02"), "expiry_date": sp.ExpiryDate.Format("2006-01-02")} {
		_ = mw.WriteField(k, v)
	}
	for _, f := range []struct {
		kind string
		data []byte
	}{{"front", sp.Front}, {"selfie", sp.Selfie}} {
		fw, err := mw.CreateFormFile(f.kind, f.kind+".jpg")
		if err != nil {
			return intakeDoc{}, err
		}
		_, _ = fw.Write(f.data)
	}
	_ = mw.Close()
	var doc intake.DocumentJSON
	if err := h.apiCall(base, "/api/v1/customers/"+cust.ID.String()+"/documents", mw.FormDataContentType(), fmt.Sprintf("document-%d", seed), buf.Bytes(), &doc); err != nil {
		return intakeDoc{}, err
	}
	out := intakeDoc{seed: seed, customerID: cust.ID, caseID: cust.Cases[0].ID, documentID: doc.ID}
	for _, im := range doc.Images {
		if im.Kind == "front" {
			out.frontID = im.ID
		}
	}
	return out, nil
}

// signIn signs in on base through the login form and returns the session cookie's value.
func signIn(t *testing.T, base, email, password string) string {
	t.Helper()
	res, err := post(base, "/login", "", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in on %s: status %d", base, res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if c.Name == sessions.CookieName && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("sign in on %s: no session cookie", base)
	return ""
}

// post sends a form as a same-origin browser would, with the session cookie when given.
func post(base, path, session string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if session != "" {
		req.AddCookie(&http.Cookie{Name: sessions.CookieName, Value: session})
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res, nil
}

// get fetches path with the session cookie and returns the status and body.
func get(base, path, session string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.AddCookie(&http.Cookie{Name: sessions.CookieName, Value: session})
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// requestChecks asks for checks of a document through the case page's form, as a reviewer's
// browser does, and retries with the same request key until an answer comes: a request whose
// answer was lost to a dying server must not create its checks twice.
func requestChecks(ctx context.Context, base func() string, session string, d intakeDoc, names []vendors.Name, key string) (tries int, err error) {
	form := url.Values{"request_key": {key}}
	for _, v := range names {
		form.Add("vendor", string(v))
	}
	for {
		tries++
		res, err := post(base(), "/cases/"+d.caseID.String()+"/documents/"+d.documentID.String()+"/checks", session, form)
		switch {
		case err == nil && res.StatusCode == http.StatusSeeOther:
			return tries, nil
		case err == nil && res.StatusCode < 500:
			return tries, fmt.Errorf("request checks: status %d", res.StatusCode)
		}
		select {
		case <-ctx.Done():
			return tries, errors.New("request checks: gave up waiting for a server")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitFinal waits until every check is done or failed and every liveness delivery has ended, and
// returns how long it took.
func (h *harness) waitFinal(limit time.Duration) time.Duration {
	h.t.Helper()
	start := time.Now()
	for {
		var open, all int
		if err := h.pool.QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM checks WHERE state NOT IN ('done', 'failed')) + (SELECT count(*) FROM liveness_deliveries WHERE state IN ('pending', 'retrying')),
			(SELECT count(*) FROM checks) + (SELECT count(*) FROM liveness_deliveries)`).Scan(&open, &all); err != nil {
			h.t.Fatal(err)
		}
		if open == 0 {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			rows, _ := h.pool.Query(context.Background(), "SELECT id, vendor, state, attempts, reason FROM checks WHERE state NOT IN ('done', 'failed') LIMIT 10")
			var b strings.Builder
			for rows.Next() {
				var id uuid.UUID
				var vendor, state, reason string
				var attempts int
				_ = rows.Scan(&id, &vendor, &state, &attempts, &reason)
				fmt.Fprintf(&b, "  %s %s %s attempts=%d %s\n", id, vendor, state, attempts, reason)
			}
			rows.Close()
			var jobs strings.Builder
			jrows, _ := h.pool.Query(context.Background(), "SELECT state, count(*) FROM river_job GROUP BY state ORDER BY state")
			for jrows.Next() {
				var s string
				var n int
				_ = jrows.Scan(&s, &n)
				fmt.Fprintf(&jobs, " %s=%d", s, n)
			}
			jrows.Close()
			h.t.Fatalf("%d of %d checks and liveness deliveries are not final after %s:\n%sjobs:%s", open, all, limit, b.String(), jobs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// scalar runs a query that returns one integer.
func (h *harness) scalar(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// rows runs a query whose rows are one text column each.
func (h *harness) rows(query string, args ...any) []string {
	h.t.Helper()
	rs, err := h.pool.Query(context.Background(), query, args...)
	if err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var s string
		if err := rs.Scan(&s); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rs.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// tokenEndpoint matches the vendor calls that fetch or refresh a token rather than ask for a
// result.
const tokenEndpoint = `endpoint ~ '/(oauth/token|api/token/)'`

// verifyChecks checks every claim about the checks once they are all final, and returns a summary
// line per vendor: exactly one final audit row per check, the check's answer (a refusal of the
// document is one, whether it came as a 2xx or a 4xx) came from the run that finished it, no vendor answer was taken twice within one run, every check of a document
// by a vendor ended the same way (a crash changed no result), the queue counters equal the cases,
// and the audit chain verifies.
func (h *harness) verifyChecks() []string {
	h.t.Helper()
	t := h.t
	if n := h.scalar("SELECT count(*) FROM checks WHERE state NOT IN ('done', 'failed')"); n != 0 {
		t.Errorf("%d checks are not final", n)
	}
	for _, bad := range h.rows(`
		SELECT c.id || ' ' || c.vendor || ': ' || count(a.id) || ' final audit rows'
		FROM checks c LEFT JOIN audit_events a ON a.subject_type = 'check' AND a.subject_id = c.id::text
			AND a.action IN ('check.done', 'check.refused', 'check.failed')
		GROUP BY c.id, c.vendor HAVING count(a.id) <> 1`) {
		t.Errorf("check %s (want exactly 1)", bad)
	}
	for _, bad := range h.rows(`
		SELECT c.id || ' ' || c.vendor || ' (' || c.state || ', attempt ' || c.attempts || ')'
		FROM checks c
		WHERE c.state = 'done' AND c.kind <> 'record' AND NOT EXISTS (
			SELECT 1 FROM vendor_calls v WHERE v.check_id = c.id AND v.attempt = c.attempts
				AND (v.http_status BETWEEN 200 AND 299 OR c.error_kind = 'refused' AND v.http_status BETWEEN 400 AND 499)
				AND NOT v.` + tokenEndpoint + `)`) {
		t.Errorf("check %s is done, but the run that finished it got no vendor answer", bad)
	}
	for _, bad := range h.rows(`
		SELECT check_id || ' attempt ' || attempt || ' ' || endpoint || ': ' || count(*) || ' answers'
		FROM vendor_calls WHERE check_id IS NOT NULL AND http_status BETWEEN 200 AND 299 AND NOT ` + tokenEndpoint + `
		GROUP BY check_id, attempt, endpoint HAVING count(*) > 1`) {
		t.Errorf("duplicate vendor answer within one run: check %s", bad)
	}
	for _, bad := range h.rows(`
		SELECT document_id || ' ' || vendor || ': ' || string_agg(DISTINCT state || '/' || coalesce(outcome, '-') || '/' || code, ', ')
		FROM checks GROUP BY document_id, vendor
		HAVING count(DISTINCT (state, coalesce(outcome, ''), code)) > 1`) {
		t.Errorf("the checks of one document by one vendor ended differently: %s", bad)
	}
	for _, bad := range h.rows(`
		SELECT s.status || ': counter ' || s.n || ', cases ' || coalesce(c.n, 0)
		FROM case_status_counts s LEFT JOIN (SELECT status, count(*) AS n FROM cases GROUP BY status) c USING (status)
		WHERE s.n <> coalesce(c.n, 0)`) {
		t.Errorf("queue counter wrong: %s", bad)
	}
	if out, err := h.cli("", "audit", "verify"); err != nil || !strings.Contains(out, "no break") {
		t.Errorf("kycdesk audit verify: %v\n%s", err, out)
	}
	return h.rows(`
		SELECT rpad(vendor, 13) || lpad(count(*)::text, 6) || lpad(count(*) FILTER (WHERE state = 'done')::text, 6)
			|| lpad(count(*) FILTER (WHERE state = 'failed')::text, 7) || lpad(count(*) FILTER (WHERE attempts > 1)::text, 8)
			|| lpad(sum(attempts)::text, 9)
		FROM checks GROUP BY vendor ORDER BY vendor`)
}

// expectChecks fails the test unless the document has exactly one check per vendor for key.
func (h *harness) expectChecks(d intakeDoc, key string, names []vendors.Name) {
	h.t.Helper()
	got := h.rows("SELECT vendor FROM checks WHERE document_id = $1 AND request_key = $2 ORDER BY vendor", d.documentID, key)
	want := make([]string, len(names))
	for i, v := range names {
		want[i] = string(v)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		h.t.Errorf("document %s, request %s: checks %v, want %v", d.documentID, key, got, want)
	}
}

// intakeKey is the request key of a document's automatic checks (intake.API.autoRun).
func intakeKey(d intakeDoc) string { return "intake-" + d.documentID.String() }

// defaultSet is the vendor set an API document gets.
var defaultSet = checks.DefaultSet

// peakConcurrency returns, per vendor, the most result calls (token requests aside) the simulator
// was answering at once, from its request log.
func (h *harness) peakConcurrency(names ...vendors.Name) map[vendors.Name]int {
	out := map[vendors.Name]int{}
	for _, v := range names {
		reqs, _ := h.sim.Requests(string(v))
		type edge struct {
			at    time.Time
			delta int
		}
		var edges []edge
		for _, r := range reqs {
			if r.Vendor != string(v) || strings.Contains(r.Path, "/token") {
				continue
			}
			edges = append(edges, edge{r.At, 1}, edge{r.At.Add(time.Duration(r.Latency)), -1})
		}
		// An answer that ends when another begins does not overlap it.
		slices.SortFunc(edges, func(a, b edge) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return a.delta - b.delta
		})
		n := 0
		for _, e := range edges {
			n += e.delta
			out[v] = max(out[v], n)
		}
	}
	return out
}

// pushMany pushes a customer per seed through the bases in turn, parallel at a time, and
// returns the documents in no particular order.
func (h *harness) pushMany(bases []string, seeds []uint64, parallel int) []intakeDoc {
	h.t.Helper()
	var mu sync.Mutex
	var out []intakeDoc
	var wg sync.WaitGroup
	next := make(chan int)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d, err := h.push(bases[i%len(bases)], seeds[i])
				if err != nil {
					h.t.Error(err)
					continue
				}
				mu.Lock()
				out = append(out, d)
				mu.Unlock()
			}
		}()
	}
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()
	if h.t.Failed() {
		h.t.FailNow()
	}
	return out
}

// waitRunning waits (up to limit) until one of the process's River clients is running a job,
// and returns how many it runs.
func (h *harness) waitRunning(p *proc, limit time.Duration) int {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		n := h.scalar(`SELECT count(*) FROM river_job WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = ANY($1)`, p.clientIDs())
		if n > 0 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// artemisReport is what the Artemis side of a run showed.
type artemisReport struct {
	delivered int // verdicts delivered
	resent    int // verdicts Artemis received more than once (a kill lost its answer)
	// lost lists the Artemis records made twice because a kill fell between Artemis' answer and
	// kycdesk storing the new record's id, with how long after the answer the server died.
	lost []string
	// lostCustomers are the kycdesk customers whose Artemis customer id was lost that way.
	lostCustomers map[string]bool
}

// verifyArtemis checks the Artemis records and the liveness verdicts the reviewer recorded, once
// every delivery has ended. Each verdict was recorded once and delivered once (one final audit
// row), to the Artemis customer that holds the kycdesk customer's reference. Artemis is asked
// for a second record of a customer or a document only when a kill came between its answer to
// the first request and the second request: two requests in one life of the server would be a
// race, not a crash. (Artemis offers no lookup by reference, so an id lost that way cannot be
// found again: the check or delivery must then end failed, in plain words.)
func (h *harness) verifyArtemis(verdicts []verdict, lives []run) artemisReport {
	h.t.Helper()
	t := h.t
	ctx := context.Background()
	rep := artemisReport{lostCustomers: map[string]bool{}}
	// Two requests came from different lives of the server when the first reached Artemis before
	// a new life was spawned and the second after. The time of the kill does not tell: a request
	// the dying server sent just before it may reach the simulator's handler just after.
	restartBetween := func(a, b time.Time) (time.Time, bool) {
		for _, l := range lives[min(1, len(lives)):] {
			if a.Before(l.spawned) && !b.Before(l.spawned) {
				return l.spawned, true
			}
		}
		return time.Time{}, false
	}
	created := map[string]time.Time{} // reference or document path → when Artemis last created it
	history := h.sim.Cynopsis.Requests()
	received := 0
	for _, n := range h.sim.Cynopsis.Counts() {
		received += n
	}
	// The fake keeps its last 500 requests: a record made before them is not there to compare.
	truncated := received > len(history)
	for _, r := range history {
		var key string
		switch r.Route {
		case cynopsis.RouteCustomer:
			body, _ := r.JSON.(map[string]any)
			ref, _ := body["profileReferenceId"].(string)
			key = "customer " + ref
			if r.Status == http.StatusConflict {
				first, ok := created[key]
				if !ok && truncated {
					continue
				}
				k, restarted := restartBetween(first, r.At)
				if !ok || !restarted {
					t.Errorf("Artemis refused a second record of %s in the same life of the server as the first: a race, not a crash", key)
					continue
				}
				rep.lostCustomers[ref] = true
				// Did the answer reach kycdesk? Its vendor call log says (it is written before the
				// id is stored).
				logged := h.scalar(`SELECT count(*) FROM vendor_calls WHERE vendor = 'artemis' AND method = 'POST'
					AND endpoint LIKE '%/api/customer' AND http_status = 201
					AND abs(extract(epoch FROM started_at + latency_ms * interval '1 millisecond' - $1::timestamptz)) < 1`, first)
				rep.lost = append(rep.lost, fmt.Sprintf("%s: answered (kycdesk logged the answer: %v), then the server was killed and started again %s later",
					key, logged > 0, k.Sub(first).Round(time.Millisecond)))
				continue
			}
		case cynopsis.RouteDocument:
			key = "document of " + strings.TrimSuffix(r.Path, "/document")
		default:
			continue
		}
		if r.Status != http.StatusCreated && r.Status != http.StatusOK {
			continue
		}
		if first, ok := created[key]; ok {
			k, restarted := restartBetween(first, r.At)
			if !restarted {
				t.Errorf("Artemis made a second %s in the same life of the server as the first: a race, not a crash", key)
			} else {
				rep.lost = append(rep.lost, fmt.Sprintf("%s: made again, the first one's answer lost to a kill (the server started again %s after it)", key, k.Sub(first).Round(time.Millisecond)))
			}
		}
		created[key] = r.At
	}
	// A check that met Artemis' refusal must say so; any other Artemis failure is a crash's doing.
	for _, bad := range h.rows(`SELECT c.id || ' ' || cu.id || ' ' || c.code || ' ' || c.reason FROM checks c
		JOIN documents d ON d.id = c.document_id JOIN customers cu ON cu.id = d.customer_id
		WHERE c.vendor = 'artemis' AND c.state = 'failed'`) {
		f := strings.SplitN(bad, " ", 4)
		if len(f) < 4 || f[2] != "duplicate" || !rep.lostCustomers[f[1]] {
			t.Errorf("Artemis check failed without a lost record to explain it: %s", bad)
		}
	}

	puts := map[string]int{}
	for _, r := range h.sim.Cynopsis.RequestsTo(cynopsis.RouteLiveness) {
		if r.Status == http.StatusOK {
			puts[r.Path]++
		}
	}
	for _, v := range verdicts {
		var id uuid.UUID
		var state, lastError string
		var custID, docID *int64
		err := h.pool.QueryRow(ctx, `SELECT v.id, d.state, d.last_error, d.artemis_customer_id, d.artemis_document_id
			FROM liveness_verdicts v JOIN liveness_deliveries d ON d.verdict_id = v.id WHERE v.comment = $1 AND v.document_id = $2`,
			v.comment, v.doc.documentID).Scan(&id, &state, &lastError, &custID, &docID)
		if err != nil {
			t.Errorf("verdict %q on document %s: %v", v.comment, v.doc.documentID, err)
			continue
		}
		if n := h.scalar("SELECT count(*) FROM liveness_verdicts WHERE comment = $1", v.comment); n != 1 {
			t.Errorf("verdict %s was recorded %d times", id, n)
		}
		if n := h.scalar(`SELECT count(*) FROM audit_events WHERE subject_type = 'liveness_verdict' AND subject_id = $1
			AND action IN ('liveness.delivered', 'liveness.failed')`, id.String()); n != 1 {
			t.Errorf("verdict %s: %d final audit rows, want 1", id, n)
		}
		if state == "failed" && rep.lostCustomers[v.doc.customerID.String()] && lastError != "" {
			continue // Artemis holds the customer under an id kycdesk could not keep: said in plain words
		}
		if state != "delivered" || custID == nil || docID == nil {
			t.Errorf("verdict %s: delivery %s (%s), want delivered", id, state, lastError)
			continue
		}
		rep.delivered++
		if want, ok := h.sim.Cynopsis.CustomerByReference(v.doc.customerID.String()); !ok || want != *custID {
			t.Errorf("verdict %s went to Artemis customer %d, but Artemis holds the customer as %d (%v)", id, *custID, want, ok)
		}
		switch n := puts[fmt.Sprintf("/api/customer/%d/document/%d/liveness", *custID, *docID)]; {
		case n == 0:
			t.Errorf("verdict %s is delivered, but Artemis never stored a liveness result on document %d", id, *docID)
		case n > 1:
			rep.resent++
		}
	}
	return rep
}
