package simulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// requestLogSize bounds the requests the simulator remembers: it may run for days.
const requestLogSize = 1000

// captureLimit is how much of a request body is read to list its fields. It is above every fake's
// own limit, so a body the simulator does not look into is one the fake refuses anyway.
const captureLimit = 33 << 20

// Request is one request a simulated vendor received, as the control endpoint lists it: enough to
// see what a client sent (method, path, headers, the names and sizes of the fields) and never a
// secret or an image. Header values that carry credentials are replaced by "[redacted]"; field
// values are not kept at all.
type Request struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	// Vendor is the integration the request is for: cynopsis_ocr, artemis, apptenticate, argos
	// or ooto, or "cynopsis" for the token server Cynopsis OCR and Artemis share.
	Vendor string `json:"vendor"`
	Method string `json:"method"`
	// Path is the path under the simulator's mount point, e.g. /cynopsis/oauth/token.
	Path      string      `json:"path"`
	Header    http.Header `json:"header"`
	BodyBytes int64       `json:"body_bytes"`
	Fields    []Field     `json:"fields,omitempty"`
	// Note says why the fields could not be listed, when they could not.
	Note string `json:"note,omitempty"`
	// Status is the HTTP status answered; 0 when the connection was dropped without an answer
	// (the hangup fault) or the client went away first.
	Status  int      `json:"status"`
	Latency Duration `json:"latency"`
}

// Field is one field of a request body: a multipart part, a form value or a JSON member.
type Field struct {
	Name string `json:"name"`
	// Kind is "file" or "text" (multipart parts), "form" (URL-encoded form) or "json" (a JSON
	// member or a JSON part).
	Kind        string `json:"kind"`
	FileName    string `json:"file_name,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	// Size is the part's bytes, or the length of a JSON member's encoded value; not given for
	// form values, whose length could hint at a password.
	Size int `json:"size,omitempty"`
	// Keys are the member names of a JSON object value, so a misspelt member shows.
	Keys []string `json:"keys,omitempty"`
}

// secretHeaders are replaced by "[redacted]" in the request log.
var secretHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "App-Key"}

func cleanHeader(h http.Header) http.Header {
	c := h.Clone()
	for _, k := range secretHeaders {
		if _, ok := c[k]; ok {
			c[k] = []string{"[redacted]"}
		}
	}
	return c
}

type requestLog struct {
	mu    sync.Mutex
	max   int
	seq   int64
	items []Request
}

func newRequestLog(max int) *requestLog { return &requestLog{max: max} }

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	r.Seq = l.seq
	l.items = append(l.items, r)
	if n := len(l.items) - l.max; n > 0 {
		l.items = append([]Request(nil), l.items[n:]...)
	}
}

func (l *requestLog) list(keep func(Request) bool) []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Request{}
	for _, r := range l.items {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func (l *requestLog) clear() {
	l.mu.Lock()
	l.items = nil
	l.mu.Unlock()
}

// vendorHandler records each request to srv, waits the configured latency, and hands the request
// to the fake with the server's prefix stripped.
func (s *Simulator) vendorHandler(srv *server) http.Handler {
	inner := http.StripPrefix(srv.prefix, srv.fake)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := Request{
			At: start, Vendor: srv.product(strings.TrimPrefix(r.URL.Path, srv.prefix)),
			Method: r.Method, Path: r.URL.Path, Header: cleanHeader(r.Header),
		}
		captureBody(r, &rec)
		sw := &statusWriter{ResponseWriter: w}
		// Deferred so that a fault that aborts the handler (hangup) is still recorded.
		defer func() {
			rec.Status = sw.status
			rec.Latency = Duration(time.Since(start))
			s.log.add(rec)
		}()
		if d := time.Duration(srv.latency.Load()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		inner.ServeHTTP(sw, r)
	})
}

// captureBody reads the request body (up to captureLimit), lists its fields into rec, and puts
// the body back for the fake to read as if nothing had touched it.
func captureBody(r *http.Request, rec *Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, captureLimit+1))
	rec.BodyBytes = int64(len(buf))
	orig := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), orig), orig}
	switch {
	case err != nil:
		rec.Note = "the body could not be read: " + err.Error()
		return
	case len(buf) > captureLimit:
		rec.Note = "the body is too large to list its fields"
		return
	}
	rec.Fields, rec.Note = fields(r.Header.Get("Content-Type"), buf)
}

// fields lists the fields of a body by its content type; the note says what could not be read.
func fields(contentType string, body []byte) ([]Field, string) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		if len(body) == 0 {
			return nil, ""
		}
		return nil, "the content type is missing or unreadable"
	}
	switch mt {
	case "multipart/form-data":
		return multipartFields(body, params["boundary"])
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, "the form is not valid URL encoding"
		}
		names := make([]string, 0, len(form))
		for k := range form {
			names = append(names, k)
		}
		sort.Strings(names)
		out := make([]Field, len(names))
		for i, n := range names {
			out[i] = Field{Name: n, Kind: "form"}
		}
		return out, ""
	case "application/json":
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
			return nil, "the body is not a JSON object"
		}
		names := make([]string, 0, len(obj))
		for k := range obj {
			names = append(names, k)
		}
		sort.Strings(names)
		out := make([]Field, len(names))
		for i, n := range names {
			out[i] = Field{Name: n, Kind: "json", Size: len(obj[n]), Keys: objectKeys(obj[n])}
		}
		return out, ""
	}
	return nil, ""
}

func multipartFields(body []byte, boundary string) ([]Field, string) {
	if boundary == "" {
		return nil, "the multipart body has no boundary"
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var out []Field
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out, ""
		}
		if err != nil {
			return out, "the multipart body is malformed"
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return out, "the multipart body is malformed"
		}
		f := Field{Name: p.FormName(), FileName: p.FileName(), ContentType: p.Header.Get("Content-Type"), Size: len(data), Kind: "text"}
		if f.FileName != "" {
			f.Kind = "file"
		}
		if mt, _, _ := mime.ParseMediaType(f.ContentType); mt == "application/json" {
			f.Kind, f.Keys = "json", objectKeys(data)
		}
		out = append(out, f)
	}
}

// objectKeys lists the member names of a JSON object, sorted; nil for any other value.
func objectKeys(raw []byte) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// statusWriter notes the status written. It passes Flush and Hijack through, because the slow-body
// and hangup faults need them.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("simulator: the connection cannot be taken over")
	}
	return h.Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Requests returns the requests the simulated vendors received since the last reset (the most
// recent 1000), oldest first. name filters them: "" for all; "cynopsis" for everything the
// Cynopsis server received; "cynopsis_ocr" or "artemis" for that product's requests and the
// token requests both share; "apptenticate", "argos" or "ooto". ok is false for another name.
func (s *Simulator) Requests(name string) ([]Request, bool) {
	var keep func(Request) bool
	switch name {
	case "":
		keep = func(Request) bool { return true }
	case "cynopsis":
		keep = func(r Request) bool { return strings.HasPrefix(r.Path, CynopsisPrefix+"/") }
	case "cynopsis_ocr", "artemis":
		keep = func(r Request) bool { return r.Vendor == name || r.Vendor == "cynopsis" }
	case "apptenticate", "argos", "ooto":
		keep = func(r Request) bool { return r.Vendor == name }
	default:
		return nil, false
	}
	return s.log.list(keep), true
}
