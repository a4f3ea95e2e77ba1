package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kycdesk/internal/audit"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/specimen"
)

// demoCase is one demo customer: the specimen it is drawn from and where its case stands.
type demoCase struct {
	seed     uint64
	opts     specimen.Options
	ageHours int
	status   db.CaseStatus // new or in_review (assigned to the second reviewer)
	risk     bool
}

var demoCases = []demoCase{
	{seed: 1001, opts: specimen.Options{Scenario: specimen.ArgosMisreadsExpiry}, ageHours: 30},
	{seed: 1002, opts: specimen.Options{Scenario: specimen.Clean}, ageHours: 2},
	{seed: 1003, opts: specimen.Options{Scenario: specimen.TamperedMRZ}, ageHours: 50, risk: true},
	{seed: 1004, opts: specimen.Options{Scenario: specimen.FaceMismatch}, ageHours: 5, risk: true},
	{seed: 1005, opts: specimen.Options{DocumentType: specimen.NationalID, Scenario: specimen.Clean}, ageHours: 12},
	{seed: 1006, opts: specimen.Options{Scenario: specimen.ExpiredDocument}, ageHours: 26},
	{seed: 1007, opts: specimen.Options{Scenario: specimen.CynopsisMisreadsSurname}, ageHours: 8},
	{seed: 1008, opts: specimen.Options{Scenario: specimen.ApptenticateBlurry}, ageHours: 3},
	{seed: 1009, opts: specimen.Options{DocumentType: specimen.NationalID, Scenario: specimen.ArgosProcessingError}, ageHours: 1},
	{seed: 1010, opts: specimen.Options{Scenario: specimen.Clean}, ageHours: 20, status: db.CaseStatusInReview},
	{seed: 1011, opts: specimen.Options{DocumentType: specimen.NationalID, Scenario: specimen.Clean}, ageHours: 72, status: db.CaseStatusInReview},
	{seed: 1012, opts: specimen.Options{Scenario: specimen.Clean, UnderAge: true}, ageHours: 4, risk: true},
}

// EnsureCases creates the demo customers, each with a synthetic specimen document (front, back for
// ID cards, selfie) and an open case, unless they exist already. The specimens are invented
// people; each asks the vendor simulator to play a scenario (a misread, a tampered MRZ, a face
// mismatch …), so every feature has something to show. The cases that start in review go to
// assignee (an email; none when empty or unknown).
//
// Each case's opening is set back by its age so that the queue's ages and SLA marks mean
// something. Its timeline is the audit log, which cannot be dated back (rows are stamped by the
// database, append-only, and times follow ids), so the events keep the time they were seeded, in
// their true order, after the case's opening; the setting back is itself an event on the timeline,
// and the case's last activity is its newest event.
func EnsureCases(ctx context.Context, svc *customers.Service, assignee string) (int, error) {
	q := db.New(svc.Pool)
	created := 0
	origin := customers.Origin{Actor: audit.System, Via: "demo seed"}
	var reviewer *db.User
	if assignee != "" {
		if u, err := q.GetUserByEmail(ctx, assignee); err == nil {
			reviewer = &u
		}
	}
	for _, d := range demoCases {
		ref := fmt.Sprintf("demo-%d", d.seed)
		if _, err := q.GetCustomerByExternalRef(ctx, &ref); err == nil {
			continue
		} else if !db.IsNotFound(err) {
			return created, err
		}
		sp := specimen.Generate(d.seed, d.opts)
		docType := "passport"
		if sp.DocumentType == specimen.NationalID {
			docType = "national_id"
		}
		doc := customers.DocumentInput{Type: docType, IssuingCountry: sp.IssuingCountry, Number: sp.DocumentNumber,
			IssueDate: sp.IssueDate.Format("2006-01-02"), ExpiryDate: sp.ExpiryDate.Format("2006-01-02")}
		out, err := svc.Create(ctx, origin, customers.Input{ExternalRef: ref, GivenNames: title(sp.GivenNames), Surname: title(sp.Surname),
			DateOfBirth: sp.DateOfBirth.Format("2006-01-02"), Nationality: sp.Nationality, ResidenceCountry: sp.Nationality,
			Email: strings.ToLower(strings.ReplaceAll(ascii(sp.GivenNames), " ", ".")) + "@example.com", Address: sp.Address})
		if err != nil {
			return created, fmt.Errorf("demo customer %s: %w", ref, err)
		}
		files := []customers.File{{Kind: "front", Name: "front.jpg", Data: sp.Front}, {Kind: "selfie", Name: "selfie.jpg", Data: sp.Selfie}}
		if sp.Back != nil {
			files = append(files, customers.File{Kind: "back", Name: "back.jpg", Data: sp.Back})
		}
		// The assignment and the case's dates land with the document, or not at all.
		shape := func(q *db.Queries, _ pgx.Tx, _ db.Document, _ []db.Image) error {
			return shapeCase(ctx, q, out.Case.ID, d, reviewer)
		}
		if _, _, err := svc.AddDocumentThen(ctx, origin, out.Customer.ID, doc, files, shape); err != nil {
			return created, fmt.Errorf("demo document %s: %w", ref, err)
		}
		created++
	}
	return created, nil
}

// shapeCase gives a new demo case its assignee (for those that start in review), sets its opening
// back by its age and its risk flag, each with its audit row, then its last activity to its newest
// event. It runs in the transaction that added the case's document, so it may run more than once.
func shapeCase(ctx context.Context, q *db.Queries, id uuid.UUID, d demoCase, reviewer *db.User) error {
	if d.status == db.CaseStatusInReview && reviewer != nil {
		before, err := q.GetCase(ctx, id)
		if err != nil {
			return err
		}
		c, err := q.AssignCase(ctx, db.AssignCaseParams{ID: id, AssigneeID: &reviewer.ID})
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, q, audit.Event{Actor: audit.System, Action: "case.assign", SubjectType: "case", SubjectID: id.String(),
			CaseID: &id, Before: map[string]any{"status": before.Status, "assignee_id": before.AssigneeID},
			After: map[string]any{"status": c.Status, "assignee_id": c.AssigneeID, "assignee": reviewer.Email, "via": "demo seed"}}); err != nil {
			return err
		}
	}
	before, err := q.GetCase(ctx, id)
	if err != nil {
		return err
	}
	back := time.Duration(d.ageHours) * time.Hour
	c, err := q.BackdateDemoCase(ctx, db.BackdateDemoCaseParams{ID: id, CreatedAt: before.CreatedAt.Add(-back), RiskFlag: d.risk})
	if err != nil {
		return err
	}
	if err := audit.Record(ctx, q, audit.Event{Actor: audit.System, Action: "case.backdate", SubjectType: "case", SubjectID: id.String(),
		CaseID: &id, Before: map[string]any{"created_at": before.CreatedAt, "risk_flag": before.RiskFlag},
		After: map[string]any{"created_at": c.CreatedAt, "hours": d.ageHours, "risk_flag": c.RiskFlag, "via": "demo seed"}}); err != nil {
		return err
	}
	_, err = q.SyncCaseLastActivity(ctx, id)
	return err
}

// title writes a printed name ("ERIKSSON") the way a person types it ("Eriksson").
func title(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		r := []rune(w)
		r[0] = []rune(strings.ToUpper(string(r[0])))[0]
		words[i] = string(r)
	}
	return strings.Join(words, " ")
}

func ascii(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r == ' ' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
