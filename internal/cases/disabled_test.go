package cases_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"kycdesk/internal/apperr"
	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
	"kycdesk/internal/users"
)

// TestACaseGivenAsItsHolderIsDisabledGoesBackToTheQueue: a claim ("Claim" or "Next case") or a
// manager's assignment committing in the same instant as the disabling of the user who gets the
// case never leaves the case with the disabled user. Given after the disabling, it is refused (a
// claim with a conflict, an assignment with the assignee's message); given before, the disabling
// sends it back to the queue with their other cases.
func TestACaseGivenAsItsHolderIsDisabledGoesBackToTheQueue(t *testing.T) {
	gives := []struct {
		name string
		give func(ctx context.Context, svc *cases.Service, mgr, holder testenv.User, c uuid.UUID) error
		// refused says whether err is the refusal of a case given to a disabled user.
		refused func(err error) bool
	}{
		{"claim", func(ctx context.Context, svc *cases.Service, _, holder testenv.User, c uuid.UUID) error {
			_, err := svc.Claim(ctx, principal(holder), c)
			return err
		}, refusedClaim},
		{"next case", func(ctx context.Context, svc *cases.Service, _, holder testenv.User, _ uuid.UUID) error {
			_, err := svc.Next(ctx, principal(holder), cases.Filter{Status: cases.New, Sort: "age"})
			return err
		}, refusedClaim},
		{"assign", func(ctx context.Context, svc *cases.Service, mgr, holder testenv.User, c uuid.UUID) error {
			_, err := svc.Assign(ctx, principal(mgr), c, holder.ID)
			return err
		}, func(err error) bool {
			return strings.Contains(apperr.FieldsOf(err)["assignee"], "has been disabled")
		}},
	}
	for _, g := range gives {
		for _, disablingFirst := range []bool{true, false} {
			name := g.name + " before the disabling"
			if disablingFirst {
				name = g.name + " after the disabling"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				app := testenv.NewApp(t)
				ctx := context.Background()
				svc := &cases.Service{Pool: app.Pool}
				admin, mgr, holder := app.CreateUser(t, "admin"), app.CreateUser(t, "manager"), app.CreateUser(t, "reviewer")
				c := newCase(t, app, "Dis", "Abled", "DEU", "disabled-1")
				usvc := &users.Service{Pool: app.Pool}

				gate := app.HoldAuditGate(t)
				disabled, given := make(chan error, 1), make(chan error, 1)
				var released int
				disable := func() {
					out, err := usvc.Disable(ctx, principal(admin).Actor(), holder.ID)
					released = out.Released
					disabled <- err
				}
				if disablingFirst {
					// The disabling has updated the user and released their cases (none), and
					// waits to commit; then the case is given.
					go disable()
					gate.Await(t, 1)
					go func() { given <- g.give(ctx, svc, mgr, holder, c.ID) }()
				} else {
					// The case is given and waits to commit; then the user is disabled.
					go func() { given <- g.give(ctx, svc, mgr, holder, c.ID) }()
					gate.Await(t, 1)
					go disable()
				}
				gate.Await(t, 2)
				gate.Open(t)
				derr, gerr := <-disabled, <-given
				if derr != nil {
					t.Fatalf("disable: %v", derr)
				}
				if disablingFirst && !g.refused(gerr) {
					t.Errorf("the case given to a user disabled in the same instant: %v, want a refusal", gerr)
				}
				if !disablingFirst && (gerr != nil || released != 1) {
					t.Errorf("given just before the disabling: %v; the disabling released %d cases, want 1", gerr, released)
				}
				got, err := db.New(app.Pool).GetCase(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.AssigneeID != nil || got.Status != cases.New {
					t.Fatalf("the case: %s, assigned to %v (the disabled user is %v), want new and in the queue", got.Status, got.AssigneeID, holder.ID)
				}
			})
		}
	}
}

func refusedClaim(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == apperr.Conflict && strings.Contains(e.Message, "disabled")
}

// TestADisabledUserIsNeitherGivenNorTakesACase: a manager assigning a case to a disabled user is
// told so on the assignee field; a disabled reviewer's claim (one that was signed in when the
// disabling came) is a conflict.
func TestADisabledUserIsNeitherGivenNorTakesACase(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	admin, mgr, rev := app.CreateUser(t, "admin"), app.CreateUser(t, "manager"), app.CreateUser(t, "reviewer")
	c := newCase(t, app, "Ada", "Gone", "GBR", "gone-1")
	if _, err := (&users.Service{Pool: app.Pool}).Disable(ctx, principal(admin).Actor(), rev.ID); err != nil {
		t.Fatal(err)
	}
	r := app.SignIn(t, mgr).PostForm(t, "/cases/"+c.ID.String()+"/assign", url.Values{"assignee": {rev.ID.String()}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("assigning to a disabled user: %d", r.Status)
	}
	if got := r.Doc(t).Find("#assignee-error").Text(); got != "Reviewer Tester has been disabled: choose an active user who works cases." {
		t.Errorf("the assignee's error: %q", got)
	}
	svc := &cases.Service{Pool: app.Pool}
	_, err := svc.Claim(ctx, principal(rev), c.ID)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || e.Message != "Your account has been disabled: you can no longer take cases." {
		t.Errorf("a disabled reviewer's claim: %v", err)
	}
	if _, err := svc.Next(ctx, principal(rev), cases.Filter{Status: cases.New, Sort: "age"}); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("a disabled reviewer's next case: %v", err)
	}
	got, _ := db.New(app.Pool).GetCase(ctx, c.ID)
	if got.AssigneeID != nil || got.Status != cases.New {
		t.Fatalf("the case: %s, assigned to %v", got.Status, got.AssigneeID)
	}
}
