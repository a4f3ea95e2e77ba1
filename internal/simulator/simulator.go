package simulator

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kycdesk/internal/specimen"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/apptenticate"
	"kycdesk/internal/vendors/argos"
	"kycdesk/internal/vendors/cynopsis"
	"kycdesk/internal/vendors/ooto"
)

// The simulator's credentials. They are fixed and public on purpose: the simulator holds no real
// data and guards nothing, and a value that says "sim" cannot be mistaken for a real vendor key
// when it shows up in settings. The fakes still refuse any other value, so a client that sends
// the wrong field or header fails here as it would against the vendor.
const (
	CynopsisClientID           = "sim-client-id"
	CynopsisClientSecret       = "sim-client-secret"
	CynopsisDomainID     int64 = 4242
	ApptenticateUsername       = "sim-user"
	ApptenticatePassword       = "sim-password"
	ArgosAPIKey                = "sim-argos-api-key"
	OOTOAppID                  = "sim-app-id"
	OOTOAppKey                 = "sim-app-key"
)

// Prefixes under which Handler serves each simulated vendor and the control endpoints, relative
// to wherever the app mounts the handler (the app uses /sim).
const (
	CynopsisPrefix     = "/cynopsis"
	ApptenticatePrefix = "/apptenticate"
	ArgosPrefix        = "/argos"
	OOTOPrefix         = "/ooto"
	ControlPrefix      = "/_control"
)

// Options shape a Simulator. The zero value is the demo simulator: specimen documents recognised,
// answers as fast as the machine allows.
type Options struct {
	// Identify recognises the document on an image; specimen.Identify when nil.
	Identify vendors.Identifier
	// CallbackClient posts Argos' asynchronous results to the app; a client with a 10 s timeout
	// when nil.
	CallbackClient *http.Client
	// CallbackDelay is how long after acknowledging an asynchronous request Argos calls back
	// (argos.DefaultCallbackDelay when 0).
	CallbackDelay time.Duration
	// Latency is added before every answer of every vendor, e.g. 50 ms for a load test that
	// should see realistic round trips. The control endpoint changes it per vendor.
	Latency time.Duration
	// CynopsisTokenTTL is the life of Cynopsis access tokens (cynopsis.DefaultTokenTTL when 0).
	CynopsisTokenTTL time.Duration
	// ApptenticateAccessTTL is the life of Apptenticate access tokens (five minutes when 0, as
	// documented); ApptenticateRefreshTTL that of refresh tokens (one day when 0).
	ApptenticateAccessTTL, ApptenticateRefreshTTL time.Duration
	// ApptenticateRefusalStatus is the HTTP status of Apptenticate's valid:false refusals (200
	// when 0; the contract shows only the body, so both 200 and 400 are plausible).
	ApptenticateRefusalStatus int
}

// Simulator is the four simulated vendor servers (Cynopsis serves both OCR and Artemis) behind
// one http.Handler, with control endpoints to inject faults and force answers. It is safe for
// concurrent use.
type Simulator struct {
	// The fakes, exported so Go tests can inspect what they received (TokensIssued, Logins,
	// Callbacks …). Change their behaviour through the Simulator's methods or the control
	// endpoints, which keep the simulator's own view of it in step.
	Cynopsis     *cynopsis.Fake
	Apptenticate *apptenticate.Fake
	Argos        *argos.Fake
	OOTO         *ooto.Fake

	opts     Options
	identify vendors.Identifier
	servers  map[string]*server
	log      *requestLog
	handler  http.Handler

	mu            sync.Mutex
	overrides     map[vendors.Name]*Override
	callbacks     CallbackMode
	callbackDelay time.Duration
	callbackSince time.Time
	refuseRefresh bool
}

// server is one simulated vendor server as Handler mounts it.
type server struct {
	name    string // "cynopsis", "apptenticate", "argos", "ooto"
	prefix  string
	fake    http.Handler
	faults  *vendors.Faults
	latency atomic.Int64 // nanoseconds added before every answer
	// product names the vendor integration a request is for, from its path inside the server.
	product func(path string) string
}

// New builds a simulator. Call Close when done with it, to stop Argos callbacks still waiting.
func New(opts Options) *Simulator {
	s := &Simulator{opts: opts, identify: opts.Identify, overrides: map[vendors.Name]*Override{}, log: newRequestLog(requestLogSize)}
	if s.identify == nil {
		s.identify = specimen.Identify
	}
	if s.opts.CallbackDelay <= 0 {
		s.opts.CallbackDelay = argos.DefaultCallbackDelay
	}
	if s.opts.CallbackClient == nil {
		s.opts.CallbackClient = &http.Client{Timeout: 10 * time.Second}
	}

	s.Cynopsis = cynopsis.NewFake(CynopsisClientID, CynopsisClientSecret, CynopsisDomainID, s.identifierFor(vendors.CynopsisOCR))
	if opts.CynopsisTokenTTL > 0 {
		s.Cynopsis.SetTokenTTL(opts.CynopsisTokenTTL)
	}
	s.Apptenticate = apptenticate.NewFake(ApptenticateUsername, ApptenticatePassword, s.identifierFor(vendors.Apptenticate))
	s.Apptenticate.AccessTTL = opts.ApptenticateAccessTTL
	s.Apptenticate.RefreshTTL = opts.ApptenticateRefreshTTL
	s.Apptenticate.RefusalStatus = opts.ApptenticateRefusalStatus
	s.Argos = argos.NewFake(ArgosAPIKey, s.identifierFor(vendors.Argos))
	s.Argos.SetCallbackClient(s.opts.CallbackClient)
	s.OOTO = ooto.NewFake(OOTOAppID, OOTOAppKey, s.identifierFor(vendors.OOTO))
	s.callbacks, s.callbackDelay = CallbacksNormal, s.opts.CallbackDelay
	s.applyCallbacks()

	s.servers = map[string]*server{
		"cynopsis": {name: "cynopsis", prefix: CynopsisPrefix, fake: s.Cynopsis, faults: &s.Cynopsis.Faults, product: cynopsisProduct},
		"apptenticate": {name: "apptenticate", prefix: ApptenticatePrefix, fake: s.Apptenticate, faults: &s.Apptenticate.Faults,
			product: constProduct(vendors.Apptenticate)},
		"argos": {name: "argos", prefix: ArgosPrefix, fake: s.Argos, faults: &s.Argos.Faults, product: constProduct(vendors.Argos)},
		"ooto":  {name: "ooto", prefix: OOTOPrefix, fake: s.OOTO, faults: &s.OOTO.Faults, product: constProduct(vendors.OOTO)},
	}
	for _, srv := range s.servers {
		srv.latency.Store(int64(opts.Latency))
	}
	s.handler = s.buildHandler()
	return s
}

