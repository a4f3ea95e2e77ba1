package auth

import (
	"testing"
	"time"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyPassword(h, "correct horse battery") {
		t.Fatal("the right password does not verify")
	}
	for _, wrong := range []string{"", "correct horse batter", "Correct horse battery"} {
		if VerifyPassword(h, wrong) {
			t.Fatalf("%q verifies", wrong)
		}
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2id$v=19$m=1,t=1,p=1$!!$!!", "plain"} {
		if VerifyPassword(bad, "x") {
			t.Fatalf("malformed hash %q verifies", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	cases := map[string]bool{"short": false, "            ": false, "long enough pass": true, GeneratePassword(): true,
		"aaaaaaaaaaaaaaa": false, "ÄÄÄÄÄÄÄÄÄÄÄÄÄ": false, "Anna.Eriksson@example.com": false, "anna.eriksson@example.com!": false, "Anna.Eriksson": false,
		"anna's own passphrase":  true,
		"a different passphrase": true}
	for pw, ok := range cases {
		if got := CheckPasswordPolicy(pw, "anna.eriksson@example.com") == nil; got != ok {
			t.Errorf("policy(%q) = %v, want %v", pw, got, ok)
		}
	}
}

func TestDelay(t *testing.T) {
	cases := []struct {
		failures int
		want     time.Duration
	}{{0, 0}, {4, 0}, {5, time.Second}, {6, 2 * time.Second}, {8, 8 * time.Second}, {30, maxDelay}, {100, maxDelay}}
	for _, c := range cases {
		if got := Delay(c.failures, EmailFreeFailures); got != c.want {
			t.Errorf("Delay(%d) = %s, want %s", c.failures, got, c.want)
		}
	}
}

func TestMatrix(t *testing.T) {
	for _, p := range Matrix {
		if !Can(Admin, p.Perm) {
			t.Errorf("admin cannot %s: admin can do everything", p.Perm)
		}
	}
	if Can(Reviewer, PermUsersManage) || Can(Manager, PermUsersManage) {
		t.Error("only admins manage users")
	}
	if Can(Reviewer, PermReports) {
		t.Error("reviewers do not export")
	}
	if !Can(Reviewer, PermCasesWork) || !Can(Manager, PermReports) {
		t.Error("matrix lost a grant")
	}
}

// TestHolders: who holds a permission is said from the matrix, in the order of Roles.
func TestHolders(t *testing.T) {
	for _, c := range []struct {
		p    Perm
		want string
	}{
		{PermSecondReview, "a manager or an admin"},
		{PermUsersManage, "an admin"},
		{PermAccount, "a reviewer, a manager or an admin"},
		{Perm("nothing"), "nobody"},
	} {
		if got := Holders(c.p); got != c.want {
			t.Errorf("Holders(%s) = %q, want %q", c.p, got, c.want)
		}
	}
}
