package argos

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kycdesk/internal/vendors"
)

type captured struct {
	method, path string
	header       http.Header
	body         []byte
}

// captureServer records the one request it gets and answers with the page's sample.
func captureServer(t *testing.T, answer []byte) (*Client, *captured) {
	var got captured
	c, _ := stubServer(t, func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.header = r.Method, r.URL.Path, r.Header.Clone()
		got.body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
	return c, &got
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestRecognizeSendsExactRequest(t *testing.T) {
	front := smallJPEG(t)
	back := encodePNG(t, plain(120, 80))

	t.Run("sync, front only", func(t *testing.T) {
		c, got := captureServer(t, sampleBody(t))
		rec, err := c.Recognize(ctx(t), Request{Front: front, IssuingCountry: "USA", IDType: "government_id"})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Pending || rec.Result == nil || rec.TransactionID != "e0nvom3caiis7" {
			t.Fatalf("recognition %+v", rec)
		}
		if got.method != http.MethodPost || got.path != "/modules/recognition" {
			t.Errorf("%s %s", got.method, got.path)
		}
		if got.header.Get("x-api-key") != testKey {
			t.Errorf("x-api-key = %q", got.header.Get("x-api-key"))
		}
		if ct := got.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		if got.header.Get("Authorization") != "" {
			t.Error("the key goes in x-api-key only")
		}
		var body map[string]any
		if err := json.Unmarshal(got.body, &body); err != nil {
			t.Fatal(err)
		}
		if k := keys(body); strings.Join(k, ",") != "idImage,idType,issuingCountry" {
			t.Errorf("keys %v: sync mode must not send callbackUrl, and no back image was given", k)
		}
		img := body["idImage"].(string)
		if img != base64.StdEncoding.EncodeToString(front) {
			t.Error("idImage is not the standard base64 of the image as given")
		}
		if strings.HasPrefix(img, "data:") || strings.Contains(img, ";base64,") {
			t.Error("idImage carries a data-URI prefix")
		}
		if body["issuingCountry"] != "USA" || body["idType"] != "government_id" {
			t.Errorf("body %v", body)
		}
		if bytes.Contains(got.body, []byte("callbackUrl")) {
			t.Error("callbackUrl present in sync mode")
		}
	})

	t.Run("async with back", func(t *testing.T) {
		c, got := captureServer(t, []byte(`{"apiType":"id_recognition","transactionId":"abc123"}`))
		cb := "https://kyc.example.com/hooks/argos?token=" + NewCallbackToken()
		rec, err := c.Recognize(ctx(t), Request{Front: front, Back: back, IssuingCountry: "UTO", IDType: "government_id", CallbackURL: cb})
		if err != nil {
			t.Fatal(err)
		}
		if !rec.Pending || rec.Result != nil || rec.TransactionID != "abc123" {
			t.Fatalf("recognition %+v", rec)
		}
		var body map[string]any
		if err := json.Unmarshal(got.body, &body); err != nil {
			t.Fatal(err)
		}
		if k := keys(body); strings.Join(k, ",") != "callbackUrl,idBackImage,idImage,idType,issuingCountry" {
			t.Errorf("keys %v", k)
		}
		if body["callbackUrl"] != cb {
			t.Errorf("callbackUrl %v", body["callbackUrl"])
		}
		if body["idBackImage"] != base64.StdEncoding.EncodeToString(back) {
			t.Error("idBackImage is not the standard base64 of the back image")
		}
		if len(rec.Sent) != 2 || rec.Sent[0].Side != "front" || rec.Sent[1].Format != "png" || rec.Sent[1].Reencoded {
			t.Errorf("sent %+v", rec.Sent)
		}
	})

	t.Run("a passport or visa goes without its back", func(t *testing.T) {
		for _, typ := range []string{"passport", "visa"} {
			c, got := captureServer(t, sampleBody(t))
			rec, err := c.Recognize(ctx(t), Request{Front: front, Back: back, IssuingCountry: "UTO", IDType: typ})
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(got.body, []byte("idBackImage")) || len(rec.Sent) != 1 {
				t.Errorf("%s: a back image was sent (%d images)", typ, len(rec.Sent))
			}
		}
	})

	t.Run("both sides fit one request under 2 MB", func(t *testing.T) {
		big := encodeJPEG(t, noise(1400, 1000), 95)
		if len(big) <= BothSidesMaxImageBytes {
			t.Fatalf("the test image is only %d bytes", len(big))
		}
		c, got := captureServer(t, sampleBody(t))
		rec, err := c.Recognize(ctx(t), Request{Front: big, Back: big, IssuingCountry: "UTO", IDType: "government_id"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.body) >= VendorMaxImageBytes || len(rec.Sent) != 2 {
			t.Errorf("request of %d bytes with %d images", len(got.body), len(rec.Sent))
		}
	})

	t.Run("path and prefix from config", func(t *testing.T) {
		var path string
		srv, _ := stubServer(t, func(w http.ResponseWriter, r *http.Request) {
			path = r.URL.Path
			_, _ = w.Write(sampleBody(t))
		})
		c, err := New(Config{BaseURL: strings.TrimSuffix(srv.Endpoint(), "/modules/recognition") + "/gw/", Path: "v2/recognition", APIKey: testKey}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Recognize(ctx(t), Request{Front: front, IssuingCountry: "USA", IDType: "visa"}); err != nil {
			t.Fatal(err)
		}
		if path != "/gw/v2/recognition" {
			t.Errorf("path %q", path)
		}
	})
}

func TestRecognizeRefusesBadRequests(t *testing.T) {
	var hits atomic.Int32
	c, _ := stubServer(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	front := smallJPEG(t)
	tests := []struct {
		name string
		req  Request
	}{
		{"no front", Request{IssuingCountry: "USA", IDType: "passport"}},
		{"alpha-2 country", Request{Front: front, IssuingCountry: "US", IDType: "passport"}},
		{"lower-case country", Request{Front: front, IssuingCountry: "usa", IDType: "passport"}},
		{"country with digit", Request{Front: front, IssuingCountry: "US1", IDType: "passport"}},
		{"empty id type", Request{Front: front, IssuingCountry: "USA"}},
		{"id type spelled differently", Request{Front: front, IssuingCountry: "USA", IDType: "driving_licence"}},
		{"id type upper-case", Request{Front: front, IssuingCountry: "USA", IDType: "PASSPORT"}},
		{"relative callback", Request{Front: front, IssuingCountry: "USA", IDType: "passport", CallbackURL: "/hooks/argos"}},
		{"callback not http", Request{Front: front, IssuingCountry: "USA", IDType: "passport", CallbackURL: "ftp://x/y"}},
		{"front not an image", Request{Front: []byte("not an image at all"), IssuingCountry: "USA", IDType: "passport"}},
		{"back not an image", Request{Front: front, Back: []byte("%PDF-1.4"), IssuingCountry: "USA", IDType: "government_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Recognize(ctx(t), tt.req)
			var ve *vendors.Error
			if !errors.As(err, &ve) || ve.Kind != vendors.Invalid {
				t.Fatalf("err = %v, want Invalid", err)
			}
		})
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests reached the vendor", hits.Load())
	}
	for _, typ := range IDTypes() {
		if !ValidIDType(typ) {
			t.Errorf("%s", typ)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: "", APIKey: "k"},
		{BaseURL: "idverify-api.argosidentity.com", APIKey: "k"},
		{BaseURL: "https://idverify-api.argosidentity.com", APIKey: " "},
	} {
		if _, err := New(cfg, nil, nil); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	c, err := New(Config{BaseURL: "https://idverify-api.argosidentity.com/", APIKey: "k"}, nil, nil)
	if err != nil || c.Endpoint() != "https://idverify-api.argosidentity.com/modules/recognition" {
		t.Errorf("endpoint %q, %v", c.Endpoint(), err)
	}
}

func TestErrorCodes(t *testing.T) {
	if got := strings.Join(Codes(), ","); got != "1001,1003,1005,1006,1010,1011,1012,1013,1014,1015" {
		t.Errorf("Codes() = %s", got)
	}
	for _, code := range Codes() {
		for _, asText := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/text=%v", code, asText), func(t *testing.T) {
				v := code
				if asText {
					v = `"` + code + `"`
				}
				c, rec := stubServer(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprintf(w, `{"errorCode":%s,"message":%q}`, v, description(code))
				})
				_, err := c.Recognize(ctx(t), Request{Front: smallJPEG(t), IssuingCountry: "USA", IDType: "passport"})
				var ve *vendors.Error
				want := vendors.Business
				if Transient(code) {
					want = vendors.Transient // 1003: "please retry"
				}
				if !errors.As(err, &ve) || ve.Kind != want || ve.Code != code || ve.HTTPStatus != 400 {
					t.Fatalf("err = %#v", err)
				}
				if ve.Message != Meaning(code) || Meaning(code) == "" || Meaning(code) == description(code) {
					t.Errorf("message %q: want the plain-words meaning", ve.Message)
				}
				if vendors.Retryable(err) != Transient(code) {
					t.Error("a documented refusal must not be retried, and 1003 (\"please retry\") must")
				}
				calls := rec.all()
				if len(calls) != 1 || calls[0].VendorCode != code || calls[0].Meaning != Meaning(code) || calls[0].HTTPStatus != 400 {
					t.Errorf("call %+v", calls)
				}
			})
		}
	}
	if Meaning("1002") != "" || Meaning("") != "" {
		t.Error("undocumented codes have no meaning")
	}
}

func TestStatusClassification(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		header   map[string]string
		kind     vendors.Kind
		contains string
	}{
		{"403 wrong key", 403, `{"message":"Forbidden"}`, nil, vendors.Auth, "API key"},
		{"403 IP not allowed", 403, `{"message":"User is not authorized to access this resource with an explicit deny"}`, nil, vendors.Auth, "IP address"},
		{"401", 401, `{"message":"Unauthorized"}`, nil, vendors.Auth, ""},
		{"413", 413, `{"message":"Request Entity Too Large"}`, nil, vendors.Invalid, "image too large"},
		{"500", 500, `{"message":"Internal Server Error"}`, nil, vendors.Transient, ""},
		{"502", 502, `<html>Bad Gateway</html>`, nil, vendors.Transient, ""},
		{"503", 503, ``, nil, vendors.Transient, ""},
		{"429", 429, `{"message":"Too Many Requests"}`, map[string]string{"Retry-After": "7"}, vendors.Transient, ""},
		{"400 without code", 400, `{"message":"Invalid Query String parameters"}`, nil, vendors.Invalid, "Invalid Query String"},
		{"404", 404, `{"message":"Not Found"}`, nil, vendors.Invalid, ""},
		{"200 not JSON", 200, `<html><body>maintenance</body></html>`, nil, vendors.Transient, ""},
		{"200 truncated", 200, `{"transactionId":"t","result":{"da`, nil, vendors.Transient, ""},
		{"200 empty", 200, ``, nil, vendors.Transient, ""},
		{"200 without result", 200, `{"apiType":"id_recognition","transactionId":"t"}`, nil, vendors.Invalid, ""},
		{"200 with error code", 200, `{"errorCode":1011,"message":"Fail to recognize idCard"}`, nil, vendors.Business, ""},
		{"1003, asked to retry", 400, `{"errorCode":1003,"message":"Fail to process data"}`, nil, vendors.Transient, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := stubServer(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			_, err := c.Recognize(ctx(t), Request{Front: smallJPEG(t), IssuingCountry: "USA", IDType: "passport"})
			var ve *vendors.Error
			if !errors.As(err, &ve) || ve.Kind != tt.kind {
				t.Fatalf("err = %v, want kind %s", err, tt.kind)
			}
			if !strings.Contains(ve.Message, tt.contains) {
				t.Errorf("message %q lacks %q", ve.Message, tt.contains)
			}
			if tt.status == 429 && ve.RetryAfter != 7*time.Second {
				t.Errorf("retry after %v", ve.RetryAfter)
			}
			// Every failure is said in the call log as well (a 200 that is not JSON included).
			if calls := rec.all(); len(calls) != 1 || calls[0].HTTPStatus != tt.status || calls[0].Attempt != 1 || calls[0].Meaning == "" {
				t.Errorf("calls %+v", calls)
			}
		})
	}
}

// Faults as the simulator injects them, through the fake.
func TestTransportFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault vendors.Fault
		// logged is what the call log says (part of it).
		logged string
	}{
		{"hangup", vendors.Fault{Kind: vendors.FaultHangup}, "could not be reached"},
		{"timeout", vendors.Fault{Kind: vendors.FaultDelay, Delay: 3 * time.Second}, "did not answer in time"},
		{"slow body", vendors.Fault{Kind: vendors.FaultSlowBody, Delay: 3 * time.Second}, ""},
		{"huge body", vendors.Fault{Kind: vendors.FaultHuge, Size: vendors.MaxBody + 10}, "larger than 4 MB"},
		{"malformed", vendors.Fault{Kind: vendors.FaultMalformed}, ""},
		{"truncated", vendors.Fault{Kind: vendors.FaultTruncated}, ""},
		{"html", vendors.Fault{Kind: vendors.FaultContentType}, ""},
		{"503", vendors.Fault{Kind: vendors.FaultStatus, Status: 503, Body: `{"message":"Service Unavailable"}`}, "HTTP 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c, rec := fakeServer(t, always(specimen()))
			c.cfg.Timeout = time.Second
			f.Faults.Inject(tt.fault)
			_, err := c.Recognize(ctx(t), Request{Front: smallJPEG(t), IssuingCountry: "UTO", IDType: "passport"})
			if !vendors.Retryable(err) {
				t.Fatalf("err = %v, want Transient", err)
			}
			calls := rec.all()
			if len(calls) != 1 {
				t.Fatalf("calls %+v", calls)
			}
			if !strings.Contains(calls[0].Meaning, tt.logged) {
				t.Errorf("the call log says %q, want %q in it", calls[0].Meaning, tt.logged)
			}
		})
	}
}

