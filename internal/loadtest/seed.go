package loadtest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/db"
)

// Rare is a surname Seed gives to exactly RareCount customers, spread over the two years (so over
// statuses too): a search for part of it finds a handful of cases among a million.
const (
	Rare      = "Wöhrmann"
	RareCount = 12
)

// Options says what Seed loads.
type Options struct {
	Cases int         // customers, each with one passport and one case
	Staff []uuid.UUID // users cases in work and decided cases are assigned to: at least one
	Now   time.Time   // the end of the two years the cases were created in; zero means now
	Seed  uint64      // the same seed loads the same people, statuses and times
}

// Stats says what Seed loaded and how long each step took.
type Stats struct {
	Counts map[db.CaseStatus]int64 // cases per status, counted in the table after loading
	Load   time.Duration           // inventing the rows and COPY, at once
	Index  time.Duration           // building the indexes and checking the foreign keys
	Vacuum time.Duration           // VACUUM ANALYZE, as autovacuum would have done by now
}

// Total is the time Seed took.
func (s Stats) Total() time.Duration { return s.Load + s.Index + s.Vacuum }

// span is how far back the cases go.
const span = 2 * 365 * 24 * time.Hour

// openDecay is the mean age of the open cases' exponential tail: a case created t ago is still
// open with probability exp(-t/openDecay), which leaves about 7% of two years' cases open.
const openDecay = 51 * 24 * time.Hour

var (
	openStatuses = []db.CaseStatus{db.CaseStatusNew, db.CaseStatusInReview, db.CaseStatusAwaitingResubmission,
		db.CaseStatusEscalated, db.CaseStatusPendingSecondReview}
	openPick = newWeighted(40, 20, 18, 12, 10)
	outcomes = []string{"none", "pass", "review", "fail"}
	// outcomePick is the vendor outcome mix of each status (none, pass, review, fail).
	outcomePick = map[db.CaseStatus]weighted{
		db.CaseStatusNew:                  newWeighted(30, 40, 18, 12),
		db.CaseStatusInReview:             newWeighted(10, 45, 30, 15),
		db.CaseStatusAwaitingResubmission: newWeighted(10, 20, 40, 30),
		db.CaseStatusEscalated:            newWeighted(5, 15, 40, 40),
		db.CaseStatusPendingSecondReview:  newWeighted(5, 40, 35, 20),
		db.CaseStatusApproved:             newWeighted(3, 85, 10, 2),
		db.CaseStatusRejected:             newWeighted(5, 15, 30, 50),
	}
	// riskShare is the share of each status's cases with the risk flag; doubled when a vendor failed.
	riskShare = map[db.CaseStatus]float64{db.CaseStatusNew: 0.08, db.CaseStatusInReview: 0.10,
		db.CaseStatusAwaitingResubmission: 0.12, db.CaseStatusEscalated: 0.40, db.CaseStatusPendingSecondReview: 0.20,
		db.CaseStatusApproved: 0.03, db.CaseStatusRejected: 0.25}
)

type customerRow struct {
	id                                    uuid.UUID
	ref, given, surname                   string
	born                                  time.Time
	nationality, home, email, phone, addr string
	at                                    time.Time
}

type documentRow struct {
	id, customerID  uuid.UUID
	country, number string
	issued, expires time.Time
	at              time.Time
}

type caseRow struct {
	id, customerID      uuid.UUID
	status              db.CaseStatus
	assignee            *uuid.UUID
	nationality, search string
	outcome             string
	risk                bool
	at, lastActivity    time.Time
	decided             *time.Time
}

// chunk is the rows one random stream invents: chunkSize customers (fewer in the last chunk),
// each with a passport and a case.
type chunk struct {
	customers []customerRow
	documents []documentRow
	cases     []caseRow
}

