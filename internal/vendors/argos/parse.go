package argos

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	"kycdesk/internal/mrz"
	"kycdesk/internal/vendors"
)

// envelope is the top level shared by the synchronous answer, the asynchronous acknowledgement
// and the callback.
type envelope struct {
	statusCode    int // 0 when absent (synchronous answers carry none)
	apiType       string
	transactionID string
	errorCode     string
	message       string
	hasResult     bool
	result        map[string]json.RawMessage
}

// decodeEnvelope reads the top level. A body that is not a JSON object is a Transient failure
// (a proxy's page, or an answer cut in the middle); shapes inside are read tolerantly later.
func decodeEnvelope(body []byte) (envelope, error) {
	top := object(body)
	if top == nil {
		return envelope{}, &vendors.Error{Vendor: vendors.Argos, Kind: vendors.Transient,
			Message: "Argos' answer was not a JSON object (cut off or not from Argos)."}
	}
	var env envelope
	if n, ok := number(top["statusCode"]); ok && n >= 0 && n < 1000 {
		env.statusCode = int(n)
	}
	env.apiType = text(top["apiType"])
	env.transactionID = text(first(top, "transactionId", "transaction_id", "transactionID"))
	env.errorCode = text(top["errorCode"])
	env.message = text(top["message"])
	if r := object(top["result"]); r != nil {
		env.hasResult = true
		env.result = r
	}
	return env, nil
}

// ParseResult normalises a synchronous answer body (or a success callback body). Boxes are in the
// pixels of the image that was sent; apply the Recognition's Scale to map them back.
func ParseResult(body []byte) (vendors.Result, error) {
	env, err := decodeEnvelope(body)
	if err != nil {
		return vendors.Result{}, err
	}
	if env.errorCode != "" {
		return vendors.Result{}, codeError(env.errorCode, env.message, env.statusCode)
	}
	if !env.hasResult {
		return vendors.Result{}, invalid("Argos' answer has no result.", nil)
	}
	return env.toResult()
}

// ocrFields maps the keys of result.data.ocr to canonical fields. ocr_firstName and
// ocr_middleName together make the given names.
var ocrFields = map[string]vendors.FieldName{
	"ocr_fullname":       vendors.FullName,
	"ocr_lastname":       vendors.Surname,
	"ocr_gender":         vendors.Sex,
	"ocr_sex":            vendors.Sex,
	"ocr_nationality":    vendors.Nationality,
	"ocr_birthdate":      vendors.DateOfBirth,
	"ocr_identitynumber": vendors.PersonalNumber,
	"ocr_number":         vendors.DocumentNumber,
	"ocr_issuedate":      vendors.IssueDate,
	"ocr_expiredate":     vendors.ExpiryDate,
	"ocr_expirydate":     vendors.ExpiryDate,
	"ocr_address":        vendors.Address,
	"mrz_line1":          vendors.MRZLine1,
	"mrz_line2":          vendors.MRZLine2,
	"mrz_line3":          vendors.MRZLine3,
}

// rawAliases are the raw keys (result.data.raw.<key>, reduced by rawKey) known for each canonical
// field. Raw keys vary by country and document type; only names whose meaning is unambiguous are
// mapped, the rest (authority, name_chn, …) are kept in Extra. "number" is the document's number
// and "identity number" a personal number, as in the ocr block.
var rawAliases = map[vendors.FieldName][]string{
	vendors.FullName:       {"name", "fullname"},
	vendors.Surname:        {"surname", "lastname", "familyname"},
	vendors.GivenNames:     {"givenname", "givennames", "firstname", "forename", "forenames"},
	vendors.DateOfBirth:    {"birthdate", "dateofbirth", "dob", "birthday"},
	vendors.Sex:            {"sex", "gender"},
	vendors.Nationality:    {"nationality"},
	vendors.DocumentNumber: {"number", "documentnumber", "docnumber", "passportnumber", "passportno", "licensenumber", "licencenumber", "cardnumber"},
	vendors.PersonalNumber: {"identitynumber", "personalnumber", "personalno"},
	vendors.IssueDate:      {"issuedate", "dateofissue"},
	vendors.ExpiryDate:     {"expiredate", "expirydate", "expirationdate", "dateofexpiry"},
	vendors.Address:        {"address"},
	vendors.MRZLine1:       {"mrz1", "mrzline1"},
	vendors.MRZLine2:       {"mrz2", "mrzline2"},
	vendors.MRZLine3:       {"mrz3", "mrzline3"},
}

var rawFields = func() map[string]vendors.FieldName {
	m := map[string]vendors.FieldName{}
	for f, keys := range rawAliases {
		for _, k := range keys {
			m[k] = f
		}
	}
	return m
}()