// cynopsisProduct tells Cynopsis' three kinds of request apart: the token server ("cynopsis",
// shared by both products), OCR and Artemis.
func cynopsisProduct(path string) string {
	switch {
	case strings.HasPrefix(path, cynopsis.DefaultOCRPath):
		return string(vendors.CynopsisOCR)
	case strings.HasPrefix(path, "/api/"):
		return string(vendors.Artemis)
	}
	return "cynopsis"
}

func constProduct(n vendors.Name) func(string) string {
	return func(string) string { return string(n) }
}

// Handler serves the simulated vendors under CynopsisPrefix, ApptenticatePrefix, ArgosPrefix and
// OOTOPrefix, and the control endpoints under ControlPrefix. It expects paths relative to its
// mount point, so mount it with the prefix stripped:
//
//	mux.Handle("/sim/", http.StripPrefix("/sim", sim.Handler()))
//
// (chi's Mount does not rewrite the request's path, so wrap the handler in http.StripPrefix there
// too). The vendor paths must not sit behind the app's sign-in: the vendor clients call them with
// vendor credentials, not a session.
func (s *Simulator) Handler() http.Handler { return s.handler }

func (s *Simulator) buildHandler() http.Handler {
	mux := http.NewServeMux()
	for _, srv := range s.servers {
		mux.Handle(srv.prefix+"/", s.vendorHandler(srv))
	}
	mux.HandleFunc(ControlPrefix+"/", s.control)
	mux.HandleFunc(ControlPrefix, s.control)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "The simulator serves "+CynopsisPrefix+", "+ApptenticatePrefix+", "+ArgosPrefix+", "+
			OOTOPrefix+" and "+ControlPrefix+"; nothing is at "+r.URL.Path+".")
	})
	return mux
}

// Close stops Argos callbacks that are still waiting to be sent and waits for those being sent.
// The handler keeps answering afterwards, but asynchronous Argos requests get no callback.
func (s *Simulator) Close() { s.Argos.Close() }

// Settings are the client configurations that point every integration at a simulator. Each
// field is the Config its client package's New takes, so the app builds the real clients straight
// from them; only the base URLs, paths and credentials are set, timeouts and limits are left to
// the clients' defaults. The fields are those of checks.ClientConfigs, in the same order, so a
// Settings converts to one directly.
type Settings struct {
	// Cynopsis is for Cynopsis OCR (vendors.CynopsisOCR) and Artemis for Artemis: the same
	// server and log-in, but each with only its own product's URL, so each client labels its
	// calls with the right integration.
	Cynopsis     cynopsis.Config
	Artemis      cynopsis.Config
	Apptenticate apptenticate.Config
	Argos        argos.Config
	OOTO         ooto.Config
}

// Settings returns the configurations for a simulator whose Handler is reachable at base, the
// URL of its mount point (e.g. "http://127.0.0.1:8080/sim").
func (s *Simulator) Settings(base string) Settings {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	cyn := cynopsis.Config{
		AuthURL: base + CynopsisPrefix, TokenPath: cynopsis.DefaultTokenPath,
		ClientID: CynopsisClientID, ClientSecret: CynopsisClientSecret, DomainID: CynopsisDomainID,
	}
	ocr, artemis := cyn, cyn
	ocr.OCRURL, ocr.OCRPath = base+CynopsisPrefix, cynopsis.DefaultOCRPath
	artemis.ArtemisURL = base + CynopsisPrefix
	return Settings{
		Cynopsis: ocr,
		Artemis:  artemis,
		Apptenticate: apptenticate.Config{
			BaseURL: base + ApptenticatePrefix, TokenPath: apptenticate.DefaultTokenPath,
			RefreshPath: apptenticate.DefaultRefreshPath, OCRPath: apptenticate.DefaultOCRPath,
			Username: ApptenticateUsername, Password: ApptenticatePassword,
		},
		Argos: argos.Config{BaseURL: base + ArgosPrefix, Path: argos.DefaultPath, APIKey: ArgosAPIKey},
		OOTO:  ooto.Config{BaseURL: base + OOTOPrefix, Path: ooto.DefaultPath, AppID: OOTOAppID, AppKey: OOTOAppKey},
	}
}

// For returns the Config for one integration (a cynopsis.Config, apptenticate.Config, argos.Config
// or ooto.Config), and false for a name that is not one of the five.
func (st Settings) For(name vendors.Name) (any, bool) {
	switch name {
	case vendors.CynopsisOCR:
		return st.Cynopsis, true
	case vendors.Artemis:
		return st.Artemis, true
	case vendors.Apptenticate:
		return st.Apptenticate, true
	case vendors.Argos:
		return st.Argos, true
	case vendors.OOTO:
		return st.OOTO, true
	}
	return nil, false
}
