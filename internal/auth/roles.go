// Package auth is who may do what: the three roles, the permission matrix, the signed-in principal
// carried in a request's context, password hashing, and the sign-in throttling policy.
package auth

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/db"
	"kycdesk/internal/words"
)

// Role is a user's role.
type Role = db.UserRole

// The roles. Admin can do everything.
const (
	Reviewer = db.UserRoleReviewer
	Manager  = db.UserRoleManager
	Admin    = db.UserRoleAdmin
)

// Roles lists the roles in the order pages show them.
var Roles = []Role{Reviewer, Manager, Admin}

// Perm is one thing a role may do. Routes name the permission they need (see server/routes.go).
type Perm string

// Permissions.
const (
	PermCasesView     Perm = "cases.view"     // see the queue, cases, documents and images
	PermCasesWork     Perm = "cases.work"     // create customers, upload, claim, note, run checks, decide, record liveness verdicts
	PermCasesAssign   Perm = "cases.assign"   // assign a case to someone else
	PermSecondReview  Perm = "cases.checker"  // confirm or return a decision under four-eyes
	PermReports       Perm = "reports"        // export case lists, case reports, dashboard
	PermAuditExport   Perm = "audit.export"   // export and verify the audit log
	PermUsersManage   Perm = "users.manage"   // create users, change roles, disable, unlock
	PermVendorsManage Perm = "vendors.manage" // vendor settings and credentials
	PermTokensManage  Perm = "api_tokens"     // intake API tokens
	PermAccount       Perm = "account"        // own sessions and password: every signed-in user
	PermSettings      Perm = "settings"       // decision reasons, four-eyes rules, review thresholds
)

// PermInfo describes a permission for the README and the admin pages.
type PermInfo struct {
	Perm    Perm
	Meaning string
	Roles   []Role
	// Refused ends a refusal's sentence: "only a reviewer or an admin may <Refused>".
	Refused string
}

// Matrix is the permission matrix: the one place that says which role may do what.
var Matrix = []PermInfo{
	{PermAccount, "See and revoke own sessions, change own password", []Role{Reviewer, Manager, Admin}, "see and revoke their own sessions and change their own password"},
	{PermCasesView, "See the queue, cases, documents, images and check results", []Role{Reviewer, Manager, Admin}, "see the queue and the cases"},
	{PermCasesWork, "Create customers, upload images, claim cases, add notes, run checks, decide, record liveness verdicts", []Role{Reviewer, Admin}, "work on cases (create customers, upload images, claim cases, add notes, run checks, decide and record liveness verdicts)"},
	{PermCasesAssign, "Assign a case to another user", []Role{Manager, Admin}, "assign a case to another user"},
	{PermSecondReview, "Confirm or return a decision under four-eyes (never one's own)", []Role{Manager, Admin}, "confirm or return a decision under four-eyes"},
	{PermReports, "Export case lists (CSV, XLSX), case reports (PDF), see the dashboard", []Role{Manager, Admin}, "use the reports (export case lists and case reports, see the dashboard and the liveness verdicts not delivered)"},
	{PermAuditExport, "Export and verify the audit log", []Role{Manager, Admin}, "export and verify the audit log"},
	{PermUsersManage, "Create users, change roles, disable, unlock, issue set-password links", []Role{Admin}, "manage users (create them, change their roles, disable, enable and unlock them, issue set-password links)"},
	{PermVendorsManage, "Configure vendors and their credentials", []Role{Admin}, "configure the vendors and their credentials"},
	{PermTokensManage, "Create and revoke intake API tokens", []Role{Admin}, "create and revoke intake API tokens"},
	{PermSettings, "Set decision reasons, four-eyes rules and review thresholds", []Role{Admin}, "set decision reasons, four-eyes rules and review thresholds"},
}

var allowed = func() map[Role]map[Perm]bool {
	m := map[Role]map[Perm]bool{}
	for _, p := range Matrix {
		for _, r := range p.Roles {
			if m[r] == nil {
				m[r] = map[Perm]bool{}
			}
			m[r][p.Perm] = true
		}
	}
	return m
}()

// Can reports whether role may do p.
func Can(role Role, p Perm) bool { return allowed[role][p] }

// RolesWith lists the roles that hold p, in the order of Roles.
func RolesWith(p Perm) []Role {
	var out []Role
	for _, r := range Roles {
		if Can(r, p) {
			out = append(out, r)
		}
	}
	return out
}

// Holders names the roles that hold p the way a sentence says who may do it: "a manager or an
// admin" for PermSecondReview. It reads Matrix, so pages that say who must act stay true when the
// matrix changes; "nobody" when no role holds p.
func Holders(p Perm) string {
	roles := RolesWith(p)
	if len(roles) == 0 {
		return "nobody"
	}
	who := make([]string, len(roles))
	for i, r := range roles {
		who[i] = article(string(r)) + " " + string(r)
	}
	return words.JoinOr(who)
}

// Refusal says why role may not do what needs p, for a 403: "Your role (manager) does not allow
// this: only a reviewer or an admin may work on cases (create customers, …)".
func Refusal(role Role, p Perm) string {
	for _, info := range Matrix {
		if info.Perm == p {
			return "Your role (" + string(role) + ") does not allow this: only " + Holders(p) + " may " + info.Refused + "."
		}
	}
	return "Your role does not allow this."
}

// article is the indefinite article of a role's name: "an admin", "a manager".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// Principal is the signed-in user of a request.
type Principal struct {
	UserID             uuid.UUID
	Email              string
	Name               string
	Role               Role
	SessionID          uuid.UUID
	MustChangePassword bool
}

// Can reports whether the principal may do p.
func (p *Principal) Can(perm Perm) bool { return p != nil && Can(p.Role, perm) }

// Actor is the principal as the audit log names it.
func (p *Principal) Actor() audit.Actor { return audit.UserActor(p.UserID, p.Email) }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the signed-in user, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
