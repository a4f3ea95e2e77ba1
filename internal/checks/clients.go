// Package checks runs vendor examinations of documents as durable jobs in PostgreSQL (River):
// a check is requested in the same transaction as its job, runs under a per-vendor concurrency
// limit, is retried with backoff on network errors, timeouts, 429 and 5xx (honouring
// Retry-After), is not retried on a documented business refusal, and completes exactly once even
// when a server dies mid-call. Every HTTP exchange is logged per case as a vendor call.
package checks

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/apptenticate"
	"kycdesk/internal/vendors/argos"
	"kycdesk/internal/vendors/cynopsis"
	"kycdesk/internal/vendors/ooto"
	"kycdesk/internal/vendorsettings"
)

// ClientConfigs are the five clients' configurations, used when the simulator stands in.
type ClientConfigs struct {
	Cynopsis     cynopsis.Config // OCR (and its auth)
	Artemis      cynopsis.Config // Artemis (and its auth)
	Apptenticate apptenticate.Config
	Argos        argos.Config
	OOTO         ooto.Config
}

// Clients builds vendor clients from the active settings and keeps them while the settings do
// not change, so tokens are reused across checks.
type Clients struct {
	Settings *vendorsettings.Service
	// Simulator returns the simulator's client configurations; nil when there is no simulator.
	Simulator func() ClientConfigs
	Recorder  vendors.Recorder
	HTTP      *http.Client

	mu    sync.Mutex
	cache map[vendors.Name]cached
}

type cached struct {
	stamp   string
	client  any
	res     vendorsettings.Resolved
	secrets *vendors.Secrets
}

// Client returns the client for v and the settings it was built from.
func (c *Clients) Client(ctx context.Context, v vendors.Name) (any, vendorsettings.Resolved, error) {
	client, res, _, err := c.ClientSecrets(ctx, v)
	return client, res, err
}

// ClientSecrets is Client with the client's secrets (its credentials and the tokens it has
// obtained), for scrubbing what its errors say before they are stored or shown.
func (c *Clients) ClientSecrets(ctx context.Context, v vendors.Name) (any, vendorsettings.Resolved, *vendors.Secrets, error) {
	res, err := c.Settings.Resolve(ctx, v)
	if err != nil {
		return nil, res, nil, err
	}
	if res.Simulated && c.Simulator == nil {
		return nil, res, nil, &vendors.Error{Vendor: v, Kind: vendors.Invalid, Message: "This vendor is not configured (or not enabled) for the " + res.Environment + " environment. An admin can set it up under Vendors."}
	}
	stamp := res.Environment + "|" + res.UpdatedAt.String() + "|" + strconv.FormatBool(res.Simulated)
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.cache[v]; ok && k.stamp == stamp {
		return k.client, k.res, k.secrets, nil
	}
	var sim ClientConfigs
	if res.Simulated {
		sim = c.Simulator()
	}
	client, secrets, err := build(v, res, sim, c.HTTP, c.Recorder)
	if err != nil {
		return nil, res, nil, err
	}
	if c.cache == nil {
		c.cache = map[vendors.Name]cached{}
	}
	c.cache[v] = cached{stamp: stamp, client: client, res: res, secrets: secrets}
	return client, res, secrets, nil
}

// Build makes the client for v from resolved settings: from r.Values, or from sim when r is
// Simulated. The timeout (and OOTO's concurrency) come from r either way. hc and rec may be nil.
// The admin's "test connection" uses it for an environment that is not (yet) the active one.
//
// The client records its calls to rec through a vendors.Secrets holding its credentials (and,
// as it obtains them, its tokens): whatever a vendor echoes, no call is stored with one of them.
func Build(v vendors.Name, r vendorsettings.Resolved, sim ClientConfigs, hc *http.Client, rec vendors.Recorder) (any, error) {
	client, _, err := build(v, r, sim, hc, rec)
	return client, err
}

