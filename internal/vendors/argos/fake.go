package argos

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"image"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"kycdesk/internal/vendors"
)

// DefaultCallbackDelay is how long the fake waits before POSTing an asynchronous result.
const DefaultCallbackDelay = 300 * time.Millisecond

// keepRecords bounds the request and callback history a long-running simulator keeps.
const keepRecords = 200

// Fake is an Argos Global ID Recognition server for tests and the demo simulator. It checks
// requests as strictly as the contract reads (x-api-key, JSON, required fields, plain base64
// without a data-URI prefix, ISO-3 country, idType spelling, image format by content, size limit)
// and answers from the Subject its Identifier recognises on the front image.
//
// It serves any path ending in the recognition path, so it can be mounted under a prefix with or
// without http.StripPrefix. It is safe for concurrent use; Close stops callbacks still waiting.
type Fake struct {
	// Faults is consulted first on every request.
	Faults vendors.Faults

	apiKey   string
	identify vendors.Identifier

	mu        sync.Mutex
	path      string
	maxImage  int
	delay     time.Duration
	never     bool
	twice     bool
	first     bool
	client    *http.Client
	requests  []FakeRequest
	callbacks []SentCallback
	closed    bool
	done      chan struct{}
	wg        sync.WaitGroup
}

// FakeRequest is one request the fake received, with what it answered.
type FakeRequest struct {
	At     time.Time
	Method string
	Path   string
	Header http.Header
	// Body is the request body as received (capped by the size limit).
	Body []byte
	// Status and ErrorCode are what the fake answered; Status 0 when an injected fault answered.
	Status        int
	ErrorCode     string
	TransactionID string
}

// SentCallback is one callback the fake POSTed.
type SentCallback struct {
	At            time.Time
	URL           string
	TransactionID string
	Body          []byte
	// Status is the receiver's HTTP status, 0 when it did not answer (Err says why).
	Status int
	Err    string
}

// NewFake returns a fake that accepts apiKey and reads documents with id (which may be nil: every
// image then gets a plausible generic reading).
func NewFake(apiKey string, id vendors.Identifier) *Fake {
	return &Fake{
		apiKey: apiKey, identify: id,
		path: DefaultPath, maxImage: VendorMaxImageBytes, delay: DefaultCallbackDelay,
		client: &http.Client{Timeout: 10 * time.Second},
		done:   make(chan struct{}),
	}
}

// SetPath sets the recognition path the fake answers on (DefaultPath by default).
func (f *Fake) SetPath(p string) {
	f.mu.Lock()
	f.path = "/" + strings.Trim(p, "/")
	f.mu.Unlock()
}

// SetMaxImageBytes sets the largest decoded image accepted; larger ones get 413.
func (f *Fake) SetMaxImageBytes(n int) {
	f.mu.Lock()
	f.maxImage = n
	f.mu.Unlock()
}

// SetCallbackDelay sets how long after the acknowledgement the callback is sent.
func (f *Fake) SetCallbackDelay(d time.Duration) {
	f.mu.Lock()
	f.delay = d
	f.mu.Unlock()
}

// SetNeverCallback makes the fake acknowledge asynchronous requests and never call back, to test
// the app's timeout for lost callbacks.
func (f *Fake) SetNeverCallback(on bool) {
	f.mu.Lock()
	f.never = on
	f.mu.Unlock()
}

// SetCallbackFirst makes the fake deliver each callback before it acknowledges the request, as
// the quickest Argos could: the app must know the callback before it knows the transaction.
func (f *Fake) SetCallbackFirst(on bool) {
	f.mu.Lock()
	f.first = on
	f.mu.Unlock()
}

// SetCallbackTwice makes the fake send every callback twice, identical, to test replays.
func (f *Fake) SetCallbackTwice(on bool) {
	f.mu.Lock()
	f.twice = on
	f.mu.Unlock()
}

