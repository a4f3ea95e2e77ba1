package auth_test

import (
	"testing"

	"kycdesk/internal/auth"
)

// TestEveryPermissionSaysWhyItIsRefused: a 403 names the role and who may do what it needs, for
// every permission, in one sentence.
func TestEveryPermissionSaysWhyItIsRefused(t *testing.T) {
	for _, info := range auth.Matrix {
		if info.Refused == "" {
			t.Errorf("%s has no words for its refusal", info.Perm)
		}
	}
	if got, want := auth.Refusal(auth.Reviewer, auth.PermUsersManage),
		"Your role (reviewer) does not allow this: only an admin may manage users (create them, change their roles, disable, enable and unlock them, issue set-password links)."; got != want {
		t.Errorf("refusal:\n%s\nwant\n%s", got, want)
	}
	if got, want := auth.Refusal(auth.Manager, auth.PermCasesWork),
		"Your role (manager) does not allow this: only a reviewer or an admin may work on cases (create customers, upload images, claim cases, add notes, run checks, decide and record liveness verdicts)."; got != want {
		t.Errorf("refusal:\n%s\nwant\n%s", got, want)
	}
}
