package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/cynopsis"
)

// Duration is a time.Duration that JSON writes as a Go duration string ("300ms") and reads from
// either such a string or a number of nanoseconds, because "3s" is what a person types.
type Duration time.Duration

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "1.5s" or 1500000000.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a duration such as \"300ms\" or \"3s\"", s)
		}
		*d = Duration(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("a duration is a string such as \"3s\" or a number of nanoseconds")
	}
	v, err := n.Int64()
	if err != nil {
		return fmt.Errorf("%s is not a whole number of nanoseconds", n)
	}
	*d = Duration(v)
	return nil
}

// flexString reads a JSON string or number as text, for Retry-After ("5" or 5).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("expected a string or a number")
	}
	*f = flexString(n.String())
	return nil
}

// maxControlDelay bounds injected delays: long enough for any client timeout, short enough that
// a typo does not hold connections for hours.
const maxControlDelay = 10 * time.Minute

// CallbackMode says how Argos calls back after acknowledging an asynchronous request.
type CallbackMode string

// Callback modes.
const (
	CallbacksNormal CallbackMode = "normal" // once, after the delay
	CallbacksNever  CallbackMode = "never"  // never: the app's wait for the callback must time out
	CallbacksTwice  CallbackMode = "twice"  // twice, identical: the second must change nothing
)

// SetCallbacks sets how Argos calls back, from the next asynchronous request on; delay > 0 also
// sets how long after the acknowledgement (0 keeps the current delay).
func (s *Simulator) SetCallbacks(mode CallbackMode, delay time.Duration) error {
	switch mode {
	case CallbacksNormal, CallbacksNever, CallbacksTwice:
	default:
		return fmt.Errorf(`callback mode %q is not one of "normal", "never", "twice"`, mode)
	}
	if delay < 0 || delay > maxControlDelay {
		return fmt.Errorf("the callback delay must be between 0 and %s", maxControlDelay)
	}
	s.mu.Lock()
	s.callbacks = mode
	if delay > 0 {
		s.callbackDelay = delay
	}
	s.mu.Unlock()
	s.applyCallbacks()
	return nil
}

// applyCallbacks hands the simulator's callback settings to the Argos fake.
func (s *Simulator) applyCallbacks() {
	s.mu.Lock()
	mode, delay := s.callbacks, s.callbackDelay
	s.mu.Unlock()
	s.Argos.SetNeverCallback(mode == CallbacksNever)
	s.Argos.SetCallbackTwice(mode == CallbacksTwice)
	s.Argos.SetCallbackDelay(delay)
}

// SentCallback is one callback Argos sent, as the control endpoint lists it. The URL is shown
// without its query and with long path segments masked, because the app's callback URL carries a
// secret token.
type SentCallback struct {
	At            time.Time `json:"at"`
	URL           string    `json:"url"`
	TransactionID string    `json:"transaction_id"`
	// Status is the app's answer, 0 when it did not answer (Err says why).
	Status int    `json:"status"`
	Err    string `json:"error,omitempty"`
}

// Callbacks returns the Argos callbacks sent since the last reset, oldest first.
func (s *Simulator) Callbacks() []SentCallback {
	s.mu.Lock()
	since := s.callbackSince
	s.mu.Unlock()
	out := []SentCallback{}
	for _, c := range s.Argos.Callbacks() {
		if c.At.Before(since) {
			continue
		}
		out = append(out, SentCallback{At: c.At, URL: maskURL(c.URL), TransactionID: c.TransactionID, Status: c.Status, Err: c.Err})
	}
	return out
}

// maskURL drops the query and replaces path segments of 16 characters or more, which is where a
// callback token would be.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "[unreadable URL]"
	}
	segs := strings.Split(u.Path, "/")
	for i, seg := range segs {
		if len(seg) >= 16 {
			segs[i] = "[token]"
		}
	}
	// Built by hand: url.URL would escape the brackets of "[token]".
	out := u.Scheme + "://" + u.Host + strings.Join(segs, "/")
	if u.RawQuery != "" {
		out += "?[query removed]"
	}
	return out
}

// SetLatency sets the delay added before every answer of one simulated server ("cynopsis",
// "apptenticate", "argos" or "ooto"; "cynopsis_ocr" and "artemis" name the Cynopsis server, which
// answers both).
func (s *Simulator) SetLatency(name string, d time.Duration) error {
	t, ok := s.target(name)
	if !ok {
		return fmt.Errorf("%q is not a simulated vendor", name)
	}
	if d < 0 || d > maxControlDelay {
		return fmt.Errorf("the latency must be between 0 and %s", maxControlDelay)
	}
	t.srv.latency.Store(int64(d))
	return nil
}

