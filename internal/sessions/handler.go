package sessions

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/httpx"
)

// Handler serves sign-in, sign-out, the account page (own sessions, own password) and one-time
// set-password links.
type Handler struct {
	Pool       *pgxpool.Pool
	Store      *Store
	R          *httpx.Renderer
	LockAfter  int  // failed sign-ins on one email before its account is locked
	TrustProxy bool // take the client address from X-Forwarded-For
}
