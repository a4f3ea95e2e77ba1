package cases_test

import (
	"testing"
	"time"

	"kycdesk/internal/cases"
)

// TestTiming: an open case's age runs on and is overdue past the SLA; a decided case's stopped at
// its decision and was late when that came after the SLA (as the exports' "Age (hours)" and
// "Past SLA" have it).
func TestTiming(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	created := now.Add(-50 * time.Hour)
	at := func(h int) *time.Time { d := created.Add(time.Duration(h) * time.Hour); return &d }
	for _, c := range []struct {
		status        cases.Status
		decided       *time.Time
		age           string
		overdue, late bool
	}{
		{cases.New, nil, "2 d 2 h", true, false},
		{cases.PendingSecondReview, nil, "2 d 2 h", true, false},
		{cases.Approved, at(26), "26 h", false, true},
		{cases.Rejected, at(10), "10 h", false, false},
		{cases.Approved, nil, "2 d 2 h", false, false}, // a decision time not known
	} {
		age, overdue, late := cases.Timing(c.status, created, c.decided, now, 24*time.Hour)
		if age != c.age || overdue != c.overdue || late != c.late {
			t.Errorf("%s decided %v: %q overdue %t late %t, want %q %t %t", c.status, c.decided, age, overdue, late, c.age, c.overdue, c.late)
		}
	}
}
