package ooto

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"kycdesk/internal/vendors"
)

// normKey makes "left_eye_closed", "leftEyeClosed" and "Left Eye Closed" one key.
func normKey(k string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(k) {
		switch r {
		case ' ', '_', '-', '.':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// snake spells a key the page's way (leftEyeClosed → left_eye_closed), so both spellings are
// stored and shown under one name.
func snake(k string) string {
	var b strings.Builder
	rs := []rune(strings.TrimSpace(k))
	for i, r := range rs {
		switch {
		case r == ' ' || r == '-':
			r = '_'
		case unicode.IsUpper(r):
			if i > 0 && rs[i-1] != '_' && rs[i-1] != ' ' && !unicode.IsUpper(rs[i-1]) {
				b.WriteRune('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// object is a JSON object keyed by normKey; the first spelling of a key (in sorted order) wins.
type object struct {
	keys []string
	vals map[string]json.RawMessage
	orig map[string]string
}

func decodeObject(b []byte) (object, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return object{}, false
	}
	o := object{vals: map[string]json.RawMessage{}, orig: map[string]string{}}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		n := normKey(k)
		if _, dup := o.vals[n]; dup {
			continue
		}
		o.vals[n], o.orig[n] = m[k], k
		o.keys = append(o.keys, n)
	}
	return o, true
}

func (o object) sub(key string) object {
	if v, ok := o.vals[normKey(key)]; ok {
		if s, ok := decodeObject(v); ok {
			return s
		}
	}
	return object{}
}

func (o object) has(key string) bool {
	_, ok := o.vals[normKey(key)]
	return ok
}

func (o object) text(key string) string {
	var t vendors.Text
	if v, ok := o.vals[normKey(key)]; ok {
		_ = t.UnmarshalJSON(v)
	}
	return string(t)
}

func (o object) num(key string) vendors.Num {
	var n vendors.Num
	if v, ok := o.vals[normKey(key)]; ok {
		_ = n.UnmarshalJSON(v)
	}
	return n
}

func (o object) boolean(key string) vendors.Bool {
	var b vendors.Bool
	if v, ok := o.vals[normKey(key)]; ok {
		_ = b.UnmarshalJSON(v)
	}
	return b
}

func (o object) rect() (Rect, bool) {
	x, y, w, h := o.num("x"), o.num("y"), o.num("w"), o.num("h")
	if !x.Valid || !y.Valid || !w.Valid || !h.Valid {
		// Some answers wrap the rectangle: {"box": {x, y, w, h}}.
		if b := o.sub("box"); b.vals != nil {
			return b.rect()
		}
		return Rect{}, false
	}
	return Rect{X: x.Value, Y: y.Value, W: w.Value, H: h.Value, Angle: o.num("angle").Value}, true
}

// ocrFields maps OOTO's OCR keys (normalised) to canonical fields, in order of preference; the
// page's keys come first. Keys with a _local twin (the name in the local script) map only in
// their Latin form; the local one is kept in Extra.
var ocrFields = []struct {
	field vendors.FieldName
	keys  []string
}{
	{vendors.Surname, []string{"surname", "lastName", "familyName"}},
	{vendors.GivenNames, []string{"givenNames", "givenName", "firstName", "firstNames"}},
	{vendors.FullName, []string{"fullName", "name"}},
	{vendors.DateOfBirth, []string{"dateOfBirth", "birthDate"}},
	{vendors.Sex, []string{"sex", "gender"}},
	{vendors.Nationality, []string{"nationality", "nationalityCode"}},
	{vendors.DocumentNumber, []string{"identityCardNumber", "documentNumber", "passportNumber", "drivingLicenseNumber", "licenseNumber", "permitNumber", "docNumber", "number"}},
	{vendors.PersonalNumber, []string{"personalNumber", "personalIdNumber", "personalIdentificationNumber"}},
	{vendors.IssueDate, []string{"dateOfIssue", "issueDate"}},
	{vendors.ExpiryDate, []string{"dateOfExpiration", "dateOfExpiry", "expiryDate", "expirationDate"}},
	{vendors.IssuingCountry, []string{"issuingStateCode", "issuingCountryCode", "issuingState", "issuingCountry", "countryCode", "countryName"}},
	{vendors.Address, []string{"address", "addressLine", "residence"}},
}

var mrzFields = []vendors.FieldName{vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3}

// interpret turns one identify answer into a result or a classified failure, reading boxes with
// conv. An error body
// ({result: {status: "error", code}}) is a Business refusal keyed on its code whatever the status.
func interpret(resp *http.Response, body []byte, conv BoxConvention) (vendors.Result, *vendors.Error) {
	st := resp.StatusCode
	if st == http.StatusTooManyRequests || st >= 500 {
		return vendors.Result{}, vendors.StatusError(vendors.OOTO, resp, body)
	}
	top, isObj := decodeObject(bytes.TrimSpace(body))
	if st == http.StatusUnauthorized || st == http.StatusForbidden {
		e := vendors.StatusError(vendors.OOTO, resp, body)
		e.Message = "The vendor refused the APP-ID and APP-KEY."
		if isObj {
			for _, k := range []string{"message", "error", "detail", "info"} {
				if m := top.text(k); m != "" {
					e.Message += " (" + m + ")"
					break
				}
			}
		}
		return vendors.Result{}, e
	}
	if !isObj {
		if st >= 200 && st < 300 {
			return vendors.Result{}, &vendors.Error{Vendor: vendors.OOTO, Kind: vendors.Transient, HTTPStatus: st,
				Message: "The vendor's answer was not readable JSON."}
		}
		return vendors.Result{}, vendors.StatusError(vendors.OOTO, resp, body)
	}
	result := top.sub("result")
	if strings.EqualFold(result.text("status"), "error") || (result.has("code") && !result.has("comparison")) {
		return vendors.Result{}, refusal(st, result.text("code"), result.text("info"))
	}
	if st < 200 || st >= 300 {
		return vendors.Result{}, vendors.StatusError(vendors.OOTO, resp, body)
	}
	if result.vals == nil {
		return vendors.Result{}, &vendors.Error{Vendor: vendors.OOTO, Kind: vendors.Transient, HTTPStatus: st,
			Message: "The vendor's answer had no result."}
	}
	return success(top.text("transactionId"), result, conv), nil
}

// refusal is OOTO's refusal keyed on its code: of the images themselves (no face, no document,
// unreadable, too low a resolution; an undocumented code too), or, for codes 1 to 4, of the
// request (an image missing, empty or not JPEG/PNG: what kycdesk sent, not the document).
func refusal(status int, code, info string) *vendors.Error {
	e := &vendors.Error{Vendor: vendors.OOTO, Kind: vendors.Business, HTTPStatus: status, Code: code, Refused: !RequestCode(code)}
	switch m, ok := Meaning(code); {
	case ok:
		e.Message = m
	case info != "":
		e.Message = "The vendor refused the images: " + info
	default:
		e.Message = "The vendor refused the images without saying why."
	}
	return e
}

// faceWords says OOTO's verdict on the selfie in a sentence, the one a check's row shows: "Not the
// same person (similarity 31%).", "The same person (similarity 87%), a live person, no deepfake.",
// or what is missing or doubtful.
func faceWords(f *vendors.Face) string {
	pct := func(v *float64) string {
		if v == nil {
			return ""
		}
		return " (" + strconv.Itoa(int(math.Round(*v*100))) + "%)"
	}
	var parts []string
	switch {
	case f.Same == nil:
		parts = append(parts, "no verdict on the face match")
	case *f.Same:
		parts = append(parts, "the same person"+strings.Replace(pct(f.Similarity), "(", "(similarity ", 1))
	default:
		parts = append(parts, "not the same person"+strings.Replace(pct(f.Similarity), "(", "(similarity ", 1))
	}
	switch {
	case f.LivenessFine == nil:
		parts = append(parts, "no liveness verdict")
	case *f.LivenessFine:
		parts = append(parts, "a live person")
	default:
		parts = append(parts, "may not be a live person"+strings.Replace(pct(f.Liveness), "(", "(liveness ", 1))
	}
	switch {
	case f.DeepfakeFine == nil:
		parts = append(parts, "no deepfake verdict")
	case *f.DeepfakeFine:
		parts = append(parts, "no deepfake")
	default:
		parts = append(parts, "possibly a deepfake"+strings.Replace(pct(f.Deepfake), "(", "(score ", 1))
	}
	s := strings.Join(parts, ", ") + "."
	return strings.ToUpper(s[:1]) + s[1:]
}

func success(txID string, r object, conv BoxConvention) vendors.Result {
	res := vendors.Result{TransactionID: txID, Extra: map[string]string{}}
	face := &vendors.Face{}
	res.Face = face

	cmp := r.sub("comparison")
	face.Similarity = cmp.num("similarity").Ptr()
	face.Same = cmp.boolean("same").Ptr()

	f := r.sub("face")
	live, fake := f.sub("liveness"), f.sub("deepfake")
	face.Liveness, face.LivenessFine = live.num("score").Ptr(), live.boolean("fine").Ptr()
	face.Deepfake, face.DeepfakeFine = fake.num("score").Ptr(), fake.boolean("fine").Ptr()
	for _, fl := range []struct {
		name string
		v    *bool
	}{{"same face", face.Same}, {"liveness", face.LivenessFine}, {"deepfake", face.DeepfakeFine}} {
		if fl.v != nil {
			res.Flags = append(res.Flags, vendors.Flag{Name: fl.name, OK: *fl.v})
		}
	}
	quality := f.sub("quality")
	for _, k := range quality.keys {
		name := snake(quality.orig[k])
		if estimates[normKey(name)] {
			continue // not kept: see estimates
		}
		raw := quality.vals[k]
		q, isObj := decodeObject(raw)
		if !isObj {
			flatten("face.quality."+name, raw, res.Extra)
			continue
		}
		for _, vk := range []string{"value", "score"} {
			if n := q.num(vk); n.Valid {
				res.Extra["face.quality."+name] = q.text(vk)
				break
			}
		}
		if fine := q.boolean("fine"); fine.Valid {
			res.Flags = append(res.Flags, vendors.Flag{Name: "quality: " + name, OK: fine.Value})
			if !fine.Value {
				face.FailedQuality = append(face.FailedQuality, QualityMeaning(name))
			}
		}
	}
	if rc, ok := f.sub("box").rect(); ok {
		b := rc.Box("selfie", conv)
		face.FaceBox = &b
	}
	if raw, ok := f.vals["landmarks"]; ok {
		if lm, isObj := decodeObject(raw); isObj {
			for _, k := range lm.keys {
				flatten("face.landmarks."+snake(lm.orig[k]), lm.vals[k], res.Extra)
			}
		} else if s := compact(raw); s != "" && s != "null" {
			res.Extra["face.landmarks"] = s
		}
	}

	doc := r.sub("document")
	if rc, ok := doc.sub("position").rect(); ok {
		b := rc.Box("front", conv)
		face.DocumentBox = &b
	}
	if rc, ok := doc.sub("portrait").rect(); ok {
		b := rc.Box("front", conv)
		face.PortraitBox = &b
	}
	res.Fields = ocr(doc, res.Extra)

	switch {
	case face.Same != nil && !*face.Same:
		res.Outcome = vendors.OutcomeFail
	case face.Same != nil && face.LivenessFine != nil && face.DeepfakeFine != nil &&
		*face.Same && *face.LivenessFine && *face.DeepfakeFine:
		res.Outcome = vendors.OutcomePass
	default:
		res.Outcome = vendors.OutcomeReview
	}
	res.Reason = faceWords(face)
	if len(res.Extra) == 0 {
		res.Extra = nil
	}
	return res
}

// ocr maps document.ocr (and document.doc) to canonical fields; the rest goes to extra.
func ocr(doc object, extra map[string]string) []vendors.Field {
	byName := map[vendors.FieldName]vendors.Field{}
	if t := doc.text("doc"); t != "" {
		byName[vendors.DocumentType] = vendors.Field{Name: vendors.DocumentType, Value: t}
	}
	o := doc.sub("ocr")
	used := map[string]bool{}
	for _, a := range ocrFields {
		for _, k := range a.keys {
			n := normKey(k)
			raw, ok := o.vals[n]
			if !ok {
				continue
			}
			if f, ok := fieldOf(a.field, raw); ok {
				byName[a.field] = f
				used[n] = true
				break
			}
		}
	}
	if raw, ok := o.vals["mrz"]; ok {
		if lines := mrzLines(raw); len(lines) > 0 {
			for i, l := range lines {
				byName[mrzFields[i]] = vendors.Field{Name: mrzFields[i], Value: l}
			}
			used["mrz"] = true
		}
	}
	for _, k := range o.keys {
		if !used[k] {
			flatten("document.ocr."+o.orig[k], o.vals[k], extra)
		}
	}
	var out []vendors.Field
	for _, n := range vendors.CanonicalFields {
		if f, ok := byName[n]; ok {
			out = append(out, f)
		}
	}
	return out
}

// fieldOf reads a value given as a scalar or as {"value": …, "confidence": …}.
func fieldOf(name vendors.FieldName, raw json.RawMessage) (vendors.Field, bool) {
	if o, ok := decodeObject(raw); ok {
		v := o.text("value")
		if v == "" {
			return vendors.Field{}, false
		}
		f := vendors.Field{Name: name, Value: v}
		for _, ck := range []string{"confidence", "score"} {
			if n := o.num(ck); n.Valid && n.Value >= 0 {
				c := n.Value
				if c > 1 {
					c /= 100
				}
				if c <= 1 {
					f.Confidence = &c
				}
				break
			}
		}
		return f, true
	}
	var t vendors.Text
	_ = t.UnmarshalJSON(raw)
	if t == "" {
		return vendors.Field{}, false
	}
	return vendors.Field{Name: name, Value: string(t)}, true
}

// mrzLines splits the MRZ string (newline-separated, or run together at an ICAO length) or array.
func mrzLines(raw json.RawMessage) []string {
	var lines []string
	var arr []vendors.Text
	if json.Unmarshal(raw, &arr) == nil {
		for _, l := range arr {
			if s := strings.TrimSpace(string(l)); s != "" {
				lines = append(lines, s)
			}
		}
	} else {
		var t vendors.Text
		_ = t.UnmarshalJSON(raw)
		s := strings.ReplaceAll(string(t), `\n`, "\n")
		lines = strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ' ' })
		if len(lines) == 1 {
			lines = splitRunTogether(lines[0])
		}
	}
	if len(lines) > 3 {
		return nil
	}
	return lines
}

func splitRunTogether(s string) []string {
	for _, n := range []struct{ lines, width int }{{2, 44}, {2, 36}, {3, 30}} {
		if len(s) == n.lines*n.width {
			out := make([]string, n.lines)
			for i := range out {
				out[i] = s[i*n.width : (i+1)*n.width]
			}
			return out
		}
	}
	return []string{s}
}

func compact(raw json.RawMessage) string {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return ""
	}
	s := buf.String()
	if len(s) > 4096 {
		s = s[:4096] + "…"
	}
	return s
}

// estimates are what OOTO guesses about the person from the selfie's face ("quality": age, gender,
// race). They are not read off a document, no decision may rest on them, and an estimated race is
// special-category data: kycdesk keeps none of them, neither as fields nor in the vendor call log.
var estimates = map[string]bool{"age": true, "gender": true, "race": true}

// withoutEstimates removes the estimates from OOTO's answer (already redacted JSON) before it is
// kept. An answer that is not JSON is kept as it is (it cannot hold them as members).
func withoutEstimates(body []byte) []byte {
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return body
	}
	changed := false
	// The answer's shape is result.face.quality, member names matched as OOTO's parser matches them.
	if result := member(v, "result"); result != nil {
		if face := member(result, "face"); face != nil {
			if q := member(face, "quality"); q != nil {
				for k := range q {
					if estimates[normKey(k)] {
						delete(q, k)
						changed = true
					}
				}
			}
		}
	}
	if !changed {
		return body
	}
	out, err := vendors.MarshalText(v)
	if err != nil {
		return body
	}
	return out
}

// member is the object under key in m (its name matched as OOTO's parser does), or nil.
func member(m map[string]any, key string) map[string]any {
	for k, x := range m {
		if normKey(k) == key {
			if o, ok := x.(map[string]any); ok {
				return o
			}
		}
	}
	return nil
}

// flatten keeps a value without a canonical field as text; objects become dotted keys.
func flatten(key string, raw json.RawMessage, out map[string]string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	switch raw[0] {
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return
		}
		for k, v := range m {
			flatten(key+"."+k, v, out)
		}
	case '[':
		out[key] = compact(raw)
	default:
		var t vendors.Text
		_ = t.UnmarshalJSON(raw)
		v := string(t)
		if len(v) > 512 {
			v = v[:512] + "…"
		}
		out[key] = v
	}
}
