package customers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/customers"
	"kycdesk/internal/images"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// TestAFailedUploadKeepsTheBlobsAnotherIsStoring: two uploads of the same photo at the same
// moment, one refused in its transaction (a case someone else holds), the other stored. The
// refused one removes the blobs it saved when no image uses them; it must not remove them while
// the other upload, which found them saved, is about to commit its image: that image would point
// at nothing. The stored upload holds the blobs until it commits, and the removal waits for it.
func TestAFailedUploadKeepsTheBlobsAnotherIsStoring(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	svc := app.Server.CustomerService()
	holder, other := app.CreateUser(t, "reviewer"), app.CreateUser(t, "reviewer")
	held, err := svc.Create(ctx, customers.Origin{Actor: audit.System, Via: "test"}, customers.Input{Surname: "Held", ExternalRef: "blob-held"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Pool.Exec(ctx, "UPDATE cases SET assignee_id = $1, status = 'in_review' WHERE id = $2", holder.ID, held.Case.ID); err != nil {
		t.Fatal(err)
	}
	free, err := svc.Create(ctx, customers.Origin{Actor: audit.System, Via: "test"}, customers.Input{Surname: "Free", ExternalRef: "blob-free"})
	if err != nil {
		t.Fatal(err)
	}
	photo := specimen.Generate(61, specimen.Options{DocumentType: specimen.Passport})
	doc := customers.DocumentInput{Type: "passport", IssuingCountry: "UTO", Number: photo.DocumentNumber}
	files := func() []customers.File { return []customers.File{{Kind: "front", Name: "page.jpg", Data: photo.Front}} }

	// The stored upload stops before it commits (its audit row waits at the gate).
	gate := app.HoldAuditGate(t)
	stored := make(chan error, 1)
	go func() {
		_, err := svc.AddDocumentToCase(ctx, customers.Origin{Actor: audit.System, Via: "api:test"}, free.Customer.ID, doc, files(), nil)
		stored <- err
	}()
	gate.Await(t, 1)
	// The refused upload: the same photo, to the case the other reviewer holds.
	refused := make(chan error, 1)
	go func() {
		_, err := svc.AddDocumentToCase(ctx, customers.Origin{Actor: audit.Actor{UserID: &other.ID, Label: other.Email}, UserID: &other.ID, Via: "browser"},
			held.Customer.ID, doc, files(), nil)
		refused <- err
	}()
	// It is refused, and its clean-up waits for the stored upload (or, wrongly, is done at once).
	deadline := time.Now().Add(15 * time.Second)
	for waiting := false; !waiting; {
		select {
		case err := <-refused:
			refused <- err
			waiting = true
		default:
			// The stored upload waits at the gate; the refused one, when it waits, for the blobs.
			var n int
			if err := app.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			waiting = n > 1
			if time.Now().After(deadline) {
				t.Fatal("the refused upload neither ended nor waited")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	gate.Open(t)
	if err := <-stored; err != nil {
		t.Fatalf("the stored upload: %v", err)
	}
	if err := <-refused; apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("the refused upload: %v", err)
	}
	var sha string
	if err := app.Pool.QueryRow(ctx, "SELECT sha256 FROM images WHERE customer_id = $1", free.Customer.ID).Scan(&sha); err != nil {
		t.Fatal(err)
	}
	key, _ := images.OriginalKey(sha)
	r, _, err := svc.Store.Open(ctx, key)
	if errors.Is(err, images.ErrNotFound) {
		t.Fatal("the stored image's blob was deleted by the refused upload's clean-up")
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Close()
}
