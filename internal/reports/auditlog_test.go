package reports_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"kycdesk/internal/audit"
	"kycdesk/internal/db"
	"kycdesk/internal/reports"
	"kycdesk/internal/testenv"
)

// rechainBack moves every audit event two days back and rebuilds the chain over the changed rows
// (as a forger with the database would), so the log has a past to verify ranges against.
func rechainBack(t *testing.T, app *testenv.App) {
	t.Helper()
	exec(t, app, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
		UPDATE audit_events SET at = at - interval '2 days';
		DO $$ DECLARE r record; prev bytea := '\x'; BEGIN
			FOR r IN SELECT id FROM audit_events ORDER BY id LOOP
				UPDATE audit_events SET prev_hash = prev WHERE id = r.id;
				UPDATE audit_events e SET hash = audit_event_hash(e) WHERE e.id = r.id RETURNING e.hash INTO prev;
			END LOOP;
		END $$;
		ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`)
}

func tamper(t *testing.T, app *testenv.App, set string, id int64) {
	t.Helper()
	exec(t, app, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
		UPDATE audit_events SET `+set+` WHERE id = `+strconv.FormatInt(id, 10)+`;
		ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`)
}

type jsonLine struct {
	Type     string `json:"type"`
	OK       bool   `json:"ok"`
	Rows     int64  `json:"rows"`
	FirstID  int64  `json:"first_id"`
	LastID   int64  `json:"last_id"`
	Before   int64  `json:"linked_to_before"`
	After    int64  `json:"linked_from_after"`
	BrokenAt int64  `json:"broken_at"`
	Reason   string `json:"reason"`
	ID       int64  `json:"id"`
	Action   string `json:"action"`
	Chain    string `json:"chain"`
	Hash     string `json:"hash"`
}

func jsonl(t *testing.T, body string) (jsonLine, []jsonLine) {
	t.Helper()
	var head jsonLine
	var events []jsonLine
	for i, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		var j jsonLine
		if err := json.Unmarshal([]byte(l), &j); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", i+1, err, l)
		}
		if i == 0 {
			head = j
		} else {
			events = append(events, j)
		}
	}
	if head.Type != "verification" {
		t.Fatalf("the first line is %q, not the verification", head.Type)
	}
	return head, events
}