// rawKey reduces a raw key to lower-case letters and digits, so birth_date, birthDate and
// "birth date" meet.
func rawKey(k string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(k) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// RawFieldName returns the canonical field a raw key (result.data.raw.<key>) reports, if known.
func RawFieldName(key string) (vendors.FieldName, bool) {
	f, ok := rawFields[rawKey(key)]
	return f, ok
}

// rawEntry is one result.data.raw.<key> object.
type rawEntry struct {
	value       string
	score       *float64
	accepted    *bool
	box         *[4]vendors.Point
	originalBox *[4]vendors.Point
}

func decodeRaw(m json.RawMessage) rawEntry {
	o := object(m)
	if o == nil {
		// Tolerate a bare value where an object was expected.
		return rawEntry{value: text(m)}
	}
	var e rawEntry
	e.value = text(o["value"])
	if n, ok := number(o["score"]); ok {
		s := math.Max(0, math.Min(100, n)) / 100
		e.score = &s
	}
	var b vendors.Bool
	if raw, ok := o["accepted"]; ok {
		_ = b.UnmarshalJSON(raw)
		e.accepted = b.Ptr()
	}
	e.box = quad(o["coordinates"])
	e.originalBox = quad(first(o, "original_coordinates", "originalCoordinates"))
	return e
}

// quad reads {first,second,third,fourth:{x,y}}: the field's corners clockwise from top-left.
// All four corners with finite numbers are needed; anything less is no box.
func quad(m json.RawMessage) *[4]vendors.Point {
	o := object(m)
	if o == nil {
		return nil
	}
	var q [4]vendors.Point
	for i, name := range [4]string{"first", "second", "third", "fourth"} {
		p := object(o[name])
		if p == nil {
			return nil
		}
		x, okx := number(p["x"])
		y, oky := number(p["y"])
		if !okx || !oky {
			return nil
		}
		q[i] = vendors.Point{X: x, Y: y}
	}
	return &q
}

// toResult normalises result.{data.{raw,ocr}, review_front, review_back, document_type}.
func (env envelope) toResult() (vendors.Result, error) {
	res := vendors.Result{Outcome: vendors.OutcomePass, TransactionID: env.transactionID, Extra: map[string]string{}}
	data := object(env.result["data"])
	ocr := object(data["ocr"])
	raw := object(data["raw"])

	values := map[vendors.FieldName]*vendors.Field{}
	set := func(name vendors.FieldName, v string) {
		if v == "" {
			return
		}
		if f, ok := values[name]; ok {
			if f.Value != v {
				// Two ocr keys for one field (ocr_gender and ocr_sex): keep the first, lose nothing.
				res.Extra[string(name)+".alternative"] = v
			}
			return
		}
		values[name] = &vendors.Field{Name: name, Value: v}
	}

	ocrKeys := sortedKeys(ocr)
	var given []string
	for _, k := range ocrKeys {
		v := text(ocr[k])
		lk := strings.ToLower(k)
		switch {
		case lk == "ocr_firstname" || lk == "ocr_middlename":
			// handled below, in order
		case ocrFields[lk] != "":
			set(ocrFields[lk], v)
		case v != "":
			res.Extra[k] = v
		}
	}
	for _, k := range []string{"ocr_firstName", "ocr_middleName"} {
		if v := text(firstFold(ocr, k)); v != "" {
			given = append(given, v)
		}
	}
	set(vendors.GivenNames, strings.Join(given, " "))
	// mrz_line1 and mrz_line2 are two lines; full_mrz is the whole zone, the only place an ID
	// card's third line is. The zone's lines come from it when it has more.
	if full := zoneLines(text(firstFold(ocr, "full_mrz"))); len(full) > 0 {
		names := []vendors.FieldName{vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3}
		have := 0
		for _, n := range names {
			if values[n] != nil {
				have++
			}
		}
		if len(full) > have {
			for i, l := range full {
				values[names[i]] = &vendors.Field{Name: names[i], Value: l}
			}
		}
	}
	if dt := text(env.result["document_type"]); dt != "" {
		set(vendors.DocumentType, dt)
	}

	var flags []vendors.Flag
	attached := map[vendors.FieldName]bool{}
	for _, k := range sortedKeys(raw) {
		if rawKey(k) == "rotate" {
			if v := text(object(raw[k])["value"]); v != "" {
				res.Extra["raw.rotate"] = v
			} else if v := text(raw[k]); v != "" {
				res.Extra["raw.rotate"] = v
			}
			continue
		}
		e := decodeRaw(raw[k])
		if e.accepted != nil {
			flags = append(flags, vendors.Flag{Name: k + ".accepted", OK: *e.accepted})
		}
		if e.originalBox != nil {
			res.Extra["raw."+k+".original_coordinates"] = formatQuad(*e.originalBox)
		}
		name, mapped := RawFieldName(k)
		f := values[name]
		if mapped && f == nil && e.value != "" {
			set(name, e.value)
			f = values[name]
		}
		if !mapped || f == nil || attached[name] {
			// Unmapped, empty, or a second raw key for a field already placed: kept with its score
			// and box, so nothing Argos read is lost.
			if e.value != "" {
				res.Extra["raw."+k] = e.value
				if e.score != nil {
					res.Extra["raw."+k+".score"] = strconv.FormatFloat(*e.score*100, 'f', -1, 64)
				}
				if e.box != nil {
					res.Extra["raw."+k+".coordinates"] = formatQuad(*e.box)
				}
			}
			continue
		}
		attached[name] = true
		f.Confidence = e.score
		if e.box != nil {
			f.Box = &vendors.Box{Corners: *e.box, Side: "front"}
		}
		if e.value != "" && e.value != f.Value {
			res.Extra["raw."+k] = e.value
		}
	}

	for _, name := range vendors.CanonicalFields {
		if f, ok := values[name]; ok {
			res.Fields = append(res.Fields, *f)
		}
	}

	reviewFront := boolean(first(env.result, "review_front", "reviewFront"))
	reviewBack := boolean(first(env.result, "review_back", "reviewBack"))
	if reviewFront != nil {
		flags = append(flags, vendors.Flag{Name: "review_front", OK: !*reviewFront})
	}
	if reviewBack != nil {
		flags = append(flags, vendors.Flag{Name: "review_back", OK: !*reviewBack})
	}
	res.Flags = flags
	switch {
	case isTrue(reviewFront) && isTrue(reviewBack):
		res.Outcome, res.Reason = vendors.OutcomeReview, "Argos asks for a human look at both sides of the document."
	case isTrue(reviewFront):
		res.Outcome, res.Reason = vendors.OutcomeReview, "Argos asks for a human look at the front of the document."
	case isTrue(reviewBack):
		res.Outcome, res.Reason = vendors.OutcomeReview, "Argos asks for a human look at the back of the document."
	}
	if len(res.Extra) == 0 {
		res.Extra = nil
	}
	return res, nil
}

func isTrue(b *bool) bool { return b != nil && *b }

func formatQuad(q [4]vendors.Point) string {
	parts := make([]string, 4)
	for i, p := range q {
		parts[i] = strconv.FormatFloat(p.X, 'f', -1, 64) + "," + strconv.FormatFloat(p.Y, 'f', -1, 64)
	}
	return strings.Join(parts, " ")
}

// object decodes m as a JSON object, or nil when it is anything else.
func object(m json.RawMessage) map[string]json.RawMessage {
	m = bytes.TrimSpace(m)
	if len(m) == 0 || m[0] != '{' {
		return nil
	}
	var o map[string]json.RawMessage
	if json.Unmarshal(m, &o) != nil {
		return nil
	}
	return o
}

// text reads any JSON scalar as trimmed text; "" for null, objects and arrays.
func text(m json.RawMessage) string {
	if len(m) == 0 {
		return ""
	}
	var t vendors.Text
	_ = t.UnmarshalJSON(m)
	return string(t)
}

// number reads a JSON number or numeric string; non-finite values are refused so that they never
// reach a stored result (encoding/json cannot write them).
func number(m json.RawMessage) (float64, bool) {
	if len(m) == 0 {
		return 0, false
	}
	var n vendors.Num
	_ = n.UnmarshalJSON(m)
	if !n.Valid || math.IsNaN(n.Value) || math.IsInf(n.Value, 0) {
		return 0, false
	}
	return n.Value, true
}

func boolean(m json.RawMessage) *bool {
	if len(m) == 0 {
		return nil
	}
	var b vendors.Bool
	_ = b.UnmarshalJSON(m)
	return b.Ptr()
}

// first returns the first of keys present in o.
func first(o map[string]json.RawMessage, keys ...string) json.RawMessage {
	for _, k := range keys {
		if v, ok := o[k]; ok {
			return v
		}
	}
	return nil
}

// firstFold returns o[key] matched without regard to case.
func firstFold(o map[string]json.RawMessage, key string) json.RawMessage {
	if v, ok := o[key]; ok {
		return v
	}
	for k, v := range o {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func sortedKeys(o map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// zoneLines splits an MRZ given as one text (mrz.SplitLines); more than three lines is not a
// zone: none.
func zoneLines(s string) []string {
	if lines := mrz.SplitLines(s); len(lines) <= 3 {
		return lines
	}
	return nil
}
