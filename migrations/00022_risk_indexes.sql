-- +goose Up
-- The queue's risk flag filter ("risk=yes"), alone or with a vendor outcome, read in the page's
-- order from the flagged cases alone (a minority of each tab), so its statement can keep one plan
-- whatever the tab: without them a kept plan walks the whole tab (or outcome) in order, and a tab
-- with few flagged cases is read to its end.
CREATE INDEX cases_risk_idx ON cases (status, created_at, id) WHERE risk_flag;
CREATE INDEX cases_risk_outcome_idx ON cases (status, vendor_outcome, created_at, id) WHERE risk_flag;

-- +goose Down
DROP INDEX cases_risk_outcome_idx;
DROP INDEX cases_risk_idx;
