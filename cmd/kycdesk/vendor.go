package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/checks"
	"kycdesk/internal/secrets"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

// cliActor is who the audit log names for changes made from the command line.
var cliActor = audit.Actor{Label: "cli"}

const vendorSynopsis = `Usage:
  kycdesk vendor list
      every integration in both environments: enabled, complete, settings, which secrets are set
  kycdesk vendor set --vendor NAME --env sandbox|production [--enabled=true|false]
                     [--timeout SECONDS] [--concurrency N] [--set key=value ...]
                     [--secret-stdin key ...] [--clear key ...]
      change an integration's settings; what is not given keeps its value
  kycdesk vendor env [sandbox|production]
      show, or switch, the environment checks run against
  kycdesk vendor test --vendor NAME --env sandbox|production
      try the saved settings with the vendor (the same test as the admin page's button)

Options of vendor set:
  --vendor NAME          the integration (names below)
  --env ENV              sandbox or production
  --enabled=true|false   whether checks use the integration (in the active environment); enabling
                         needs every required setting
  --timeout SECONDS      timeout of each call, 1 to 600 (new integrations: 60)
  --concurrency N        calls to this vendor at once, 1 to 64 (new integrations: 4)
  --set key=value        a setting that is not secret; repeat for several; an empty value removes
                         it (the default then applies)
  --secret-stdin key     read this secret from standard input: one line per --secret-stdin, in
                         the order given. Secrets are never taken from a flag (flags end up in
                         shell history and process lists) and never printed.
  --clear key            remove a stored secret

Every change is audited (as "cli") with the names of the secrets that changed, never their values.
In production (KYCDESK_ENV=production), and always for the production environment, vendor URLs
must be https; plain http is allowed only on this machine (the built-in simulator).

Example:
  printf '%s\n' "$CYNOPSIS_SECRET" | kycdesk vendor set --vendor cynopsis_ocr --env production \
      --set auth_url=https://crm.cynopsis.co --set ocr_url=https://d1.cynopsis.co \
      --set client_id=acme --set domain_id=42 --secret-stdin client_secret --enabled=true
`

// vendorUsage is the whole help: the synopsis, then every setting of every integration, generated
// from vendorsettings.Integrations so that it cannot fall behind.
func vendorUsage() string {
	var b strings.Builder
	b.WriteString(vendorSynopsis)
	b.WriteString("\nIntegrations and their settings:\n")
	for _, in := range vendorsettings.Integrations {
		fmt.Fprintf(&b, "\n  %s: %s (%s checks)\n", in.Vendor, in.Label, in.Kind)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, f := range in.Fields {
			var notes []string
			if f.Secret {
				notes = append(notes, "secret: --secret-stdin "+f.Name)
			} else {
				notes = append(notes, "--set "+f.Name+"=…")
			}
			if f.Required {
				notes = append(notes, "required to enable")
			}
			if f.URL {
				notes = append(notes, "URL")
			}
			if f.Default != "" {
				notes = append(notes, "default "+f.Default)
			}
			desc := f.Label + " (" + strings.Join(notes, "; ") + ")"
			if f.Hint != "" {
				desc += ". " + f.Hint
			}
			fmt.Fprintf(tw, "    %s\t%s\n", f.Name, desc)
		}
		_ = tw.Flush()
	}
	return b.String()
}

func vendorCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprint(stdout, vendorUsage())
		return nil
	}
	switch args[0] {
	case "list":
		return vendorList(ctx, args[1:], stdout, stderr)
	case "set":
		return vendorSet(ctx, args[1:], stdin, stdout, stderr)
	case "env":
		return vendorEnv(ctx, args[1:], stdout, stderr)
	case "test":
		return vendorTest(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown vendor command %q: use list, set, env or test (see kycdesk vendor --help)", args[0])
}

// vendorFlags is a flag set whose -help prints the whole vendor help.
func vendorFlags(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprint(stdout, vendorUsage()) }
	return fs
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// vendorService opens the database and the secrets keeper the server uses.
func vendorService(ctx context.Context, stderr io.Writer) (*vendorsettings.Service, func(), error) {
	e, closeDB, err := open(ctx, stderr, true)
	if err != nil {
		return nil, nil, err
	}
	cfg, pool := e.cfg, e.pool
	keeper, err := secrets.Open(ctx, cfg.SecretsURL, cfg.DataDir)
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return &vendorsettings.Service{Pool: pool, Keeper: keeper, Production: cfg.Production()}, func() {
		_ = keeper.Close()
		closeDB()
	}, nil
}

// integration checks --vendor and --env.
func integration(name, env string) (vendorsettings.Integration, error) {
	in, ok := vendorsettings.Lookup(vendors.Name(name))
	if !ok {
		names := make([]string, len(vendorsettings.Integrations))
		for i, it := range vendorsettings.Integrations {
			names[i] = string(it.Vendor)
		}
		return in, fmt.Errorf("--vendor: use one of %s", strings.Join(names, ", "))
	}
	if env != "sandbox" && env != "production" {
		return in, errors.New("--env: use sandbox or production")
	}
	return in, nil
}

func fieldOf(in vendorsettings.Integration, name string) (vendorsettings.Field, bool) {
	for _, f := range in.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return vendorsettings.Field{}, false
}

// settingErrors turns validation errors into one line per setting, named as it is given on the
// command line.
func settingErrors(in vendorsettings.Integration, err error) error {
	fields := apperr.FieldsOf(err)
	if len(fields) == 0 {
		return err
	}
	lines := make([]string, 0, len(fields))
	for name, msg := range fields {
		flagName := "--set " + name
		switch f, ok := fieldOf(in, name); {
		case name == "timeout_seconds":
			flagName = "--timeout"
		case name == "concurrency":
			flagName = "--concurrency"
		case name == "enabled":
			flagName = "--enabled"
		case ok && f.Secret:
			flagName = "--secret-stdin " + name
		}
		lines = append(lines, fmt.Sprintf("%s: %s", flagName, msg))
	}
	sort.Strings(lines)
	return errors.New(strings.Join(lines, "\n"))
}

func vendorSet(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := vendorFlags("vendor set", stdout)
	name := fs.String("vendor", "", "the integration")
	env := fs.String("env", "", "sandbox or production")
	enabled := fs.Bool("enabled", false, "whether checks use the integration")
	timeout := fs.Int("timeout", 0, "timeout of each call in seconds")
	concurrency := fs.Int("concurrency", 0, "calls at once")
	var sets, secretKeys, clears listFlag
	fs.Var(&sets, "set", "key=value")
	fs.Var(&secretKeys, "secret-stdin", "secret read from standard input")
	fs.Var(&clears, "clear", "secret to remove")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see kycdesk vendor set --help)", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	in, err := integration(*name, *env)
	if err != nil {
		return err
	}
	// Everything that can be judged without the database is judged first, so a typo costs no
	// database start and reads no secret.
	input := vendorsettings.Input{Config: map[string]string{}, Secrets: map[string]string{}}
	var problems []string
	for _, kv := range sets {
		key, val, ok := strings.Cut(kv, "=")
		f, known := fieldOf(in, key)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("--set %s: write key=value", kv))
		case !known:
			problems = append(problems, fmt.Sprintf("--set %s: %s has no such setting (see kycdesk vendor --help)", key, in.Vendor))
		case f.Secret:
			// Never echo the value: it is a secret typed where it should not be.
			problems = append(problems, fmt.Sprintf("--set %s: this is a secret: give it on standard input with --secret-stdin %s", key, key))
		default:
			input.Config[key] = val
		}
	}
	for _, key := range append(append([]string{}, secretKeys...), clears...) {
		if f, ok := fieldOf(in, key); !ok || !f.Secret {
			problems = append(problems, fmt.Sprintf("%s: %s has no secret setting of that name", key, in.Vendor))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	if len(secretKeys) > 0 {
		r := bufio.NewReader(stdin)
		for _, key := range secretKeys {
			line, err := r.ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read %s from standard input: %w", key, err)
			}
			line = strings.TrimRight(line, "\r\n")
			if strings.TrimSpace(line) == "" {
				return fmt.Errorf("--secret-stdin %s: standard input gave no value (one line per --secret-stdin)", key)
			}
			input.Secrets[key] = line
		}
	}
	input.Clear = clears

	svc, closeAll, err := vendorService(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeAll()
	before, err := svc.Get(ctx, in.Vendor, *env)
	if err != nil {
		return err
	}
	input.Enabled, input.TimeoutSeconds, input.Concurrency = before.Enabled, int(before.Timeout.Seconds()), before.Concurrency
	if given["enabled"] {
		input.Enabled = *enabled
	}
	if given["timeout"] {
		input.TimeoutSeconds = *timeout
	}
	if given["concurrency"] {
		input.Concurrency = *concurrency
	}
	after, err := svc.Save(ctx, cliActor, in.Vendor, *env, input)
	if err != nil {
		return settingErrors(in, err)
	}
	changes := describeChanges(in, before, after, input)
	if len(changes) == 0 {
		fmt.Fprintf(stdout, "%s (%s): nothing changed\n", in.Vendor, *env)
	} else {
		fmt.Fprintf(stdout, "%s (%s) saved:\n", in.Vendor, *env)
		for _, c := range changes {
			fmt.Fprintln(stdout, "  "+c)
		}
	}
	active, err := svc.ActiveEnvironment(ctx)
	if err != nil {
		return err
	}
	switch {
	case active != *env:
		fmt.Fprintf(stdout, "%s is not the active environment (%s): checks do not use these settings until `kycdesk vendor env %s`.\n", *env, active, *env)
	case !after.Enabled:
		fmt.Fprintf(stdout, "The integration is not enabled: its checks do not use these settings.\n")
	default:
		fmt.Fprintf(stdout, "Checks use these settings now.\n")
	}
	return nil
}

// describeChanges says what a save changed, in lines, without a secret value.
func describeChanges(in vendorsettings.Integration, before, after vendorsettings.Settings, input vendorsettings.Input) []string {
	var out []string
	yesNo := map[bool]string{true: "true", false: "false"}
	if before.Enabled != after.Enabled {
		out = append(out, fmt.Sprintf("enabled: %s → %s", yesNo[before.Enabled], yesNo[after.Enabled]))
	}
	show := func(st vendorsettings.Settings, f vendorsettings.Field) string {
		if v := st.Config[f.Name]; v != "" {
			return v
		}
		if f.Default != "" {
			return "(default " + f.Default + ")"
		}
		return "(not set)"
	}
	for _, f := range in.Fields {
		if f.Secret {
			switch {
			case input.Secrets[f.Name] != "":
				out = append(out, f.Name+": set (new value, not shown)")
			case !before.SecretsSet[f.Name].IsZero() && after.SecretsSet[f.Name].IsZero():
				out = append(out, f.Name+": cleared")
			}
			continue
		}
		if b, a := show(before, f), show(after, f); b != a {
			out = append(out, fmt.Sprintf("%s: %s → %s", f.Name, b, a))
		}
	}
	if before.Timeout != after.Timeout {
		out = append(out, fmt.Sprintf("timeout: %d s → %d s", int(before.Timeout.Seconds()), int(after.Timeout.Seconds())))
	}
	if before.Concurrency != after.Concurrency {
		out = append(out, fmt.Sprintf("concurrency: %d → %d", before.Concurrency, after.Concurrency))
	}
	return out
}

func vendorList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := vendorFlags("vendor list", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	svc, closeAll, err := vendorService(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeAll()
	active, err := svc.ActiveEnvironment(ctx)
	if err != nil {
		return err
	}
	all, err := svc.List(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "active environment: %s\n\n", active)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VENDOR\tENV\tENABLED\tCOMPLETE\tTIMEOUT\tCONCURRENCY\tSECRETS SET\tUPDATED")
	yesNo := map[bool]string{true: "yes", false: "no"}
	for _, st := range all {
		updated := "never"
		if st.Exists {
			updated = st.UpdatedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d s\t%d\t%s\t%s\n", st.Vendor, st.Environment, yesNo[st.Enabled], yesNo[st.Complete()],
			int(st.Timeout.Seconds()), st.Concurrency, secretsSet(st), updated)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, st := range all {
		if !st.Exists || len(st.Config) == 0 {
			continue
		}
		keys := make([]string, 0, len(st.Config))
		for k := range st.Config {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(stdout, "\n%s (%s):\n", st.Vendor, st.Environment)
		for _, k := range keys {
			fmt.Fprintf(stdout, "  %s=%s\n", k, st.Config[k])
		}
	}
	return nil
}

// secretsSet names the secrets that are set and when, never their values.
func secretsSet(st vendorsettings.Settings) string {
	if len(st.SecretsSet) == 0 {
		return "-"
	}
	var parts []string
	for k, at := range st.SecretsSet {
		parts = append(parts, k+" ("+at.UTC().Format("2006-01-02")+")")
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func vendorEnv(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := vendorFlags("vendor env", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return errors.New("usage: kycdesk vendor env [sandbox|production]")
	}
	want := fs.Arg(0)
	if want != "" && want != "sandbox" && want != "production" {
		return errors.New("the environment is sandbox or production")
	}
	svc, closeAll, err := vendorService(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeAll()
	if want != "" {
		if err := svc.SetActiveEnvironment(ctx, cliActor, want); err != nil {
			return fieldErrors(err)
		}
	}
	active, err := svc.ActiveEnvironment(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "active environment: %s\n", active)
	return nil
}

func vendorTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := vendorFlags("vendor test", stdout)
	name := fs.String("vendor", "", "the integration")
	env := fs.String("env", "", "sandbox or production")
	if err := fs.Parse(args); err != nil {
		return err
	}
	in, err := integration(*name, *env)
	if err != nil {
		return err
	}
	svc, closeAll, err := vendorService(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeAll()
	calls := &checks.CallLog{Pool: svc.Pool}
	res, err := svc.Test(ctx, cliActor, in.Vendor, *env, func(v vendors.Name, r vendorsettings.Resolved) (any, error) {
		return checks.Build(v, r, checks.ClientConfigs{}, nil, calls)
	})
	if err != nil {
		return err
	}
	if res.OK {
		fmt.Fprintf(stdout, "%s (%s): connection works (%s).\n%s\n", in.Vendor, *env, res.Latency.Round(time.Millisecond), res.Message)
		return nil
	}
	msg := fmt.Sprintf("%s (%s): connection failed: %s.\n%s", in.Vendor, *env, vendorsettings.KindWords(res.Kind), res.Message)
	if res.Code != "" {
		msg += "\nvendor code: " + res.Code
	}
	if res.HTTPStatus != 0 {
		msg += "\nHTTP status: " + strconv.Itoa(res.HTTPStatus)
	}
	if res.Detail != "" {
		msg += "\ndetail: " + res.Detail
	}
	return errors.New(msg)
}
