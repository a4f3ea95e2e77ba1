package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	pgxuuid "github.com/vgarvardt/pgx-google-uuid/v5"

	"kycdesk/migrations"
)

// Open connects a pool to the database at url and checks that it answers.
func Open(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "kycdesk"
	cfg.AfterConnect = registerTypes
	// Statements are prepared once per connection and PostgreSQL's default plan cache applies:
	// most are planned once (the session lookup on every request plans in 0.2 ms, runs a cached
	// plan in 0.02 ms). The few whose best plan depends on which optional filters are set go
	// through CustomPlans or Shapes.
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return pool, nil
}

// registerTypes has a connection read and write uuid.UUID as PostgreSQL's binary uuid: without it
// pgx goes through the type's database/sql methods, a text form formatted then parsed for every
// value, and the queue page's fifty rows spent an eighth of their Go time scanning.
func registerTypes(_ context.Context, conn *pgx.Conn) error {
	pgxuuid.Register(conn.TypeMap())
	return nil
}

// OpenBackground opens a second pool on pool's database, of maxConns connections, for what holds
// a connection for long or works in the background (the job queue and its workers, exports), so
// that requests never wait behind it. Its sessions are named "kycdesk background".
func OpenBackground(ctx context.Context, pool *pgxpool.Pool, maxConns int32) (*pgxpool.Pool, error) {
	cfg := pool.Config()
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.MinConns, cfg.MinIdleConns = 0, 0
	cfg.ConnConfig.RuntimeParams["application_name"] = "kycdesk background"
	bg, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return bg, nil
}

// LockConn opens a connection of its own to pool's database, outside the pool, for a session lock
// held across a vendor call (a customer's turn for Artemis). Holders and waiters then take none of
// the pool's connections, so however many there are at once (as many as the vendor's calls at
// once, which an admin sets), a holder always finds one for its other statements. Closing it ends
// the lock with the session.
func LockConn(ctx context.Context, pool *pgxpool.Pool) (*pgx.Conn, error) {
	cfg := pool.Config().ConnConfig
	cfg.RuntimeParams["application_name"] = "kycdesk lock"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return conn, nil
}

// CloseLockConn closes a LockConn connection, ending its locks, even when ctx has ended.
func CloseLockConn(ctx context.Context, conn *pgx.Conn) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = conn.Close(cctx)
}

// CustomPlans wraps d so that every statement sent through it is planned for the values it is
// called with. A query with optional filters ("(@x IS NULL OR col = @x)") needs that: a generic plan
// cannot tell which filters are set, so it cannot pick the index that serves them, and PostgreSQL
// switches a prepared statement to its generic plan after five calls when that plan looks no
// dearer on average. Through CustomPlans a statement is sent as the unnamed prepared statement
// (pgx.QueryExecModeCacheDescribe: its parameter and column types are cached, so it still takes
// one round trip and binary values), which PostgreSQL plans afresh with the actual values.
func CustomPlans(d DBTX) DBTX { return customPlans{d} }

type customPlans struct{ d DBTX }

// withMode puts the exec mode first, where pgx looks for it; an argument list that already starts
// with a mode keeps it (a caller's choice wins).
func withMode(args []any) []any {
	if len(args) > 0 {
		if _, ok := args[0].(pgx.QueryExecMode); ok {
			return args
		}
	}
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}

func (c customPlans) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return c.d.Exec(ctx, sql, withMode(args)...)
}

func (c customPlans) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.d.Query(ctx, sql, withMode(args)...)
}

func (c customPlans) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return c.d.QueryRow(ctx, sql, withMode(args)...)
}

// Migrate applies every pending migration: kycdesk's own (goose) and the job queue's (River). It
// is safe to run from several instances at once: both take a lock.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	if err := migrateSQL(ctx, sqlDB); err != nil {
		return err
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

func migrateSQL(ctx context.Context, sqlDB *sql.DB) error {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS,
		goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Transact runs fn in one transaction: committed when fn returns nil, rolled back when it returns an
// error or panics. A mutation and its audit rows go through one call, so both land or neither does.
//
// A transaction that PostgreSQL ends as a deadlock victim or a serialization failure is run again
// from the start (a few times, after a short pause): every audited transaction takes the audit
// chain's lock when it writes its audit row, and one that takes a row lock after that can meet one
// that holds the row and wants the chain. fn must therefore do nothing but database work through
// q and tx (or work that is safe to repeat).
func Transact(ctx context.Context, pool *pgxpool.Pool, fn func(q *Queries, tx pgx.Tx) error) error {
	const tries = 4
	for try := 1; ; try++ {
		err := transactOnce(ctx, pool, fn)
		if err == nil || try == tries || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(try*try) * 10 * time.Millisecond):
		}
	}
}

func transactOnce(ctx context.Context, pool *pgxpool.Pool, fn func(q *Queries, tx pgx.Tx) error) (err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(New(tx), tx); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether err ended a transaction that may succeed when run again: a deadlock
// victim (40P01) or a serialization failure (40001).
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// IsNotFound reports whether err is a query that found no row.
func IsNotFound(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// IsUniqueViolation reports whether err is a unique-constraint violation, optionally of the named
// constraint or index.
func IsUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}

// IsCheckViolation reports whether err is a check-constraint violation of the named constraint.
func IsCheckViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23514" && (constraint == "" || pe.ConstraintName == constraint)
}
