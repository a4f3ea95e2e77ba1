package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"kycdesk/internal/db"
	"kycdesk/internal/simulator"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendorsettings"
)

func TestVendorHelpDescribesEverySetting(t *testing.T) {
	for _, args := range [][]string{{"vendor", "--help"}, {"vendor", "set", "--help"}, {"vendor", "list", "-h"}} {
		out, err := runCmd(t, "", args...)
		if err != nil && !strings.Contains(err.Error(), "help requested") {
			t.Fatalf("%v: %v", args, err)
		}
		for _, in := range vendorsettings.Integrations {
			if !strings.Contains(out, string(in.Vendor)+": "+in.Label) {
				t.Errorf("%v: %s missing", args, in.Vendor)
			}
			for _, f := range in.Fields {
				want := "--set " + f.Name + "="
				if f.Secret {
					want = "secret: --secret-stdin " + f.Name
				}
				if !strings.Contains(out, f.Name) || !strings.Contains(out, f.Label) || !strings.Contains(out, want) {
					t.Errorf("%v: %s.%s not described (want %q)", args, in.Vendor, f.Name, want)
				}
			}
		}
	}
	if out, _ := runCmd(t, "", "--help"); !strings.Contains(out, "kycdesk vendor") {
		t.Error("the main help does not mention vendor")
	}
	if _, err := runCmd(t, "", "vendor", "frobnicate"); err == nil {
		t.Error("unknown vendor command accepted")
	}
}

