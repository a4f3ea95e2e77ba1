package cases

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
	"kycdesk/web"
)

// vendorLabel is a vendor's name as pages show it, from the vendor code an audit row holds.
func vendorLabel(code string) string { return vendorsettings.Label(vendors.Name(code)) }

// viaWords says how a document came, as a parenthesis after the words that say it arrived.
func viaWords(via string) string {
	switch {
	case via == "browser":
		return " (uploaded by staff)"
	case strings.HasPrefix(via, "api:"):
		return " (sent through the intake API)"
	}
	return ""
}

// Reference is the page an audit event on a case's timeline points to, nil for most: a case
// opened by a document after the customer's earlier case was decided links to that case.
func Reference(e db.AuditEvent) *web.Link {
	id, ok := EarlierCase(e)
	if !ok {
		return nil
	}
	return &web.Link{Href: "/cases/" + id.String(), Text: "open the earlier case"}
}

// EarlierCase is, for the opening of a case by a document that arrived after the customer's
// earlier case was decided, that earlier case.
func EarlierCase(e db.AuditEvent) (uuid.UUID, bool) {
	if e.Action != "case.create" {
		return uuid.Nil, false
	}
	var after struct {
		ReopenedAfter string `json:"reopened_after"`
	}
	_ = json.Unmarshal(e.After, &after)
	id, err := uuid.Parse(after.ReopenedAfter)
	return id, err == nil
}

// customerFields are the customer's data an edit's audit row holds before and after, as the
// customer's form names them. Only these are shown: whatever else a row holds (ids, the external
// reference, which an edit keeps) is never said.
var customerFields = []struct{ key, label string }{
	{"given_names", "given names"}, {"surname", "surname"}, {"date_of_birth", "date of birth"},
	{"nationality", "nationality"}, {"residence_country", "country of residence"}, {"email", "email"},
	{"phone", "phone"}, {"address", "address"},
}

