package argos

import "testing"

// TestRefusalsOfTheDocument: Argos failing to recognise the document (1011, 1012, or a failure
// callback for a request it had accepted) is a refusal of the document; a refusal of the request
// (a field missing, the workspace unavailable, a processing problem) is not.
func TestRefusalsOfTheDocument(t *testing.T) {
	for code, want := range map[string]bool{"1011": true, "1012": true, "1001": false, "1003": false, "1005": false, "1013": false, "1015": false} {
		if e := codeError(code, "", 400); e.Refused != want {
			t.Errorf("code %s: refused %v, want %v", code, e.Refused, want)
		}
	}
	if e := codeError("4242", "what", 400); e.Refused {
		t.Error("an undocumented code in an answer counts as a refusal of the document")
	}
	for body, want := range map[string]bool{
		`{"statusCode":400,"transactionId":"t1","errorCode":"1011","message":"Fail to recognize idCard"}`: true,
		`{"statusCode":400,"transactionId":"t1","errorCode":"4242","message":"odd"}`:                      true,
		`{"statusCode":400,"transactionId":"t1"}`:                                                         true,
		`{"statusCode":400,"transactionId":"t1","errorCode":"1003","message":"Fail to process data"}`:     false,
	} {
		cb, err := ParseCallback([]byte(body))
		if err != nil || cb.Err == nil {
			t.Fatalf("%s: %v %+v", body, err, cb)
		}
		if cb.Err.Refused != want {
			t.Errorf("%s: refused %v, want %v", body, cb.Err.Refused, want)
		}
	}
}
