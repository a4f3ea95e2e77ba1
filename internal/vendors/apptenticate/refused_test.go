package apptenticate

import "testing"

// TestProofOfLifeFailuresRefuseTheDocument: every valid:false answer, documented or not, is a
// refusal of the document as pictured.
func TestProofOfLifeFailuresRefuseTheDocument(t *testing.T) {
	for _, code := range []string{"826", "818", "999", ""} {
		if e := refusal(200, code, "x"); !e.Refused {
			t.Errorf("code %q: not a refusal of the document", code)
		}
	}
}
