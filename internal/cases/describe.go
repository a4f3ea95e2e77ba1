package cases

import (
	"encoding/json"

	"kycdesk/internal/db"
)

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
		return "opened the case"
	case "customer.create":
		return "created the customer (" + str("via") + ")"
	case "customer.update":
		return "edited the customer's data"
	case "case.claim":
		if str("via") == "next case" {
			return "claimed the case (next case)"
		}
		return "claimed the case"
	case "case.release":
		return "released the case"
	case "case.assign":
		return "assigned the case to " + str("assignee")
	case "case.note":
		return "added a note"
	case "document.add":
		return "added a document"
	case "image.upload":
		return "uploaded the " + str("kind") + " image " + str("file_name")
	case "image.view":
		return "viewed the " + str("kind") + " image (" + str("variant") + ")"
	case "case.transition":
		return "moved the case from " + str("from") + " to " + str("to")
	}
	return e.Action
}
