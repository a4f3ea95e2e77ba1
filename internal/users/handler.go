package users

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/web"
)

// Handler serves the admin's user pages.
type Handler struct {
	Pool    *pgxpool.Pool
	Service *Service
	R       *httpx.Renderer
	Idle    float64 // session idle timeout in seconds, to count live sessions
}

func roleNames() []string {
	out := make([]string, len(auth.Roles))
	for i, r := range auth.Roles {
		out[i] = string(r)
	}
	return out
}

func (h *Handler) sessionCounts(r *http.Request) (map[uuid.UUID]int, error) {
	rows, err := db.New(h.Pool).CountLiveSessionsByUser(r.Context(), h.Idle)
	if err != nil {
		return nil, err
	}
	m := map[uuid.UUID]int{}
	for _, c := range rows {
		m[c.UserID] = int(c.Sessions)
	}
	return m, nil
}

func row(u db.User, sessions int) web.UserRow {
	return web.UserRow{ID: u.ID.String(), Email: u.Email, Name: u.Name, Role: string(u.Role),
		Disabled: u.DisabledAt != nil, Locked: u.LockedAt != nil, Sessions: sessions, CreatedAt: u.CreatedAt}
}

// List shows every user.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) error {
	list, err := db.New(h.Pool).ListUsers(r.Context())
	if err != nil {
		return err
	}
	counts, err := h.sessionCounts(r)
	if err != nil {
		return err
	}
	v := web.UsersView{}
	for _, u := range list {
		v.Users = append(v.Users, row(u, counts[u.ID]))
	}
	return h.R.Page(w, r, http.StatusOK, "Users", web.UsersPage(v))
}

// Roles shows the permission matrix.
func (h *Handler) Roles(w http.ResponseWriter, r *http.Request) error {
	v := web.RolesView{Roles: roleNames()}
	for _, p := range auth.Matrix {
		rr := web.RoleMatrixRow{Meaning: p.Meaning}
		for _, role := range auth.Roles {
			rr.Allowed = append(rr.Allowed, auth.Can(role, p.Perm))
		}
		v.Rows = append(v.Rows, rr)
	}
	return h.R.Page(w, r, http.StatusOK, "Roles", web.RolesPage(v))
}

// New shows the new-user form.
func (h *Handler) New(w http.ResponseWriter, r *http.Request) error {
	return h.R.Page(w, r, http.StatusOK, "New user", web.UserNewPage(web.UserFormView{Role: string(auth.Reviewer), Setup: "link", Roles: roleNames()}))
}

// Create adds a user and shows the temporary password or link once.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	p := auth.PrincipalFrom(r.Context())
	in := NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: r.PostFormValue("role"), Setup: Setup(r.PostFormValue("setup"))}
	out, err := h.Service.Create(r.Context(), p.Actor(), in)
	if fields := apperr.FieldsOf(err); fields != nil {
		v := web.UserFormView{Email: in.Email, Name: in.Name, Role: in.Role, Setup: string(in.Setup), Roles: roleNames(), Errors: fields}
		return h.R.Page(w, r, http.StatusUnprocessableEntity, "New user", web.UserNewPage(v))
	}
	if err != nil {
		return err
	}
	return h.R.Page(w, r, http.StatusOK, "User created", web.UserSecretPage(secretView(out, true)))
}

func secretView(c Created, created bool) web.UserSecretView {
	v := web.UserSecretView{User: row(c.User, 0), Created: created, Kind: "password", Secret: c.Password}
	if c.Link != "" {
		v.Kind, v.Secret, v.Expires = "link", c.Link, c.Expires
	}
	return v
}

func userID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return id, apperr.New(apperr.NotFound, "No such user.")
	}
	return id, nil
}

// Show is one user's page: account state, role, access actions and history.
func (h *Handler) Show(w http.ResponseWriter, r *http.Request) error {
	return h.show(w, r, http.StatusOK, nil)
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request, status int, errs web.FormErrors) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	q := db.New(h.Pool)
	u, err := get(r.Context(), q, id)
	if err != nil {
		return err
	}
	counts, err := h.sessionCounts(r)
	if err != nil {
		return err
	}
	events, err := q.ListAuditEventsForSubject(r.Context(), db.ListAuditEventsForSubjectParams{SubjectType: "user", SubjectID: id.String(), MaxRows: 50})
	if err != nil {
		return err
	}
	p := auth.PrincipalFrom(r.Context())
	v := web.UserDetailView{User: row(u, counts[u.ID]), Roles: roleNames(), Self: p.UserID == u.ID, Errors: errs}
	for _, e := range events {
		v.Events = append(v.Events, web.AuditRow{At: e.At, Actor: e.ActorLabel, Action: e.Action, Subject: Describe(e), Detail: Detail(e)})
	}
	return h.R.Page(w, r, status, u.Name, web.UserDetailPage(v))
}

