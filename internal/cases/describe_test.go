package cases_test

import (
	"encoding/json"
	"testing"

	"kycdesk/internal/cases"
	"kycdesk/internal/db"
)

// TestDescribeCustomerEdit: an edit of the customer's data says what changed, field by field,
// from its audit row's before and after, and nothing the row holds besides the customer's data.
func TestDescribeCustomerEdit(t *testing.T) {
	row := func(before, after map[string]any) db.AuditEvent {
		e := db.AuditEvent{Action: "customer.update"}
		if before != nil {
			e.Before, _ = json.Marshal(before)
		}
		if after != nil {
			e.After, _ = json.Marshal(after)
		}
		return e
	}
	was := map[string]any{"id": "8d2a", "external_ref": "ref-1", "given_names": "Thi Minh", "surname": "Nguyen",
		"date_of_birth": "1990-01-02", "nationality": "VNM", "residence_country": "VNM", "email": "", "phone": "+84 1",
		"address": "12 Dang Tran Con\nHa Noi"}
	now := map[string]any{}
	for k, v := range was {
		now[k] = v
	}
	now["given_names"], now["surname"], now["email"], now["phone"], now["address"] = "Thị Minh", "Nguyễn", "thi@example.com", "", "12 Đặng Trần Côn\nHà Nội"
	// Neither an id, the external reference nor anything else the row may hold is said.
	now["id"], now["external_ref"], now["secret"] = "other", "ref-2", "s3cr3t"
	for _, tc := range []struct {
		name string
		e    db.AuditEvent
		want string
	}{
		{"changes", row(was, now), "edited the customer's data: given names “Thi Minh” → “Thị Minh”; surname “Nguyen” → “Nguyễn”; " +
			"email (none) → “thi@example.com”; phone “+84 1” → (none); address “12 Dang Tran Con ⏎ Ha Noi” → “12 Đặng Trần Côn ⏎ Hà Nội”"},
		{"a line break made a space", row(map[string]any{"address": "1 Test Street\nLondon SW1A 1AA"}, map[string]any{"address": "1 Test Street London SW1A 1AA"}),
			"edited the customer's data: address “1 Test Street ⏎ London SW1A 1AA” → “1 Test Street London SW1A 1AA”"},
		{"nothing", row(was, was), "edited the customer's data (nothing changed)"},
		{"no before", row(nil, now), "edited the customer's data"},
		{"a date removed", row(map[string]any{"date_of_birth": "1990-01-02"}, map[string]any{"date_of_birth": ""}),
			"edited the customer's data: date of birth “1990-01-02” → (none)"},
	} {
		if got := cases.Describe(tc.e); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
