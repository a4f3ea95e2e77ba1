package loadtest

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/audit"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestPercentile(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd", ms(1, 2, 3), 50, 2 * time.Millisecond},
		{"median of even is the lower", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.sorted, tc.p); got != tc.want {
				t.Fatalf("Percentile(%v, %v) = %v, want %v", tc.sorted, tc.p, got, tc.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	calls := make([]int, 4)
	r := Load{Clients: 4, For: 50 * time.Millisecond}.Run(context.Background(), func(_ context.Context, i int) error {
		calls[i]++
		time.Sleep(time.Millisecond)
		return nil
	})
	if r.Err != nil || r.Requests == 0 || r.Requests != calls[0]+calls[1]+calls[2]+calls[3] {
		t.Fatalf("result %+v, calls %v", r, calls)
	}
	for i, n := range calls {
		if n == 0 {
			t.Fatalf("client %d never called", i)
		}
	}
	if r.P50 < time.Millisecond || r.P99 < r.P50 || r.Max < r.P99 || r.PerSecond() <= 0 {
		t.Fatalf("result %+v", r)
	}

	boom := errors.New("boom")
	r = Load{Clients: 3, For: time.Minute}.Run(context.Background(), func(_ context.Context, i int) error {
		if i == 1 {
			return boom
		}
		time.Sleep(time.Millisecond)
		return nil
	})
	if !errors.Is(r.Err, boom) || r.Elapsed > 10*time.Second {
		t.Fatalf("an error must stop the run at once: %+v", r)
	}

	// Paced: 4 clients, one call each per 20 ms, for 200 ms: about 40 calls, not thousands.
	var n atomic.Int64
	r = Load{Clients: 4, For: 200 * time.Millisecond, Every: 20 * time.Millisecond}.Run(context.Background(), func(context.Context, int) error {
		n.Add(1)
		return nil
	})
	if r.Err != nil || r.Requests < 30 || r.Requests > 50 || int64(r.Requests) != n.Load() {
		t.Fatalf("paced run: %+v, %d calls", r, n.Load())
	}
	// A call slower than the pace counts from when it was due: the second call of a client that
	// waits 30 ms per call at a 10 ms pace is 20 ms late on top of its own 30 ms.
	r = Load{Clients: 1, For: 100 * time.Millisecond, Every: 10 * time.Millisecond}.Run(context.Background(), func(context.Context, int) error {
		time.Sleep(30 * time.Millisecond)
		return nil
	})
	if r.Max < 70*time.Millisecond {
		t.Fatalf("late calls must count their wait: %+v", r)
	}
}

func TestWeighted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		weights []int
		always  int // -1: no single answer
	}{
		{"one choice", []int{5}, 0},
		{"zero weights never drawn", []int{0, 3, 0}, 1},
		{"last", []int{0, 0, 1}, 2},
		{"mix", []int{1, 1}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWeighted(tc.weights...)
			r := rand.New(rand.NewPCG(1, 2))
			seen := map[int]int{}
			for range 1000 {
				seen[w.pick(r)]++
			}
			for i, n := range seen {
				if tc.weights[i] == 0 {
					t.Fatalf("drew %d (weight 0) %d times", i, n)
				}
			}
			if tc.always >= 0 && seen[tc.always] != 1000 {
				t.Fatalf("draws %v, want always %d", seen, tc.always)
			}
			if tc.always < 0 && len(seen) != len(tc.weights) {
				t.Fatalf("draws %v, want every choice", seen)
			}
		})
	}
}

func TestRareAt(t *testing.T) {
	for _, n := range []int{10, 2*RareCount - 1, 2 * RareCount, 1000, 30_001, 1_000_000} {
		got := 0
		for i := range n {
			if rareAt(i, n) {
				got++
			}
		}
		want := RareCount
		if n < 2*RareCount {
			want = 0
		}
		if got != want {
			t.Errorf("%d customers: %d carry the rare surname, want %d", n, got, want)
		}
	}
}

