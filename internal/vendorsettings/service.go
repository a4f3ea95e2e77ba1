package vendorsettings

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/db"
	"kycdesk/internal/secrets"
	"kycdesk/internal/vendors"
)

// Service reads and changes vendor settings.
type Service struct {
	Pool   *pgxpool.Pool
	Keeper *secrets.Keeper
	// Production is KYCDESK_ENV=production: every vendor URL must then be https.
	Production bool
}

// Settings is one integration's settings in one environment, without secret values.
type Settings struct {
	Vendor      vendors.Name
	Environment string
	Exists      bool
	Enabled     bool
	Config      map[string]string    // non-secret values as saved
	SecretsSet  map[string]time.Time // which secrets are set, and when
	Timeout     time.Duration
	Concurrency int
	UpdatedAt   time.Time
}

// Value returns a non-secret setting, or its default.
func (s Settings) Value(f Field) string {
	if v := s.Config[f.Name]; v != "" {
		return v
	}
	return f.Default
}

// Complete reports whether every required field is set.
func (s Settings) Complete() bool { return len(missingFields(s)) == 0 }

func toSettings(r db.VendorSetting) Settings {
	s := Settings{Vendor: vendors.Name(r.Vendor), Environment: r.Environment, Exists: true, Enabled: r.Enabled,
		Config: map[string]string{}, SecretsSet: map[string]time.Time{}, Timeout: time.Duration(r.TimeoutSeconds) * time.Second,
		Concurrency: int(r.Concurrency), UpdatedAt: r.UpdatedAt}
	_ = json.Unmarshal(r.Config, &s.Config)
	_ = json.Unmarshal(r.SecretsSet, &s.SecretsSet)
	return s
}

// defaults are the settings of an integration never saved (the table's column defaults).
func defaults(v vendors.Name, env string) Settings {
	return Settings{Vendor: v, Environment: env, Config: map[string]string{}, SecretsSet: map[string]time.Time{},
		Timeout: 60 * time.Second, Concurrency: 4}
}

func check(v vendors.Name, env string) (Integration, error) {
	in, ok := Lookup(v)
	if !ok {
		return in, apperr.New(apperr.NotFound, "No such vendor integration.")
	}
	if env != "sandbox" && env != "production" {
		return in, apperr.New(apperr.NotFound, "The environment is sandbox or production.")
	}
	return in, nil
}

// Get returns the settings of v in env (defaults when never saved).
func (s *Service) Get(ctx context.Context, v vendors.Name, env string) (Settings, error) {
	if _, err := check(v, env); err != nil {
		return Settings{}, err
	}
	r, err := s.row(ctx, v, env)
	if err != nil {
		return Settings{}, err
	}
	if r == nil {
		return defaults(v, env), nil
	}
	return toSettings(*r), nil
}

// row reads v's settings in env, nil when never saved. It reads every vendor's in env, so the
// panels of a page behind one read memo (db.Reads), which ask for several, read them once.
func (s *Service) row(ctx context.Context, v vendors.Name, env string) (*db.VendorSetting, error) {
	list, err := db.New(db.Reads(ctx, s.Pool)).ListEnvironmentVendorSettings(ctx, env)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Vendor == string(v) {
			return &list[i], nil
		}
	}
	return nil, nil
}

// Input is a change to an integration's settings.
type Input struct {
	Enabled        bool
	Config         map[string]string // non-secret values; missing keys keep their value
	Secrets        map[string]string // new secret values; "" or missing keeps the stored one
	Clear          []string          // secrets to remove
	TimeoutSeconds int
	Concurrency    int
}