func newID(r *rand.Rand) uuid.UUID {
	var u uuid.UUID
	binary.LittleEndian.PutUint64(u[:8], r.Uint64())
	binary.LittleEndian.PutUint64(u[8:], r.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4, as gen_random_uuid
	u[8] = u[8]&0x3f | 0x80
	return u
}

// rareAt reports whether customer i of n carries the Rare surname.
func rareAt(i, n int) bool {
	if n < 2*RareCount {
		return false
	}
	step := n / RareCount
	return i%step == step/2 && i/step < RareCount
}

// chunkSize is how many customers one random stream invents, so the data does not depend on how
// many goroutines invent it.
const chunkSize = 25_000

// chunks is how many chunks o.Cases customers make.
func chunks(o Options) int { return (o.Cases + chunkSize - 1) / chunkSize }

// generateChunk invents chunk c's customers, passports and cases, in creation order as a live
// table holds them: customer i of o.Cases came in at i/o.Cases of the two years before o.Now.
func generateChunk(o Options, c int) chunk {
	n := o.Cases
	lo, hi := c*chunkSize, min(n, (c+1)*chunkSize)
	out := chunk{customers: make([]customerRow, 0, hi-lo), documents: make([]documentRow, 0, hi-lo), cases: make([]caseRow, 0, hi-lo)}
	start := o.Now.Add(-span)
	r := rand.New(rand.NewPCG(o.Seed, uint64(c)))
	for i := lo; i < hi; i++ {
		at := start.Add(time.Duration((float64(i) + r.Float64()) / float64(n) * float64(span))).Truncate(time.Microsecond)
		surname := ""
		if rareAt(i, n) {
			surname = Rare
		}
		p := newPerson(r, at, surname)
		cu := customerRow{id: newID(r), ref: "ONB-" + pad(i+1, 8), given: p.given, surname: p.surname, born: p.born,
			nationality: p.nationality, home: p.home, email: p.email, phone: p.phone, addr: p.addr, at: at}
		doc := documentRow{id: newID(r), customerID: cu.id, country: p.nationality, number: p.passport,
			issued: p.issued, expires: p.expires, at: at}
		cs := caseRow{id: newID(r), customerID: cu.id, nationality: p.nationality, at: at,
			search: searchText(cu.given, cu.surname, cu.ref, doc.number)}
		fillCase(r, &cs, o.Now, o.Staff)
		out.customers, out.documents, out.cases = append(out.customers, cu), append(out.documents, doc), append(out.cases, cs)
	}
	return out
}

// stream invents the chunks on every CPU and hands each, in order, to every one of outs, which
// it closes at the end; it stays a few chunks ahead of the slowest reader, so memory stays small
// whatever the size. It returns the number of cases per status it handed out (all of them,
// unless ctx ended first).
func stream(ctx context.Context, o Options, outs ...chan<- chunk) map[db.CaseStatus]int64 {
	type job struct {
		c    int
		slot chan chunk
	}
	jobs := make(chan job)
	order := make(chan chan chunk, 2*runtime.GOMAXPROCS(0))
	go func() {
		defer close(jobs)
		defer close(order)
		for c := range chunks(o) {
			slot := make(chan chunk, 1)
			select {
			case order <- slot:
			case <-ctx.Done():
				return
			}
			jobs <- job{c, slot}
		}
	}()
	for range runtime.GOMAXPROCS(0) {
		go func() {
			for j := range jobs {
				j.slot <- generateChunk(o, j.c)
			}
		}()
	}
	counts := map[db.CaseStatus]int64{}
	defer func() {
		for _, out := range outs {
			close(out)
		}
	}()
	for slot := range order {
		var ch chunk
		select {
		case ch = <-slot:
		case <-ctx.Done():
			return counts
		}
		for i := range ch.cases {
			counts[ch.cases[i].status]++
		}
		for _, out := range outs {
			select {
			case out <- ch:
			case <-ctx.Done():
				return counts
			}
		}
	}
	return counts
}

func pad(i, width int) string {
	s := strconv.Itoa(i)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// fillCase draws a case's status, assignee, vendor outcome, risk flag and times from its age.
func fillCase(r *rand.Rand, c *caseRow, now time.Time, staff []uuid.UUID) {
	age := now.Sub(c.at)
	someone := func() *uuid.UUID { u := staff[r.IntN(len(staff))]; return &u }
	if r.Float64() < math.Exp(-float64(age)/float64(openDecay)) {
		c.status = openStatuses[openPick.pick(r)]
		// Last touched some time since it came in.
		c.lastActivity = c.at.Add(time.Duration(r.Float64() * float64(age))).Truncate(time.Microsecond)
		switch c.status {
		case db.CaseStatusInReview, db.CaseStatusPendingSecondReview:
			c.assignee = someone()
		case db.CaseStatusAwaitingResubmission, db.CaseStatusEscalated:
			if r.IntN(10) < 7 { // the rest were released back to the pool
				c.assignee = someone()
			}
		}
	} else {
		c.status = db.CaseStatusApproved
		if r.IntN(100) < 36 {
			c.status = db.CaseStatusRejected
		}
		// Decided within a day or two, mostly; the reviewer who decided stays the assignee.
		took := min(time.Duration(r.ExpFloat64()*float64(20*time.Hour)), age)
		at := c.at.Add(took).Truncate(time.Microsecond)
		c.lastActivity, c.decided, c.assignee = at, &at, someone()
	}
	c.outcome = outcomes[outcomePick[c.status].pick(r)]
	risk := riskShare[c.status]
	if c.outcome == "fail" {
		risk *= 2
	}
	c.risk = r.Float64() < risk
}

// rows feeds one table's rows of the chunks that arrive on in to COPY, one row's values at a time.
type rows[T any] struct {
	ctx    context.Context
	in     <-chan chunk
	pick   func(chunk) []T
	values func(*T, []any) []any
	cur    []T
	i      int
	buf    []any
	err    error
}

func (s *rows[T]) Next() bool {
	for s.i >= len(s.cur) {
		select {
		case ch, ok := <-s.in:
			if !ok {
				return false
			}
			s.cur, s.i = s.pick(ch), 0
		case <-s.ctx.Done():
			s.err = s.ctx.Err()
			return false
		}
	}
	s.i++
	return true
}

func (s *rows[T]) Values() ([]any, error) { return s.values(&s.cur[s.i-1], s.buf[:0]), nil }

func (s *rows[T]) Err() error { return s.err }

// Seed loads o.Cases customers, each with a passport and a case, into the database behind pool
// with COPY. For the load only, it drops the three tables' secondary indexes and foreign keys and
// turns off their triggers (the status counters, the export's stale marks), then rebuilds the
// indexes as they were, adds the foreign keys back (which checks every row), sets the status
// counters to the true counts, turns the triggers back on, marks every case's export row stale,
// checks the counters against count(*) and runs VACUUM ANALYZE. Meant for a throwaway database
// that nothing else writes to meanwhile.
func Seed(ctx context.Context, pool *pgxpool.Pool, o Options) (Stats, error) {
	var st Stats
	if o.Cases <= 0 {
		return st, errors.New("seed: no cases asked for")
	}
	if len(o.Staff) == 0 {
		return st, errors.New("seed: cases in review need staff to be assigned to")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Microsecond)

	t := time.Now()
	restore, err := prepareLoad(ctx, pool)
	if err != nil {
		return st, err
	}
	want, err := load(ctx, pool, o)
	if err != nil {
		return st, err
	}
	st.Load = time.Since(t)

	t = time.Now()
	if err := restore(ctx); err != nil {
		return st, err
	}
	st.Index = time.Since(t)

	t = time.Now()
	if _, err := pool.Exec(ctx, "VACUUM (ANALYZE) customers, documents, cases, case_status_counts, users"); err != nil {
		return st, fmt.Errorf("seed: vacuum: %w", err)
	}
	st.Vacuum = time.Since(t)

	st.Counts, err = checkCounts(ctx, pool, want)
	return st, err
}

// prepareLoad drops what would slow the COPY down and returns the function that puts it back.
func prepareLoad(ctx context.Context, pool *pgxpool.Pool) (func(context.Context) error, error) {
	tables := []string{"customers", "documents", "cases"}
	// Secondary indexes: every index not backing a constraint (the primary keys stay, other
	// tables' foreign keys depend on them).
	type index struct{ name, def string }
	rs, err := pool.Query(ctx, `
		SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
		WHERE i.indrelid = ANY($1::regclass[])
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY i.indexrelid`, tables)
	if err != nil {
		return nil, fmt.Errorf("seed: list indexes: %w", err)
	}
	indexes, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (index, error) {
		var x index
		return x, r.Scan(&x.name, &x.def)
	})
	if err != nil {
		return nil, fmt.Errorf("seed: list indexes: %w", err)
	}
	type fk struct{ table, name, def string }
	rs, err = pool.Query(ctx, `
		SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE contype = 'f' AND conrelid = ANY($1::regclass[]) ORDER BY conrelid, conname`, tables)
	if err != nil {
		return nil, fmt.Errorf("seed: list foreign keys: %w", err)
	}
	fks, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (fk, error) {
		var f fk
		return f, r.Scan(&f.table, &f.name, &f.def)
	})
	if err != nil {
		return nil, fmt.Errorf("seed: list foreign keys: %w", err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, f := range fks {
			if _, err := tx.Exec(ctx, "ALTER TABLE "+f.table+" DROP CONSTRAINT "+pgx.Identifier{f.name}.Sanitize()); err != nil {
				return err
			}
		}
		for _, x := range indexes {
			if _, err := tx.Exec(ctx, "DROP INDEX "+x.name); err != nil {
				return err
			}
		}
		for _, t := range tables {
			if _, err := tx.Exec(ctx, "ALTER TABLE "+t+" DISABLE TRIGGER USER"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed: prepare load: %w", err)
	}
	return func(ctx context.Context) error {
		// The trigram index takes longest: it starts first, the others share the other connection.
		var defs []string
		for _, x := range indexes {
			if strings.Contains(x.def, "USING gin") {
				defs = append([]string{x.def}, defs...)
			} else {
				defs = append(defs, x.def)
			}
		}
		if err := parallel(ctx, pool, defs); err != nil {
			return fmt.Errorf("seed: rebuild indexes: %w", err)
		}
		// Adding a foreign key checks every row; one at a time, since two on the same referenced
		// table would wait for each other anyway.
		for _, f := range fks {
			if _, err := pool.Exec(ctx, "ALTER TABLE "+f.table+" ADD CONSTRAINT "+pgx.Identifier{f.name}.Sanitize()+" "+f.def); err != nil {
				return fmt.Errorf("seed: foreign key %s: %w", f.name, err)
			}
		}
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `LOCK TABLE cases IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("seed: lock cases: %w", err)
			}
			if _, err := tx.Exec(ctx, `
				UPDATE case_status_counts s SET n = (SELECT count(*) FROM cases c WHERE c.status = s.status)`); err != nil {
				return fmt.Errorf("seed: status counts: %w", err)
			}
			for _, t := range tables {
				if _, err := tx.Exec(ctx, "ALTER TABLE "+t+" ENABLE TRIGGER USER"); err != nil {
					return fmt.Errorf("seed: enable triggers: %w", err)
				}
			}
			// The case-list export's stored rows are computed on the next export.
			if err := db.New(tx).MarkAllExportCases(ctx); err != nil {
				return fmt.Errorf("seed: mark export rows: %w", err)
			}
			return nil
		})
	}, nil
}

// parallel runs the statements on two connections at a time, in order.
func parallel(ctx context.Context, pool *pgxpool.Pool, stmts []string) error {
	next := make(chan string)
	errs := make(chan error, len(stmts))
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for s := range next {
				err := pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
					// Index builds sort in memory rather than in temporary files.
					if _, err := c.Exec(ctx, "SET maintenance_work_mem = '512MB'"); err != nil {
						return err
					}
					_, err := c.Exec(ctx, s)
					if _, rerr := c.Exec(ctx, "RESET maintenance_work_mem"); err == nil {
						err = rerr
					}
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("%s: %w", s, err)
				}
			}
		})
	}
	for _, s := range stmts {
		next <- s
	}
	close(next)
	wg.Wait()
	close(errs)
	return errors.Join(collect(errs)...)
}

func collect(ch <-chan error) []error {
	var out []error
	for err := range ch {
		out = append(out, err)
	}
	return out
}

// load invents the rows and copies them into the three tables at once, one connection each, as
// they are invented. It returns the number of cases per status it loaded.
func load(ctx context.Context, pool *pgxpool.Pool, o Options) (map[db.CaseStatus]int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type table struct {
		name string
		cols []string
		in   chan chunk
		src  func(in <-chan chunk) pgx.CopyFromSource
	}
	tables := []table{
		{name: "customers", cols: []string{"id", "external_ref", "given_names", "surname", "date_of_birth", "nationality",
			"residence_country", "email", "phone", "address", "created_via", "created_at", "updated_at"},
			src: func(in <-chan chunk) pgx.CopyFromSource {
				return &rows[customerRow]{ctx: ctx, in: in, buf: make([]any, 0, 13), pick: func(c chunk) []customerRow { return c.customers },
					values: func(c *customerRow, v []any) []any {
						return append(v, c.id, c.ref, c.given, c.surname, c.born, c.nationality, c.home, c.email, c.phone, c.addr,
							"api:onboarding", c.at, c.at)
					}}
			}},
		{name: "documents", cols: []string{"id", "customer_id", "type", "issuing_country", "number", "issue_date", "expiry_date", "created_at"},
			src: func(in <-chan chunk) pgx.CopyFromSource {
				return &rows[documentRow]{ctx: ctx, in: in, buf: make([]any, 0, 8), pick: func(c chunk) []documentRow { return c.documents },
					values: func(x *documentRow, v []any) []any {
						return append(v, x.id, x.customerID, "passport", x.country, x.number, x.issued, x.expires, x.at)
					}}
			}},
		{name: "cases", cols: []string{"id", "customer_id", "status", "assignee_id", "nationality", "search_text", "vendor_outcome",
			"risk_flag", "created_at", "last_activity_at", "decided_at"},
			src: func(in <-chan chunk) pgx.CopyFromSource {
				return &rows[caseRow]{ctx: ctx, in: in, buf: make([]any, 0, 11), pick: func(c chunk) []caseRow { return c.cases },
					values: func(c *caseRow, v []any) []any {
						return append(v, c.id, c.customerID, string(c.status), c.assignee, c.nationality, c.search, c.outcome,
							c.risk, c.at, c.lastActivity, c.decided)
					}}
			}},
	}
	outs := make([]chan<- chunk, len(tables))
	for i := range tables {
		tables[i].in = make(chan chunk, 2)
		outs[i] = tables[i].in
	}
	errs := make(chan error, len(tables))
	var wg sync.WaitGroup
	for _, t := range tables {
		wg.Go(func() {
			n, err := pool.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, t.src(t.in))
			if err == nil && n != int64(o.Cases) {
				err = fmt.Errorf("%d rows copied, %d meant", n, o.Cases)
			}
			if err != nil {
				errs <- fmt.Errorf("seed: copy %s: %w", t.name, err)
				cancel() // the other copies and the generators stop too
			}
		})
	}
	counts := stream(ctx, o, outs...)
	wg.Wait()
	close(errs)
	return counts, errors.Join(collect(errs)...)
}

// checkCounts compares the maintained counters with count(*) over the table and with what was
// generated; any difference is an error.
func checkCounts(ctx context.Context, pool *pgxpool.Pool, want map[db.CaseStatus]int64) (map[db.CaseStatus]int64, error) {
	counted := map[db.CaseStatus]int64{}
	rs, err := pool.Query(ctx, "SELECT status, count(*) FROM cases GROUP BY status")
	if err != nil {
		return nil, fmt.Errorf("seed: count cases: %w", err)
	}
	var s db.CaseStatus
	var n int64
	if _, err := pgx.ForEachRow(rs, []any{&s, &n}, func() error { counted[s] = n; return nil }); err != nil {
		return nil, fmt.Errorf("seed: count cases: %w", err)
	}
	kept, err := db.New(pool).CaseStatusCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed: status counters: %w", err)
	}
	var bad []error
	for _, k := range kept {
		if k.N != counted[k.Status] {
			bad = append(bad, fmt.Errorf("%s: counter says %d, count(*) says %d", k.Status, k.N, counted[k.Status]))
		}
	}
	for st, n := range want {
		if counted[st] < n {
			bad = append(bad, fmt.Errorf("%s: %d cases in the table, %d loaded", st, counted[st], n))
		}
	}
	if err := errors.Join(bad...); err != nil {
		return nil, fmt.Errorf("seed: status counts wrong: %w", err)
	}
	return counted, nil
}