// act runs one state change from the user page and redirects back with a message, or shows the
// page again with the field error.
func (h *Handler) act(w http.ResponseWriter, r *http.Request, done string, fn func(p *auth.Principal, id uuid.UUID) error) error {
	return h.actSaying(w, r, func(p *auth.Principal, id uuid.UUID) (string, error) { return done, fn(p, id) })
}

// actSaying is act whose fn says what was done.
func (h *Handler) actSaying(w http.ResponseWriter, r *http.Request, fn func(p *auth.Principal, id uuid.UUID) (string, error)) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	done, err := fn(auth.PrincipalFrom(r.Context()), id)
	if fields := apperr.FieldsOf(err); fields != nil {
		return h.show(w, r, http.StatusUnprocessableEntity, fields)
	}
	if err != nil {
		return err
	}
	httpx.SetFlash(w, "ok", done)
	return httpx.Redirect(w, r, "/admin/users/"+id.String())
}

// ChangeRole sets the user's role.
func (h *Handler) ChangeRole(w http.ResponseWriter, r *http.Request) error {
	return h.actSaying(w, r, func(p *auth.Principal, id uuid.UUID) (string, error) {
		c, err := h.Service.ChangeRole(r.Context(), p.Actor(), id, r.PostFormValue("role"))
		return "The role was changed." +
			counted(c.Released, " The open case they held went back to the queue, unassigned: their new role does not work cases.",
				" The %d open cases they held went back to the queue, unassigned: their new role does not work cases."), err
	})
}

// Disable disables the user and ends their sessions.
func (h *Handler) Disable(w http.ResponseWriter, r *http.Request) error {
	return h.actSaying(w, r, func(p *auth.Principal, id uuid.UUID) (string, error) {
		d, err := h.Service.Disable(r.Context(), p.Actor(), id)
		return disabledMessage(d), err
	})
}

// disabledMessage says what disabling a user did.
func disabledMessage(d Disabled) string {
	return "The user is disabled and all their sessions have ended." +
		counted(d.Released, " The open case they held went back to the queue, unassigned.",
			" The %d open cases they held went back to the queue, unassigned.") +
		counted(d.Pending, " One decision of theirs waits for its second review: if it is sent back, its case goes back to the queue.",
			" %d decisions of theirs wait for their second review: a case sent back goes back to the queue.")
}

// counted is one when n is 1, many (a format with n in it) when n is more, nothing when n is 0.
func counted(n int, one, many string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return one
	}
	return fmt.Sprintf(many, n)
}

// Enable re-enables the user.
func (h *Handler) Enable(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "The user is enabled.", func(p *auth.Principal, id uuid.UUID) error {
		_, err := h.Service.Enable(r.Context(), p.Actor(), id)
		return err
	})
}

// Unlock lifts a sign-in lock.
func (h *Handler) Unlock(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "The user is unlocked.", func(p *auth.Principal, id uuid.UUID) error {
		_, err := h.Service.Unlock(r.Context(), p.Actor(), id)
		return err
	})
}

// PasswordLink issues a new one-time set-password link and shows it once.
func (h *Handler) PasswordLink(w http.ResponseWriter, r *http.Request) error {
	return h.issue(w, r, func(p *auth.Principal, id uuid.UUID) (Created, error) {
		return h.Service.IssueLink(r.Context(), p.Actor(), id)
	})
}

// TemporaryPassword sets a new temporary password and shows it once.
func (h *Handler) TemporaryPassword(w http.ResponseWriter, r *http.Request) error {
	return h.issue(w, r, func(p *auth.Principal, id uuid.UUID) (Created, error) {
		return h.Service.TemporaryPassword(r.Context(), p.Actor(), id)
	})
}

func (h *Handler) issue(w http.ResponseWriter, r *http.Request, fn func(p *auth.Principal, id uuid.UUID) (Created, error)) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	out, err := fn(auth.PrincipalFrom(r.Context()), id)
	if fields := apperr.FieldsOf(err); fields != nil {
		return h.show(w, r, http.StatusUnprocessableEntity, fields)
	}
	if err != nil {
		return err
	}
	return h.R.Page(w, r, http.StatusOK, "New sign-in", web.UserSecretPage(secretView(out, false)))
}
