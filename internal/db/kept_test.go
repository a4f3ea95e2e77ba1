package db_test

import (
	"errors"
	"testing"

	"kycdesk/internal/db"
)

// TestKeptReadsAgainWhenItsGenerationMoves: a kept read is answered from memory while live at the
// same generation, read again when the generation moves or nothing is heard, and an error or a
// read made at an older generation is never kept over a newer one.
func TestKeptReadsAgainWhenItsGenerationMoves(t *testing.T) {
	var k db.Kept[int]
	reads := 0
	read := func(v int, err error) func() (int, error) {
		return func() (int, error) { reads++; return v, err }
	}
	get := func(live bool, gen uint64, r func() (int, error), want, wantReads int) {
		t.Helper()
		if got, err := k.Get(live, gen, r); err != nil || got != want || reads != wantReads {
			t.Fatalf("Get(live=%v, gen=%d) = %d, %v after %d reads; want %d after %d", live, gen, got, err, reads, want, wantReads)
		}
	}
	get(true, 1, read(10, nil), 10, 1)
	get(true, 1, read(11, nil), 10, 1)  // kept
	get(true, 2, read(20, nil), 20, 2)  // the generation moved
	get(false, 2, read(30, nil), 30, 3) // not listening: read, and not kept
	get(true, 2, read(40, nil), 20, 3)
	get(true, 1, read(50, nil), 50, 4) // a read begun at an older generation…
	get(true, 2, read(60, nil), 20, 4) // …did not replace the newer one
	if _, err := k.Get(true, 3, read(0, errors.New("down"))); err == nil {
		t.Fatal("a failed read's error was not returned")
	}
	get(true, 3, read(70, nil), 70, 6) // the failure was not kept
}