// SetCallbackClient sets the client used to POST callbacks (e.g. one trusting a test server's
// certificate).
func (f *Fake) SetCallbackClient(c *http.Client) {
	if c == nil {
		return
	}
	f.mu.Lock()
	f.client = c
	f.mu.Unlock()
}

// Requests returns the requests received, oldest first (the most recent 200).
func (f *Fake) Requests() []FakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeRequest(nil), f.requests...)
}

// Callbacks returns the callbacks sent, oldest first (the most recent 200).
func (f *Fake) Callbacks() []SentCallback {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SentCallback(nil), f.callbacks...)
}

// Close cancels callbacks not yet sent and waits for those being sent.
func (f *Fake) Close() {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.done)
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// fakeAnswer is what one request was answered with, for the record.
type fakeAnswer struct {
	status int
	code   string
	txID   string
}

// ServeHTTP answers one recognition request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.Faults.Serve(w, r) {
		f.record(r, nil, fakeAnswer{})
		return
	}
	f.mu.Lock()
	path, maxImage := f.path, f.maxImage
	f.mu.Unlock()

	// Two base64 images plus the rest of the JSON; beyond that the gateway refuses the payload.
	limit := int64(maxImage)*3 + 64<<10
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	ans := f.serve(w, r, body, err, int64(len(body)) > limit, path, maxImage)
	if int64(len(body)) > limit {
		body = body[:limit]
	}
	f.record(r, body, ans)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request, body []byte, readErr error, tooLarge bool, path string, maxImage int) fakeAnswer {
	if !strings.HasSuffix(strings.TrimRight(r.URL.Path, "/"), path) {
		return writeMessage(w, http.StatusNotFound, "Not Found")
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return writeMessage(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}
	if key := r.Header.Get("x-api-key"); key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(f.apiKey)) != 1 {
		return writeMessage(w, http.StatusForbidden, "Forbidden")
	}
	if tooLarge {
		return writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
	}
	if readErr != nil {
		return writeCode(w, "1003", "")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return writeCode(w, "1015", "invalid inputs : Content-Type must be application/json")
	}
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil || req == nil {
		return writeCode(w, "1015", "invalid inputs : body is not a JSON object")
	}
	str := func(k string) (string, bool) {
		v, ok := req[k]
		if !ok {
			return "", false
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", true
		}
		return s, true
	}
	front, _ := str("idImage")
	country, _ := str("issuingCountry")
	idType, _ := str("idType")
	back, hasBack := str("idBackImage")
	callback, hasCallback := str("callbackUrl")
	switch {
	case front == "":
		return writeCode(w, "1005", "")
	case country == "":
		return writeCode(w, "1006", "")
	case idType == "":
		return writeCode(w, "1014", "")
	case hasCallback && !absoluteURL(callback):
		return writeCode(w, "1010", "")
	case !ValidCountry(country):
		return writeCode(w, "1015", "invalid inputs : issuingCountry")
	case !ValidIDType(idType):
		return writeCode(w, "1015", "invalid inputs : idType")
	}
	frontImg, status, code := decodeFakeImage(front, maxImage)
	if status != 0 {
		return writeFakeFailure(w, status, code)
	}
	if hasBack {
		if _, status, code := decodeFakeImage(back, maxImage); status != 0 {
			return writeFakeFailure(w, status, code)
		}
	}

	sub, known := vendors.Subject{}, false
	if f.identify != nil {
		sub, known = f.identify(frontImg)
	}
	failure := ""
	switch {
	case known && sub.Errors[vendors.Argos] != "":
		failure = sub.Errors[vendors.Argos]
	case known && sub.IssuingCountry != "" && sub.IssuingCountry != country:
		failure = "1011"
	case known && !idTypeFits(sub.DocumentType, idType):
		failure = "1011"
	}
	txID := newTransactionID()
	// Recognition failures happen after an asynchronous request was acknowledged, so they travel
	// in the callback; refusals of the request itself are answered at once.
	lateFailure := failure == "1003" || failure == "1011" || failure == "1012"
	if failure != "" && !(hasCallback && lateFailure) {
		a := writeCode(w, failure, "")
		a.txID = txID
		return a
	}

	var cbBody []byte
	if failure != "" {
		cbBody, _ = json.Marshal(map[string]any{
			"statusCode": 400, "apiType": "id_recognition", "transactionId": txID,
			"errorCode": codeValue(failure), "message": messageFor(failure, ""),
		})
	} else {
		result := fakeResult(sub, known, frontImg, country, idType)
		if !hasCallback {
			writeJSON(w, http.StatusOK, map[string]any{"apiType": "id_recognition", "transactionId": txID, "result": result})
			return fakeAnswer{status: http.StatusOK, txID: txID}
		}
		cbBody, _ = json.Marshal(map[string]any{"statusCode": 200, "apiType": "id_recognition", "transactionId": txID, "result": result})
	}
	f.mu.Lock()
	first, client := f.first && !f.never && !f.closed, f.client
	f.mu.Unlock()
	if first {
		f.postCallback(r.Context(), client, callback, txID, cbBody)
	}
	writeJSON(w, http.StatusOK, map[string]any{"apiType": "id_recognition", "transactionId": txID})
	if !first {
		f.scheduleCallback(callback, txID, cbBody)
	}
	return fakeAnswer{status: http.StatusOK, txID: txID}
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// idTypeFits reports whether the idType sent fits the kind of document on the image.
func idTypeFits(docType, idType string) bool {
	want, ok := IDTypeForDocument(docType)
	return !ok || want == idType
}

// decodeFakeImage checks one base64 image as Argos would: plain standard base64 (a data-URI
// prefix is not base64), within the size limit, and a JPEG, PNG or BMP by content.
func decodeFakeImage(s string, maxImage int) ([]byte, int, string) {
	if strings.HasPrefix(s, "data:") || strings.Contains(s[:min(len(s), 64)], ";base64,") {
		return nil, http.StatusBadRequest, "1013"
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, http.StatusBadRequest, "1013"
	}
	if len(b) > maxImage {
		return nil, http.StatusRequestEntityTooLarge, ""
	}
	if sniff(b) == "" {
		return nil, http.StatusBadRequest, "1013"
	}
	return b, 0, ""
}

func writeFakeFailure(w http.ResponseWriter, status int, code string) fakeAnswer {
	if status == http.StatusRequestEntityTooLarge {
		return writeMessage(w, status, "Request Entity Too Large")
	}
	return writeCode(w, code, "")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeMessage answers as the API gateway does, with only a message.
func writeMessage(w http.ResponseWriter, status int, msg string) fakeAnswer {
	writeJSON(w, status, map[string]string{"message": msg})
	return fakeAnswer{status: status}
}

// writeCode answers a documented refusal: 400 {errorCode, message}.
func writeCode(w http.ResponseWriter, code, msg string) fakeAnswer {
	writeJSON(w, http.StatusBadRequest, map[string]any{"errorCode": codeValue(code), "message": messageFor(code, msg)})
	return fakeAnswer{status: http.StatusBadRequest, code: code}
}

// codeValue sends a numeric code as a JSON number, as Argos' examples do.
func codeValue(code string) any {
	if n, err := strconv.Atoi(code); err == nil {
		return n
	}
	return code
}

func messageFor(code, msg string) string {
	if msg != "" {
		return msg
	}
	if d := description(code); d != "" {
		return d
	}
	return "error"
}

func newTransactionID() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 13)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func (f *Fake) record(r *http.Request, body []byte, a fakeAnswer) {
	rec := FakeRequest{At: time.Now(), Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		Status: a.status, ErrorCode: a.code, TransactionID: a.txID}
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	if len(f.requests) > keepRecords {
		f.requests = append([]FakeRequest(nil), f.requests[len(f.requests)-keepRecords:]...)
	}
	f.mu.Unlock()
}

// scheduleCallback POSTs body to target after the configured delay, once, twice or never.
func (f *Fake) scheduleCallback(target, txID string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.never {
		return
	}
	times := 1
	if f.twice {
		times = 2
	}
	delay, client, done := f.delay, f.client, f.done
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-done:
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-done:
				cancel()
			case <-ctx.Done():
			}
		}()
		for i := 0; i < times; i++ {
			f.postCallback(ctx, client, target, txID, body)
		}
	}()
}

