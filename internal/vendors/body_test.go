package vendors

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestReadBodyRefusesWhatIsOverItsLimitInPlainWords(t *testing.T) {
	for _, tc := range []struct {
		limit int64
		want  string
	}{
		{4 << 20, "larger than 4 MB"},
		{512 << 10, "larger than 512 KB"},
		{1500, "larger than 1500 bytes"},
	} {
		_, err := ReadBody(OOTO, strings.NewReader(strings.Repeat("x", int(tc.limit)+1)), tc.limit)
		var ve *Error
		if !errors.As(err, &ve) || ve.Kind != Transient || !strings.Contains(ve.Message, tc.want) {
			t.Errorf("limit %d: %v", tc.limit, err)
		}
		if b, err := ReadBody(OOTO, strings.NewReader(strings.Repeat("x", int(tc.limit))), tc.limit); err != nil || int64(len(b)) != tc.limit {
			t.Errorf("limit %d: a body of exactly the limit refused: %v", tc.limit, err)
		}
	}
}

// A 503 that says when to come back is waited for as a 429 is; a 5xx without it gets the backoff.
func TestStatusErrorKeepsRetryAfterOn429And5xx(t *testing.T) {
	for _, c := range []struct {
		status int
		header string
		kind   Kind
		wait   time.Duration
	}{
		{429, "7", Transient, 7 * time.Second},
		{503, "120", Transient, 2 * time.Minute},
		{502, "", Transient, 0},
		{400, "30", Invalid, 0},
	} {
		resp := &http.Response{StatusCode: c.status, Header: http.Header{}}
		if c.header != "" {
			resp.Header.Set("Retry-After", c.header)
		}
		e := StatusError(Argos, resp, nil)
		if e.Kind != c.kind || e.RetryAfter != c.wait {
			t.Errorf("%d with Retry-After %q: %s, wait %s; want %s, wait %s", c.status, c.header, e.Kind, e.RetryAfter, c.kind, c.wait)
		}
	}
}

// A stored body keeps its text: an MRZ reads "P<GBR…", not "P\u003cGBR…" (json.Marshal's HTML
// escaping), and Pretty shows a body stored before that readably too.
func TestBodiesKeepTheirText(t *testing.T) {
	mrz := "P<GBRELSWORTHIN<<EMIL<<<<<<<<<<<<<<<<<<<<<<<"
	got := string(Redact([]byte(`{"mrz": "` + mrz + `", "note": "a & b > c", "apiKey": "s3cret", "score": 1.50}`)))
	if !strings.Contains(got, `"mrz":"`+mrz+`"`) || !strings.Contains(got, `"note":"a & b > c"`) || strings.Contains(got, `\u00`) {
		t.Errorf("redacted body %s", got)
	}
	if strings.Contains(got, "s3cret") || !strings.Contains(got, `"score":1.50`) {
		t.Errorf("redacted body %s: a secret is kept, or a number changed", got)
	}

	stored := `{"document":{"mrz":"P\u003cGBRELSWORTHIN\u003c\u003cEMIL","score":0.870},"ok":true}`
	pretty, ok := Pretty([]byte(stored))
	want := "{\n  \"document\": {\n    \"mrz\": \"P<GBRELSWORTHIN<<EMIL\",\n    \"score\": 0.870\n  },\n  \"ok\": true\n}"
	if !ok || pretty != want {
		t.Errorf("Pretty(%s) = %q, %v; want %q", stored, pretty, ok, want)
	}
	for _, notJSON := range []string{"", "<html>oops</html>", `{"a":1} {"b":2}`, `{"a":`} {
		if _, ok := Pretty([]byte(notJSON)); ok {
			t.Errorf("Pretty(%q) reads it as JSON", notJSON)
		}
	}
}
