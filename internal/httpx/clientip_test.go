package httpx_test

import (
	"net/http/httptest"
	"testing"

	"kycdesk/internal/httpx"
)

// TestClientIPTakesWhatTheProxyAdded: behind a proxy, the address is the last one of
// X-Forwarded-For (a proxy appends the peer it saw); what the client wrote before it is never
// taken, so it cannot choose the address its sign-in failures are counted and audited under.
func TestClientIPTakesWhatTheProxyAdded(t *testing.T) {
	for _, c := range []struct {
		name  string
		xff   []string
		trust bool
		want  string
	}{
		{"no proxy trusted", []string{"203.0.113.9"}, false, "192.0.2.1"},
		{"one entry", []string{"198.51.100.7"}, true, "198.51.100.7"},
		{"client-written entries before the proxy's", []string{"203.0.113.3, 10.9.9.9, 198.51.100.7"}, true, "198.51.100.7"},
		{"several headers", []string{"203.0.113.3", "198.51.100.7"}, true, "198.51.100.7"},
		{"IPv6", []string{"203.0.113.3, 2001:db8::1"}, true, "2001:db8::1"},
		{"not an address", []string{"203.0.113.3, garbage"}, true, "192.0.2.1"},
		{"no header", nil, true, "192.0.2.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "192.0.2.1:51234"
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := httpx.ClientIP(r, c.trust); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