func TestAuditExport(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	mgr := app.CreateUser(t, "manager")
	record := func(n int) {
		for i := 0; i < n; i++ {
			err := db.Transact(ctx, app.Pool, func(q *db.Queries, _ pgx.Tx) error {
				return audit.Record(ctx, q, audit.Event{Actor: audit.System, Action: "test.event", SubjectType: "test", SubjectID: "=1+1",
					After: map[string]any{"n": i, "s": "é\"<>"}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	record(4)
	rechainBack(t, app)
	if v, err := audit.Verify(ctx, db.New(app.Pool)); err != nil || !v.OK() {
		t.Fatalf("the rebuilt chain: %+v %v", v, err)
	}
	var lastOld int64
	if err := app.Pool.QueryRow(ctx, "SELECT max(id) FROM audit_events").Scan(&lastOld); err != nil {
		t.Fatal(err)
	}
	record(3)
	c := app.SignIn(t, mgr)
	today := time.Now().UTC().Format("2006-01-02")
	past := time.Now().UTC().AddDate(0, 0, -2).Format("2006-01-02")

	res := c.Get(t, "/audit/export.jsonl?from="+today+"&to="+today)
	if res.Status != http.StatusOK {
		t.Fatalf("export: %d %s", res.Status, res.Body)
	}
	head, events := jsonl(t, res.Body)
	// Today: the three test events, the sign-in, the export's own record.
	if !head.OK || head.Rows != int64(len(events)) || len(events) < 5 || head.Before != lastOld || head.After != 0 || head.FirstID != lastOld+1 {
		t.Errorf("verification %+v of %d events (the row before is %d)", head, len(events), lastOld)
	}
	for _, e := range events {
		if e.Chain != "ok" || len(e.Hash) != 64 {
			t.Errorf("event %d: chain %q hash %q", e.ID, e.Chain, e.Hash)
		}
	}
	if events[len(events)-1].Action != "export.audit" {
		t.Errorf("the export's own record is not the last event: %q", events[len(events)-1].Action)
	}
	if !strings.HasPrefix(res.Header.Get("X-Audit-Chain"), "ok; rows=") {
		t.Errorf("X-Audit-Chain %q", res.Header.Get("X-Audit-Chain"))
	}

	// The past: linked to the first event of today after it.
	res = c.Get(t, "/audit/export.jsonl?from="+past+"&to="+past)
	head, events = jsonl(t, res.Body)
	if !head.OK || head.Before != 0 || head.After != lastOld+1 || len(events) != int(lastOld) {
		t.Errorf("past verification %+v, %d events", head, len(events))
	}

	// CSV: the columns, one row per event, each with its chain result; formula cells neutralised.
	// It starts with a byte-order mark, as every CSV of kycdesk's, so a spreadsheet reads it as UTF-8.
	res = c.Get(t, "/audit/export.csv?from="+past+"&to="+today)
	recs := readCSV(t, res.Body)
	if strings.Join(recs[0], ",") != strings.Join(reports.AuditColumns, ",") {
		t.Errorf("columns %q", recs[0])
	}
	tests := 0
	for _, r := range recs[1:] {
		if r[len(r)-1] != "ok" {
			t.Errorf("row %s: chain %q", r[0], r[len(r)-1])
		}
		if r[4] == "test.event" {
			tests++
			if r[6] != "'=1+1" {
				t.Errorf("subject id cell %q", r[6])
			}
		}
	}
	if tests != 7 {
		t.Errorf("%d test events in the CSV", tests)
	}

	// A row changed with the trigger disabled: reported broken, there and on the page.
	var victim int64
	if err := app.Pool.QueryRow(ctx, "SELECT id FROM audit_events WHERE action = 'test.event' ORDER BY id DESC LIMIT 1").Scan(&victim); err != nil {
		t.Fatal(err)
	}
	var original string
	if err := app.Pool.QueryRow(ctx, "SELECT after::text FROM audit_events WHERE id = $1", victim).Scan(&original); err != nil {
		t.Fatal(err)
	}
	tamper(t, app, `after = '{"n": 99}'`, victim)
	res = c.Get(t, "/audit/export.jsonl?from="+today+"&to="+today)
	head, events = jsonl(t, res.Body)
	if head.OK || head.BrokenAt != victim || !strings.Contains(head.Reason, "content does not match") {
		t.Errorf("tampered: %+v (victim %d)", head, victim)
	}
	for _, e := range events {
		if want := e.ID == victim; want != (e.Chain != "ok") {
			t.Errorf("event %d: chain %q", e.ID, e.Chain)
		}
	}
	if !strings.HasPrefix(res.Header.Get("X-Audit-Chain"), "broken; at="+strconv.FormatInt(victim, 10)) {
		t.Errorf("X-Audit-Chain %q", res.Header.Get("X-Audit-Chain"))
	}
	page := c.Get(t, "/audit?from="+today+"&to="+today).Doc(t)
	if v := page.Find("#audit-verification"); v.AttrOr("data-ok", "") != "false" || v.AttrOr("data-broken-at", "") != strconv.FormatInt(victim, 10) {
		t.Errorf("the page says %q", v.Text())
	}
	tamper(t, app, "after = '"+original+"'", victim)
	if page := c.Get(t, "/audit?from="+today+"&to="+today).Doc(t); page.Find("#audit-verification").AttrOr("data-ok", "") != "true" {
		t.Errorf("restored: %q", page.Find("#audit-verification").Text())
	}

	// The row before the period changed (its hash): the period's first row no longer links to it.
	tamper(t, app, `hash = '\x00'`, lastOld)
	v, err := reports.VerifyRange(ctx, db.New(app.Pool), reports.Period{From: time.Now().UTC().Truncate(24 * time.Hour), To: time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)})
	if err != nil || v.OK() || v.BrokenAt != lastOld+1 || !strings.Contains(v.Reason, "link to the previous row") {
		t.Errorf("the row before changed: %+v %v", v, err)
	}
	// And the past's last row is now reported as changed, with the next row not linking to it.
	v, err = reports.VerifyRange(ctx, db.New(app.Pool), reports.Period{From: time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -2), To: time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)})
	if err != nil || v.OK() || v.BrokenAt != lastOld {
		t.Errorf("the past: %+v %v", v, err)
	}
	// Audited: who and which period, and how many rows.
	if got := auditAfter(t, app, "export.audit"); got["format"] != "jsonl" || got["from"] != today {
		t.Errorf("audited %v", got)
	}
	if countEvents(t, app, "export.audit.finished") != 4 {
		t.Error("finished exports not audited")
	}
	if res := c.Get(t, "/audit/export.csv?from=2026-02-30"); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad date: %d", res.Status)
	}
	// The page refuses a period that ends before it starts, keeping the dates typed.
	res = c.Get(t, "/audit?from=2026-12-07&to=2026-12-01")
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("reversed period: %d", res.Status)
	}
	if from, _ := res.Doc(t).Find("#from").Attr("value"); from != "2026-12-07" {
		t.Errorf("from shows %q, want the date typed", from)
	}
	if to, _ := res.Doc(t).Find("#to").Attr("value"); to != "2026-12-01" {
		t.Errorf("to shows %q, want the date typed", to)
	}
}