func TestVendorSetListAndTest(t *testing.T) {
	url := testenv.URL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("KYCDESK_DATA_DIR", t.TempDir())
	t.Setenv("KYCDESK_ENV", "development")
	sim := simulator.New(simulator.Options{})
	t.Cleanup(sim.Close)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)

	// Mistakes that need no database: each on its own line, a secret given as a flag never echoed.
	_, err := runCmd(t, "", "vendor", "set", "--vendor", "apptenticate", "--env", "sandbox",
		"--set", "colour=blue", "--set", "password=hunter2-secret", "--set", "nonsense", "--secret-stdin", "username")
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 4 || strings.Contains(err.Error(), "hunter2-secret") || !strings.Contains(err.Error(), "--secret-stdin password") {
		t.Fatalf("errors: %q", err.Error())
	}
	if _, err := runCmd(t, "", "vendor", "set", "--vendor", "nobody", "--env", "sandbox"); err == nil || !strings.Contains(err.Error(), "cynopsis_ocr") {
		t.Fatalf("unknown vendor: %v", err)
	}
	if _, err := runCmd(t, "", "vendor", "set", "--vendor", "argos", "--env", "staging"); err == nil {
		t.Fatal("unknown environment accepted")
	}

	// Validation by the service: one line per setting, named as given on the command line.
	_, err = runCmd(t, "", "vendor", "set", "--vendor", "cynopsis_ocr", "--env", "production", "--enabled=true",
		"--set", "auth_url=http://crm.cynopsis.example", "--set", "domain_id=acme", "--timeout", "0")
	if err == nil {
		t.Fatal("invalid settings saved")
	}
	for _, want := range []string{"--set auth_url: Use https", "--set domain_id: The domain id is a whole number.", "--timeout: Use 1 to 600 seconds.",
		"--secret-stdin client_secret: Required to enable", "--set client_id: Required to enable", "--set ocr_url: Required to enable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%s", want, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 6 {
		t.Errorf("%d lines for 6 fields:\n%s", n, err)
	}

	// A complete integration pointing at the simulator, its password on standard input.
	const secret = simulator.ApptenticatePassword
	out, err := runCmd(t, secret+"\n", "vendor", "set", "--vendor", "apptenticate", "--env", "sandbox", "--enabled=true",
		"--set", "base_url="+srv.URL+simulator.ApptenticatePrefix, "--set", "username="+simulator.ApptenticateUsername,
		"--secret-stdin", "password", "--timeout", "20")
	if err != nil {
		t.Fatalf("set: %v", err)
	}
	for _, want := range []string{"apptenticate (sandbox) saved:", "enabled: false → true", "base_url: (not set) → " + srv.URL, "password: set (new value, not shown)",
		"timeout: 60 s → 20 s", "Checks use these settings now."} {
		if !strings.Contains(out, want) {
			t.Errorf("set output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Fatal("set printed the secret")
	}
	out, err = runCmd(t, "", "vendor", "test", "--vendor", "apptenticate", "--env", "sandbox")
	if err != nil || !strings.Contains(out, "connection works") {
		t.Fatalf("test: %v %q", err, out)
	}
	// Changing one thing keeps the rest (enabled, the secret, the URL).
	out, err = runCmd(t, "", "vendor", "set", "--vendor", "apptenticate", "--env", "sandbox", "--concurrency", "8")
	if err != nil || strings.TrimSpace(out) != "apptenticate (sandbox) saved:\n  concurrency: 4 → 8\nChecks use these settings now." {
		t.Fatalf("partial set: %v %q", err, out)
	}
	out, err = runCmd(t, "", "vendor", "set", "--vendor", "apptenticate", "--env", "sandbox")
	if err != nil || !strings.Contains(out, "nothing changed") {
		t.Fatalf("empty set: %v %q", err, out)
	}

	// A wrong password: the test fails in plain words, without the value.
	if _, err := runCmd(t, "wrong-password-value\n", "vendor", "set", "--vendor", "apptenticate", "--env", "sandbox", "--secret-stdin", "password"); err != nil {
		t.Fatal(err)
	}
	_, err = runCmd(t, "", "vendor", "test", "--vendor", "apptenticate", "--env", "sandbox")
	if err == nil || !strings.Contains(err.Error(), "credentials were refused") || strings.Contains(err.Error(), "wrong-password-value") {
		t.Fatalf("test with a wrong password: %v", err)
	}
	// Standard input without the line a --secret-stdin asks for.
	if _, err := runCmd(t, "", "vendor", "set", "--vendor", "argos", "--env", "sandbox", "--secret-stdin", "api_key"); err == nil || !strings.Contains(err.Error(), "no value") {
		t.Fatalf("empty stdin: %v", err)
	}

	out, err = runCmd(t, "", "vendor", "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "active environment: sandbox") || strings.Count(out, "\n") < 11 || strings.Contains(out, "wrong-password-value") {
		t.Fatalf("list:\n%s", out)
	}
	var row string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "apptenticate" && f[1] == "sandbox" {
			row = l
		}
	}
	if f := strings.Fields(row); len(f) < 8 || f[2] != "yes" || f[3] != "yes" || !strings.Contains(row, "password (") {
		t.Fatalf("apptenticate row: %q", row)
	}
	if !strings.Contains(out, "username="+simulator.ApptenticateUsername) {
		t.Errorf("list does not show the settings:\n%s", out)
	}

	out, err = runCmd(t, "", "vendor", "env", "production")
	if err != nil || !strings.Contains(out, "active environment: production") {
		t.Fatalf("env: %v %q", err, out)
	}

	// At rest: ciphertext only; the audit log names the changed secret and the actor, not the value.
	pool, err := db.Open(context.Background(), url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var raw []byte
	if err := pool.QueryRow(context.Background(), `SELECT secrets FROM vendor_settings WHERE vendor = 'apptenticate'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "wrong-password-value") || strings.Contains(string(raw), secret) {
		t.Fatal("secret stored in clear")
	}
	var audit string
	if err := pool.QueryRow(context.Background(), `SELECT string_agg(actor_label || ' ' || action || ' ' || coalesce(after::text, ''), E'\n') FROM audit_events`).Scan(&audit); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(audit, "wrong-password-value") || strings.Contains(audit, secret) || !strings.Contains(audit, `cli vendor_settings.update`) ||
		!strings.Contains(audit, `cli vendor_settings.test`) || !strings.Contains(audit, `cli vendor_settings.environment`) {
		t.Fatalf("audit:\n%s", audit)
	}
}
