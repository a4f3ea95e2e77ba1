package checks

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"unicode/utf8"

	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/argos"
)

// FuzzCallbackBody follows an Argos callback body the way CallbackHandler and CallbackWorker do
// (parse, map the boxes back with the request's scale, store) and asserts that whatever a caller
// posts either is refused as not a callback or finishes the check with values PostgreSQL accepts:
// a storable transaction id, and a result or a failure whose text and JSON can be written.
func FuzzCallbackBody(f *testing.F) {
	sample, err := os.ReadFile("../vendors/argos/testdata/sample_response.json")
	if err != nil {
		f.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(sample, &body); err != nil {
		f.Fatal(err)
	}
	body["statusCode"] = 200
	success, _ := json.Marshal(body)
	f.Add(success, 2.0, 2.0)
	f.Add(success, 0.25, 0.5)
	for _, s := range []string{
		`{"statusCode":400,"apiType":"id_recognition","transactionId":"tx9","errorCode":1011,"message":"Fail to recognize idCard"}`,
		`{"statusCode":400,"transactionId":"t","message":"engine\u0000down"}`,
		`{"statusCode":500,"transactionId":"t"}`,
		`{"statusCode":200,"transactionId":"t\u0000x","result":{"data":{"raw":{"name":{"value":"A\u0000B","score":"77"}}}}}`,
		`{"statusCode":"200","transactionId":7,"result":{"data":{"raw":{"name":{"value":"A","coordinates":{"first":{"x":1e308,"y":1},"second":{"x":2,"y":1},"third":{"x":2,"y":2},"fourth":{"x":1,"y":"2"}}}}}}}`,
		`{"transactionId":"t","result":{"data":{"ocr":{"ocr_lastName":"\ud800"}},"review_front":"true"}}`,
		`{"statusCode":200,"result":{"data":{}}}`,
		`[]`, ``,
	} {
		f.Add([]byte(s), 1.0, 1.0)
	}
	f.Fuzz(func(t *testing.T, body []byte, sx, sy float64) {
		// The scale is kycdesk's own (the stored image's size over the sent one's): realistic only.
		if !(sx >= 0.01 && sx <= 100) || !(sy >= 0.01 && sy <= 100) {
			return
		}
		cb, err := argos.ParseCallback(body)
		if err != nil || cb.TransactionID == "" {
			return // the handler answers "Not an Argos callback."
		}
		if id := storable(cb.TransactionID); id == "" || !storableText(id) {
			t.Fatalf("transaction id %q is not storable", id)
		}
		if cb.Err != nil {
			kind, code, msg := describe(cb.Err)
			if kind != string(vendors.Business) || msg == "" || !storableText(code) || !storableText(msg) {
				t.Fatalf("failure stored as %q %q %q", kind, code, msg)
			}
			return
		}
		if cb.Result == nil {
			t.Fatal("a callback with neither a result nor an error")
		}
		argos.Scale{X: sx, Y: sy}.Apply(cb.Result)
		outcome, code, reason, raw, err := succeeded(cb.Result)
		if err != nil {
			t.Fatalf("result cannot be stored: %v", err)
		}
		switch vendors.Outcome(outcome) {
		case vendors.OutcomePass, vendors.OutcomeReview, vendors.OutcomeFail:
		default:
			t.Fatalf("outcome %q", outcome)
		}
		if !storableText(code) || !storableText(reason) {
			t.Fatalf("code %q or reason %q not storable", code, reason)
		}
		if !json.Valid(raw) || !utf8.Valid(raw) || !storableTreeText(raw) {
			t.Fatalf("result JSON jsonb would refuse: %s", raw)
		}
	})
}

// storableTreeText reports whether every string of a JSON document, keys included, is free of
// NUL, which jsonb refuses (as the escape \u0000).
func storableTreeText(raw []byte) bool {
	var tree any
	if json.Unmarshal(raw, &tree) != nil {
		return false
	}
	var ok func(any) bool
	ok = func(v any) bool {
		switch t := v.(type) {
		case string:
			return storableText(t)
		case []any:
			for _, x := range t {
				if !ok(x) {
					return false
				}
			}
		case map[string]any:
			for k, x := range t {
				if !storableText(k) || !ok(x) {
					return false
				}
			}
		}
		return true
	}
	return ok(tree)
}

// storableText reports whether PostgreSQL's text type takes s.
func storableText(s string) bool {
	return utf8.ValidString(s) && !bytes.Contains([]byte(s), []byte{0})
}
