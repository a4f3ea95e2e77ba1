package reports

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/decisions"
	"kycdesk/internal/normalize"
)

// ExportFilter is which cases a case-list export writes: the queue's view (the same URL
// parameters as /cases), over the tab's status or, with status=all, over every status.
type ExportFilter struct {
	cases.Filter
	// AllStatuses exports every status, tab after tab in the queue's order.
	AllStatuses bool
}

// ParseExportFilter reads an export's filter from the URL, as the queue reads its view; "status=all"
// means every status.
func ParseExportFilter(v url.Values, me uuid.UUID) (ExportFilter, map[string]string) {
	all := v.Get("status") == "all"
	if all {
		v = cloneValues(v)
		v.Del("status")
	}
	f, errs := cases.ParseFilter(v, me)
	f.After, f.Before = "", "" // an export starts at the beginning, whatever page the queue showed
	return ExportFilter{Filter: f, AllStatuses: all}, errs
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vals := range v {
		out[k] = append([]string(nil), vals...)
	}
	return out
}

// Query is the filter as URL parameters, for export links and the audit log.
func (f ExportFilter) Query() url.Values {
	v := f.Filter.Query()
	if f.AllStatuses {
		v.Set("status", "all")
	}
	return v
}

// searchArg is the search as the queue matches it against cases.search_text.
func (f ExportFilter) searchArg() *string {
	k := normalize.SearchKey(f.Search)
	if k == "" {
		return nil
	}
	k = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(k)
	return &k
}

// Vendors are the vendors whose outcome has a column, in column order (the document checks; the
// Artemis record a liveness push creates is not a check of the document).
var Vendors = [4]struct{ Name, Label, Flag string }{
	{"cynopsis_ocr", "Cynopsis OCR", "vendor_negative:cynopsis_ocr"}, {"apptenticate", "Apptenticate", "vendor_negative:apptenticate"},
	{"argos", "Argos", "vendor_negative:argos"}, {"ooto", "OOTO", "vendor_negative:ooto"},
}

// Column is one column of the case-list export.
type Column struct {
	Name    string
	Meaning string
}

// Columns are the case-list export's columns, in order, with their meaning: the export writes
// them and its help page (/cases/export/columns) explains them from this one list.
var Columns = []Column{
	{"Case", "The case's id (its page is /cases/<id>)."},
	{"Status", "The case's status now."},
	{"Customer", "Surname, given names."},
	{"External reference", "The onboarding system's reference for the customer."},
	{"Nationality", "The case's nationality, as the queue shows it and its nationality filter matches it: the customer's while the case is open, and the one it was decided on once it is approved or rejected. ISO 3166-1 alpha-3, or a code ICAO 9303 adds for travel documents (XXA stateless, GBD British Overseas Territories Citizen …)."},
	{"Customer's nationality now", "The customer's nationality at the time of the export, as Nationality. It differs from Nationality only for an approved or rejected case whose customer's data was changed after the decision (in a later case of theirs)."},
	{"Document type", "The case's latest document (the customer's latest that arrived before any later case of theirs was opened): passport, national ID, driving licence, residence permit or other."},
	{"Document number", "As declared."},
	{"Document country", "Issuing country, as Nationality."},
	{"Document expiry", "YYYY-MM-DD."},
	{"Cynopsis OCR", "The vendor's latest check on the case: pass, review or fail; error when the check could not run; queued, running or retrying while it runs; empty when never run. A vendor code follows in brackets."},
	{"Apptenticate", "As for Cynopsis OCR."},
	{"Argos", "As for Cynopsis OCR."},
	{"OOTO", "As for Cynopsis OCR (face match and liveness)."},
	{"Vendor outcome", "The worst of the vendors' latest outcomes: fail (a refusal of the document included), review (a check asks for a look or did not finish), pass (every expected check passed: each vendor of the document type's default set and any other asked for), partial (those that finished passed, others have not run or not finished), or none."},
	{"Flags", "Separated by \"; \": risk (the case's risk flag), expired_document, under_age, vendor_negative:<vendor>, and the flags recorded with the latest decision: mismatch:<field>, mrz_failure, vendor_refused:<vendor> (the vendor refused the document; said instead of vendor_negative:<vendor>), vendor_unfinished:<vendor> (its check did not finish), checks_missing:<vendor>,<vendor> (expected checks that did not run or had not finished), document_rejected:<document>, new_image_requested:<side>:<document>, liveness_fail:<document> …; and late_document:<document> for each document that arrived (through the intake API) after the latest decision was made, while it waited for its second review: the maker did not see it."},
	{"Decision", "The latest case decision: approve, reject, request resubmission or escalate."},
	{"Reason", "The decision's reason, from the list admins keep."},
	{"Comment", "The decision's comment."},
	{"Decided by", "Who made the decision."},
	{"Decided at (UTC)", "When the latest decision was made (YYYY-MM-DD HH:MM:SS, UTC, as every time of the export); under four-eyes, the maker's time."},
	{"Second review", "Four-eyes: pending, confirmed or returned; empty when no second review applied."},
	{"Second reviewer", "Who confirmed or returned the decision."},
	{"Second reviewed at (UTC)", "When the second reviewer confirmed or returned the decision."},
	{"Liveness verdict", "The latest manual liveness verdict on the case: live or not live, with the liveness confidence."},
	{"Liveness delivery", "Its push to Cynopsis Artemis: pending, retrying, delivered, failed or superseded."},
	{"Assignee", "Who the case is assigned to now."},
	{"Created at (UTC)", "When the case was opened."},
	{"Case decided at (UTC)", "When the case was approved or rejected (after the second review when there is one); empty while it is not."},
	{"Time to decision (hours)", "Hours from opening the case to its approval or rejection; empty while it is not decided."},
	{"Age (hours)", "Hours since the case was opened, at the time of the export (as the queue's age); for an approved or rejected case, its time to decision: the age stops when the case is decided."},
	{"Past SLA", "yes when the case took longer than the SLA (KYCDESK_SLA_HOURS): an open case older than the SLA, or a case decided after it."},
}

// Header is the export's header row.
func Header() []string {
	out := make([]string, len(Columns))
	for i, c := range Columns {
		out[i] = c.Name
	}
	return out
}

// decisionLabels are the case outcomes in the words the export uses.
var decisionLabels = func() map[string]string {
	m := map[string]string{}
	for _, o := range decisions.Outcomes {
		m[o.Value] = strings.ToLower(o.Label)
	}
	return m
}()

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// count returns how many cases f matches (for the progress of a download).
func count(ctx context.Context, q *db.Queries, f ExportFilter) (int64, error) {
	var status *cases.Status
	if !f.AllStatuses {
		status = &f.Status
	}
	n, err := q.CountExportCases(ctx, db.CountExportCasesParams{Status: status, AssigneeID: f.AssigneeID, Unassigned: f.Unassigned,
		VendorOutcome: f.VendorOutcome, RiskFlag: f.Risk, Nationality: f.Nationality, CreatedFrom: f.CreatedFrom,
		CreatedTo: f.CreatedTo, Search: f.searchArg()})
	if err != nil {
		return 0, fmt.Errorf("export: count: %w", err)
	}
	return n, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
