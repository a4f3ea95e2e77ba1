// Command kycdesk is the KYC case-review back-office: `kycdesk serve` runs the web app, and the
// other subcommands are what operators script (migrations, users, audit verification).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/audit"
	"kycdesk/internal/config"
	"kycdesk/internal/db"
	"kycdesk/internal/demo"
	"kycdesk/internal/obs"
	"kycdesk/internal/pgcluster"
	"kycdesk/internal/server"
	"kycdesk/internal/users"
)

const usage = `kycdesk: KYC case-review back-office.

Usage:
  kycdesk serve [--demo]                 run the web app (migrates first)
  kycdesk migrate                        apply database migrations
  kycdesk user add --email E --role R    create a user
  kycdesk audit verify                   verify the audit log's hash chain
  kycdesk vendor list|set|env|test       configure the vendor integrations (kycdesk vendor --help)

Without DATABASE_URL, kycdesk starts its private PostgreSQL cluster under KYCDESK_DATA_DIR
(default .data). Run 'kycdesk <command> --help' for a command's options; the README lists every
environment variable.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kycdesk:", err)
		}
		stop()
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], stdout, stderr)
	case "user":
		if len(args) < 2 || args[1] != "add" {
			if len(args) >= 2 && (args[1] == "--help" || args[1] == "-h") {
				fmt.Fprint(stdout, "Usage: kycdesk user add --email E --role reviewer|manager|admin [--name N] [--password-stdin]\n")
				return nil
			}
			return fmt.Errorf("usage: kycdesk user add --email E --role R (see kycdesk user add --help)")
		}
		return userAdd(ctx, args[2:], stdin, stdout, stderr)
	case "vendor":
		return vendorCmd(ctx, args[1:], stdin, stdout, stderr)
	case "audit":
		if len(args) < 2 || args[1] != "verify" {
			if len(args) >= 2 && (args[1] == "--help" || args[1] == "-h") {
				fmt.Fprint(stdout, "Usage: kycdesk audit verify\n")
				return nil
			}
			return fmt.Errorf("usage: kycdesk audit verify")
		}
		return auditVerify(ctx, args[2:], stdout, stderr)
	default:
		return fmt.Errorf("unknown command %q\n\n%s", args[0], usage)
	}
}

func newFlags(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: kycdesk %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// database opens the configured database, or starts the private cluster when DATABASE_URL is not
// set. The returned function closes the pool and stops the cluster if this process started it: a
// command run while `serve` is up (user add, audit verify…) finds the cluster running and leaves it
// so.
func database(ctx context.Context, cfg config.Config, log *slog.Logger) (*pgxpool.Pool, func(), error) {
	url := cfg.DatabaseURL
	var cluster *pgcluster.Cluster
	stop := func() {
		if cluster == nil || !cluster.Started() {
			return
		}
		if err := cluster.Stop(); err != nil {
			log.Error("stopping the private cluster", "error", err.Error())
		} else {
			log.Info("private PostgreSQL cluster stopped")
		}
	}
	if url == "" {
		var err error
		log.Info("starting the private PostgreSQL cluster", "dir", filepath.Join(cfg.DataDir, "postgres"))
		cluster, err = pgcluster.Start(ctx, pgcluster.Options{Dir: filepath.Join(cfg.DataDir, "postgres")})
		if err != nil {
			return nil, nil, err
		}
		if err := cluster.EnsureDatabase(ctx, "kycdesk"); err != nil {
			stop()
			return nil, nil, err
		}
		url = cluster.URL("kycdesk")
	}
	pool, err := db.Open(ctx, url, cfg.DBMaxConns)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return pool, func() {
		pool.Close()
		stop()
	}, nil
}

func setup(stderr io.Writer) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load()
	log := obs.NewLogger(stderr, cfg.LogLevel)
	return cfg, log, err
}

// env is what a command runs with: the configuration, a logger and the database.
type env struct {
	cfg  config.Config
	log  *slog.Logger
	pool *pgxpool.Pool
}

// open loads the configuration, opens the database (starting the private cluster when needed)
// and, with migrate, applies pending migrations. The returned function closes it all.
func open(ctx context.Context, stderr io.Writer, migrate bool) (env, func(), error) {
	cfg, log, err := setup(stderr)
	if err != nil {
		return env{}, nil, err
	}
	pool, closeDB, err := database(ctx, cfg, log)
	if err != nil {
		return env{}, nil, err
	}
	if migrate {
		if err := db.Migrate(ctx, pool); err != nil {
			closeDB()
			return env{}, nil, err
		}
	}
	return env{cfg: cfg, log: log, pool: pool}, closeDB, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [--demo]", stdout)
	withDemo := fs.Bool("demo", false, "create the demo users (and print their logins)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	config.TuneGC()
	e, closeDB, err := open(ctx, stderr, true)
	if err != nil {
		return err
	}
	defer closeDB()
	cfg, log, pool := e.cfg, e.log, e.pool
	var logins []demo.Login
	if *withDemo {
		if logins, err = demo.EnsureUsers(ctx, pool, cfg.DataDir); err != nil {
			return err
		}
	}
	srv, err := server.New(ctx, cfg, pool, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	if *withDemo {
		n, err := demo.EnsureCases(ctx, srv.CustomerService(), "reviewer2@kycdesk.local")
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("demo cases created", "count", n)
		}
	}
	fmt.Fprintf(stdout, "\nkycdesk is running at %s  (Ctrl-C stops it)\n", cfg.BaseURL)
	if len(logins) > 0 {
		fmt.Fprintln(stdout, "\nDemo logins:")
		for _, l := range logins {
			fmt.Fprintf(stdout, "  %-9s %-26s %s\n", l.Role, l.Email, l.Password)
		}
		fmt.Fprintln(stdout)
	}
	err = srv.Serve(ctx)
	log.Info("server stopped")
	return err
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "migrate", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, closeDB, err := open(ctx, stderr, true)
	if err != nil {
		return err
	}
	defer closeDB()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("user add", "user add --email E --role reviewer|manager|admin [--name N] [--password-stdin]", stdout)
	email := fs.String("email", "", "the user's email (required)")
	role := fs.String("role", "", "reviewer, manager or admin (required)")
	name := fs.String("name", "", "the user's name (default: the part of the email before @)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input; otherwise one is generated and printed once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		*name, _, _ = strings.Cut(*email, "@")
	}
	in := users.NewUser{Email: *email, Name: *name, Role: *role, Setup: users.SetupPassword}
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		in.Setup, in.Password = users.SetupGiven, strings.TrimRight(line, "\r\n")
	}
	if _, err := users.Validate(in); err != nil {
		return fieldErrors(err)
	}
	e, closeDB, err := open(ctx, stderr, true)
	if err != nil {
		return err
	}
	defer closeDB()
	svc := &users.Service{Pool: e.pool, LinkTTL: e.cfg.PasswordLinkTTL, BaseURL: e.cfg.BaseURL}
	out, err := svc.Create(ctx, audit.Actor{Label: "cli"}, in)
	if err != nil {
		return fieldErrors(err)
	}
	fmt.Fprintf(stdout, "created %s (%s)\n", out.User.Email, out.User.Role)
	if out.Password != "" {
		fmt.Fprintf(stdout, "temporary password (shown once, to be changed at first sign-in): %s\n", out.Password)
	}
	return nil
}

func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", "audit verify", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, closeDB, err := open(ctx, stderr, false)
	if err != nil {
		return err
	}
	defer closeDB()
	v, err := audit.Verify(ctx, db.New(e.pool))
	if err != nil {
		return err
	}
	if !v.OK() {
		fmt.Fprintf(stdout, "audit chain BROKEN at row %d: %s (%d rows checked)\n", v.BrokenAt, v.Reason, v.Rows)
		return fmt.Errorf("audit chain broken at row %d", v.BrokenAt)
	}
	fmt.Fprintf(stdout, "audit chain verified: %d rows, no break\n", v.Rows)
	return nil
}
