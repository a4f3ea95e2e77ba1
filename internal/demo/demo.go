// Package demo seeds what `make run` needs for somebody to try kycdesk at once: one user per role
// (and a second reviewer, for four-eyes), with passwords kept in the data directory so every run
// prints the same logins.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/users"
)

// Login is one demo user's credentials.
type Login struct {
	Role     string `json:"role"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

var people = []Login{
	{Role: "admin", Email: "admin@kycdesk.local", Name: "Ada Admin"},
	{Role: "manager", Email: "manager@kycdesk.local", Name: "Maya Manager"},
	{Role: "reviewer", Email: "reviewer@kycdesk.local", Name: "Rui Reviewer"},
	{Role: "reviewer", Email: "reviewer2@kycdesk.local", Name: "Rosa Reviewer"},
}

// EnsureUsers creates the demo users that are missing and returns every demo login. Passwords are
// generated once and kept in dataDir/demo-logins.json (mode 0600); a demo user whose password is
// not in that file gets a new one.
func EnsureUsers(ctx context.Context, pool *pgxpool.Pool, dataDir string) ([]Login, error) {
	path := filepath.Join(dataDir, "demo-logins.json")
	known := map[string]string{}
	if b, err := os.ReadFile(path); err == nil {
		var saved []Login
		if json.Unmarshal(b, &saved) == nil {
			for _, l := range saved {
				known[l.Email] = l.Password
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	out := make([]Login, 0, len(people))
	err := db.Transact(ctx, pool, func(q *db.Queries, _ pgx.Tx) error {
		for _, p := range people {
			pw, ok := known[p.Email]
			u, err := q.GetUserByEmail(ctx, p.Email)
			exists := err == nil
			if err != nil && !db.IsNotFound(err) {
				return err
			}
			if exists && ok && u.PasswordHash != nil && auth.VerifyPassword(*u.PasswordHash, pw) {
				out = append(out, Login{Role: string(u.Role), Email: p.Email, Name: u.Name, Password: pw})
				continue
			}
			pw = auth.GeneratePassword()
			hash, err := auth.HashPassword(pw)
			if err != nil {
				return err
			}
			if exists {
				u, err = q.SetUserPassword(ctx, db.SetUserPasswordParams{ID: u.ID, PasswordHash: &hash})
			} else {
				u, err = q.CreateUser(ctx, db.CreateUserParams{Email: p.Email, Name: p.Name, Role: db.UserRole(p.Role), PasswordHash: &hash})
			}
			if err != nil {
				return err
			}
			action := "user.create"
			if exists {
				action = "user.password_set"
			}
			if err := audit.Record(ctx, q, audit.Event{Actor: audit.System, Action: action, SubjectType: "user", SubjectID: u.ID.String(),
				After: map[string]any{"user": users.Public(u), "via": "demo seed"}}); err != nil {
				return err
			}
			out = append(out, Login{Role: string(u.Role), Email: p.Email, Name: u.Name, Password: pw})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo users: %w", err)
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	return out, nil
}