func (f *Fake) postCallback(ctx context.Context, client *http.Client, target, txID string, body []byte) {
	sent := SentCallback{At: time.Now(), URL: target, TransactionID: txID, Body: body}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		var resp *http.Response
		resp, err = client.Do(req)
		if err == nil {
			sent.Status = resp.StatusCode
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
		}
	}
	if err != nil {
		sent.Err = err.Error()
	}
	f.mu.Lock()
	f.callbacks = append(f.callbacks, sent)
	if len(f.callbacks) > keepRecords {
		f.callbacks = append([]SentCallback(nil), f.callbacks[len(f.callbacks)-keepRecords:]...)
	}
	f.mu.Unlock()
}

// fakeRawKeys are the raw keys the fake uses for each canonical field: the sample's spelling
// where it shows one ("name", "number", "address"), Argos' ocr spelling otherwise.
var fakeRawKeys = []struct {
	field vendors.FieldName
	key   string
}{
	{vendors.FullName, "name"},
	{vendors.Surname, "surname"},
	{vendors.GivenNames, "given_names"},
	{vendors.DateOfBirth, "birth_date"},
	{vendors.Sex, "gender"},
	{vendors.Nationality, "nationality"},
	{vendors.DocumentNumber, "number"},
	{vendors.PersonalNumber, "identity_number"},
	{vendors.IssueDate, "issue_date"},
	{vendors.ExpiryDate, "expire_date"},
	{vendors.Address, "address"},
	{vendors.MRZLine1, "mrz_line1"},
	{vendors.MRZLine2, "mrz_line2"},
}