// Save validates and stores a change. Secrets are merged into the stored (encrypted) ones; the
// audit row names which secrets changed, never their values.
func (s *Service) Save(ctx context.Context, actor audit.Actor, v vendors.Name, env string, in Input) (Settings, error) {
	integ, err := check(v, env)
	if err != nil {
		return Settings{}, err
	}
	var out Settings
	err = db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		before := Settings{Vendor: v, Environment: env, Config: map[string]string{}, SecretsSet: map[string]time.Time{}}
		var stored map[string]string
		row, err := q.GetVendorSettings(ctx, db.GetVendorSettingsParams{Vendor: string(v), Environment: env})
		switch {
		case err == nil:
			before = toSettings(row)
			if stored, err = s.open(ctx, row.Secrets); err != nil {
				return err
			}
		case !db.IsNotFound(err):
			return err
		}
		if stored == nil {
			stored = map[string]string{}
		}
		next := Settings{Vendor: v, Environment: env, Enabled: in.Enabled, Config: map[string]string{}, SecretsSet: map[string]time.Time{},
			Timeout: time.Duration(in.TimeoutSeconds) * time.Second, Concurrency: in.Concurrency}
		for k, t := range before.SecretsSet {
			next.SecretsSet[k] = t
		}
		errs := map[string]string{}
		var changed []string
		now := time.Now().UTC().Truncate(time.Second)
		for _, f := range integ.Fields {
			if f.Secret {
				if val := strings.TrimSpace(in.Secrets[f.Name]); val != "" {
					if len(val) > 4096 {
						errs[f.Name] = "The value is too long."
						continue
					}
					if len(val) < f.MinLength {
						errs[f.Name] = fmt.Sprintf("Use at least %d characters.", f.MinLength)
						continue
					}
					stored[f.Name], next.SecretsSet[f.Name] = val, now
					changed = append(changed, f.Name)
				}
				continue
			}
			val, ok := in.Config[f.Name]
			if !ok {
				val = before.Config[f.Name]
			}
			val = strings.TrimSpace(val)
			if msg := s.validate(f, env, val); msg != "" {
				errs[f.Name] = msg
			}
			if val != "" {
				next.Config[f.Name] = val
			}
		}
		for _, name := range in.Clear {
			if _, ok := stored[name]; ok {
				delete(stored, name)
				delete(next.SecretsSet, name)
				changed = append(changed, name)
			}
		}
		// A stored secret goes only where it went when it was typed: when an address changes,
		// each secret still stored must come with this change (or be cleared by it).
		if moved := movedAddress(integ, before, next); moved != "" {
			for _, f := range integ.Fields {
				if !f.Secret || f.Inbound || before.SecretsSet[f.Name].IsZero() || slices.Contains(changed, f.Name) || errs[f.Name] != "" {
					continue
				}
				errs[f.Name] = fmt.Sprintf("Type the %s again: the address it is sent to changed (%s).", lowerLabel(f.Label), moved)
			}
		}
		if in.TimeoutSeconds < 1 || in.TimeoutSeconds > 600 {
			errs["timeout_seconds"] = "Use 1 to 600 seconds."
		}
		if in.Concurrency < 1 || in.Concurrency > 64 {
			errs["concurrency"] = "Use 1 to 64 calls at once."
		}
		if in.Enabled && !next.Complete() {
			for _, f := range integ.Fields {
				if f.Required && ((f.Secret && next.SecretsSet[f.Name].IsZero()) || (!f.Secret && next.Value(f) == "")) && errs[f.Name] == "" {
					errs[f.Name] = "Required to enable the integration."
				}
			}
		}
		if err := apperr.Fields(errs); err != nil {
			return err
		}
		sealed, err := s.seal(ctx, stored)
		if err != nil {
			return err
		}
		cfg, _ := json.Marshal(next.Config)
		set, _ := json.Marshal(next.SecretsSet)
		row, err = q.UpsertVendorSettings(ctx, db.UpsertVendorSettingsParams{Vendor: string(v), Environment: env, Enabled: in.Enabled,
			Config: cfg, Secrets: sealed, SecretsSet: set, TimeoutSeconds: int32(in.TimeoutSeconds), Concurrency: int32(in.Concurrency),
			UpdatedBy: actor.UserID})
		if err != nil {
			return err
		}
		out = toSettings(row)
		sort.Strings(changed)
		return audit.Record(ctx, q, audit.Event{Actor: actor, Action: "vendor_settings.update", SubjectType: "vendor_settings",
			SubjectID: string(v) + "/" + env, Before: public(before), After: map[string]any{"settings": public(out), "secrets_changed": changed}})
	})
	return out, err
}

// movedAddress names the address settings (Field.Address) whose value, defaults included,
// differs between before and next; "" when none does.
func movedAddress(integ Integration, before, next Settings) string {
	var moved []string
	for _, f := range integ.Fields {
		if f.Address() && before.Value(f) != next.Value(f) {
			moved = append(moved, lowerLabel(f.Label))
		}
	}
	return strings.Join(moved, ", ")
}

