// Package server assembles kycdesk's HTTP server: the middleware every request passes, the route
// table (routes.go) with the permission each route needs, and the operator endpoints.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/cases"
	"kycdesk/internal/config"
	"kycdesk/internal/customers"
	"kycdesk/internal/httpx"
	"kycdesk/internal/images"
	"kycdesk/internal/intake"
	"kycdesk/internal/obs"
	"kycdesk/internal/sessions"
	"kycdesk/internal/users"
)

// Server holds the shared dependencies and the domain handlers.
type Server struct {
	Cfg     config.Config
	Pool    *pgxpool.Pool
	Log     *slog.Logger
	Store   *sessions.Store
	R       *httpx.Renderer
	Metrics *obs.Metrics

	Images *images.Store

	sessions  *sessions.Handler
	users     *users.Handler
	cases     *cases.Handler
	customers *customers.Handler
	tokens    *intake.TokensHandler
	api       *intake.API
}

// New builds a Server; it opens the image store.
func New(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, log *slog.Logger) (*Server, error) {
	store, err := images.OpenStore(ctx, cfg.BlobURL)
	if err != nil {
		return nil, fmt.Errorf("image store: %w", err)
	}
	s := &Server{Cfg: cfg, Pool: pool, Log: log, Metrics: obs.NewMetrics(pool), Images: store}
	s.Store = &sessions.Store{Pool: pool, Idle: cfg.SessionIdle, Lifetime: cfg.SessionLifetime, Secure: cfg.SecureCookies()}
	s.R = &httpx.Renderer{Log: log, Nav: nav}
	s.sessions = &sessions.Handler{Pool: pool, Store: s.Store, R: s.R, LockAfter: cfg.LockAfter, TrustProxy: cfg.TrustProxy}
	s.users = &users.Handler{Pool: pool, R: s.R, Idle: cfg.SessionIdle.Seconds(),
		Service: &users.Service{Pool: pool, LinkTTL: cfg.PasswordLinkTTL, BaseURL: cfg.BaseURL}}
	limits := images.DefaultLimits()
	limits.MaxBytes, limits.AllowPDF = cfg.MaxUploadBytes, true
	custSvc := &customers.Service{Pool: pool, Store: store, Limits: limits}
	s.customers = &customers.Handler{Pool: pool, Service: custSvc, R: s.R}
	s.cases = &cases.Handler{Pool: pool, Service: &cases.Service{Pool: pool}, R: s.R, SLA: cfg.SLA, CaseView: s.customers.FillCase}
	s.tokens = &intake.TokensHandler{Pool: pool, R: s.R}
	s.api = &intake.API{Pool: pool, Customers: custSvc, Log: log}
	return s, nil
}

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
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
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
