-- +goose Up
-- The status a case had when a decision on it was made: a decision sent back by its second review
-- puts the case back where it was (in review, awaiting resubmission, escalated), not always in
-- review. The decisions made before are given theirs from their audit rows (case.decide holds the
-- status before and the decision's id); one without an audit row keeps NULL and goes back in review.
ALTER TABLE case_decisions ADD COLUMN status_before case_status;

UPDATE case_decisions d SET status_before = (a.before->>'status')::case_status
FROM audit_events a
WHERE a.action = 'case.decide' AND a.after->>'decision_id' = d.id::text AND a.before ? 'status';

-- +goose Down
ALTER TABLE case_decisions DROP COLUMN status_before;
