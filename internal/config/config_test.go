package config

import (
	"os"
	"strings"
	"testing"

	"kycdesk/internal/auth"
)

func TestReadmeDocumentsEveryVariableAndPermission(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range Vars {
		if !strings.Contains(readme, "| `"+v.Name+"` |") {
			t.Errorf("README does not document %s", v.Name)
		}
	}
	for _, p := range auth.Matrix {
		row := "| " + p.Meaning + " |"
		for _, r := range auth.Roles {
			if auth.Can(r, p.Perm) {
				row += " yes |"
			} else {
				row += " |"
			}
		}
		if !strings.Contains(readme, row) {
			t.Errorf("README's role matrix lacks the row %q", row)
		}
	}
}

func TestLoadValidates(t *testing.T) {
	t.Setenv("KYCDESK_SESSION_IDLE", "soon")
	t.Setenv("KYCDESK_ADDR", "nowhere")
	t.Setenv("KYCDESK_ENV", "production")
	_, err := Load()
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"KYCDESK_SESSION_IDLE", "KYCDESK_ADDR", "DATABASE_URL is required", "KYCDESK_METRICS_TOKEN is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" || c.SecureCookies() {
		t.Fatalf("defaults: %+v", c)
	}
}
