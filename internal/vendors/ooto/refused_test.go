package ooto

import "testing"

// TestRefusalsOfTheImages: OOTO refusing the images (no face, no document, unreadable, an
// undocumented code) is a refusal of the document; codes 1 to 4 refuse the request kycdesk made.
func TestRefusalsOfTheImages(t *testing.T) {
	for code, want := range map[string]bool{"5": true, "201": true, "203.0": true, "209": true, "77": true, "1": false, "2": false, "4.0": false} {
		if e := refusal(400, code, ""); e.Refused != want {
			t.Errorf("code %s: refused %v, want %v", code, e.Refused, want)
		}
	}
}