// lowerLabel is a field's label inside a sentence: "Client secret" → "client secret", while an
// acronym stays ("API key", "APP-KEY", "OCR path").
func lowerLabel(label string) string {
	r := []rune(label)
	if len(r) > 1 && unicode.IsUpper(r[0]) && unicode.IsLower(r[1]) {
		r[0] = unicode.ToLower(r[0])
	}
	return string(r)
}

// public is what the audit log keeps of settings: no secret values.
func public(s Settings) map[string]any {
	names := make([]string, 0, len(s.SecretsSet))
	for k := range s.SecretsSet {
		names = append(names, k)
	}
	sort.Strings(names)
	return map[string]any{"enabled": s.Enabled, "config": s.Config, "secrets_set": names,
		"timeout_seconds": int(s.Timeout.Seconds()), "concurrency": s.Concurrency}
}

func (s *Service) validate(f Field, env, val string) string {
	if val == "" {
		return ""
	}
	if len(val) > 2000 {
		return "The value is too long."
	}
	if f.URL {
		u, err := url.Parse(val)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
			return "Enter a URL like https://api.example.com."
		}
		if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(val, " \t") {
			return "Enter the base URL alone, without spaces, ? or # (paths have their own fields)."
		}
		if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return "The port must be a number from 1 to 65535, like https://api.example.com:8443."
			}
		}
		if u.Scheme == "http" && (env == "production" || s.Production) && !loopback(u.Hostname()) {
			return "Use https: documents must not travel in clear text (plain http is allowed only on this machine)."
		}
	}
	if strings.HasSuffix(f.Name, "_path") || f.Name == "path" {
		if !strings.HasPrefix(val, "/") {
			return "A path starts with /."
		}
		if u, err := url.Parse(val); err != nil || u.Path != val || strings.ContainsAny(val, " \t?#%") {
			return "Use a plain path like /api/v1/check: no spaces, ? or #."
		}
	}
	switch f.Name {
	case "domain_id":
		if _, err := strconv.ParseInt(val, 10, 64); err != nil {
			return "The domain id is a whole number."
		}
	case "device":
		if val != "IOS" && val != "ANDROID" && val != "DESKTOP" {
			return "Use IOS, ANDROID or DESKTOP."
		}
	case "mode":
		if val != "sync" && val != "async" {
			return "Use sync or async."
		}
	case "callback_allow":
		for _, item := range strings.Split(val, ",") {
			if _, ok := allowItem(item); !ok {
				return fmt.Sprintf("%q is not an IP address or CIDR range: use addresses such as 203.0.113.7 or 198.51.100.0/24, comma-separated.", strings.TrimSpace(item))
			}
		}
	case "callback_wait_minutes":
		if n, err := strconv.Atoi(val); err != nil || n < 1 || n > 1440 {
			return "Enter a whole number of minutes from 1 to 1440."
		}
	}
	return ""
}

// AddressAllowed reports whether ip is one of list's addresses or in one of its CIDR ranges (a
// setting such as Artemis' callback_allow: comma-separated).
func AddressAllowed(list, ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, item := range strings.Split(list, ",") {
		if p, ok := allowItem(item); ok && p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

// allowItem reads one entry of an address list: a CIDR range, or an address (a range of one).
func allowItem(item string) (netip.Prefix, bool) {
	item = strings.TrimSpace(item)
	if p, err := netip.ParsePrefix(item); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(item); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Service) open(ctx context.Context, sealed []byte) (map[string]string, error) {
	m := map[string]string{}
	if len(sealed) == 0 {
		return m, nil
	}
	plain, err := s.Keeper.Decrypt(ctx, sealed)
	if err != nil {
		return nil, fmt.Errorf("vendor secrets cannot be decrypted (was the secrets key changed?): %w", err)
	}
	if err := json.Unmarshal(plain, &m); err != nil {
		return nil, fmt.Errorf("vendor secrets: %w", err)
	}
	return m, nil
}

func (s *Service) seal(ctx context.Context, m map[string]string) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, _ := json.Marshal(m)
	return s.Keeper.Encrypt(ctx, b)
}

// ActiveEnvironment is the environment checks run against ("sandbox" until an admin switches).
func (s *Service) ActiveEnvironment(ctx context.Context) (string, error) {
	raw, err := db.New(db.Reads(ctx, s.Pool)).AppSetting(ctx, "vendors.environment")
	if db.IsNotFound(err) {
		return "sandbox", nil
	}
	if err != nil {
		return "", err
	}
	var env string
	if json.Unmarshal(raw, &env) != nil || (env != "sandbox" && env != "production") {
		return "sandbox", nil
	}
	return env, nil
}

// SetActiveEnvironment switches the environment checks run against.
func (s *Service) SetActiveEnvironment(ctx context.Context, actor audit.Actor, env string) error {
	if env != "sandbox" && env != "production" {
		return apperr.Field("environment", "Choose sandbox or production.")
	}
	return db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		before, _ := s.ActiveEnvironment(ctx)
		raw, _ := json.Marshal(env)
		if err := q.SetAppSetting(ctx, db.SetAppSettingParams{Key: "vendors.environment", Value: raw, UpdatedBy: actor.UserID}); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: actor, Action: "vendor_settings.environment", SubjectType: "app_settings",
			SubjectID: "vendors.environment", Before: before, After: env})
	})
}

