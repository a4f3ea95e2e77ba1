package vendorsettings_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

// countingTracer counts the statements that reach PostgreSQL.
type countingTracer struct{ n atomic.Int64 }

func (c *countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestSettingsAreReadOncePerPage: the panels of a page (one read memo) ask for several vendors'
// settings and several app settings; each kind is read from PostgreSQL once, and each answer is
// the one asked for.
func TestSettingsAreReadOncePerPage(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "admin"))
	form := simForm(app, vendors.Argos, "k-123")
	form.Set("callback_wait_minutes", "25")
	if res := c.PostForm(t, "/admin/vendors/argos/sandbox", form); res.Status != http.StatusSeeOther {
		t.Fatalf("save Argos: %d", res.Status)
	}
	if res := c.PostForm(t, "/admin/vendors/ooto/sandbox", simForm(app, vendors.OOTO, "o-456")); res.Status != http.StatusSeeOther {
		t.Fatalf("save OOTO: %d", res.Status)
	}
	app.Exec(t, `INSERT INTO app_settings (key, value) VALUES ('review.min_age', '21') ON CONFLICT (key) DO UPDATE SET value = '21'`)

	cfg, err := pgxpool.ParseConfig(app.Pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	tracer := &countingTracer{}
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	svc := &vendorsettings.Service{Pool: pool, Keeper: app.Server.Settings.Keeper}

	ctx := db.WithMemo(context.Background())
	for _, v := range []vendors.Name{vendors.CynopsisOCR, vendors.Artemis, vendors.Apptenticate, vendors.Argos, vendors.OOTO} {
		st, err := svc.Get(ctx, v, "sandbox")
		if err != nil || st.Vendor != v {
			t.Fatalf("%s: %+v, %v", v, st, err)
		}
		saved := v == vendors.Argos || v == vendors.OOTO
		if st.Enabled != saved {
			t.Errorf("%s: enabled %v, want %v", v, st.Enabled, saved)
		}
		if v == vendors.Argos && st.Config["callback_wait_minutes"] != "25" {
			t.Errorf("Argos: %v", st.Config)
		}
	}
	r, err := svc.ResolveEnv(ctx, vendors.OOTO, "sandbox")
	if err != nil || r.Vendor != vendors.OOTO || r.Simulated {
		t.Fatalf("resolve OOTO: %v %v, %v", r.Vendor, r.Simulated, err)
	}
	if n := tracer.n.Load(); n != 1 {
		t.Errorf("five vendors' settings and a resolve: %d statements, want 1", n)
	}

	q := db.New(db.Reads(ctx, pool))
	if raw, err := q.AppSetting(ctx, "review.min_age"); err != nil || string(raw) != "21" {
		t.Errorf("review.min_age: %s, %v", raw, err)
	}
	if _, err := q.AppSetting(ctx, "no.such.setting"); !errors.Is(err, pgx.ErrNoRows) {
		t.Errorf("a setting never set: %v, want pgx.ErrNoRows", err)
	}
	if n := tracer.n.Load(); n != 2 {
		t.Errorf("after two app settings: %d statements, want 2", n)
	}
}
