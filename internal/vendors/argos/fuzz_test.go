package argos

import (
	"encoding/json"
	"os"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	sample, err := os.ReadFile("testdata/sample_response.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `{"result":null}`, `{"result":{"data":{"raw":{"x":1}}}}`,
		`{"statusCode":400,"apiType":"id_recognition","transactionId":"t","errorCode":1011,"message":"Fail to recognize idCard"}`,
		`{"statusCode":200,"transactionId":"t","result":{"data":{"raw":{"name":{"value":"A","score":"1e400","coordinates":{"first":{"x":"NaN","y":1}}}},"ocr":{"ocr_firstName":{"a":1}}},"review_front":"yes"}}`,
		`{"transactionId":"t","result":{"data":{"raw":{"rotate":[1,2]},"ocr":[]},"document_type":{}}}`,
	} {
		f.Add([]byte(s))
	}
}

// checkResult asserts what storing a result needs: it encodes as JSON, so no NaN or Inf from a
// hostile number reached it.
func checkResult(t *testing.T, r any) {
	if _, err := json.Marshal(r); err != nil {
		t.Fatalf("result cannot be stored: %v", err)
	}
}

func FuzzParseResult(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := ParseResult(body)
		if err != nil {
			return
		}
		checkResult(t, res)
		for _, fl := range res.Fields {
			if fl.Value == "" {
				t.Errorf("empty field %s", fl.Name)
			}
			if fl.Confidence != nil && (*fl.Confidence < 0 || *fl.Confidence > 1) {
				t.Errorf("confidence %v", *fl.Confidence)
			}
		}
	})
}

func FuzzParseCallback(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := ParseCallback(body)
		if err != nil {
			return
		}
		if cb.TransactionID == "" {
			t.Error("accepted a callback without a transaction id")
		}
		if (cb.Result == nil) == (cb.Err == nil) {
			t.Errorf("want exactly one of result and error: %+v", cb)
		}
		checkResult(t, cb.Result)
	})
}
