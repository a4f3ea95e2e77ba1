package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"kycdesk/internal/audit"
	"kycdesk/internal/httpx"
	"kycdesk/internal/obs"
)

// csp allows nothing but kycdesk's own files: no inline script, no third-party origin.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; " +
	"connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if r.TLS != nil || s.Cfg.SecureCookies() {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// requestMeta records where the request came from for the audit log.
func (s *Server) requestMeta(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := audit.WithMeta(r.Context(), audit.Meta{IP: httpx.ClientIP(r, s.Cfg.TrustProxy), RequestID: obs.RequestID(r.Context())})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// wrote tells the session store when a request that may have changed something answers (any
// method but GET, HEAD and OPTIONS): what the instance keeps between requests (db.Kept) is read
// again before its user's next page, without waiting for PostgreSQL's announcement of the
// change. It is told before the first byte of the answer leaves, once the request's transaction
// has committed, and again when the request ends.
func (s *Server) wrote(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		defer s.Store.Wrote()
		next.ServeHTTP(&wroteWriter{ResponseWriter: w, wrote: s.Store.Wrote}, r)
	})
}

// wroteWriter calls wrote before the answer's first byte or header is sent.
type wroteWriter struct {
	http.ResponseWriter
	wrote func()
	told  bool
}

func (w *wroteWriter) tell() {
	if !w.told {
		w.told = true
		w.wrote()
	}
}

func (w *wroteWriter) WriteHeader(code int) {
	w.tell()
	w.ResponseWriter.WriteHeader(code)
}

func (w *wroteWriter) Write(b []byte) (int, error) {
	w.tell()
	return w.ResponseWriter.Write(b)
}

func (w *wroteWriter) Flush() {
	w.tell()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer (flushing a stream).
func (w *wroteWriter) Unwrap() http.ResponseWriter {
	w.tell()
	return w.ResponseWriter
}

// recoverer turns a panic into a logged 500 page instead of a dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Log.ErrorContext(r.Context(), "panic", slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
				s.R.Error(w, r, fmt.Errorf("panic: %v", p))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses state-changing requests from another origin (CSRF), with a page that says so.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Log.WarnContext(r.Context(), "cross-origin request refused", slog.String("origin", r.Header.Get("Origin")), slog.String("path", r.URL.Path))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("Refused: this request came from another site. If you clicked a link or button in kycdesk, reload the page and try again.\n"))
	}))
	return cop.Handler(next)
}

// staticFiles serves the embedded static files; versioned URLs are cached for a year.
func staticFiles(fsys http.FileSystem) http.Handler {
	fs := http.StripPrefix("/static/", http.FileServer(fsys))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		fs.ServeHTTP(w, r)
	})
}
