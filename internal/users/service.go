// Package users is the administration of users: creation with a temporary password or a one-time
// set-password link, role changes, disabling (which ends every session at once), unlocking. The
// admin pages and the `kycdesk user` command share the one Service.
package users

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
)

// Service changes users. Every method takes the acting user and writes its audit row in the same
// transaction as the change.
type Service struct {
	Pool    *pgxpool.Pool
	LinkTTL time.Duration
	BaseURL string // for set-password links
	// Forget, when set, drops a user's sessions from this instance's session cache once a change
	// to the user committed (sessions.Store.ForgetUser): the instance's next request reads them
	// again, without waiting for PostgreSQL's announcement of the change.
	Forget func(userID uuid.UUID)
}

// forget is deferred by the methods that change who a user's sessions are or end them.
func (s *Service) forget(id uuid.UUID) {
	if s.Forget != nil {
		s.Forget(id)
	}
}

// Setup says how a new user gets in.
type Setup string

// Setups.
const (
	SetupLink     Setup = "link"     // a one-time link to choose a password
	SetupPassword Setup = "password" // a temporary password, changed at first sign-in
	SetupGiven    Setup = "given"    // a password chosen by the caller (command line)
)

// NewUser is the input for Create.
type NewUser struct {
	Email    string
	Name     string
	Role     string
	Setup    Setup
	Password string // with SetupGiven
}

// Created is a new user and the secret to hand over, shown once.
type Created struct {
	User     db.User
	Password string    // with SetupPassword (generated) or SetupGiven ("" then)
	Link     string    // with SetupLink
	Expires  time.Time // the link's expiry
}

// Public is a user as audit rows record it: never a password hash.
func Public(u db.User) map[string]any {
	return map[string]any{"id": u.ID, "email": u.Email, "name": u.Name, "role": u.Role,
		"disabled": u.DisabledAt != nil, "locked": u.LockedAt != nil, "must_change_password": u.MustChangePassword}
}

// cleanName drops from a name what PostgreSQL refuses or what misleads a reader: invalid UTF-8
// becomes U+FFFD, control characters (NUL among them) and the bidi controls that reorder text
// ("\u202e") go.
func cleanName(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// Validate checks a new user's fields and returns the normalised input.
func Validate(in NewUser) (NewUser, error) {
	errs := map[string]string{}
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Name = strings.Join(strings.Fields(cleanName(in.Name)), " ")
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || !strings.Contains(in.Email, ".") || len(in.Email) > 320 {
		errs["email"] = "Enter a valid email address, like name@example.com."
	}
	if in.Name == "" {
		errs["name"] = "Enter the user's name."
	} else if utf8.RuneCountInString(in.Name) > 120 {
		errs["name"] = "Use at most 120 characters."
	}
	if !db.UserRole(in.Role).Valid() {
		errs["role"] = "Choose reviewer, manager or admin."
	}
	switch in.Setup {
	case SetupLink, SetupPassword:
	case SetupGiven:
		if err := auth.CheckPasswordPolicy(in.Password, in.Email); err != nil {
			errs["password"] = err.Error()
		}
	default:
		errs["setup"] = "Choose how the user gets in."
	}
	if err := apperr.Fields(errs); err != nil {
		return in, err
	}
	return in, nil
}

// Create adds a user.
func (s *Service) Create(ctx context.Context, actor audit.Actor, in NewUser) (Created, error) {
	in, err := Validate(in)
	if err != nil {
		return Created{}, err
	}
	var out Created
	var hash *string
	switch in.Setup {
	case SetupPassword:
		out.Password = auth.GeneratePassword()
		h, err := auth.HashPassword(out.Password)
		if err != nil {
			return Created{}, err
		}
		hash = &h
	case SetupGiven:
		h, err := auth.HashPassword(in.Password)
		if err != nil {
			return Created{}, err
		}
		hash = &h
	}
	err = db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		u, err := q.CreateUser(ctx, db.CreateUserParams{Email: in.Email, Name: in.Name, Role: db.UserRole(in.Role),
			PasswordHash: hash, MustChangePassword: in.Setup == SetupPassword})
		if db.IsUniqueViolation(err, "users_email_key") {
			return apperr.Field("email", "A user with this email already exists.")
		}
		if err != nil {
			return err
		}
		out.User = u
		if err := audit.Record(ctx, q, audit.Event{Actor: actor, Action: "user.create", SubjectType: "user", SubjectID: u.ID.String(),
			After: map[string]any{"user": Public(u), "setup": in.Setup}}); err != nil {
			return err
		}
		if in.Setup == SetupLink {
			out.Link, out.Expires, err = s.issueLink(ctx, q, actor, u)
		}
		return err
	})
	return out, err
}

