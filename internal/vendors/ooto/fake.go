package ooto

import (
	"bytes"
	"encoding/json"
	"image"
	_ "image/jpeg" // the fake decodes the images it receives
	_ "image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"

	"kycdesk/internal/vendors"
)

// fakeMaxBody bounds what the fake reads of one request.
const fakeMaxBody = 32 << 20

// maxRecorded is how many requests the fake remembers; the simulator runs for days.
const maxRecorded = 500

// Fake is an OOTO identify endpoint that answers from the images it receives. It matches the
// endpoint by the end of the request path, so it can be mounted under any prefix.
//
// Assumed behaviours, honoured here: a missing APP-ID or APP-KEY header is 401, a wrong one 403
// (the page does not say which, nor the body); a missing doc or selfie part is code 1, a part
// declared as anything but image/jpeg or image/png (or declared as one and being the other) is
// code 2, an empty part code 3, an undecodable one code 4. Boxes are drawn with Boxes, the same
// convention the client reads them with.
//
// Set the exported fields before serving; use the methods while serving.
type Fake struct {
	AppID, AppKey string
	// Identify recognises the subject on the document image; nil or unknown gives a generic
	// matching answer.
	Identify vendors.Identifier
	// Path is matched as the suffix of the request path (DefaultPath when empty).
	Path string
	// Boxes is the convention rectangles are written in.
	Boxes BoxConvention
	// LivenessThreshold: a liveness score at or above it is fine (0.5 when 0).
	LivenessThreshold float64
	// CamelCase answers with leftEyeClosed-style quality keys, as some OOTO endpoints do.
	CamelCase bool
	// Faults are consulted first on every request.
	Faults vendors.Faults

	mu          sync.Mutex
	requests    []FakeRequest
	inFlight    int
	maxInFlight int
}

// NewFake returns a fake that accepts appID and appKey.
func NewFake(appID, appKey string, id vendors.Identifier) *Fake {
	return &Fake{AppID: appID, AppKey: appKey, Identify: id}
}

// FakeRequest is one request as the fake saw it.
type FakeRequest struct {
	Method string
	Path   string
	Header http.Header
	Files  map[string]FakeFile
	// Fields holds text parts (the endpoint takes none; kept to show a client's mistakes).
	Fields map[string]string
	Status int // what the fake answered (0 when a fault answered)
}

// FakeFile is one uploaded file.
type FakeFile struct {
	Filename    string
	ContentType string
	Size        int
	Format      string // "jpeg" or "png" when it decodes
	Width       int
	Height      int
}

// Requests returns the requests received (the latest maxRecorded), oldest first.
func (f *Fake) Requests() []FakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeRequest(nil), f.requests...)
}

// MaxInFlight returns the largest number of requests the fake has been serving at once.
func (f *Fake) MaxInFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInFlight
}

// ServeHTTP answers one request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.inFlight++
	if f.inFlight > f.maxInFlight {
		f.maxInFlight = f.inFlight
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()

	if f.Faults.Serve(w, r) {
		f.record(FakeRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
		return
	}
	rec := FakeRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Files: map[string]FakeFile{}, Fields: map[string]string{}}
	status, body := f.answer(r, &rec)
	rec.Status = status
	f.record(rec)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *Fake) record(rec FakeRequest) {
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	if len(f.requests) > maxRecorded {
		f.requests = append([]FakeRequest(nil), f.requests[len(f.requests)-maxRecorded:]...)
	}
	f.mu.Unlock()
}

type obj = map[string]any

func errorBody(code int) obj {
	return obj{"transactionId": uuid.NewString(), "result": obj{"status": "error", "code": code, "info": infos[code]}}
}