// fakeResult builds result{data{raw, ocr}, review_front, review_back, document_type} from what
// the Identifier recognised (or a generic reading), misreads applied.
func fakeResult(sub vendors.Subject, known bool, img []byte, country, idType string) map[string]any {
	w, h := 0, 0
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(img)); err == nil {
		w, h = cfg.Width, cfg.Height
	}
	if !known {
		sub = genericSubject(country, w, h)
	}
	values := map[vendors.FieldName]string{
		vendors.Surname: sub.Surname, vendors.GivenNames: sub.GivenNames, vendors.DateOfBirth: sub.DateOfBirth,
		vendors.Sex: sub.Sex, vendors.Nationality: sub.Nationality, vendors.DocumentNumber: sub.DocumentNumber,
		vendors.PersonalNumber: sub.PersonalNumber, vendors.IssueDate: sub.IssueDate, vendors.ExpiryDate: sub.ExpiryDate,
		vendors.Address: sub.Address,
	}
	for i, line := range sub.MRZ {
		if i < 3 {
			values[[]vendors.FieldName{vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3}[i]] = line
		}
	}
	misread := sub.Misreads[vendors.Argos]
	for name, v := range misread {
		values[name] = v
	}
	full := strings.TrimSpace(values[vendors.GivenNames] + " " + values[vendors.Surname])
	if v, ok := misread[vendors.FullName]; ok {
		full = v
	}
	values[vendors.FullName] = full

	// Boxes are in the pixels of the image as drawn; the client may have sent it smaller.
	sx, sy := 1.0, 1.0
	if sub.Width > 0 && w > 0 && w < sub.Width {
		sx = float64(w) / float64(sub.Width)
		sy = sx
		if sub.Height > 0 && h > 0 {
			sy = float64(h) / float64(sub.Height)
		}
	}
	raw := map[string]any{"rotate": map[string]any{"value": "0"}}
	review := !known
	for _, rk := range fakeRawKeys {
		box, ok := sub.Boxes[rk.field]
		if !ok || values[rk.field] == "" {
			continue
		}
		score := fakeScore(string(rk.field) + sub.DocumentNumber)
		if _, bad := misread[rk.field]; bad {
			score = 40 + score%20
			review = true
		}
		corner := func(i int) map[string]int {
			return map[string]int{"x": int(math.Round(box.Corners[i].X * sx)), "y": int(math.Round(box.Corners[i].Y * sy))}
		}
		raw[rk.key] = map[string]any{
			"value": values[rk.field], "score": score, "accepted": score >= 70,
			"coordinates": map[string]any{"first": corner(0), "second": corner(1), "third": corner(2), "fourth": corner(3)},
		}
	}
	given := strings.Fields(values[vendors.GivenNames])
	firstName, middle := "", ""
	if len(given) > 0 {
		firstName, middle = given[0], strings.Join(given[1:], " ")
	}
	mrz := make([]string, 0, 3)
	for _, n := range []vendors.FieldName{vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3} {
		if values[n] != "" {
			mrz = append(mrz, values[n])
		}
	}
	ocr := map[string]any{
		"ocr_fullName": values[vendors.FullName], "ocr_firstName": firstName, "ocr_middleName": middle,
		"ocr_lastName": values[vendors.Surname], "ocr_gender": values[vendors.Sex],
		"ocr_nationality": values[vendors.Nationality], "ocr_birthDate": values[vendors.DateOfBirth],
		"ocr_identityNumber": values[vendors.PersonalNumber], "ocr_issueDate": values[vendors.IssueDate],
		"ocr_expireDate": values[vendors.ExpiryDate], "ocr_version": "kycdesk-simulator-1", "ocr_number": values[vendors.DocumentNumber],
		// As Argos documents it: two line keys, and the whole zone (a card's three lines) in full_mrz.
		"full_mrz": strings.Join(mrz, "\n"), "mrz_line1": values[vendors.MRZLine1], "mrz_line2": values[vendors.MRZLine2],
	}
	return map[string]any{
		"data":          map[string]any{"raw": raw, "ocr": ocr},
		"review_front":  review,
		"review_back":   false,
		"document_type": idType,
	}
}

