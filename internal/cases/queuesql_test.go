package cases_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The queue's statements repeat one block of optional filters (queries/queue.sql): the page read
// forwards and backwards in both orders, the matches in other tabs, and "Next case". A filter
// added to, or changed in, one of them and not the others would page, count or claim over
// another view than the one shown; this keeps them the same.
func TestQueueStatementsShareTheirFilters(t *testing.T) {
	b, err := os.ReadFile("../../queries/queue.sql")
	if err != nil {
		t.Fatal(err)
	}
	filter := regexp.MustCompile(`^\s*AND \((sqlc\.narg\(|NOT @)`)
	statements := map[string][]string{}
	var name string
	for _, line := range strings.Split(string(b), "\n") {
		if n, ok := strings.CutPrefix(line, "-- name: "); ok {
			name = strings.Fields(n)[0]
			continue
		}
		if name != "" && filter.MatchString(line) {
			// The table's alias differs between statements (q, c): the filter is what follows it.
			l := regexp.MustCompile(`\b[qc]\.`).ReplaceAllString(strings.TrimSpace(line), "x.")
			statements[name] = append(statements[name], l)
		}
	}
	want := statements["ListQueueByAge"]
	if len(want) < 9 {
		t.Fatalf("ListQueueByAge has %d optional filters: the test no longer reads the file right", len(want))
	}
	for _, s := range []string{"ListQueueByActivity", "ListQueueByAgeBefore", "ListQueueByActivityBefore", "QueueMatchesByStatus"} {
		// The cursor is the only filter they do not share (ListQueueByActivity's goes the other way).
		got := withoutCursor(statements[s])
		if !slices.Equal(got, withoutCursor(want)) {
			t.Errorf("%s's filters differ from ListQueueByAge's:\n%s\nwant\n%s", s, strings.Join(got, "\n"), strings.Join(withoutCursor(want), "\n"))
		}
	}
	// "Next case" claims an unassigned case: its view's filters but the assignee's.
	claim := slices.DeleteFunc(withoutCursor(want), func(l string) bool { return strings.Contains(l, "assignee") || strings.Contains(l, "unassigned") })
	if got := statements["ClaimNextCase"]; !slices.Equal(got, claim) {
		t.Errorf("ClaimNextCase's filters differ from the view's:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(claim, "\n"))
	}
}

func withoutCursor(lines []string) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return strings.Contains(l, "after_at") })
}