func (s *Service) issueLink(ctx context.Context, q *db.Queries, actor audit.Actor, u db.User) (string, time.Time, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", time.Time{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if err := q.RevokeUserPasswordTokens(ctx, u.ID); err != nil {
		return "", time.Time{}, err
	}
	t, err := q.CreatePasswordToken(ctx, db.CreatePasswordTokenParams{UserID: u.ID, TokenHash: auth.TokenHash(token),
		CreatedBy: actor.UserID, ExpiresAt: time.Now().Add(s.LinkTTL)})
	if err != nil {
		return "", time.Time{}, err
	}
	if err := audit.Record(ctx, q, audit.Event{Actor: actor, Action: "user.password_link", SubjectType: "user", SubjectID: u.ID.String(),
		After: map[string]any{"expires_at": t.ExpiresAt}}); err != nil {
		return "", time.Time{}, err
	}
	return s.BaseURL + "/set-password/" + token, t.ExpiresAt, nil
}

// IssueLink replaces any open set-password link of the user with a new one.
func (s *Service) IssueLink(ctx context.Context, actor audit.Actor, id uuid.UUID) (Created, error) {
	var out Created
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		u, err := get(ctx, q, id)
		if err != nil {
			return err
		}
		if u.DisabledAt != nil {
			return apperr.Field("user", "Enable the user first.")
		}
		out.User = u
		out.Link, out.Expires, err = s.issueLink(ctx, q, actor, u)
		return err
	})
	return out, err
}

// TemporaryPassword replaces the user's password with a generated one that must be changed at the
// next sign-in, and ends the user's sessions.
func (s *Service) TemporaryPassword(ctx context.Context, actor audit.Actor, id uuid.UUID) (Created, error) {
	defer s.forget(id)
	if actor.UserID != nil && *actor.UserID == id {
		// It would end every session of one's own, this one included, for a password to change at once.
		return Created{}, apperr.Field("user", "Change your own password under Account → Password.")
	}
	var out Created
	out.Password = auth.GeneratePassword()
	hash, err := auth.HashPassword(out.Password)
	if err != nil {
		return Created{}, err
	}
	err = db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		u, err := get(ctx, q, id)
		if err != nil {
			return err
		}
		if u.DisabledAt != nil {
			return apperr.Field("user", "Enable the user first.")
		}
		if out.User, err = q.SetUserPassword(ctx, db.SetUserPasswordParams{ID: id, PasswordHash: &hash, MustChangePassword: true}); err != nil {
			return err
		}
		n, err := q.DeleteUserSessions(ctx, id)
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: actor, Action: "user.temporary_password", SubjectType: "user", SubjectID: id.String(),
			After: map[string]any{"sessions_ended": n}})
	})
	return out, err
}

// RoleChanged is what changing a user's role did.
type RoleChanged struct {
	User db.User
	// Released is how many open cases the user held and went back to the queue unassigned, their
	// new role not working cases.
	Released int
}

// ChangeRole sets a user's role. The last enabled admin cannot lose the role. A user given a role
// that does not work cases (a manager) cannot act on the cases they hold: those open go back to
// the queue, as on a disabling, each release on the case's record; a decision of theirs waiting
// for its second review stays theirs until checked (sent back, it goes back to the queue).
func (s *Service) ChangeRole(ctx context.Context, actor audit.Actor, id uuid.UUID, role string) (RoleChanged, error) {
	defer s.forget(id)
	if !db.UserRole(role).Valid() {
		return RoleChanged{}, apperr.Field("role", "Choose reviewer, manager or admin.")
	}
	var out RoleChanged
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, tx pgx.Tx) error {
		out = RoleChanged{}
		u, err := get(ctx, q, id)
		if err != nil {
			return err
		}
		if u.Role == db.UserRole(role) {
			out.User = u
			return nil
		}
		if u.Role == db.UserRoleAdmin && u.DisabledAt == nil {
			if err := lastAdminGuard(ctx, q, tx, "role", "This is the last admin: make another user admin first."); err != nil {
				return err
			}
		}
		// The user's row is updated before their cases are released, in a disabling's order: a
		// claim or an assignment in flight (db.LockAssignee) either waits and reads the new role,
		// or commits first and its case is released here.
		out.User, err = q.UpdateUserProfile(ctx, db.UpdateUserProfileParams{ID: id, Name: u.Name, Role: db.UserRole(role)})
		if err != nil {
			return err
		}
		if !auth.Can(out.User.Role, auth.PermCasesWork) {
			if out.Released, err = releaseHeld(ctx, q, actor, u, map[string]any{"reason": "assignee's role changed", "role": out.User.Role}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, q, audit.Event{Actor: actor, Action: "user.role_change", SubjectType: "user", SubjectID: id.String(),
			Before: map[string]any{"role": u.Role}, After: map[string]any{"role": out.User.Role, "cases_released": out.Released}})
	})
	return out, err
}

// lastAdminGuard refuses a change that would leave no enabled admin. The advisory lock makes two
// admins demoting each other at once take turns.
func lastAdminGuard(ctx context.Context, q *db.Queries, tx pgx.Tx, field, msg string) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7361002)"); err != nil {
		return err
	}
	n, err := q.CountActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return apperr.Field(field, msg)
	}
	return nil
}