// Reset puts the simulator back as New left it, except for the tokens it issued and the Artemis
// customers and documents it holds: it forgets the requests and callbacks listed, clears every
// queued fault and override, and restores latencies, Argos callbacks and Apptenticate refreshes.
func (s *Simulator) Reset() {
	s.log.clear()
	s.Cynopsis.ResetRequests()
	for _, srv := range s.servers {
		srv.faults.Clear()
		srv.latency.Store(int64(s.opts.Latency))
	}
	s.Apptenticate.RefuseRefresh(false)
	s.mu.Lock()
	s.overrides = map[vendors.Name]*Override{}
	s.callbacks, s.callbackDelay = CallbacksNormal, s.opts.CallbackDelay
	s.callbackSince = time.Now()
	s.refuseRefresh = false
	s.mu.Unlock()
	s.applyCallbacks()
}

// target is a vendor name as the control endpoints accept it.
type target struct {
	name string
	srv  *server
	// product is the integration whose documents an override changes ("" for none).
	product vendors.Name
	// path limits faults to this product's requests on a shared server ("" for all).
	path string
}

func (s *Simulator) target(name string) (target, bool) {
	switch name {
	case "cynopsis":
		return target{name: name, srv: s.servers["cynopsis"], product: vendors.CynopsisOCR}, true
	case string(vendors.CynopsisOCR):
		return target{name: name, srv: s.servers["cynopsis"], product: vendors.CynopsisOCR, path: cynopsis.DefaultOCRPath}, true
	case string(vendors.Artemis):
		return target{name: name, srv: s.servers["cynopsis"], product: vendors.Artemis, path: "/api/customer"}, true
	case string(vendors.Apptenticate), string(vendors.Argos), string(vendors.OOTO):
		return target{name: name, srv: s.servers[name], product: vendors.Name(name)}, true
	}
	return target{}, false
}

// vendorNames are the names the control endpoints accept, for error messages.
const vendorNames = "cynopsis, cynopsis_ocr, artemis, apptenticate, argos, ooto"

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"the answer could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// decodeBody reads a JSON control body into v, refusing unknown members (a typo should not pass
// silently). An empty body is allowed when optional.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "The body could not be read (at most 1 MB): "+err.Error())
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if optional {
			return true
		}
		writeError(w, http.StatusBadRequest, "The body is empty; this endpoint takes a JSON object.")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "The body is not valid JSON for this endpoint: "+err.Error())
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "The body has more than one JSON value.")
		return false
	}
	return true
}

// allow answers 405 unless r's method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s takes %s.", r.Method, r.URL.Path, strings.Join(methods, " or ")))
	return false
}

// control serves ControlPrefix.
func (s *Simulator) control(w http.ResponseWriter, r *http.Request) {
	// The controls change what the vendors answer and read back what kycdesk sent them (names,
	// document numbers): they are for the person at this machine and the tests, never the network.
	if !fromLoopback(r) {
		writeError(w, http.StatusForbidden, "The simulator's controls answer only on this machine (a loopback address).")
		return
	}
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, ControlPrefix), "/")
	switch rest {
	case "":
		if allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, map[string]any{
				"documentation": Documentation, "scenarios": Scenarios(), "triggers": Triggers(),
			})
		}
		return
	case "scenarios":
		if allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, map[string]any{"scenarios": Scenarios()})
		}
		return
	case "triggers":
		if allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, map[string]any{"triggers": Triggers()})
		}
		return
	case "requests":
		if allow(w, r, http.MethodGet) {
			name := r.URL.Query().Get("vendor")
			list, ok := s.Requests(name)
			if !ok {
				writeError(w, http.StatusNotFound, fmt.Sprintf("%q is not a simulated vendor (one of %s).", name, vendorNames))
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"requests": list})
		}
		return
	case "reset":
		if allow(w, r, http.MethodPost) {
			s.Reset()
			writeJSON(w, http.StatusOK, map[string]any{"reset": true})
		}
		return
	}
	name, action, found := strings.Cut(rest, "/")
	if !found || strings.Contains(action, "/") {
		writeError(w, http.StatusNotFound, "No control endpoint at "+r.URL.Path+"; GET "+ControlPrefix+"/ lists them.")
		return
	}
	t, ok := s.target(name)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("%q is not a simulated vendor (one of %s).", name, vendorNames))
		return
	}
	switch action {
	case "faults":
		s.controlFaults(w, r, t)
	case "expire-tokens":
		s.controlExpire(w, r, t)
	case "override":
		s.controlOverride(w, r, t)
	case "latency":
		s.controlLatency(w, r, t)
	case "refuse-refresh":
		if t.name != string(vendors.Apptenticate) {
			writeError(w, http.StatusNotFound, "Only apptenticate has refresh tokens to refuse.")
			return
		}
		s.controlRefuseRefresh(w, r)
	case "callbacks":
		if t.name != string(vendors.Argos) {
			writeError(w, http.StatusNotFound, "Only argos calls back.")
			return
		}
		s.controlCallbacks(w, r)
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("No control %q for %s; GET %s/ lists them.", action, name, ControlPrefix))
	}
}

