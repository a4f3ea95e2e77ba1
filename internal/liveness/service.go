// Package liveness records reviewers' manual liveness verdicts and delivers each to Cynopsis
// Artemis (PUT /api/customer/{customerId}/document/{documentId}/liveness) as a durable job.
//
// A verdict is stored at once, in the same transaction as its pending delivery, its audit row and
// its job, so a verdict is never recorded without the job that sends it. Verdicts are append-only:
// a correction is a new verdict that names the one it supersedes. The job creates the customer's
// and the document's Artemis records first when they are missing (each id stored as soon as it is
// obtained, so a crash in between creates nothing twice), then sends the verdict; network errors,
// timeouts, 429 and 5xx are retried with backoff, a refusal (4xx) fails with the vendor's message
// in plain words, and a delivered verdict is never sent again.
package liveness

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
)

// Queue is the job queue liveness pushes run in: Artemis' own, shared with the Artemis checks.
const Queue = "vendor_" + string(vendors.Artemis)

// Args is the job that delivers one verdict.
type Args struct {
	VerdictID uuid.UUID `json:"verdict_id" river:"unique"`
}

// Kind names the job.
func (Args) Kind() string { return "liveness_push" }

// InsertOpts are the job's options: one live job per verdict.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Service records verdicts and asks for deliveries.
type Service struct {
	Pool  *pgxpool.Pool
	River *river.Client[pgx.Tx]
}

// sendable reports whether an image can be sent to Artemis: PDFs have no JPEG to send.
func sendable(im db.Image) bool { return im.HasThumb }

// Record stores a verdict by p on a document of a case, with its pending delivery, its audit row
// and its delivery job, in one transaction. Only the case's assignee may record one, on an open
// case. A bad form is an Invalid error with a message per field, and nothing is stored.
func (s *Service) Record(ctx context.Context, p *auth.Principal, caseID, documentID uuid.UUID, form map[string][]string) (db.LivenessVerdict, error) {
	var out db.LivenessVerdict
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, tx pgx.Tx) error {
		// Verdicts on one case take turns, so "the newest verdict" is well defined.
		if err := q.LockCase(ctx, caseID); err != nil {
			return err
		}
		c, doc, err := caseDocument(ctx, q, caseID, documentID)
		if err != nil {
			return err
		}
		if err := cases.RequireAssignee(c, p); err != nil {
			return err
		}
		if !cases.Open(c.Status) {
			return apperr.New(apperr.Conflict, "The case is decided: a liveness verdict can no longer be recorded on it.")
		}
		// A verdict is evidence the decision waiting for its second review was made on.
		if err := cases.RequireNotPending(c); err != nil {
			return err
		}
		imgs, err := q.ListCustomerImages(ctx, c.CustomerID)
		if err != nil {
			return err
		}
		allowed := map[uuid.UUID]bool{}
		for _, im := range imgs {
			if sendable(im) {
				allowed[im.ID] = true
			}
		}
		in, fields := ParseInput(form, allowed)
		if len(fields) > 0 {
			return apperr.Fields(fields)
		}
		latest, err := q.LatestLivenessVerdict(ctx, doc.ID)
		switch {
		case db.IsNotFound(err):
			if in.Supersedes != nil {
				return apperr.Field(FieldSupersedes, "The form names an earlier verdict that does not exist: reload the page.")
			}
		case err != nil:
			return err
		case in.Supersedes == nil || *in.Supersedes != latest.ID:
			return apperr.New(apperr.Conflict, "Another liveness verdict was recorded on this document meanwhile: look at it before recording a new one.")
		}
		out, err = q.InsertLivenessVerdict(ctx, db.InsertLivenessVerdictParams{CaseID: c.ID, DocumentID: doc.ID, RecordedBy: p.UserID,
			Conclusion: in.Conclusion, LivenessResult: in.LivenessResult, FacialCheck: in.FacialCheck,
			EyesClosed: in.EyesClosed.Value, EyesClosedConfidence: in.EyesClosed.Confidence,
			Sunglasses: in.Sunglasses.Value, SunglassesConfidence: in.Sunglasses.Confidence,
			FaceOccluded: in.FaceOccluded.Value, FaceOccludedConfidence: in.FaceOccluded.Confidence,
			LivenessConfidence: int32(in.LivenessConfidence), ReferenceImageID: in.ReferenceImage,
			AuditImageIds: append([]uuid.UUID{}, in.AuditImages...), Comment: in.Comment, Supersedes: in.Supersedes})
		if err != nil {
			return fmt.Errorf("store the verdict: %w", err)
		}
		if _, err := q.InsertLivenessDelivery(ctx, out.ID); err != nil {
			return fmt.Errorf("store the delivery: %w", err)
		}
		res, err := s.River.InsertTx(ctx, tx, Args{VerdictID: out.ID}, nil)
		if err != nil {
			return fmt.Errorf("enqueue the delivery: %w", err)
		}
		if err := q.SetLivenessDeliveryJob(ctx, db.SetLivenessDeliveryJobParams{VerdictID: out.ID, JobID: &res.Job.ID}); err != nil {
			return err
		}
		if err := q.TouchCase(ctx, c.ID); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "liveness.verdict", SubjectType: "liveness_verdict",
			SubjectID: out.ID.String(), CaseID: &c.ID, After: verdictAudit(out)})
	})
	return out, err
}