func TestRecordsCalls(t *testing.T) {
	_, c, rec := fakeServer(t, always(specimen()))
	_, err := c.Recognize(ctx(t), Request{Front: smallJPEG(t), IssuingCountry: "UTO", IDType: "passport", Attempt: 3})
	if err != nil {
		t.Fatal(err)
	}
	calls := rec.all()
	if len(calls) != 1 {
		t.Fatalf("calls %+v", calls)
	}
	call := calls[0]
	if call.Vendor != vendors.Argos || call.Method != "POST" || call.Endpoint != c.Endpoint() || call.Attempt != 3 ||
		call.HTTPStatus != 200 || call.Latency <= 0 || call.StartedAt.IsZero() || call.Err != "" {
		t.Errorf("call %+v", call)
	}
	if !bytes.Contains(call.Body, []byte(`"transactionId"`)) || bytes.Contains(call.Body, []byte(testKey)) {
		t.Errorf("body %s", call.Body)
	}
}

func TestTestConnection(t *testing.T) {
	t.Run("key accepted", func(t *testing.T) {
		f, c, rec := fakeServer(t, nil)
		if err := c.TestConnection(ctx(t)); err != nil {
			t.Fatal(err)
		}
		reqs := f.Requests()
		if len(reqs) != 1 || string(reqs[0].Body) != `{}` || reqs[0].Status != 400 || reqs[0].ErrorCode != "1005" {
			t.Errorf("requests %+v", reqs)
		}
		if calls := rec.all(); len(calls) != 1 || calls[0].VendorCode != "1005" {
			t.Errorf("calls %+v", calls)
		}
	})
	t.Run("key refused", func(t *testing.T) {
		_, c, _ := fakeServer(t, nil)
		c.cfg.APIKey = "wrong"
		var ve *vendors.Error
		if err := c.TestConnection(ctx(t)); !errors.As(err, &ve) || ve.Kind != vendors.Auth {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("workspace unavailable", func(t *testing.T) {
		f, c, _ := fakeServer(t, nil)
		f.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 400, Body: `{"errorCode":1001,"message":"Workspace is unavailable"}`})
		var ve *vendors.Error
		if err := c.TestConnection(ctx(t)); !errors.As(err, &ve) || ve.Kind != vendors.Business || ve.Code != "1001" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("server down", func(t *testing.T) {
		f, c, _ := fakeServer(t, nil)
		f.Faults.Inject(vendors.Fault{Kind: vendors.FaultStatus, Status: 502})
		if err := c.TestConnection(ctx(t)); !vendors.Retryable(err) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not the recognition endpoint", func(t *testing.T) {
		c, _ := stubServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"ok":true}`) })
		var ve *vendors.Error
		if err := c.TestConnection(ctx(t)); !errors.As(err, &ve) || ve.Kind != vendors.Invalid {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("gateway 400 proves nothing", func(t *testing.T) {
		c, _ := stubServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"message":"Invalid Query String parameters"}`)
		})
		if err := c.TestConnection(ctx(t)); err == nil {
			t.Fatal("a 400 without a documented code must not pass")
		}
	})
}