func (f *Fake) answer(r *http.Request, rec *FakeRequest) (int, any) {
	path := f.Path
	if path == "" {
		path = DefaultPath
	}
	if !strings.HasSuffix(r.URL.Path, path) {
		return http.StatusNotFound, obj{"error": "not found"}
	}
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, obj{"error": "method not allowed"}
	}
	id, key := r.Header.Get("APP-ID"), r.Header.Get("APP-KEY")
	if id == "" || key == "" {
		return http.StatusUnauthorized, obj{"error": "APP-ID and APP-KEY headers are required"}
	}
	if id != f.AppID || key != f.AppKey {
		return http.StatusForbidden, obj{"error": "invalid APP-ID or APP-KEY"}
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" || params["boundary"] == "" {
		return http.StatusBadRequest, errorBody(1)
	}
	mr := multipart.NewReader(http.MaxBytesReader(nil, r.Body, fakeMaxBody), params["boundary"])
	images := map[string][]byte{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return http.StatusBadRequest, errorBody(1)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return http.StatusBadRequest, errorBody(1)
		}
		name := part.FormName()
		if part.FileName() == "" {
			rec.Fields[name] = string(data)
			continue
		}
		ff := FakeFile{Filename: part.FileName(), ContentType: part.Header.Get("Content-Type"), Size: len(data)}
		if cfg, format, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
			ff.Format, ff.Width, ff.Height = format, cfg.Width, cfg.Height
		}
		rec.Files[name] = ff
		images[name] = data
	}
	for _, name := range []string{"doc", "selfie"} {
		ff, sent := rec.Files[name]
		switch {
		case !sent:
			return http.StatusBadRequest, errorBody(1)
		case ff.ContentType != "image/jpeg" && ff.ContentType != "image/png":
			return http.StatusBadRequest, errorBody(2)
		case ff.Size == 0:
			return http.StatusBadRequest, errorBody(3)
		case ff.Format == "":
			return http.StatusBadRequest, errorBody(4)
		case "image/"+ff.Format != ff.ContentType:
			return http.StatusBadRequest, errorBody(2)
		}
	}

	var subj vendors.Subject
	known := false
	if f.Identify != nil {
		subj, known = f.Identify(images["doc"])
	}
	if code := subj.Errors[vendors.OOTO]; known && code != "" {
		n, err := strconv.Atoi(code)
		if err != nil {
			return http.StatusBadRequest, obj{"transactionId": uuid.NewString(), "result": obj{"status": "error", "code": code, "info": "error"}}
		}
		return http.StatusBadRequest, errorBody(n)
	}
	if !known {
		subj = vendors.Subject{
			SameFace: true, Liveness: 0.93, Surname: "ERIKSSON", GivenNames: "ANNA MARIA", DateOfBirth: "1974-08-12",
			Sex: "F", Nationality: "UTO", DocumentNumber: "L898902C3", IssueDate: "2007-04-15", ExpiryDate: "2012-04-15",
			IssuingCountry: "UTO", DocumentType: "passport",
			MRZ: []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"},
		}
	}
	return http.StatusOK, f.success(subj, rec.Files["doc"], rec.Files["selfie"])
}

