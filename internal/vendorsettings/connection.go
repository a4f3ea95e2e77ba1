package vendorsettings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"kycdesk/internal/audit"
	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
)

// TestTimeout bounds a connection test, however long the integration's own timeout is.
const TestTimeout = 30 * time.Second

// Tester is what every vendor client offers the "test connection" button: the cheapest call
// that proves the address and the credentials.
type Tester interface {
	TestConnection(ctx context.Context) error
}

// Builder makes the vendor client for resolved settings. The server passes checks.Build: this
// package cannot import the checks package, which imports it.
type Builder func(v vendors.Name, r Resolved) (any, error)

// TestResult is the outcome of a connection test, in plain words and without secrets.
type TestResult struct {
	Vendor      vendors.Name
	Environment string
	OK          bool
	// Message says what the outcome proves, or what went wrong.
	Message string
	// Kind, Code and HTTPStatus describe a failure as the vendor client classified it.
	Kind       vendors.Kind
	Code       string
	HTTPStatus int
	// Detail is the technical cause (a network error, say), for whoever sets the integration up.
	Detail  string
	Latency time.Duration
	At      time.Time
}

// KindWords says what a failure kind means for the admin.
func KindWords(k vendors.Kind) string {
	switch k {
	case vendors.Auth:
		return "the credentials were refused"
	case vendors.Transient:
		return "the vendor could not be reached or did not answer in time"
	case vendors.Business:
		return "the vendor refused the request"
	case vendors.Invalid:
		return "the settings or the vendor's answer are not usable"
	}
	return "the test failed"
}

// successWords says what a passed test proves, per integration: each client proves something
// different with its cheapest call.
func successWords(v vendors.Name) string {
	switch v {
	case vendors.CynopsisOCR, vendors.Artemis:
		return "Cynopsis issued an access token: the auth URL, client ID and client secret work. The domain ID and the service URL are only checked by a real check."
	case vendors.Apptenticate:
		return "Apptenticate signed kycdesk in: the base URL, username and password work."
	case vendors.Argos:
		return "Argos refused an empty test request with one of its documented errors, as it should: the URL and the API key work. Recognition itself is only proved by a real check."
	case vendors.OOTO:
		return "OOTO's engine examined two blank test images and refused them as expected: the URL, APP-ID and APP-KEY work. The call may count as a transaction on the account."
	}
	return "The connection works."
}

// Test builds a client for v's saved settings in env (enabled or not, active environment or not),
// asks it to prove the connection within TestTimeout, and audits the outcome: never a secret,
// only whether it worked and the failure's kind and code. The returned error is for a failure of
// kycdesk itself (the database, decryption); a failed test is a TestResult.
func (s *Service) Test(ctx context.Context, actor audit.Actor, v vendors.Name, env string, build Builder) (TestResult, error) {
	st, sealed, err := s.load(ctx, v, env)
	if err != nil {
		return TestResult{}, err
	}
	res := TestResult{Vendor: v, Environment: env, At: time.Now().UTC()}
	var secretValues []string
	if missing := missingFields(st); len(missing) > 0 {
		res.Kind = vendors.Invalid
		res.Message = "Fill in and save these settings first: " + strings.Join(missing, ", ") + "."
	} else {
		r, err := s.resolve(ctx, st, sealed)
		if err != nil {
			return TestResult{}, err
		}
		integ, _ := Lookup(v)
		for _, f := range integ.Fields {
			if f.Secret && r.Values[f.Name] != "" {
				secretValues = append(secretValues, r.Values[f.Name])
			}
		}
		res.run(ctx, v, r, build)
	}
	res.scrub(secretValues)
	err = db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		out := map[string]any{"ok": res.OK, "latency_ms": res.Latency.Milliseconds()}
		if !res.OK {
			out["kind"], out["code"], out["http_status"] = string(res.Kind), res.Code, res.HTTPStatus
		}
		return audit.Record(ctx, q, audit.Event{Actor: actor, Action: "vendor_settings.test", SubjectType: "vendor_settings",
			SubjectID: string(v) + "/" + env, After: out})
	})
	if err != nil {
		return TestResult{}, fmt.Errorf("audit the connection test: %w", err)
	}
	return res, nil
}

// run makes the client and its test call, and fills in the outcome.
func (res *TestResult) run(ctx context.Context, v vendors.Name, r Resolved, build Builder) {
	start := time.Now()
	defer func() { res.Latency = time.Since(start) }()
	client, err := build(v, r)
	if err == nil {
		t, ok := client.(Tester)
		if !ok {
			err = fmt.Errorf("the %s client cannot test its connection", v)
		} else {
			tctx, cancel := context.WithTimeout(ctx, TestTimeout)
			defer cancel()
			err = t.TestConnection(tctx)
		}
	}
	if err == nil {
		res.OK, res.Message = true, successWords(v)
		return
	}
	var ve *vendors.Error
	switch {
	case errors.As(err, &ve):
		res.Kind, res.Code, res.HTTPStatus, res.Message = ve.Kind, ve.Code, ve.HTTPStatus, ve.Message
		if ve.Err != nil {
			res.Detail = ve.Err.Error()
		}
	case errors.Is(err, context.DeadlineExceeded):
		res.Kind, res.Message = vendors.Transient, fmt.Sprintf("No answer within %d seconds.", int(TestTimeout.Seconds()))
	default:
		res.Kind, res.Message, res.Detail = vendors.Invalid, "The test could not be made.", err.Error()
	}
	if res.Message == "" {
		res.Message = KindWords(res.Kind) + "."
	}
}

// scrub removes secret values from what is shown and kept, in case a vendor (or an error)
// echoes one back, as vendors.Secrets removes them from the calls the test records. Very short
// values are left: replacing them would mangle the text and they are not credentials worth the
// name.
func (res *TestResult) scrub(secretValues []string) {
	s := vendors.NewSecrets(secretValues...)
	res.Message, res.Detail, res.Code = s.Scrub(res.Message), s.Scrub(res.Detail), s.Scrub(res.Code)
}

// missingFields names the required settings that are not set.
func missingFields(st Settings) []string {
	integ, _ := Lookup(st.Vendor)
	var out []string
	for _, f := range integ.Fields {
		if f.Required && ((f.Secret && st.SecretsSet[f.Name].IsZero()) || (!f.Secret && st.Value(f) == "")) {
			out = append(out, f.Label)
		}
	}
	return out
}