// Resolved is an integration's configuration for a call: every value, secrets decrypted. It never
// leaves the process.
type Resolved struct {
	Vendor      vendors.Name
	Environment string
	Values      map[string]string
	Timeout     time.Duration
	Concurrency int
	UpdatedAt   time.Time
	// Simulated is true when the integration is not configured and enabled, so the built-in
	// simulator answers instead.
	Simulated bool
}

// Resolve returns the configuration checks use for v: the active environment's settings when
// they are enabled and complete, else the simulator (Simulated, Values empty).
func (s *Service) Resolve(ctx context.Context, v vendors.Name) (Resolved, error) {
	env, err := s.ActiveEnvironment(ctx)
	if err != nil {
		return Resolved{}, err
	}
	st, sealed, err := s.load(ctx, v, env)
	if err != nil {
		return Resolved{}, err
	}
	if !st.Exists || !st.Enabled || !st.Complete() {
		return Resolved{Vendor: v, Environment: env, Timeout: st.Timeout, Concurrency: st.Concurrency, UpdatedAt: st.UpdatedAt,
			Values: map[string]string{}, Simulated: true}, nil
	}
	return s.resolve(ctx, st, sealed)
}

// ResolveEnv returns the saved configuration of v in env, whether or not it is enabled or env is
// the active environment: what the admin's "test connection" tries before switching it on.
// Values missing from the settings are missing from Values (the client then says what is
// missing); it is never Simulated.
func (s *Service) ResolveEnv(ctx context.Context, v vendors.Name, env string) (Resolved, error) {
	st, sealed, err := s.load(ctx, v, env)
	if err != nil {
		return Resolved{}, err
	}
	return s.resolve(ctx, st, sealed)
}

// load returns the settings of v in env (defaults when never saved) and their sealed secrets.
func (s *Service) load(ctx context.Context, v vendors.Name, env string) (Settings, []byte, error) {
	if _, err := check(v, env); err != nil {
		return Settings{}, nil, err
	}
	row, err := s.row(ctx, v, env)
	if err != nil {
		return Settings{}, nil, err
	}
	if row == nil {
		return defaults(v, env), nil, nil
	}
	return toSettings(*row), row.Secrets, nil
}

func (s *Service) resolve(ctx context.Context, st Settings, sealed []byte) (Resolved, error) {
	sec, err := s.open(ctx, sealed)
	if err != nil {
		return Resolved{}, err
	}
	r := Resolved{Vendor: st.Vendor, Environment: st.Environment, Timeout: st.Timeout, Concurrency: st.Concurrency,
		UpdatedAt: st.UpdatedAt, Values: map[string]string{}}
	integ, _ := Lookup(st.Vendor)
	for _, f := range integ.Fields {
		val := st.Value(f)
		if f.Secret {
			val = sec[f.Name]
		}
		if val != "" {
			r.Values[f.Name] = val
		}
	}
	return r, nil
}

// List returns the settings of every integration in every environment, in page order (defaults
// for those never saved).
func (s *Service) List(ctx context.Context) ([]Settings, error) {
	rows, err := db.New(s.Pool).ListVendorSettings(ctx)
	if err != nil {
		return nil, err
	}
	saved := map[string]Settings{}
	for _, r := range rows {
		saved[r.Vendor+"/"+r.Environment] = toSettings(r)
	}
	var out []Settings
	for _, in := range Integrations {
		for _, env := range Environments {
			st, ok := saved[string(in.Vendor)+"/"+env]
			if !ok {
				st = defaults(in.Vendor, env)
			}
			out = append(out, st)
		}
	}
	return out, nil
}