func build(v vendors.Name, r vendorsettings.Resolved, sim ClientConfigs, hc *http.Client, rec vendors.Recorder) (any, *vendors.Secrets, error) {
	secrets := vendors.NewSecrets()
	rec = secrets.Recorder(rec)
	client, err := configure(v, r, sim, hc, rec, secrets)
	return client, secrets, err
}

// configure makes the client of build, adding to secrets each credential it is given.
func configure(v vendors.Name, r vendorsettings.Resolved, sim ClientConfigs, hc *http.Client, rec vendors.Recorder, secrets *vendors.Secrets) (any, error) {
	// Every secret setting of the integration, whatever the client makes of it.
	if integ, ok := vendorsettings.Lookup(v); ok {
		for _, f := range integ.Fields {
			if f.Secret {
				secrets.Add(r.Values[f.Name])
			}
		}
	}
	val := r.Values
	switch v {
	case vendors.CynopsisOCR, vendors.Artemis:
		cfg := sim.Cynopsis
		if v == vendors.Artemis {
			cfg = sim.Artemis
		}
		if !r.Simulated {
			domain, _ := strconv.ParseInt(val["domain_id"], 10, 64)
			cfg = cynopsis.Config{AuthURL: val["auth_url"], TokenPath: val["token_path"], ClientID: val["client_id"],
				ClientSecret: val["client_secret"], DomainID: domain}
			if v == vendors.CynopsisOCR {
				cfg.OCRURL, cfg.OCRPath = val["ocr_url"], val["ocr_path"]
			} else {
				cfg.ArtemisURL, cfg.ArtemisPath = val["artemis_url"], val["api_path"]
			}
		}
		cfg.Timeout = r.Timeout
		secrets.Add(cfg.ClientSecret)
		return cynopsis.New(cfg, hc, rec)
	case vendors.Apptenticate:
		cfg := sim.Apptenticate
		if !r.Simulated {
			cfg = apptenticate.Config{BaseURL: val["base_url"], TokenPath: val["token_path"], RefreshPath: val["refresh_path"],
				OCRPath: val["ocr_path"], Username: val["username"], Password: val["password"], Device: val["device"]}
		}
		cfg.Timeout = r.Timeout
		secrets.Add(cfg.Password)
		return apptenticate.New(cfg, hc, rec)
	case vendors.Argos:
		cfg := sim.Argos
		if !r.Simulated {
			cfg = argos.Config{BaseURL: val["base_url"], Path: val["path"], APIKey: val["api_key"]}
		}
		cfg.Timeout = r.Timeout
		secrets.Add(cfg.APIKey)
		return argos.New(cfg, hc, rec)
	case vendors.OOTO:
		cfg := sim.OOTO
		if !r.Simulated {
			cfg = ooto.Config{BaseURL: val["base_url"], Path: val["path"], AppID: val["app_id"], AppKey: val["app_key"]}
		}
		cfg.ReadTimeout, cfg.Concurrency = r.Timeout, r.Concurrency
		secrets.Add(cfg.AppKey)
		return ooto.New(cfg, hc, rec)
	}
	return nil, fmt.Errorf("checks: unknown vendor %q", v)
}

type callKey struct{}

type callScope struct {
	checkID *uuid.UUID
	caseID  *uuid.UUID
}

// WithScope returns ctx whose vendor calls are logged against a check and a case.
func WithScope(ctx context.Context, checkID, caseID *uuid.UUID) context.Context {
	return context.WithValue(ctx, callKey{}, callScope{checkID: checkID, caseID: caseID})
}

// CallLog writes every vendor call to the vendor_calls table, attributed by the call's context.
type CallLog struct {
	Pool *pgxpool.Pool
	// OnError reports a call that could not be written (the check goes on).
	OnError func(error)
}

// heldCalls keeps the calls made while a vendor slot is held, to be written once it is given back.
type heldCalls struct {
	mu    sync.Mutex
	calls []heldCall
}

type heldCall struct {
	scope callScope
	call  vendors.Call
}

type heldKey struct{}