// customerChanges says what an edit of the customer's data changed, from its audit row's before
// and after: ": surname “Nguyen” → “Nguyễn”; email (none) → “a@example.com”", " (nothing
// changed)" (rows written before a save that changes nothing stopped writing one), or nothing
// for a row without both.
func customerChanges(e db.AuditEvent) string {
	var before, after map[string]any
	if json.Unmarshal(e.Before, &before) != nil || json.Unmarshal(e.After, &after) != nil || before == nil || after == nil {
		return ""
	}
	text := func(v any) string {
		if s, ok := v.(string); ok || v == nil {
			return s
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	quoted := func(s string) string {
		// On one line: the timeline and the report's trail show each event on one. A line break
		// (an address's) shows as ⏎, so that a break changed to a space is seen to change.
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if l = strings.Join(strings.Fields(l), " "); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) == 0 {
			return "(none)"
		}
		return "“" + strings.Join(lines, " ⏎ ") + "”"
	}
	var changes []string
	for _, f := range customerFields {
		if was, now := text(before[f.key]), text(after[f.key]); was != now {
			changes = append(changes, f.label+" "+quoted(was)+" → "+quoted(now))
		}
	}
	if len(changes) == 0 {
		return " (nothing changed)"
	}
	return ": " + strings.Join(changes, "; ")
}

// Describe says what an audit event on a case's timeline did, in words.
func Describe(e db.AuditEvent) string {
	var after map[string]any
	_ = json.Unmarshal(e.After, &after)
	str := func(k string) string {
		s, _ := after[k].(string)
		return s
	}
	switch e.Action {
	case "case.create":
		if str("document_id") == "" {
			return "opened the case"
		}
		// Opened by a document that arrived while the customer had no open case.
		d := "opened the case: a document arrived" + viaWords(str("via"))
		if str("reopened_after") == "" {
			return d + " while the customer had no open case"
		}
		decided := "decided"
		if st := str("reopened_after_status"); st != "" {
			decided = strings.ToLower(Label(Status(st)))
		}
		return d + " after the customer's earlier case was " + decided
	case "customer.create":
		return "created the customer (" + str("via") + ")"
	case "customer.update":
		return "edited the customer's data" + customerChanges(e)
	case "case.claim":
		if str("via") == "next case" {
			return "claimed the case (next case)"
		}
		return "claimed the case"
	case "case.release":
		switch str("reason") {
		case "assignee disabled":
			return "released the case: " + str("released_from") + ", who held it, was disabled"
		case "assignee's role changed":
			return "released the case: " + str("released_from") + ", who held it, was given the " + str("role") +
				" role, which does not work cases"
		}
		return "released the case"
	case "case.backdate":
		// Only the demo seed writes it: its cases are opened back in time so that ages show.
		d := "set the case's opening back"
		if h, ok := after["hours"].(float64); ok {
			d += " " + strconv.FormatFloat(h, 'f', -1, 64) + " h"
		}
		if risk, _ := after["risk_flag"].(bool); risk {
			d += " and flagged it as a risk"
		}
		return d + " (" + str("via") + ")"
	case "case.assign":
		return assignWords(e, after)
	case "case.note":
		return "added a note"
	case "document.add":
		return "added a document"
	case "document.images_added":
		// Images sent for a document the case had already (declared with the customer): they
		// joined it rather than making a second one.
		d := "sent images of a document the case already had"
		var before map[string]any
		_ = json.Unmarshal(e.Before, &before)
		var filled []string
		for _, k := range []string{"issue_date", "expiry_date"} {
			if was, _ := before[k].(string); was == "" && str(k) != "" {
				filled = append(filled, strings.ReplaceAll(k, "_", " ")+" "+str(k))
			}
		}
		if len(filled) > 0 {
			d += ", and its " + strings.Join(filled, " and ")
		}
		return d + viaWords(str("via"))
	case "image.upload":
		return "uploaded the " + str("kind") + " image " + str("file_name")
	case "image.view":
		// Which document's, when the timeline read it: a case may have several.
		d := "viewed the " + str("kind") + " image"
		if doc := str("document"); doc != "" {
			if str("kind") == "selfie" {
				d += " sent with the " + doc
			} else {
				d += " of the " + doc
			}
		}
		return d + " (" + str("variant") + ")"
	case "case.document_arrived":
		return "moved the case from " + strings.ToLower(Label(Status(str("from")))) + " to " + strings.ToLower(Label(Status(str("to")))) +
			": a document arrived while it awaited the customer's resubmission" + viaWords(str("via"))
	case "case.transition":
		return "moved the case from " + str("from") + " to " + str("to")
	case "case.decide":
		d := "decided: " + strings.ReplaceAll(str("outcome"), "_", " ") + " (" + str("reason") + ")"
		if r := str("four_eyes"); r != "" {
			d += ", sent to a second review"
		}
		if v, released := after["assignee_id"]; released && v == nil {
			switch str("status") {
			case string(Escalated):
				d += "; the case went back to the queue, unassigned, for someone else to take"
			case string(AwaitingResubmission):
				d += "; the case went back to the queue, unassigned, until the customer sends new documents"
			}
		}
		return d
	case "case.second_review":
		if str("result") == "confirmed" {
			return "confirmed the decision (second review)"
		}
		if back, _ := after["maker_disabled"].(bool); back {
			return "sent the decision back (second review): its maker is disabled, so the case went back to the queue"
		}
		if back, _ := after["maker_to_queue"].(bool); back {
			return "sent the decision back (second review): its maker no longer works cases, so the case went back to the queue"
		}
		return "sent the decision back (second review)"
	case "document.decide":
		return "decided on a document: " + strings.ReplaceAll(str("outcome"), "_", " ")
	case "check.request":
		return "requested a check by " + vendorLabel(str("vendor"))
	case "check.done":
		return vendorLabel(str("vendor")) + " check finished: " + str("outcome")
	case "check.refused":
		return vendorLabel(str("vendor")) + " refused the document: " + str("reason")
	case "check.failed":
		return vendorLabel(str("vendor")) + " check did not finish: " + str("reason")
	case "liveness.verdict":
		return "recorded a liveness verdict"
	case "liveness.delivered":
		return "liveness verdict delivered to Artemis"
	case "liveness.failed":
		return "liveness verdict not delivered: " + str("reason")
	case "liveness.retry":
		return "asked to push the liveness verdict again"
	case "artemis.callback":
		d := "Cynopsis Artemis reported the customer's screening status"
		if st := str("status"); st != "" {
			d += " " + st
		} else {
			d += " (none given)"
		}
		var more []string
		if v := str("risk_rating"); v != "" {
			more = append(more, "risk rating "+v)
		}
		if v := str("action"); v != "" {
			more = append(more, "action "+v)
		}
		if len(more) > 0 {
			d += " (" + strings.Join(more, "; ") + ")"
		}
		return d
	case "liveness.superseded":
		return "an older liveness verdict was superseded and will not be sent"
	case "report.generate":
		d := "downloaded the case report (PDF"
		if str("via") == "zip" {
			d += ", in a ZIP of several cases"
		}
		if sha := str("sha256"); len(sha) >= 12 {
			d += ", SHA-256 " + sha[:12] + "…"
		}
		return d + ")"
	}
	return e.Action
}

// assignWords says an assignment: "assigned the case to B", or "reassigned the case from A to B"
// when someone held it before. The timeline names people by name; rows recorded before the names
// were kept have the assignee's email, and before that held only the previous holder's id (the
// timeline's read fills in their name where it can: TimelineRow).
func assignWords(e db.AuditEvent, after map[string]any) string {
	var before map[string]any
	_ = json.Unmarshal(e.Before, &before)
	who := func(m map[string]any) string {
		for _, k := range []string{"assignee_name", "assignee"} {
			if s, _ := m[k].(string); s != "" {
				return s
			}
		}
		return ""
	}
	to := who(after)
	prevID, _ := before["assignee_id"].(string)
	switch from := who(before); {
	case prevID == "":
		return "assigned the case to " + to
	case prevID == after["assignee_id"]:
		// Only rows from before such an assignment was refused.
		return "assigned the case to " + to + ", who already held it"
	case from == "":
		return "reassigned the case to " + to + " from its previous holder"
	default:
		return "reassigned the case from " + from + " to " + to
	}
}
