package httpx

import (
	"net/http/httptest"
	"testing"
)

// An error page leads back only to a page of this site, and not to the address that failed.
func TestCameFrom(t *testing.T) {
	for _, tc := range []struct{ target, referer, want string }{
		{"/cases/reports.zip", "http://desk.test/cases?status=new&q=a%26b", "/cases?status=new&q=a%26b"},
		{"/cases/reports.zip", "https://desk.test/cases/x%2Fy", "/cases/x%2Fy"},
		{"/cases/reports.zip", "", ""},
		{"/cases/reports.zip", "http://elsewhere.test/cases", ""},
		{"/cases/reports.zip", "javascript:alert(1)", ""},
		{"/cases/reports.zip", "http://desk.test//elsewhere.test/x", ""},
		{"/cases/1?x=2", "http://desk.test/cases/1?x=2", ""},
		{"/cases/1", "http://desk.test/cases", "/cases"},
	} {
		r := httptest.NewRequest("POST", "http://desk.test"+tc.target, nil)
		if tc.referer != "" {
			r.Header.Set("Referer", tc.referer)
		}
		if got := cameFrom(r); got != tc.want {
			t.Errorf("%s from %q: back to %q, want %q", tc.target, tc.referer, got, tc.want)
		}
	}
}
