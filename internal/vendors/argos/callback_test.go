package argos

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kycdesk/internal/vendors"
)

func TestParseCallbackSuccess(t *testing.T) {
	var body map[string]any
	if err := json.Unmarshal(sampleBody(t), &body); err != nil {
		t.Fatal(err)
	}
	body["statusCode"] = 200
	b, _ := json.Marshal(body)
	cb, err := ParseCallback(b)
	if err != nil {
		t.Fatal(err)
	}
	if cb.TransactionID != "e0nvom3caiis7" || cb.APIType != "id_recognition" || cb.StatusCode != 200 || cb.Err != nil || cb.Result == nil {
		t.Fatalf("callback %+v", cb)
	}
	want, _ := ParseResult(sampleBody(t))
	got, _ := json.Marshal(cb.Result)
	exp, _ := json.Marshal(want)
	if !bytes.Equal(got, exp) {
		t.Errorf("callback result differs from the synchronous one:\n%s\n%s", got, exp)
	}
}

func TestParseCallbackFailure(t *testing.T) {
	for _, code := range Codes() {
		for _, v := range []string{code, `"` + code + `"`} {
			body := fmt.Sprintf(`{"statusCode":400,"apiType":"id_recognition","transactionId":"tx9","errorCode":%s,"message":%q}`, v, description(code))
			cb, err := ParseCallback([]byte(body))
			if err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			if cb.TransactionID != "tx9" || cb.StatusCode != 400 || cb.Result != nil || cb.Err == nil {
				t.Fatalf("%s: %+v", body, cb)
			}
			want := vendors.Business
			if Transient(code) {
				want = vendors.Transient
			}
			if cb.Err.Kind != want || cb.Err.Code != code || cb.Err.Message != Meaning(code) || vendors.Retryable(cb.Err) != Transient(code) {
				t.Errorf("%s: err %#v", body, cb.Err)
			}
		}
	}
	tests := []struct {
		name, body, code, contains string
	}{
		{"undocumented code", `{"statusCode":400,"transactionId":"t","errorCode":1099,"message":"new thing"}`, "1099", "new thing"},
		{"no code", `{"statusCode":400,"transactionId":"t","message":"engine down"}`, "", "engine down"},
		{"code without status", `{"transactionId":"t","errorCode":1012}`, "1012", "back"},
	}
	for _, tt := range tests {
		cb, err := ParseCallback([]byte(tt.body))
		if err != nil || cb.Err == nil || cb.Err.Kind != vendors.Business || cb.Err.Code != tt.code || !strings.Contains(cb.Err.Message, tt.contains) {
			t.Errorf("%s: %+v %v", tt.name, cb, err)
		}
	}
}

func TestParseCallbackRefusesJunk(t *testing.T) {
	for _, body := range []string{
		``, `null`, `[]`, `"x"`, `{`, `<html></html>`,
		`{"statusCode":200,"result":{"data":{}}}`,                // no transaction id
		`{"statusCode":200,"transactionId":"t"}`,                 // nothing to report
		`{"statusCode":200,"transactionId":"t","result":"done"}`, // result not an object
		`{"statusCode":"200","transactionId":{"id":1},"result":{}}`,
	} {
		cb, err := ParseCallback([]byte(body))
		var ve *vendors.Error
		if !errors.As(err, &ve) || ve.Kind != vendors.Invalid {
			t.Errorf("%q: %+v, %v", body, cb, err)
		}
	}
}