// fakeScore is a stable score from 80 to 99, so the same document always reads the same.
func fakeScore(seed string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(seed))
	return 80 + int(h.Sum32()%20)
}

// genericSubject is the reading of an image the Identifier does not know: plausible values laid
// out in rows over the image, flagged for review.
func genericSubject(country string, w, h int) vendors.Subject {
	if w <= 0 || h <= 0 {
		w, h = 1000, 630
	}
	s := vendors.Subject{
		Surname: "SAMPLE", GivenNames: "ALEX JORDAN", DateOfBirth: "1990-01-01", Sex: "X",
		Nationality: country, DocumentNumber: "X00000000", IssueDate: "2020-01-01", ExpiryDate: "2030-01-01",
		IssuingCountry: country, Width: w, Height: h, Boxes: map[vendors.FieldName]vendors.Box{},
	}
	rows := []vendors.FieldName{vendors.Surname, vendors.GivenNames, vendors.DateOfBirth, vendors.Sex, vendors.Nationality,
		vendors.DocumentNumber, vendors.IssueDate, vendors.ExpiryDate}
	fw, fh := float64(w), float64(h)
	for i, name := range rows {
		top := fh * (0.2 + 0.08*float64(i))
		s.Boxes[name] = vendors.Box{Side: "front", Corners: [4]vendors.Point{
			{X: fw * 0.4, Y: top}, {X: fw * 0.9, Y: top}, {X: fw * 0.9, Y: top + fh*0.06}, {X: fw * 0.4, Y: top + fh*0.06},
		}}
	}
	return s
}
