package db

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	pgxuuid "github.com/vgarvardt/pgx-google-uuid/v5"
)

// A read memo lets the panels of one page share their reads: the case page's panels each load
// the customer, the documents and the checks they show, and without it the page read the same
// rows up to five times. WithMemo starts one for a context; Reads(ctx, d) is d, or d behind the
// context's memo, through which a SELECT made again with the same arguments is answered from the
// rows the first one read. Any other statement (a write) through the memo empties it. A memo
// lives as long as the work its context belongs to (one page), so what it answers is what that
// work would have read a moment earlier.
type memoKeyType struct{}

type readMemo struct {
	mu    sync.Mutex
	reads map[string]*memoRows
	types *pgtype.Map
}

// memoRows is one read's result, as the server sent it.
type memoRows struct {
	fields []pgconn.FieldDescription
	values [][][]byte
	tag    pgconn.CommandTag
}

// WithMemo returns ctx with a fresh read memo.
func WithMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKeyType{}, &readMemo{reads: map[string]*memoRows{}})
}

// Reads returns d behind ctx's read memo, or d when ctx has none.
func Reads(ctx context.Context, d DBTX) DBTX {
	if m, ok := ctx.Value(memoKeyType{}).(*readMemo); ok {
		return memoDB{d: d, m: m}
	}
	return d
}

type memoDB struct {
	d DBTX
	m *readMemo
}

func (db memoDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	db.m.forget()
	return db.d.Exec(ctx, sql, args...)
}

func (db memoDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	key, ok := memoKey(sql, args)
	if !ok {
		db.passing(sql)
		return db.d.Query(ctx, sql, args...)
	}
	return db.read(ctx, key, sql, args)
}

func (db memoDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	key, ok := memoKey(sql, args)
	if !ok {
		db.passing(sql)
		return db.d.QueryRow(ctx, sql, args...)
	}
	rows, err := db.read(ctx, key, sql, args)
	return memoRow{rows: rows, err: err}
}

// read answers a memoizable read from the memo, reading it first if need be.
func (db memoDB) read(ctx context.Context, key, sql string, args []any) (pgx.Rows, error) {
	db.m.mu.Lock()
	r, hit := db.m.reads[key]
	db.m.mu.Unlock()
	if !hit {
		rows, err := db.d.Query(ctx, sql, args...)
		if err != nil {
			return nil, err
		}
		r = &memoRows{fields: append([]pgconn.FieldDescription(nil), rows.FieldDescriptions()...)}
		for rows.Next() {
			raw := rows.RawValues()
			row := make([][]byte, len(raw))
			for i, v := range raw {
				if v != nil {
					row[i] = append(make([]byte, 0, len(v)), v...)
				}
			}
			r.values = append(r.values, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		r.tag = rows.CommandTag()
		db.m.mu.Lock()
		db.m.reads[key] = r
		db.m.mu.Unlock()
	}
	return &replayRows{r: r, types: db.m.typeMap()}, nil
}

// passing is told of a statement the memo passes through: a write empties it; a read (one with
// arguments a key cannot hold) leaves it as it is.
func (db memoDB) passing(sql string) {
	if !isRead(sql) {
		db.m.forget()
	}
}

func (m *readMemo) forget() {
	m.mu.Lock()
	clear(m.reads)
	m.mu.Unlock()
}

// typeMap is the memo's own: a connection's map caches scan plans and is not for two goroutines.
func (m *readMemo) typeMap() *pgtype.Map {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.types == nil {
		m.types = pgtype.NewMap()
		pgxuuid.Register(m.types)
	}
	return m.types
}

// memoKey is the statement and its arguments, for a SELECT whose arguments are all of the kinds
// sqlc passes for ids, text, numbers and flags; ok is false for anything else, which the memo
// passes through.
func memoKey(sql string, args []any) (string, bool) {
	if !isRead(sql) {
		return "", false
	}
	var b strings.Builder
	b.WriteString(sql)
	for _, a := range args {
		b.WriteByte(0)
		switch v := a.(type) {
		case nil:
			b.WriteByte('n')
		case string:
			b.WriteByte('s')
			b.WriteString(v)
		case *string:
			if v == nil {
				b.WriteByte('n')
			} else {
				b.WriteByte('s')
				b.WriteString(*v)
			}
		case uuid.UUID:
			b.WriteByte('u')
			b.WriteString(v.String())
		case *uuid.UUID:
			if v == nil {
				b.WriteByte('n')
			} else {
				b.WriteByte('u')
				b.WriteString(v.String())
			}
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case int:
			b.WriteString(strconv.Itoa(v))
		case int32:
			b.WriteString(strconv.FormatInt(int64(v), 10))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		case time.Time:
			b.WriteByte('t')
			b.WriteString(v.UTC().Format(time.RFC3339Nano))
		case []string:
			b.WriteByte('S')
			for _, s := range v {
				b.WriteString(strconv.Quote(s))
			}
		case []uuid.UUID:
			b.WriteByte('U')
			for _, u := range v {
				b.WriteString(u.String())
			}
		default:
			return "", false
		}
	}
	return b.String(), true
}

// isRead reports whether sql only reads: a SELECT that locks, announces and counts nothing.
func isRead(sql string) bool {
	body := sql
	if strings.HasPrefix(body, "-- name:") { // sqlc's first line
		if _, rest, found := strings.Cut(body, "\n"); found {
			body = rest
		}
	}
	body = strings.ToLower(strings.TrimSpace(body))
	if !strings.HasPrefix(body, "select") || strings.Contains(body, " for ") {
		return false
	}
	for _, effect := range []string{"pg_advisory", "pg_try_advisory", "pg_notify", "nextval(", "setval(", "set_config("} {
		if strings.Contains(body, effect) {
			return false
		}
	}
	return true
}

// replayRows reads a memoized result again.
type replayRows struct {
	r      *memoRows
	types  *pgtype.Map
	next   int
	cur    [][]byte
	err    error
	closed bool
}

func (r *replayRows) Close()                                       { r.closed = true }
func (r *replayRows) Err() error                                   { return r.err }
func (r *replayRows) CommandTag() pgconn.CommandTag                { return r.r.tag }
func (r *replayRows) FieldDescriptions() []pgconn.FieldDescription { return r.r.fields }
func (r *replayRows) RawValues() [][]byte                          { return r.cur }
func (r *replayRows) Conn() *pgx.Conn                              { return nil }
func (r *replayRows) TypeMap() *pgtype.Map                         { return r.types }

func (r *replayRows) Next() bool {
	if r.closed || r.next >= len(r.r.values) {
		r.closed = true
		return false
	}
	r.cur = r.r.values[r.next]
	r.next++
	return true
}

func (r *replayRows) Scan(dest ...any) error {
	if err := pgx.ScanRow(r.types, r.r.fields, r.cur, dest...); err != nil {
		r.err, r.closed = err, true
		return err
	}
	return nil
}

// Values is not offered: sqlc's code scans into typed fields.
func (r *replayRows) Values() ([]any, error) {
	return nil, errors.New("db: Values of a memoized read")
}

// memoRow is QueryRow's answer from the memo: the first row, or pgx.ErrNoRows.
type memoRow struct {
	rows pgx.Rows
	err  error
}

func (r memoRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	return r.rows.Scan(dest...)
}