// faultRequest is vendors.Fault as the control endpoint reads it: durations as strings or
// nanoseconds, Retry-After as a string or a number.
type faultRequest struct {
	Kind         vendors.FaultKind `json:"kind"`
	Status       int               `json:"status"`
	Body         string            `json:"body"`
	RetryAfter   flexString        `json:"retry_after"`
	Delay        Duration          `json:"delay"`
	Size         int               `json:"size"`
	Count        int               `json:"count"`
	PathContains *string           `json:"path_contains"`
}

// faultView is a queued fault as the control endpoint answers it.
type faultView struct {
	Kind         vendors.FaultKind `json:"kind"`
	Status       int               `json:"status,omitempty"`
	Body         string            `json:"body,omitempty"`
	RetryAfter   string            `json:"retry_after,omitempty"`
	Delay        Duration          `json:"delay,omitempty"`
	Size         int               `json:"size,omitempty"`
	Count        int               `json:"count"`
	PathContains string            `json:"path_contains,omitempty"`
}

// maxFaultCount and maxHugeSize bound what one control call can ask for.
const (
	maxFaultCount = 100000
	maxHugeSize   = 1 << 30
)

// fault checks a fault request and turns it into a vendors.Fault for t.
func (fr faultRequest) fault(t target) (vendors.Fault, error) {
	switch fr.Kind {
	case vendors.FaultStatus:
		if fr.Status < 100 || fr.Status > 599 {
			return vendors.Fault{}, errors.New(`a "status" fault needs "status" between 100 and 599`)
		}
	case vendors.FaultDelay, vendors.FaultSlowBody:
		if fr.Delay <= 0 {
			return vendors.Fault{}, fmt.Errorf(`a %q fault needs a "delay" such as "3s"`, fr.Kind)
		}
	case vendors.FaultMalformed, vendors.FaultTruncated, vendors.FaultHuge, vendors.FaultContentType, vendors.FaultHangup:
	case "":
		return vendors.Fault{}, errors.New(`"kind" is required: status, delay, slow_body, malformed, truncated, huge, content_type or hangup`)
	default:
		return vendors.Fault{}, fmt.Errorf(`"kind" %q is not one of status, delay, slow_body, malformed, truncated, huge, content_type, hangup`, fr.Kind)
	}
	switch {
	case fr.Delay < 0 || time.Duration(fr.Delay) > maxControlDelay:
		return vendors.Fault{}, fmt.Errorf(`"delay" must be between 0 and %s`, maxControlDelay)
	case fr.Size < 0 || fr.Size > maxHugeSize:
		return vendors.Fault{}, fmt.Errorf(`"size" must be between 0 and %d bytes`, maxHugeSize)
	case fr.Count < 0 || fr.Count > maxFaultCount:
		return vendors.Fault{}, fmt.Errorf(`"count" must be between 0 (meaning 1) and %d`, maxFaultCount)
	case len(fr.Body) > 1<<20:
		return vendors.Fault{}, errors.New(`"body" must be at most 1 MB`)
	}
	if ra := strings.TrimSpace(string(fr.RetryAfter)); ra != "" {
		if n, err := strconv.Atoi(ra); (err != nil || n < 0) && !validHTTPDate(ra) {
			return vendors.Fault{}, errors.New(`"retry_after" must be a number of seconds or an HTTP date`)
		}
	}
	path := t.path
	if fr.PathContains != nil {
		path = *fr.PathContains
	}
	return vendors.Fault{
		Kind: fr.Kind, Status: fr.Status, Body: fr.Body, RetryAfter: strings.TrimSpace(string(fr.RetryAfter)),
		Delay: time.Duration(fr.Delay), Size: fr.Size, Count: fr.Count, PathContains: path,
	}, nil
}

func validHTTPDate(s string) bool {
	_, err := http.ParseTime(s)
	return err == nil
}

func (s *Simulator) controlFaults(w http.ResponseWriter, r *http.Request, t target) {
	if !allow(w, r, http.MethodPost, http.MethodDelete) {
		return
	}
	if r.Method == http.MethodDelete {
		t.srv.faults.Clear()
		writeJSON(w, http.StatusOK, map[string]any{"vendor": t.srv.name, "cleared": true})
		return
	}
	var fr faultRequest
	if !decodeBody(w, r, &fr, false) {
		return
	}
	f, err := fr.fault(t)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	t.srv.faults.Inject(f)
	if f.Count <= 0 {
		f.Count = 1
	}
	writeJSON(w, http.StatusOK, map[string]any{"vendor": t.name, "queued": faultView{
		Kind: f.Kind, Status: f.Status, Body: f.Body, RetryAfter: f.RetryAfter, Delay: Duration(f.Delay),
		Size: f.Size, Count: f.Count, PathContains: f.PathContains,
	}})
}

