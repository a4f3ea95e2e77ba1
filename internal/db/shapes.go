package db

import (
	"context"
	"database/sql/driver"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Shapes wraps d so that a statement with optional filters is sent as the statement of the
// filters the call sets: one statement text per combination, each prepared and cached like any
// other statement, so PostgreSQL can keep its plan.
//
// queries/ write an optional filter on a line of its own, as
//
//	AND (sqlc.narg(x)::type IS NULL OR <condition>)   -- applies when x is given
//	AND (NOT @x::bool OR <condition>)                 -- applies when x is true
//
// A single statement of that kind cannot keep a plan: a generic plan does not know which filters
// are set, so it cannot use the index that serves them (hence CustomPlans). Shapes rewrites each
// such line for the call: a filter that applies becomes "($n IS NOT NULL AND <condition>)" (or
// "($n AND <condition>)"), whose parameter test PostgreSQL evaluates once and whose condition can
// use an index; one that does not becomes "($n IS NULL OR false AND <condition>)", which the planner
// folds to a test of the parameter alone. Every parameter keeps its place and type, and the rows
// are those the original statement returns for the same values. A call with a value whose
// NULL-ness the Go value does not show (sql.NullString, pgtype.Text…) sends the statement as
// written. sql must be one of a fixed set of statements (sqlc's): each is cut once and kept.
//
// A kept (generic) plan is chosen without the values, so Shapes suits only shapes whose best plan
// is the same for every value, such as an equality filter served by an index in the order asked
// for; for the others, wrap CustomPlans: Shapes(CustomPlans(d)) sends the rewritten statement to
// be planned with its values.
func Shapes(d DBTX) DBTX { return shapes{d} }

type shapes struct{ d DBTX }

func (s shapes) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return s.d.Exec(ctx, shapeOf(sql).text(args), args...)
}

func (s shapes) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return s.d.Query(ctx, shapeOf(sql).text(args), args...)
}

func (s shapes) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return s.d.QueryRow(ctx, shapeOf(sql).text(args), args...)
}

// optionalLine is one optional filter as queries/ write it: "AND (", the parameter's test, " OR ",
// the condition, ")" and the end of the line.
var optionalLine = regexp.MustCompile(`(?m)^(\s*AND )\((?:(\$(\d+)::\w+) IS NULL|NOT (\$(\d+)::bool)) OR (.+)\)$`)

// shape is a statement cut at its optional filters, with the texts made of it so far.
type shape struct {
	sql     string   // as written
	parts   []string // the text around the filters: len(filters)+1 parts
	filters []optional
	mu      sync.RWMutex
	texts   map[uint64]string // by the set of filters that apply, one bit each
}

type optional struct {
	param     int    // 1-based, as in the text
	flag      bool   // "NOT $n::bool OR …": applies when the value is true, not when it is given
	head      string // "$n::type"
	condition string
}

var shapeCache sync.Map // statement text → *shape

func shapeOf(sql string) *shape {
	if s, ok := shapeCache.Load(sql); ok {
		return s.(*shape)
	}
	s := &shape{sql: sql, texts: map[uint64]string{}}
	last := 0
	for _, m := range optionalLine.FindAllStringSubmatchIndex(sql, -1) {
		if len(s.filters) == 64 {
			break
		}
		o := optional{flag: m[8] >= 0, condition: sql[m[12]:m[13]]}
		head, num := m[4:6], m[6:8]
		if o.flag {
			head, num = m[8:10], m[10:12]
		}
		o.head = sql[head[0]:head[1]]
		o.param, _ = strconv.Atoi(sql[num[0]:num[1]])
		// The part before the filter ends with its "AND "; the filter is rewritten from "(".
		s.parts = append(s.parts, sql[last:m[3]])
		s.filters = append(s.filters, o)
		last = m[1]
	}
	s.parts = append(s.parts, sql[last:])
	got, _ := shapeCache.LoadOrStore(sql, s)
	return got.(*shape)
}

// text is the statement for args: each optional filter written as applying or not.
func (s *shape) text(args []any) string {
	if len(s.filters) == 0 {
		return s.sql
	}
	// pgx takes options (an exec mode, result formats) before the statement's values.
	for len(args) > 0 {
		switch args[0].(type) {
		case pgx.QueryExecMode, pgx.QueryResultFormats, pgx.QueryResultFormatsByOID:
			args = args[1:]
			continue
		}
		break
	}
	var set uint64
	for i, o := range s.filters {
		if o.param > len(args) {
			return s.sql
		}
		apply, ok := applies(args[o.param-1], o.flag)
		if !ok {
			return s.sql
		}
		if apply {
			set |= 1 << i
		}
	}
	s.mu.RLock()
	t, ok := s.texts[set]
	s.mu.RUnlock()
	if ok {
		return t
	}
	var b strings.Builder
	for i, o := range s.filters {
		b.WriteString(s.parts[i])
		switch {
		case set&(1<<i) == 0 && o.flag:
			b.WriteString("(NOT " + o.head + " OR false AND " + o.condition + ")")
		case set&(1<<i) == 0:
			b.WriteString("(" + o.head + " IS NULL OR false AND " + o.condition + ")")
		case o.flag:
			b.WriteString("(" + o.head + " AND " + o.condition + ")")
		default:
			b.WriteString("(" + o.head + " IS NOT NULL AND " + o.condition + ")")
		}
	}
	b.WriteString(s.parts[len(s.filters)])
	t = b.String()
	s.mu.Lock()
	s.texts[set] = t
	s.mu.Unlock()
	return t
}

// applies reports whether a filter with value v applies: a flag when true, any other filter when
// given. ok is false for a value whose NULL-ness the Go value does not show (sql.NullString,
// pgtype.Text, any other type that encodes itself), and for a flag that is not a bool: the
// statement is then sent as written.
func applies(v any, flag bool) (apply, ok bool) {
	if flag {
		b, ok := v.(bool)
		return b, ok
	}
	if v == nil {
		return false, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return false, true
		}
		rv = rv.Elem()
	}
	return true, plain(rv.Type())
}

var (
	timeType = reflect.TypeFor[time.Time]()
	uuidType = reflect.TypeFor[uuid.UUID]()
	valuer   = reflect.TypeFor[driver.Valuer]()
)

// plain reports whether a value of type t is never sent as NULL: Go's own kinds without an
// encoding of their own, a time, a UUID.
func plain(t reflect.Type) bool {
	if t == timeType || t == uuidType {
		return true
	}
	if t.Implements(valuer) || reflect.PointerTo(t).Implements(valuer) {
		return false
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		// pgx's own encoders are on pointers to its types (pgtype.Text…), which are structs.
		return true
	}
	return false
}