func (f *Fake) success(s vendors.Subject, doc, selfie FakeFile) obj {
	similarity, same := 0.31, false
	if s.SameFace {
		similarity, same = 0.87, true
	}
	threshold := f.LivenessThreshold
	if threshold == 0 {
		threshold = 0.5
	}
	q := func(name string) string {
		if !f.CamelCase {
			return name
		}
		parts := strings.Split(name, "_")
		for i := 1; i < len(parts); i++ {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
		return strings.Join(parts, "")
	}
	fine := func(k string, v float64) obj { return obj{k: v, "fine": true} }
	quality := obj{
		"age": 34, "gender": "female", "race": "unknown", "pitch": 2.1, "yaw": -3.4, "roll": 0.8,
		"uniformity": fine("value", 0.91), "exposure": fine("value", 0.62), "contrast": fine("value", 0.55),
		"flare": fine("score", 0.02), "blur": fine("score", 0.05), "macroblocks": fine("score", 0.01),
		"distortion": fine("score", 0.03), "occlusion": fine("score", 0.02), "emotion": fine("score", 0.1),
		q("left_eye_closed"): fine("score", 0.04), q("right_eye_closed"): fine("score", 0.05), "crfiqa": fine("score", 0.78),
	}

	sw, sh := float64(selfie.Width), float64(selfie.Height)
	dw, dh := float64(doc.Width), float64(doc.Height)
	rect := func(r Rect) obj { return obj{"x": r.X, "y": r.Y, "w": r.W, "h": r.H, "angle": r.Angle} }
	position := Rect{W: dw, H: dh}
	portrait := Rect{X: dw * 0.05, Y: dh * 0.25, W: dw * 0.28, H: dh * 0.55}
	if s.Portrait != nil {
		b := *s.Portrait
		// The subject's boxes are in the pixels of the image it was drawn on; follow a resize.
		if s.Width > 0 && s.Height > 0 && (s.Width != doc.Width || s.Height != doc.Height) {
			for i := range b.Corners {
				b.Corners[i].X *= dw / float64(s.Width)
				b.Corners[i].Y *= dh / float64(s.Height)
			}
		}
		portrait = RectOf(b, f.Boxes)
	} else {
		portrait = RectOf(portrait.Box("front", BoxConvention{}), f.Boxes)
	}
	position = RectOf(position.Box("front", BoxConvention{}), f.Boxes)
	faceBox := RectOf(Rect{X: sw * 0.3, Y: sh * 0.2, W: sw * 0.4, H: sh * 0.5}.Box("selfie", BoxConvention{}), f.Boxes)

	return obj{
		"transactionId": uuid.NewString(),
		"result": obj{
			"comparison": obj{"similarity": similarity, "same": same},
			"face": obj{
				"liveness": obj{"score": s.Liveness, "fine": s.Liveness >= threshold},
				"deepfake": obj{"score": 0.03, "fine": true},
				"quality":  quality,
				"box":      obj{"x": faceBox.X, "y": faceBox.Y, "w": faceBox.W, "h": faceBox.H},
				"landmarks": [][]float64{
					{faceBox.X + faceBox.W*0.3, faceBox.Y + faceBox.H*0.4}, {faceBox.X + faceBox.W*0.7, faceBox.Y + faceBox.H*0.4},
					{faceBox.X + faceBox.W*0.5, faceBox.Y + faceBox.H*0.6},
					{faceBox.X + faceBox.W*0.35, faceBox.Y + faceBox.H*0.8}, {faceBox.X + faceBox.W*0.65, faceBox.Y + faceBox.H*0.8},
				},
			},
			"document": obj{
				"doc":      s.DocumentType,
				"ocr":      fakeOCR(s),
				"position": rect(position),
				"portrait": rect(portrait),
			},
		},
	}
}

// fakeOCR spells the subject's data with the page's keys.
func fakeOCR(s vendors.Subject) obj {
	mis := s.Misreads[vendors.OOTO]
	val := func(n vendors.FieldName, v string) string {
		if m, ok := mis[n]; ok {
			return m
		}
		return v
	}
	o := obj{}
	for k, v := range map[string]string{
		"surname":            val(vendors.Surname, s.Surname),
		"givenNames":         val(vendors.GivenNames, s.GivenNames),
		"dateOfBirth":        val(vendors.DateOfBirth, s.DateOfBirth),
		"sex":                val(vendors.Sex, s.Sex),
		"nationality":        val(vendors.Nationality, s.Nationality),
		"identityCardNumber": val(vendors.DocumentNumber, s.DocumentNumber),
		"dateOfIssue":        val(vendors.IssueDate, s.IssueDate),
		"dateOfExpiration":   val(vendors.ExpiryDate, s.ExpiryDate),
		"issuingStateCode":   val(vendors.IssuingCountry, s.IssuingCountry),
	} {
		if v != "" {
			o[k] = v
		}
	}
	var lines []string
	for i, l := range s.MRZ {
		if i < len(mrzFields) {
			l = val(mrzFields[i], l)
		}
		lines = append(lines, l)
	}
	if len(lines) > 0 {
		o["mrz"] = strings.Join(lines, "\n")
	}
	return o
}