func TestCallbackToken(t *testing.T) {
	a, b := NewCallbackToken(), NewCallbackToken()
	if a == b {
		t.Fatal("tokens repeat")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 || len(a) != 43 || strings.ContainsAny(a, "+/=") {
		t.Errorf("token %q: %d bytes, %v", a, len(raw), err)
	}
	if !TokenEqual(a, a) || TokenEqual(a, b) || TokenEqual("", "") || TokenEqual(a, "") || TokenEqual(a, a[:42]) {
		t.Error("TokenEqual")
	}
}

// receiver is the app's callback endpoint as the brief for it reads: check the token, cap the
// body, answer 2xx at once, process after.
type receiver struct {
	token string
	got   chan Callback
	bad   chan error
	raw   chan []byte
}

func newReceiver(t *testing.T) (*receiver, *httptest.Server) {
	r := &receiver{token: NewCallbackToken(), got: make(chan Callback, 64), bad: make(chan error, 64), raw: make(chan []byte, 64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !TokenEqual(req.URL.Query().Get("token"), r.token) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		body, err := vendors.ReadBody(vendors.Argos, req.Body, 1<<20)
		w.WriteHeader(http.StatusNoContent)
		if err != nil {
			r.bad <- err
			return
		}
		r.raw <- body
		cb, err := ParseCallback(body)
		if err != nil {
			r.bad <- err
			return
		}
		r.got <- cb
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *receiver) wait(t *testing.T) Callback {
	t.Helper()
	select {
	case cb := <-r.got:
		return cb
	case err := <-r.bad:
		t.Fatalf("bad callback: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no callback")
	}
	return Callback{}
}

func TestAsyncEndToEnd(t *testing.T) {
	sub := specimen()
	sub.Misreads = map[vendors.Name]map[vendors.FieldName]string{vendors.Argos: {vendors.ExpiryDate: "2031-01-01"}}
	f, c, _ := fakeServer(t, always(sub))
	f.SetCallbackDelay(20 * time.Millisecond)
	r, srv := newReceiver(t)

	rec, err := c.Recognize(ctx(t), Request{Front: smallJPEG(t), IssuingCountry: "UTO", IDType: "passport",
		CallbackURL: srv.URL + "/hooks/argos?token=" + r.token})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Pending || rec.TransactionID == "" || rec.Result != nil {
		t.Fatalf("recognition %+v", rec)
	}
	cb := r.wait(t)
	if cb.TransactionID != rec.TransactionID || cb.StatusCode != 200 || cb.Err != nil || cb.Result == nil {
		t.Fatalf("callback %+v", cb)
	}
	rec.Scale.Apply(cb.Result)
	res := *cb.Result
	if res.TransactionID != rec.TransactionID || res.Outcome != vendors.OutcomeReview {
		t.Errorf("result %+v", res)
	}
	for name, want := range map[vendors.FieldName]string{
		vendors.Surname: "ERIKSSON", vendors.GivenNames: "ANNA MARIA", vendors.FullName: "ANNA MARIA ERIKSSON",
		vendors.DocumentNumber: "L898902C3", vendors.ExpiryDate: "2031-01-01", vendors.MRZLine2: sub.MRZ[1],
	} {
		if f := fieldOf(res, name); f == nil || f.Value != want {
			t.Errorf("%s = %+v, want %q", name, f, want)
		}
	}
	// The 140-pixel image is a tenth of the specimen's width: the fake scales its boxes down,
	// and in this test nothing scales them back (Scale is 1), so they are a tenth.
	if f := fieldOf(res, vendors.Surname); f.Box == nil || f.Box.Corners[0] != (vendors.Point{X: 50, Y: 15}) {
		t.Errorf("surname box %+v", f.Box)
	}
	if f := fieldOf(res, vendors.ExpiryDate); f.Confidence == nil || *f.Confidence >= 0.7 {
		t.Errorf("a misread reads with low confidence: %+v", f)
	}
	if sent := sentCallbacks(t, f, 1); len(sent) != 1 || sent[0].Status != http.StatusNoContent || sent[0].TransactionID != rec.TransactionID {
		t.Errorf("%d callbacks sent", len(sent))
	}
}

func TestAsyncTwiceAndNever(t *testing.T) {
	t.Run("twice", func(t *testing.T) {
		f, c, _ := fakeServer(t, always(specimen()))
		f.SetCallbackDelay(10 * time.Millisecond)
		f.SetCallbackTwice(true)
		r, srv := newReceiver(t)
		rec, err := c.Recognize(ctx(t), Request{Front: smallJPEG(t), IssuingCountry: "UTO", IDType: "passport", CallbackURL: srv.URL + "/?token=" + r.token})
		if err != nil {
			t.Fatal(err)
		}
		a, b := r.wait(t), r.wait(t)
		if a.TransactionID != rec.TransactionID || b.TransactionID != rec.TransactionID {
			t.Errorf("ids %q %q", a.TransactionID, b.TransactionID)
		}
		ra, rb := <-r.raw, <-r.raw
		if !bytes.Equal(ra, rb) {
			t.Error("the two callbacks differ")
		}
		if sent := sentCallbacks(t, f, 2); len(sent) != 2 {
			t.Errorf("%d callbacks sent", len(sent))
		}
	})
	t.Run("never", func(t *testing.T) {
		f, c, _ := fakeServer(t, always(specimen()))
		f.SetCallbackDelay(10 * time.Millisecond)
		f.SetNeverCallback(true)
		r, srv := newReceiver(t)
		rec, err := c.Recognize(ctx(t), Request{Front: smallJPEG(t), IssuingCountry: "UTO", IDType: "passport", CallbackURL: srv.URL + "/?token=" + r.token})
		if err != nil || !rec.Pending {
			t.Fatalf("%+v %v", rec, err)
		}
		select {
		case cb := <-r.got:
			t.Fatalf("callback arrived: %+v", cb)
		case <-time.After(300 * time.Millisecond):
		}
		if sent := f.Callbacks(); len(sent) != 0 {
			t.Errorf("callbacks %+v", sent)
		}
	})
	t.Run("wrong token is refused by the receiver", func(t *testing.T) {
		f, c, _ := fakeServer(t, always(specimen()))
		f.SetCallbackDelay(0)
		r, srv := newReceiver(t)
		if _, err := c.Recognize(ctx(t), Request{Front: smallJPEG(t), IssuingCountry: "UTO", IDType: "passport", CallbackURL: srv.URL + "/?token=guess"}); err != nil {
			t.Fatal(err)
		}
		if sent := sentCallbacks(t, f, 1); len(sent) != 1 || sent[0].Status != http.StatusNotFound || len(r.got) != 0 {
			t.Errorf("%d callbacks sent, %d received", len(sent), len(r.got))
		}
	})
}

func TestAsyncFailureCallback(t *testing.T) {
	for _, code := range []string{"1003", "1011", "1012"} {
		t.Run(code, func(t *testing.T) {
			sub := specimen()
			sub.Errors = map[vendors.Name]string{vendors.Argos: code}
			f, c, _ := fakeServer(t, always(sub))
			f.SetCallbackDelay(0)
			r, srv := newReceiver(t)
			rec, err := c.Recognize(ctx(t), Request{Front: smallJPEG(t), IssuingCountry: "UTO", IDType: "passport", CallbackURL: srv.URL + "/?token=" + r.token})
			if err != nil || !rec.Pending {
				t.Fatalf("%+v %v", rec, err)
			}
			cb := r.wait(t)
			if cb.TransactionID != rec.TransactionID || cb.StatusCode != 400 || cb.Result != nil || cb.Err == nil || cb.Err.Code != code || cb.Err.Kind != map[bool]vendors.Kind{true: vendors.Transient, false: vendors.Business}[code == "1003"] {
				t.Errorf("callback %+v err %+v", cb, cb.Err)
			}
		})
	}
	// A refusal of the request itself comes at once, even in asynchronous mode.
	sub := specimen()
	sub.Errors = map[vendors.Name]string{vendors.Argos: "1001"}
	f, c, _ := fakeServer(t, always(sub))
	_, err := c.Recognize(ctx(t), Request{Front: smallJPEG(t), IssuingCountry: "UTO", IDType: "passport", CallbackURL: "http://127.0.0.1:1/cb"})
	var ve *vendors.Error
	if !errors.As(err, &ve) || ve.Code != "1001" || ve.Kind != vendors.Business {
		t.Errorf("err = %v", err)
	}
	if len(f.Callbacks()) != 0 {
		t.Error("no callback after an immediate refusal")
	}
}
