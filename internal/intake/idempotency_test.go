package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kycdesk/internal/config"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// answer is one response read in full, or why there was none.
type answer struct {
	status   int
	replayed string
	body     string
	err      error
}

// send sends one request under ctx: a request still unanswered when ctx ends fails with its error
// rather than hanging the test. (testenv's client fails the test itself, from the test's goroutine
// only.)
func send(ctx context.Context, method, url, token, contentType string, body []byte, header ...string) answer {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
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
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, replayed: res.Header.Get("Idempotent-Replayed"), body: string(b), err: err}
}

// oneAnswer checks that answers to one key are one answer: all 201 with the same body, the first
// request's, and every other one marked as its replay.
func oneAnswer(t *testing.T, what string, answers []answer) map[string]any {
	t.Helper()
	firsts := 0
	for i, a := range answers {
		if a.err != nil || a.status != http.StatusCreated {
			t.Fatalf("%s, request %d: %d %v %s", what, i, a.status, a.err, a.body)
		}
		if a.body != answers[0].body {
			t.Fatalf("%s: two answers to one key:\n%s\n%s", what, answers[0].body, a.body)
		}
		if a.replayed == "" {
			firsts++
		} else if a.replayed != "true" {
			t.Fatalf("%s: Idempotent-Replayed: %q", what, a.replayed)
		}
	}
	if firsts != 1 {
		t.Fatalf("%s: %d requests answered as the first, want exactly one (the others replays)", what, firsts)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(answers[0].body), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestKeyedRequestsNeverStarveThePool: requests with an Idempotency-Key, as many at once as the
// request pool has connections and more, are all answered, and pages are served meanwhile. Each
// keyed request used to hold a pool connection for its (token, key) lock while its transaction
// waited for another: with two connections, two keyed requests froze the whole app. Eight with
// distinct keys are eight customers; eight with one key are one, and one answer.
func TestKeyedRequestsNeverStarveThePool(t *testing.T) {
	app := testenv.NewApp(t, func(c *config.Config) { c.DBMaxConns = 2 })
	token := app.CreateAPIToken(t, "onboarding")
	reviewer := app.SignIn(t, app.CreateUser(t, "reviewer"))
	// Everything below is answered before this, or fails with the deadline: never hangs.
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	const n = 8
	distinct, shared := make([]answer, n), make([]answer, n)
	var page answer
	start := make(chan struct{})
	var wg sync.WaitGroup
	post := func(out *answer, key, body string) {
		defer wg.Done()
		<-start
		*out = send(ctx, "POST", app.URL+"/api/v1/customers", token, "application/json", []byte(body), "Idempotency-Key", key)
	}
	for i := range n {
		wg.Add(2)
		go post(&distinct[i], fmt.Sprintf("distinct-%d", i), fmt.Sprintf(`{"surname": "Distinct %d"}`, i))
		go post(&shared[i], "shared", `{"surname": "Shared", "external_ref": "shared-1"}`)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		req, err := http.NewRequestWithContext(ctx, "GET", app.URL+"/cases", nil)
		if err != nil {
			page.err = err
			return
		}
		res, err := reviewer.Client.Do(req)
		if err != nil {
			page.err = err
			return
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		page.status = res.StatusCode
	}()
	close(start)
	wg.Wait()

	ids := map[any]bool{}
	for i, a := range distinct {
		if a.err != nil || a.status != http.StatusCreated || a.replayed != "" {
			t.Fatalf("distinct key %d: %d %v replayed=%q %s", i, a.status, a.err, a.replayed, a.body)
		}
		var v map[string]any
		_ = json.Unmarshal([]byte(a.body), &v)
		ids[v["id"]] = true
	}
	if len(ids) != n {
		t.Fatalf("%d customers for %d distinct keys", len(ids), n)
	}
	oneAnswer(t, "shared key", shared)
	if page.err != nil || page.status != http.StatusOK {
		t.Fatalf("the queue during the burst: %d %v", page.status, page.err)
	}
	var all, sharedN, keys int
	if err := app.Pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM customers WHERE surname = 'Shared'), (SELECT count(*) FROM idempotency_keys)").
		Scan(&all, &sharedN, &keys); err != nil {
		t.Fatal(err)
	}
	if all != n+1 || sharedN != 1 || keys != n+1 {
		t.Fatalf("%d customers (%d for the shared key) and %d saved answers; want %d (1) and %d", all, sharedN, keys, n+1, n+1)
	}
}

// TestKeyedRepeatsAcrossInstances: repeats of one request sent at once to two instances (which
// do not see each other's requests) create its records once and all get its answer, even when
// the repeats also collide on the customer's external_ref; a document sent at once under one key
// with other files is refused on the key, and what its files stored is gone again.
func TestKeyedRepeatsAcrossInstances(t *testing.T) {
	apps := testenv.NewInstances(t, 2)
	app := apps[0]
	token := app.CreateAPIToken(t, "onboarding")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	burst := func(n int, req func(i int) answer) []answer {
		out := make([]answer, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range out {
			wg.Add(1)
			go func() { defer wg.Done(); <-start; out[i] = req(i) }()
		}
		close(start)
		wg.Wait()
		return out
	}

	body := []byte(`{"surname": "Twice", "external_ref": "twice-1"}`)
	cust := oneAnswer(t, "customer", burst(8, func(i int) answer {
		return send(ctx, "POST", apps[i%2].URL+"/api/v1/customers", token, "application/json", body, "Idempotency-Key", "cust")
	}))
	var n int
	_ = app.Pool.QueryRow(ctx, "SELECT count(*) FROM customers").Scan(&n)
	if n != 1 {
		t.Fatalf("%d customers for one key", n)
	}

	docs := cust["id"].(string)
	path := "/api/v1/customers/" + docs + "/documents"
	sp := specimen.Generate(47, specimen.Options{DocumentType: specimen.Passport})
	fields := map[string]string{"type": "passport", "issuing_country": "UTO", "number": sp.DocumentNumber}
	oneAnswer(t, "document", burst(4, func(i int) answer {
		// A new boundary each time, as a retrying client sends.
		b, ct := multipartBody(t, fields, map[string][]byte{"front:front.jpg": sp.Front, "selfie:selfie.jpg": sp.Selfie})
		return send(ctx, "POST", apps[i%2].URL+path, token, ct, b, "Idempotency-Key", "doc")
	}))

	// One key, two requests with other files, on two instances, both in their transactions at
	// once: each stops before its audit rows (the gate), the first to arrive goes first and
	// commits, and the second, finding the key's answer saved (SaveFirstIdempotentResponse), rolls
	// back and is refused; the blob only it stored goes.
	other := specimen.Generate(48, specimen.Options{DocumentType: specimen.Passport})
	gate := app.HoldAuditGate(t)
	clash := make([]answer, 2)
	var wg sync.WaitGroup
	for i, front := range [][]byte{sp.Front, other.Front} {
		b, ct := multipartBody(t, fields, map[string][]byte{"front:front.jpg": front})
		wg.Add(1)
		go func() {
			defer wg.Done()
			clash[i] = send(ctx, "POST", apps[i].URL+path, token, ct, b, "Idempotency-Key", "clash")
		}()
		gate.Await(t, i+1)
	}
	gate.Open(t)
	wg.Wait()
	if a := clash[0]; a.err != nil || a.status != http.StatusCreated {
		t.Fatalf("one key, two requests: the first %d %v %s", a.status, a.err, a.body)
	}
	if a := clash[1]; a.err != nil || a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, "Idempotency-Key") {
		t.Fatalf("one key, two requests: the second %d %v %s", a.status, a.err, a.body)
	}
	// Every blob stored is an image's: the refused request's file left nothing.
	var docN, imgs int
	_ = app.Pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM documents), (SELECT count(DISTINCT sha256) FROM images)").Scan(&docN, &imgs)
	if docN != 2 {
		t.Fatalf("%d documents, want the repeated one and the clash's winner", docN)
	}
	if blobs := originals(t, app); blobs != imgs {
		t.Fatalf("%d original blobs for %d images' contents", blobs, imgs)
	}
}

// originals counts the original blobs in the app's file image store (none before the first).
func originals(t *testing.T, app *testenv.App) int {
	t.Helper()
	dir := filepath.Join(strings.TrimPrefix(app.Cfg.BlobURL, "file://"), "originals")
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") && !strings.HasSuffix(d.Name(), ".attrs") {
			n++
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return n
}
