package config

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
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
	// The requests' pool is sized for the CPUs (2 × CPUs + 1, from 4 to 20), the background one fixed.
	if want := int32(min(20, max(4, 2*runtime.GOMAXPROCS(0)+1))); c.DBMaxConns != want || c.DBBackgroundConns != 10 {
		t.Fatalf("pools of %d and %d connections, want %d and 10", c.DBMaxConns, c.DBBackgroundConns, want)
	}
	t.Setenv("KYCDESK_DB_MAX_CONNS", "32")
	t.Setenv("KYCDESK_DB_BACKGROUND_CONNS", "3")
	if c, err = Load(); err != nil || c.DBMaxConns != 32 || c.DBBackgroundConns != 3 {
		t.Fatalf("pools of %d and %d connections (%v), set 32 and 3", c.DBMaxConns, c.DBBackgroundConns, err)
	}
	t.Setenv("KYCDESK_DB_BACKGROUND_CONNS", "1")
	if _, err = Load(); err == nil || !strings.Contains(err.Error(), "KYCDESK_DB_BACKGROUND_CONNS") {
		t.Fatalf("a background pool of one connection (the job queue and a worker need one each at once): %v", err)
	}
}

// TestTuneGC: the collector's defaults apply where GOGC and GOMEMLIMIT are not set, and only there;
// a small container lowers the soft limit.
func TestTuneGC(t *testing.T) {
	if got := memoryLimit(512 << 20); got != 384<<20 {
		t.Errorf("in a 512 MiB container, a limit of %d", got)
	}
	if got := memoryLimit(8 << 30); got != MemoryLimit {
		t.Errorf("in an 8 GiB container, a limit of %d", got)
	}
	dir := t.TempDir()
	for content, want := range map[string]int64{"max\n": 0, "536870912\n": 512 << 20, "": 0} {
		if err := os.WriteFile(dir+"/memory.max", []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := cgroupMemory(dir + "/memory.max"); got != want {
			t.Errorf("memory.max %q read as %d", content, got)
		}
	}
	if got := cgroupMemory(dir + "/none"); got != 0 {
		t.Errorf("no memory.max read as %d", got)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(math.MaxInt64)
	TuneGC()
	want := memoryLimit(cgroupMemory("/sys/fs/cgroup/memory.max"))
	if p, l := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64); p != GCPercent || l != want {
		t.Fatalf("GC percent %d and memory limit %d, want %d and %d", p, l, GCPercent, want)
	}
	t.Setenv("GOGC", "100")
	t.Setenv("GOMEMLIMIT", "2GiB")
	TuneGC()
	if p, l := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); p != 100 || l != math.MaxInt64 {
		t.Fatalf("GOGC and GOMEMLIMIT set, yet GC percent %d and memory limit %d", p, l)
	}
}