func (s *Simulator) controlExpire(w http.ResponseWriter, r *http.Request, t target) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	switch t.srv.name {
	case "cynopsis":
		s.Cynopsis.ExpireTokens()
		writeJSON(w, http.StatusOK, map[string]any{"vendor": "cynopsis", "expired": "every access token issued so far (Cynopsis OCR and Artemis share them)"})
	case "apptenticate":
		s.Apptenticate.ExpireTokens()
		writeJSON(w, http.StatusOK, map[string]any{"vendor": "apptenticate", "expired": "every access token issued so far; refresh tokens still work"})
	default:
		writeError(w, http.StatusNotFound, t.name+" has no tokens to expire: it sends its key with every request.")
	}
}

func (s *Simulator) controlOverride(w http.ResponseWriter, r *http.Request, t target) {
	if !allow(w, r, http.MethodGet, http.MethodPost, http.MethodDelete) {
		return
	}
	switch r.Method {
	case http.MethodGet:
		o, ok := s.currentOverride(t.product)
		if !ok {
			writeJSON(w, http.StatusOK, map[string]any{"vendor": t.product, "override": nil})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"vendor": t.product, "override": o})
	case http.MethodDelete:
		s.ClearOverride(t.product)
		writeJSON(w, http.StatusOK, map[string]any{"vendor": t.product, "cleared": true})
	default:
		var o Override
		if !decodeBody(w, r, &o, false) {
			return
		}
		if err := s.SetOverride(t.product, o); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		cur, _ := s.currentOverride(t.product)
		writeJSON(w, http.StatusOK, map[string]any{"vendor": t.product, "override": cur})
	}
}

func (s *Simulator) controlLatency(w http.ResponseWriter, r *http.Request, t target) {
	if !allow(w, r, http.MethodGet, http.MethodPost, http.MethodDelete) {
		return
	}
	switch r.Method {
	case http.MethodPost:
		var in struct {
			Latency *Duration `json:"latency"`
		}
		if !decodeBody(w, r, &in, false) {
			return
		}
		if in.Latency == nil {
			writeError(w, http.StatusBadRequest, `"latency" is required, e.g. {"latency": "50ms"}`)
			return
		}
		if err := s.SetLatency(t.name, time.Duration(*in.Latency)); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	case http.MethodDelete:
		t.srv.latency.Store(int64(s.opts.Latency))
	}
	writeJSON(w, http.StatusOK, map[string]any{"vendor": t.srv.name, "latency": Duration(t.srv.latency.Load())})
}

func (s *Simulator) controlRefuseRefresh(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if r.Method == http.MethodPost {
		var in struct {
			Refuse *bool `json:"refuse"`
		}
		if !decodeBody(w, r, &in, false) {
			return
		}
		if in.Refuse == nil {
			writeError(w, http.StatusBadRequest, `"refuse" is required: true or false`)
			return
		}
		s.Apptenticate.RefuseRefresh(*in.Refuse)
		s.mu.Lock()
		s.refuseRefresh = *in.Refuse
		s.mu.Unlock()
	}
	s.mu.Lock()
	on := s.refuseRefresh
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"vendor": "apptenticate", "refuse": on})
}

func (s *Simulator) controlCallbacks(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if r.Method == http.MethodPost {
		var in struct {
			Mode  CallbackMode `json:"mode"`
			Delay *Duration    `json:"delay"`
		}
		if !decodeBody(w, r, &in, false) {
			return
		}
		s.mu.Lock()
		mode := s.callbacks
		s.mu.Unlock()
		if in.Mode != "" {
			mode = in.Mode
		}
		var delay time.Duration
		if in.Delay != nil {
			delay = time.Duration(*in.Delay)
			if delay <= 0 {
				writeError(w, http.StatusBadRequest, `"delay" must be more than 0, e.g. "300ms"`)
				return
			}
		}
		if err := s.SetCallbacks(mode, delay); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	s.mu.Lock()
	mode, delay := s.callbacks, s.callbackDelay
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"mode": mode, "delay": Duration(delay), "sent": s.Callbacks()})
}

// fromLoopback reports whether r came from this machine: its TCP peer, not a forwarded header. A
// request that was forwarded (a proxy on this machine passes on others' requests) is not.
func fromLoopback(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
