package decisions_test

import (
	"net/http"
	"testing"

	"kycdesk/internal/auth"
	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/decisions"
	"kycdesk/internal/testenv"
	"kycdesk/internal/users"
)

// TestADecisionSentBackAsItsMakerIsDisabledGoesBackToTheQueue: a decision sent back in the same
// instant as its maker's disabling never leaves its case with the disabled maker. Sent back after
// the disabling, the case goes to the queue itself; before it, the disabling sends it there with
// the maker's other cases.
func TestADecisionSentBackAsItsMakerIsDisabledGoesBackToTheQueue(t *testing.T) {
	for _, disablingFirst := range []bool{true, false} {
		name := "sent back before the disabling"
		if disablingFirst {
			name = "sent back after the disabling"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			admin := f.app.CreateUser(t, "admin")
			f.app.Pool.Exec(f.ctx, `UPDATE app_settings SET value = '{"always": true}' WHERE key = 'four_eyes.rules'`)
			pending := f.claimedCase(t, "2030-01-01")
			if r := f.decide(t, f.mc, pending, decisions.Reject, "The photo is of a screen."); r.Status != http.StatusSeeOther || f.status(t, pending) != cases.PendingSecondReview {
				t.Fatalf("reject under four-eyes: %d %s", r.Status, f.status(t, pending))
			}
			as := func(u testenv.User) *auth.Principal {
				return &auth.Principal{UserID: u.ID, Email: u.Email, Role: auth.Role(u.Role)}
			}
			gate := f.app.HoldAuditGate(t)
			disabled, sent := make(chan error, 1), make(chan error, 1)
			var released int
			disable := func() {
				out, err := (&users.Service{Pool: f.app.Pool}).Disable(f.ctx, as(admin).Actor(), f.maker.ID)
				released = out.Released
				disabled <- err
			}
			sendBack := func() {
				_, err := (&decisions.Service{Pool: f.app.Pool}).SecondReview(f.ctx, as(f.checker), pending, false, f.reasons["return"], "Look at the photo again.")
				sent <- err
			}
			if disablingFirst {
				go disable()
				gate.Await(t, 1)
				go sendBack()
			} else {
				go sendBack()
				gate.Await(t, 1)
				go disable()
			}
			gate.Await(t, 2)
			gate.Open(t)
			if err := <-disabled; err != nil {
				t.Fatalf("disable: %v", err)
			}
			if err := <-sent; err != nil {
				t.Fatalf("send back: %v", err)
			}
			if !disablingFirst && released != 1 {
				t.Errorf("the disabling released %d cases, want the one sent back just before", released)
			}
			c, err := db.New(f.app.Pool).GetCase(f.ctx, pending)
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != cases.New || c.AssigneeID != nil {
				t.Fatalf("the case sent back: %s, assigned to %v (the disabled maker is %v), want new and in the queue", c.Status, c.AssigneeID, f.maker.ID)
			}
		})
	}
}