// TestSearchTextAsCustomersBuildsIt creates invented people through the customers service, as the
// intake API does, and checks the stored search column equals the seeder's, and that the
// invented data passes the service's validation unchanged.
func TestSearchTextAsCustomersBuildsIt(t *testing.T) {
	app := testenv.NewApp(t)
	svc := app.Server.CustomerService()
	r := rand.New(rand.NewPCG(7, 7))
	now := time.Now().UTC()
	for i := range 40 {
		surname := ""
		if i == 0 {
			surname = Rare
		}
		p := newPerson(r, now, surname)
		ref := "ONB-" + pad(i+1, 8)
		in := customers.Input{ExternalRef: ref, GivenNames: p.given, Surname: p.surname, DateOfBirth: p.born.Format(time.DateOnly),
			Nationality: p.nationality, ResidenceCountry: p.home, Email: p.email, Phone: p.phone, Address: p.addr,
			Documents: []customers.DocumentInput{{Type: "passport", IssuingCountry: p.nationality, Number: p.passport,
				IssueDate: p.issued.Format(time.DateOnly), ExpiryDate: p.expires.Format(time.DateOnly)}}}
		out, err := svc.Create(context.Background(), customers.Origin{Actor: audit.System, Via: "api:test"}, in)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		c := out.Customer
		if c.GivenNames != p.given || c.Surname != p.surname || c.Email != p.email || c.Phone != p.phone || c.Address != p.addr {
			t.Errorf("the service changed the invented person: %+v → %+v", p, c)
		}
		if want := searchText(p.given, p.surname, ref, p.passport); out.Case.SearchText != want {
			t.Errorf("search text:\n service %q\n seeder  %q", out.Case.SearchText, want)
		}
	}
}

// schema is what Seed must leave as the migration made it: indexes, constraints, triggers.
func schema(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rs, err := pool.Query(context.Background(), `
		SELECT 'index ' || indexdef FROM pg_indexes WHERE tablename IN ('customers', 'documents', 'cases')
		UNION ALL
		SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' valid ' || convalidated
		FROM pg_constraint WHERE conrelid IN ('customers'::regclass, 'documents'::regclass, 'cases'::regclass)
		UNION ALL
		SELECT 'trigger ' || tgname || ' ' || tgenabled::text FROM pg_trigger WHERE tgrelid = 'cases'::regclass AND NOT tgisinternal`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rs, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestSeed(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 30,000 cases")
	}
	ctx := context.Background()
	app := testenv.NewApp(t)
	before := schema(t, app.Pool)
	var staff []uuid.UUID
	for _, role := range []string{"reviewer", "reviewer", "manager"} {
		staff = append(staff, app.CreateUser(t, role).ID)
	}
	const n = 30_000
	st, err := Seed(ctx, app.Pool, Options{Cases: n, Staff: staff, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var total, open int64
	for s, c := range st.Counts {
		total += c
		if s != db.CaseStatusApproved && s != db.CaseStatusRejected {
			open += c
		}
	}
	if total != n {
		t.Fatalf("counts %v sum to %d, want %d", st.Counts, total, n)
	}
	if share := float64(open) / n; share < 0.05 || share > 0.10 {
		t.Errorf("open share %.3f, want 5–10%%: %v", share, st.Counts)
	}
	if after := schema(t, app.Pool); !slices.Equal(before, after) {
		t.Errorf("schema changed by the load:\nbefore %s\nafter  %s", strings.Join(before, "\n       "), strings.Join(after, "\n       "))
	}
	q := db.New(app.Pool)
	var rare, docs, customersN int
	if err := app.Pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM cases WHERE search_text LIKE '%wohrm%'),
		(SELECT count(*) FROM documents d JOIN customers c ON c.id = d.customer_id AND d.issuing_country = c.nationality),
		(SELECT count(*) FROM customers)`).Scan(&rare, &docs, &customersN); err != nil {
		t.Fatal(err)
	}
	if rare != RareCount || docs != n || customersN != n {
		t.Errorf("rare %d (want %d), documents %d, customers %d (want %d)", rare, RareCount, docs, customersN, n)
	}
	// The trigger counts again after the load.
	c, err := q.CreateCustomer(ctx, db.CreateCustomerParams{Surname: "Counted", CreatedVia: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.CreateCase(ctx, db.CreateCaseParams{CustomerID: c.ID}); err != nil {
		t.Fatal(err)
	}
	counts, err := q.CaseStatusCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range counts {
		if k.Status == db.CaseStatusNew && k.N != st.Counts[db.CaseStatusNew]+1 {
			t.Errorf("new: counter %d after one more case, want %d", k.N, st.Counts[db.CaseStatusNew]+1)
		}
	}
	// The same seed loads the same data.
	o := Options{Cases: 2 * chunkSize, Staff: staff, Seed: 3, Now: time.Unix(1.8e9, 0)}
	for c := range chunks(o) {
		once, again := generateChunk(o, c), generateChunk(o, c)
		for i := range once.cases {
			if once.cases[i].id != again.cases[i].id || once.cases[i].search != again.cases[i].search || once.cases[i].status != again.cases[i].status {
				t.Fatalf("chunk %d, case %d differs between two runs with one seed", c, i)
			}
		}
	}
}