// verdictAudit is what the audit log keeps of a verdict: every field, images by id.
func verdictAudit(v db.LivenessVerdict) map[string]any {
	return map[string]any{
		"document_id": v.DocumentID, "conclusion": v.Conclusion, "liveness_result": v.LivenessResult, "facial_check": v.FacialCheck,
		"eyes_closed":         map[string]any{"value": v.EyesClosed, "confidence": v.EyesClosedConfidence},
		"sunglasses":          map[string]any{"value": v.Sunglasses, "confidence": v.SunglassesConfidence},
		"face_occluded":       map[string]any{"value": v.FaceOccluded, "confidence": v.FaceOccludedConfidence},
		"liveness_confidence": v.LivenessConfidence, "reference_image_id": v.ReferenceImageID, "audit_image_ids": v.AuditImageIds,
		"comment": v.Comment, "supersedes": v.Supersedes,
	}
}

// caseDocument returns the case and one of its customer's documents, or a not-found error.
func caseDocument(ctx context.Context, q *db.Queries, caseID, documentID uuid.UUID) (db.Case, db.Document, error) {
	c, err := cases.Get(ctx, q, caseID)
	if err != nil {
		return c, db.Document{}, err
	}
	doc, err := q.GetDocument(ctx, documentID)
	if db.IsNotFound(err) || (err == nil && doc.CustomerID != c.CustomerID) {
		return c, doc, apperr.New(apperr.NotFound, "No such document on this case.")
	}
	return c, doc, err
}

// Retry makes a delivery that has not succeeded run again now. With caseID set (the case page)
// only the case's assignee may; without (the managers' list) the route's permission suffices.
// The request is audited.
func (s *Service) Retry(ctx context.Context, p *auth.Principal, caseID *uuid.UUID, verdictID uuid.UUID) (db.LivenessVerdict, error) {
	var v db.LivenessVerdict
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, tx pgx.Tx) error {
		row, err := q.GetLivenessDelivery(ctx, verdictID)
		if db.IsNotFound(err) || (err == nil && caseID != nil && row.LivenessVerdict.CaseID != *caseID) {
			return apperr.New(apperr.NotFound, "No such liveness verdict on this case.")
		}
		if err != nil {
			return err
		}
		v = row.LivenessVerdict
		if err := q.LockCase(ctx, v.CaseID); err != nil {
			return err
		}
		if caseID != nil {
			c, err := cases.Get(ctx, q, v.CaseID)
			if err != nil {
				return err
			}
			if err := cases.RequireAssignee(c, p); err != nil {
				return err
			}
		}
		before := row.LivenessDelivery
		d, err := q.RequeueLivenessDelivery(ctx, verdictID)
		if db.IsNotFound(err) {
			return apperr.New(apperr.Conflict, "This verdict is %s: there is nothing to retry.", before.State)
		}
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, q, tx, d); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "liveness.retry", SubjectType: "liveness_verdict",
			SubjectID: verdictID.String(), CaseID: &v.CaseID,
			Before: map[string]any{"state": before.State, "attempts": before.Attempts, "last_error": before.LastError},
			After:  map[string]any{"state": d.State}})
	})
	return v, err
}

// enqueue makes the delivery's job available now: the same job when River still has it (a snoozed
// or finished job is made available again; a running one is left alone), else a new one.
func (s *Service) enqueue(ctx context.Context, q *db.Queries, tx pgx.Tx, d db.LivenessDelivery) error {
	if d.JobID != nil {
		_, err := s.River.JobRetryTx(ctx, tx, *d.JobID)
		if err == nil {
			return nil
		}
		if !errors.Is(err, rivertype.ErrNotFound) {
			return fmt.Errorf("retry the delivery job: %w", err)
		}
	}
	res, err := s.River.InsertTx(ctx, tx, Args{VerdictID: d.VerdictID}, nil)
	if err != nil {
		return fmt.Errorf("enqueue the delivery: %w", err)
	}
	return q.SetLivenessDeliveryJob(ctx, db.SetLivenessDeliveryJobParams{VerdictID: d.VerdictID, JobID: &res.Job.ID})
}