// holdCalls returns ctx whose vendor calls CallLog keeps instead of writing, and the function that
// writes them. A check's run holds its calls while it holds the vendor's slot: writing a row takes
// a pooled connection and a commit, and the slot would stand idle meanwhile.
func holdCalls(ctx context.Context, rec vendors.Recorder) (context.Context, func()) {
	h := &heldCalls{}
	return context.WithValue(ctx, heldKey{}, h), func() {
		h.mu.Lock()
		calls := h.calls
		h.calls = nil
		h.mu.Unlock()
		for _, c := range calls {
			rec.RecordCall(context.WithValue(ctx, callKey{}, c.scope), c.call)
		}
	}
}

// writeCallsNow is ctx whose vendor calls are written as they are made, even inside holdCalls: for
// calls that make records at the vendor (Artemis' customer and document), whose log must not wait
// for the slot, or a run killed meanwhile would lose the log of a record that exists.
func writeCallsNow(ctx context.Context) context.Context {
	return context.WithValue(ctx, heldKey{}, (*heldCalls)(nil))
}

// RecordCall implements vendors.Recorder.
func (l *CallLog) RecordCall(ctx context.Context, c vendors.Call) {
	sc, _ := ctx.Value(callKey{}).(callScope)
	if h, _ := ctx.Value(heldKey{}).(*heldCalls); h != nil {
		h.mu.Lock()
		h.calls = append(h.calls, heldCall{scope: sc, call: c})
		h.mu.Unlock()
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// The code, meaning and error quote the vendor: made storable, or the call would go unlogged.
	err := db.New(l.Pool).InsertVendorCall(wctx, db.InsertVendorCallParams{CheckID: sc.checkID, CaseID: sc.caseID, Vendor: string(c.Vendor),
		Method: c.Method, Endpoint: storable(c.Endpoint), StartedAt: c.StartedAt, LatencyMs: int32(c.Latency.Milliseconds()), HttpStatus: int32(c.HTTPStatus),
		VendorCode: storable(c.VendorCode), Meaning: storable(c.Meaning), Attempt: int32(max(c.Attempt, 1)), Body: c.Body, Error: storable(c.Err)})
	if err != nil && l.OnError != nil {
		l.OnError(err)
	}
}

// gate is a per-vendor concurrency limit whose size can change while it is in use (an admin
// changing the setting takes effect at the next call). Waiters are let in first come, first
// served, and a freed place is handed to exactly one of them: waking every waiter for each freed
// place cost a burst of wake-ups per call, and the place went to whichever was scheduled first.
type gate struct {
	mu      sync.Mutex
	inUse   int
	waiters []chan struct{} // oldest first; closed when let in, the place then counted in inUse
}

// acquire waits for a place under limit (the caller's current setting).
func (g *gate) acquire(ctx context.Context, limit int) error {
	g.mu.Lock()
	g.admit(limit)
	if g.inUse < limit && len(g.waiters) == 0 {
		g.inUse++
		g.mu.Unlock()
		return nil
	}
	w := make(chan struct{})
	g.waiters = append(g.waiters, w)
	g.mu.Unlock()
	select {
	case <-w:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		if i := slices.Index(g.waiters, w); i >= 0 {
			g.waiters = slices.Delete(g.waiters, i, i+1)
		} else {
			// Let in meanwhile: the place is passed on.
			g.inUse--
			g.admit(limit)
		}
		return ctx.Err()
	}
}

// release gives a place back; limit is the setting it was taken under.
func (g *gate) release(limit int) {
	g.mu.Lock()
	g.inUse--
	g.admit(limit)
	g.mu.Unlock()
}

// admit lets the oldest waiters in while places under limit are free. Each caller admits under its
// own setting, so a raised limit lets more in at once and a lowered one lets none in until enough
// places are given back.
func (g *gate) admit(limit int) {
	for len(g.waiters) > 0 && g.inUse < limit {
		close(g.waiters[0])
		g.waiters = g.waiters[1:]
		g.inUse++
	}
}