// Disabled is what disabling a user did.
type Disabled struct {
	User db.User
	// Released is how many open cases the user held and went back to the queue unassigned;
	// Pending how many of their decisions wait for a second review (they stay theirs until
	// checked; one sent back goes back to the queue).
	Released, Pending int
}

// Disable stops a user from signing in and ends all their sessions and open links at once. The
// open cases they hold go back to the queue, each release on the case's record: nobody else could
// act on them, and a disabled assignee is not offered in the queue's filter.
func (s *Service) Disable(ctx context.Context, actor audit.Actor, id uuid.UUID) (Disabled, error) {
	defer s.forget(id)
	if actor.UserID != nil && *actor.UserID == id {
		return Disabled{}, apperr.Field("user", "You cannot disable yourself.")
	}
	var out Disabled
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, tx pgx.Tx) error {
		out = Disabled{}
		u, err := get(ctx, q, id)
		if err != nil {
			return err
		}
		if u.DisabledAt != nil {
			out.User = u
			return nil
		}
		if u.Role == db.UserRoleAdmin {
			if err := lastAdminGuard(ctx, q, tx, "user", "This is the last admin: it cannot be disabled."); err != nil {
				return err
			}
		}
		if out.User, err = q.DisableUser(ctx, id); err != nil {
			return err
		}
		n, err := q.DeleteUserSessions(ctx, id)
		if err != nil {
			return err
		}
		if err := q.RevokeUserPasswordTokens(ctx, id); err != nil {
			return err
		}
		released, err := releaseHeld(ctx, q, actor, u, map[string]any{"reason": "assignee disabled"})
		if err != nil {
			return err
		}
		pending, err := q.CountUserPendingDecisions(ctx, &id)
		if err != nil {
			return err
		}
		out.Released, out.Pending = released, int(pending)
		return audit.Record(ctx, q, audit.Event{Actor: actor, Action: "user.disable", SubjectType: "user", SubjectID: id.String(),
			Before: Public(u), After: map[string]any{"user": Public(out.User), "sessions_ended": n, "cases_released": released}})
	})
	return out, err
}

// releaseHeld sends the open cases u holds back to the queue (ReleaseUserCases), each release on
// the case's record with why (after: "reason" and what else it says), and returns how many.
func releaseHeld(ctx context.Context, q *db.Queries, actor audit.Actor, u db.User, why map[string]any) (int, error) {
	released, err := q.ReleaseUserCases(ctx, &u.ID)
	if err != nil {
		return 0, err
	}
	for _, c := range released {
		after := map[string]any{"status": c.Status, "assignee_id": nil, "released_from": u.Name}
		maps.Copy(after, why)
		if err := audit.Record(ctx, q, audit.Event{Actor: actor, Action: "case.release", SubjectType: "case", SubjectID: c.ID.String(),
			CaseID: &c.ID, Before: map[string]any{"status": c.StatusBefore, "assignee_id": u.ID}, After: after}); err != nil {
			return 0, err
		}
	}
	return len(released), nil
}

// Enable lets a disabled user sign in again.
func (s *Service) Enable(ctx context.Context, actor audit.Actor, id uuid.UUID) (db.User, error) {
	var out db.User
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		u, err := get(ctx, q, id)
		if err != nil {
			return err
		}
		if u.DisabledAt == nil {
			out = u
			return nil
		}
		if out, err = q.EnableUser(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: actor, Action: "user.enable", SubjectType: "user", SubjectID: id.String(),
			Before: Public(u), After: Public(out)})
	})
	return out, err
}

// Unlock lifts a lock after failed sign-ins and forgets those failures.
func (s *Service) Unlock(ctx context.Context, actor audit.Actor, id uuid.UUID) (db.User, error) {
	var out db.User
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		u, err := get(ctx, q, id)
		if err != nil {
			return err
		}
		if err := q.ClearLoginThrottle(ctx, []string{"email:" + u.Email}); err != nil {
			return err
		}
		if u.LockedAt == nil {
			// Not locked: the failures are forgotten all the same (a delay may be running), and said so.
			out = u
			return audit.Record(ctx, q, audit.Event{Actor: actor, Action: "user.sign_in_failures_clear", SubjectType: "user",
				SubjectID: id.String()})
		}
		if out, err = q.UnlockUser(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: actor, Action: "user.unlock", SubjectType: "user", SubjectID: id.String(),
			Before: Public(u), After: Public(out)})
	})
	return out, err
}

func get(ctx context.Context, q *db.Queries, id uuid.UUID) (db.User, error) {
	u, err := q.GetUser(ctx, id)
	if db.IsNotFound(err) {
		return u, apperr.New(apperr.NotFound, "No such user.")
	}
	if err != nil {
		return u, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}
