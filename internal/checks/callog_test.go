package checks_test

import (
	"context"
	"testing"
	"time"

	"kycdesk/internal/checks"
	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
)

// TestCallsHeldWhileInSlot: a call made while a vendor slot is held is written only when the run
// lets it go (after the slot is given back), and then exactly once; outside a slot, or when it
// makes a record at the vendor (writeCallsNow), at once.
func TestCallsHeldWhileInSlot(t *testing.T) {
	ctx := context.Background()
	pool, err := db.Open(ctx, testenv.URL(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	log := &checks.CallLog{Pool: pool, OnError: func(err error) { t.Error(err) }}
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM vendor_calls").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	call := func(endpoint string) vendors.Call {
		return vendors.Call{Vendor: vendors.CynopsisOCR, Method: "POST", Endpoint: endpoint, StartedAt: time.Now(), Latency: 50 * time.Millisecond, HTTPStatus: 201, Attempt: 1}
	}

	held, write := checks.HoldCalls(ctx, log)
	log.RecordCall(held, call("/token"))
	log.RecordCall(held, call("/ocr"))
	if n := count(); n != 0 {
		t.Fatalf("%d calls written while the slot is held, want 0", n)
	}
	write()
	if n := count(); n != 2 {
		t.Fatalf("%d calls written after the slot, want 2", n)
	}
	write() // a second flush writes nothing again
	log.RecordCall(ctx, call("/ocr"))
	if n := count(); n != 3 {
		t.Fatalf("%d calls, want 3 (the last one written at once)", n)
	}
	// Calls that make records at the vendor are written at once, even while the slot is held.
	held, write = checks.HoldCalls(ctx, log)
	log.RecordCall(checks.WriteCallsNow(held), call("/api/customer"))
	if n := count(); n != 4 {
		t.Fatalf("%d calls, want 4 (Artemis' record written while the slot is held)", n)
	}
	write()
	if n := count(); n != 4 {
		t.Fatalf("%d calls after the slot, want 4 (nothing held to write)", n)
	}
	var endpoints []string
	rows, err := pool.Query(ctx, "SELECT endpoint FROM vendor_calls ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			t.Fatal(err)
		}
		endpoints = append(endpoints, e)
	}
	if rows.Err() != nil || len(endpoints) != 4 || endpoints[0] != "/token" || endpoints[1] != "/ocr" || endpoints[3] != "/api/customer" {
		t.Fatalf("calls in order %v (%v), want /token, /ocr, /ocr, /api/customer", endpoints, rows.Err())
	}
}
