// Package server assembles kycdesk's HTTP server: the middleware every request passes, the route
// table (routes.go) with the permission each route needs, and the operator endpoints.
package server

import (
	"context"
	"fmt"
	"github.com/a-h/templ"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/web"

	"kycdesk/internal/cases"
	"kycdesk/internal/checks"
	"kycdesk/internal/config"
	"kycdesk/internal/customers"
	"kycdesk/internal/decisions"
	"kycdesk/internal/httpx"
	"kycdesk/internal/images"
	"kycdesk/internal/intake"
	"kycdesk/internal/liveness"
	"kycdesk/internal/obs"
	"kycdesk/internal/reports"
	"kycdesk/internal/review"
	"kycdesk/internal/secrets"
	"kycdesk/internal/sessions"
	"kycdesk/internal/simulator"
	"kycdesk/internal/users"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

// Server holds the shared dependencies and the domain handlers.
type Server struct {
	Cfg  config.Config
	Pool *pgxpool.Pool
	// Background is the pool of the job queue, the check workers and exports (see
	// db.OpenBackground); New opens it and Close closes it.
	Background *pgxpool.Pool
	Log        *slog.Logger
	Store      *sessions.Store
	R          *httpx.Renderer
	Metrics    *obs.Metrics

	Images *images.Store

	sessions  *sessions.Handler
	users     *users.Handler
	cases     *cases.Handler
	customers *customers.Handler
	tokens    *intake.TokensHandler
	api       *intake.API
	checks    *checks.Handler
	vendorsUI *vendorsettings.Handler
	callbacks *checks.CallbackHandler
	// artemisCallbacks hears Cynopsis Artemis' screening callbacks.
	artemisCallbacks *liveness.Callbacks
	decisions        *decisions.Handler
	review           *review.Handler
	liveness         *liveness.Handler
	reports          *reports.Handler

	// Settings is the vendor settings service; Sim the built-in simulator (nil when off).
	Settings *vendorsettings.Service
	Sim      *simulator.Simulator
	River    *river.Client[pgx.Tx]
	simInUse atomic.Value // simUse: whether some vendor is answered by the simulator, cached
}

type simUse struct {
	on bool
	at time.Time
}

// New builds a Server on pool, which serves requests; it opens the image store and the
// background pool (Close closes it).
func New(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, log *slog.Logger) (*Server, error) {
	store, err := images.OpenStore(ctx, cfg.BlobURL)
	if err != nil {
		return nil, fmt.Errorf("image store: %w", err)
	}
	bg, err := db.OpenBackground(ctx, pool, cfg.DBBackgroundConns)
	if err != nil {
		return nil, err
	}
	s, err := build(ctx, cfg, pool, bg, store, log)
	if err != nil {
		bg.Close()
		return nil, err
	}
	return s, nil
}

func build(ctx context.Context, cfg config.Config, pool, bg *pgxpool.Pool, store *images.Store, log *slog.Logger) (*Server, error) {
	s := &Server{Cfg: cfg, Pool: pool, Background: bg, Log: log, Images: store,
		Metrics: obs.NewMetrics(map[string]*pgxpool.Pool{"requests": pool, "background": bg})}
	s.Store = &sessions.Store{Pool: pool, Idle: cfg.SessionIdle, Lifetime: cfg.SessionLifetime, Secure: cfg.SecureCookies()}
	s.R = &httpx.Renderer{Log: log, Nav: nav}
	s.sessions = &sessions.Handler{Pool: pool, Store: s.Store, R: s.R, LockAfter: cfg.LockAfter, TrustProxy: cfg.TrustProxy}
	s.users = &users.Handler{Pool: pool, R: s.R, Idle: cfg.SessionIdle.Seconds(),
		Service: &users.Service{Pool: pool, LinkTTL: cfg.PasswordLinkTTL, BaseURL: cfg.BaseURL, Forget: s.Store.ForgetUser}}
	limits := images.DefaultLimits()
	limits.MaxBytes, limits.AllowPDF = cfg.MaxUploadBytes, true
	custSvc := &customers.Service{Pool: pool, Store: store, Limits: limits}
	s.customers = &customers.Handler{Pool: pool, Service: custSvc, R: s.R}
	s.cases = &cases.Handler{Pool: pool, Service: &cases.Service{Pool: pool}, R: s.R, SLA: cfg.SLA, CaseView: s.customers.FillCase,
		Kept: &cases.Kept{Pool: pool, Heard: s.Store.Heard}}
	s.tokens = &intake.TokensHandler{Pool: pool, R: s.R}

	keeper, err := secrets.Open(ctx, cfg.SecretsURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s.Settings = &vendorsettings.Service{Pool: pool, Keeper: keeper, Production: cfg.Production()}
	// The clients' settings are read where the check runs, on the background pool.
	clients := &checks.Clients{Settings: &vendorsettings.Service{Pool: bg, Keeper: keeper, Production: cfg.Production()},
		Recorder: &checks.CallLog{Pool: bg, OnError: func(err error) {
			log.Error("vendor call not logged", "error", err.Error())
		}}}
	if cfg.Simulator {
		s.Sim = simulator.New(simulator.Options{})
		clients.Simulator = func() checks.ClientConfigs { return checks.ClientConfigs(s.Sim.Settings(s.simBase())) }
		s.R.Simulator = s.simulatorInUse
	}
	runner := &checks.Runner{Pool: bg, Clients: clients, Store: store, CallbackBase: cfg.BaseURL, Log: log}
	if s.River, err = checks.NewRiver(runner, log, cfg.Workers, checks.Timeouts{Run: cfg.CheckTimeout, Rescue: cfg.CheckRescueAfter}); err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	checkSvc := &checks.Service{Pool: pool, River: s.River}
	s.checks = &checks.Handler{Service: checkSvc, Settings: s.Settings, R: s.R}
	s.vendorsUI = &vendorsettings.Handler{Service: s.Settings, R: s.R, Simulator: cfg.Simulator, Build: func(v vendors.Name, r vendorsettings.Resolved) (any, error) {
		return checks.Build(v, r, checks.ClientConfigs{}, clients.HTTP, clients.Recorder)
	}}
	s.callbacks = &checks.CallbackHandler{Runner: runner, River: s.River}
	s.artemisCallbacks = &liveness.Callbacks{Pool: pool, Settings: s.Settings, TrustProxy: cfg.TrustProxy}
	s.decisions = &decisions.Handler{Pool: pool, Service: &decisions.Service{Pool: pool}, R: s.R,
		CasePage: func(w http.ResponseWriter, r *http.Request, status int, d *web.DecisionView) error {
			return s.cases.ShowWith(w, r, status, func(v *web.CaseView) { v.Decision = d })
		}}
	s.decisions.Service.MoreFlags = review.Flags
	s.review = &review.Handler{Pool: pool, R: s.R,
		Decision: func(ctx context.Context, c db.Case, _ uuid.UUID, p *auth.Principal) (templ.Component, error) {
			v, err := s.decisions.Panel(ctx, c, p)
			if err != nil {
				return nil, err
			}
			return web.DecisionPanel(v), nil
		}}
	s.liveness = &liveness.Handler{Pool: pool, Service: &liveness.Service{Pool: pool, River: s.River}, Store: store, R: s.R}
	s.cases.CaseView = func(ctx context.Context, c db.GetCaseViewRow, p *auth.Principal, v *web.CaseView) error {
		ctx = db.WithMemo(ctx) // the panels read the same customer, documents and checks
		if err := s.customers.FillCase(ctx, c, p, v); err != nil {
			return err
		}
		if err := s.checks.FillCase(ctx, c, p, v); err != nil {
			return err
		}
		if err := s.liveness.FillCase(ctx, c, p, v); err != nil {
			return err
		}
		return s.decisions.FillCase(ctx, c, p, v)
	}
	s.api = &intake.API{Pool: pool, Customers: custSvc, Checks: checkSvc, Log: log}
	s.reports = &reports.Handler{Pool: pool, Snapshots: bg, R: s.R, Images: store, SLA: cfg.SLA, Log: log, Flags: review.Flags, UndeliveredHref: "/liveness/undelivered"}
	return s, nil
}

// simBase is where this instance serves the simulator: itself, on loopback.
func (s *Server) simBase() string {
	base := s.Cfg.BaseURL
	if u, err := url.Parse(base); err != nil || !isLoopback(u.Hostname()) {
		_, port, _ := net.SplitHostPort(s.Cfg.Addr)
		base = "http://127.0.0.1:" + port
	}
	return base + "/sim"
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// simulatorInUse reports (for the banner) whether a vendor is answered by the simulator. It is
// cached for a few seconds: every page asks.
func (s *Server) simulatorInUse() bool {
	if u, ok := s.simInUse.Load().(simUse); ok && time.Since(u.at) < 5*time.Second {
		return u.on
	}
	on := false
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, v := range checks.Runnable {
		if r, err := s.Settings.Resolve(ctx, v); err == nil && r.Simulated {
			on = true
			break
		}
	}
	s.simInUse.Store(simUse{on: on, at: time.Now()})
	return on
}

// StartWorkers starts running check jobs (when this instance runs them) until ctx ends.
func (s *Server) StartWorkers(ctx context.Context) error {
	if !s.Cfg.Workers {
		return nil
	}
	return s.River.Start(ctx)
}

// CancelWorkers stops running checks at once, cancelling the calls in flight, as a crash would
// (tests; a real crash leaves the jobs to be rescued).
func (s *Server) CancelWorkers() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.River.StopAndCancel(ctx)
}

// StopWorkers lets running checks finish (up to the timeout), then stops.
func (s *Server) StopWorkers(timeout time.Duration) {
	if !s.Cfg.Workers {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.River.Stop(ctx); err != nil {
		s.Log.Warn("job queue did not stop cleanly", "error", err.Error())
	}
	if s.Sim != nil {
		s.Sim.Close()
	}
}

// Close closes the background pool; call it once requests and workers have stopped.
func (s *Server) Close() { s.Background.Close() }

// CustomerService is the service that creates customers and stores their images (demo seeding).
func (s *Server) CustomerService() *customers.Service { return s.customers.Service }

// Serve listens on cfg.Addr until ctx ends, then drains requests for up to 20 seconds.
func (s *Server) Serve(ctx context.Context) error {
	srv := &http.Server{
		Addr: s.Cfg.Addr, Handler: s.Handler(),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, WriteTimeout: 10 * time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	go s.sweepSessions(ctx)
	go s.ListenSessions(ctx)
	go s.refreshExportRows(ctx)
	if err := s.StartWorkers(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start the job queue: %w", err)
	}
	defer s.StopWorkers(20 * time.Second)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// refreshExportRows brings the case-list export's stored rows up to date every minute, so that a
// big export finds few cases to compute first. Instances take turns (see RefreshExportRows).
func (s *Server) refreshExportRows(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := reports.RefreshExportRows(ctx, s.Background); err != nil && ctx.Err() == nil {
			s.Log.WarnContext(ctx, "export rows refresh failed", slog.String("error", err.Error()))
		}
	}
}

// ListenSessions lets the session store cache sessions, listening for their changes, until ctx
// ends (see sessions.Store.Listen).
func (s *Server) ListenSessions(ctx context.Context) {
	s.Store.Listen(ctx, func(err error) {
		s.Log.WarnContext(ctx, "not listening for session changes: sessions are read on every request until it listens again",
			slog.String("error", err.Error()))
	})
}

// sweepSessions deletes ended sessions now and then; they are refused anyway, this only keeps the
// table small.
func (s *Server) sweepSessions(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if n, err := s.Store.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.Log.WarnContext(ctx, "session sweep failed", slog.String("error", err.Error()))
		} else if n > 0 {
			s.Log.InfoContext(ctx, "ended sessions removed", slog.Int64("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
