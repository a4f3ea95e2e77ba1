package vendors

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is a misbehaviour a fake can be told to show, for tests and for the simulator's
// documented fault switches.
type FaultKind string

// Fault kinds.
const (
	FaultStatus      FaultKind = "status"       // answer Status with Body (e.g. 503, 429 + RetryAfter)
	FaultDelay       FaultKind = "delay"        // wait Delay, then answer normally
	FaultSlowBody    FaultKind = "slow_body"    // send headers, then the body a byte at a time over Delay
	FaultMalformed   FaultKind = "malformed"    // 200 with a body that is not JSON
	FaultTruncated   FaultKind = "truncated"    // 200 with JSON cut in the middle
	FaultHuge        FaultKind = "huge"         // 200 with a body of Size bytes
	FaultContentType FaultKind = "content_type" // 200 with an HTML page
	FaultHangup      FaultKind = "hangup"       // close the connection without an answer
)

// Fault is one injected misbehaviour; it applies to the next Count matching requests (0 = 1).
type Fault struct {
	Kind       FaultKind     `json:"kind"`
	Status     int           `json:"status,omitempty"`
	Body       string        `json:"body,omitempty"`
	RetryAfter string        `json:"retry_after,omitempty"`
	Delay      time.Duration `json:"delay,omitempty"`
	Size       int           `json:"size,omitempty"`
	Count      int           `json:"count,omitempty"`
	// PathContains limits the fault to requests whose path contains it ("" = every request).
	PathContains string `json:"path_contains,omitempty"`
}

// Faults is a queue of injected faults that a fake consults at the start of every request.
// The zero value is ready to use.
type Faults struct {
	mu    sync.Mutex
	queue []Fault
}

// Inject adds a fault to the queue.
func (f *Faults) Inject(ft Fault) {
	if ft.Count <= 0 {
		ft.Count = 1
	}
	f.mu.Lock()
	f.queue = append(f.queue, ft)
	f.mu.Unlock()
}

// Clear removes every queued fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	f.queue = nil
	f.mu.Unlock()
}

func (f *Faults) take(path string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, ft := range f.queue {
		if ft.PathContains != "" && !strings.Contains(path, ft.PathContains) {
			continue
		}
		f.queue[i].Count--
		if f.queue[i].Count <= 0 {
			f.queue = append(f.queue[:i], f.queue[i+1:]...)
		}
		return ft, true
	}
	return Fault{}, false
}

// Serve applies the next matching fault to the request. It reports true when it wrote the answer
// (the fake must then return), false when the fake should answer normally (no fault, or a delay
// that has passed).
func (f *Faults) Serve(w http.ResponseWriter, r *http.Request) bool {
	ft, ok := f.take(r.URL.Path)
	if !ok {
		return false
	}
	switch ft.Kind {
	case FaultDelay:
		select {
		case <-time.After(ft.Delay):
		case <-r.Context().Done():
			return true
		}
		return false
	case FaultStatus:
		if ft.RetryAfter != "" {
			w.Header().Set("Retry-After", ft.RetryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ft.Status)
		_, _ = w.Write([]byte(ft.Body))
	case FaultSlowBody:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		body := []byte(`{"slow":"` + strings.Repeat("x", 64) + `"}`)
		step := ft.Delay / time.Duration(len(body))
		fl, _ := w.(http.Flusher)
		for _, b := range body {
			if _, err := w.Write([]byte{b}); err != nil {
				return true
			}
			if fl != nil {
				fl.Flush()
			}
			select {
			case <-time.After(step):
			case <-r.Context().Done():
				return true
			}
		}
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"result": [unterminated`))
	case FaultTruncated:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"transactionId":"t-1","result":{"data":{"raw":{"na`))
	case FaultHuge:
		size := ft.Size
		if size <= 0 {
			size = 100 << 20
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		chunk := []byte(strings.Repeat(" ", 64<<10))
		for n := 0; n < size; n += len(chunk) {
			if n+len(chunk) > size {
				chunk = chunk[:size-n]
			}
			if _, err := w.Write(chunk); err != nil {
				return true
			}
		}
	case FaultContentType:
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
	case FaultHangup:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	return true
}
