-- +goose Up
-- A vendor's refusal of the document (too blurry, cropped, not recognised, no face) is a negative
-- result, stored as a finished check that failed (error_kind 'refused'), not as a check that did
-- not finish.

-- Refusals recorded before kycdesk told them from failures to get a result (state 'failed', kind
-- 'business'): every Apptenticate refusal, OOTO's but for codes 1 to 4 (the request, not the
-- images), Argos' 1011 and 1012 (the document not recognised). Argos' failure callbacks without a
-- documented code, which kycdesk now also reads as refusals, are left as they were: the row does
-- not tell them from its other failures.
UPDATE checks SET state = 'done', outcome = 'fail', error_kind = 'refused'
WHERE state = 'failed' AND error_kind = 'business' AND kind <> 'record'
  AND (vendor = 'apptenticate'
       OR (vendor = 'ooto' AND code !~ '^\s*[1-4](\.0+)?\s*$')
       OR (vendor = 'argos' AND code IN ('1011', '1012')));

-- The open cases whose outcome a converted refusal now decides: a failure is the worst outcome, so
-- a case whose latest finished check of some document and vendor is one is failed.
UPDATE cases SET vendor_outcome = 'fail'
WHERE status NOT IN ('approved', 'rejected') AND vendor_outcome <> 'fail'
  AND id IN (SELECT l.case_id FROM (
        SELECT DISTINCT ON (k.case_id, k.document_id, k.vendor) k.case_id, k.outcome FROM checks k
        WHERE k.state IN ('done', 'failed') AND k.kind <> 'record'
        ORDER BY k.case_id, k.document_id, k.vendor, k.finished_at DESC) l
      WHERE l.outcome = 'fail');

-- +goose Down
UPDATE checks SET state = 'failed', outcome = NULL, error_kind = 'business' WHERE error_kind = 'refused';
-- The open cases' outcomes as kycdesk computed them before: the worst of the latest finished check
-- per document and vendor, a check that did not finish counting as "needs review".
UPDATE cases c SET vendor_outcome = coalesce((
        SELECT CASE WHEN bool_or(s.outcome = 'fail') THEN 'fail'
                    WHEN bool_or(s.outcome = 'review' OR s.state = 'failed') THEN 'review'
                    WHEN bool_or(s.outcome = 'pass') THEN 'pass' END
        FROM (SELECT DISTINCT ON (document_id, vendor) outcome, state FROM checks
              WHERE case_id = c.id AND state IN ('done', 'failed') AND kind <> 'record'
              ORDER BY document_id, vendor, finished_at DESC) s), 'none')
WHERE c.status NOT IN ('approved', 'rejected');
