package apptenticate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"kycdesk/internal/vendors"
)

// aliases lists, per canonical field and in order of preference, the keys a success body may use.
// The success body is not public, so the list covers the usual English spellings and the Spanish
// ones the vendor's own pages use; keys are compared after normKey.
var aliases = []struct {
	field vendors.FieldName
	keys  []string
}{
	{vendors.Surname, []string{"surname", "surnames", "last_name", "lastname", "family_name", "primary_identifier", "apellidos", "apellido"}},
	{vendors.GivenNames, []string{"given_names", "given_name", "first_name", "first_names", "firstname", "names", "name", "secondary_identifier", "nombres", "nombre"}},
	{vendors.FullName, []string{"full_name", "fullname", "nombre_completo"}},
	{vendors.DateOfBirth, []string{"date_of_birth", "birth_date", "birthdate", "dob", "fecha_nacimiento", "fecha_de_nacimiento"}},
	{vendors.Sex, []string{"sex", "gender", "sexo"}},
	{vendors.Nationality, []string{"nationality", "nacionalidad"}},
	{vendors.DocumentNumber, []string{"document_number", "doc_number", "document_no", "passport_number", "id_number", "card_number", "number", "numero_documento", "numero_de_documento", "numero_serie"}},
	{vendors.PersonalNumber, []string{"personal_number", "personal_id", "optional_data", "run", "rut", "curp", "dni", "numero_personal"}},
	{vendors.IssueDate, []string{"issue_date", "date_of_issue", "issued_on", "issuing_date", "fecha_emision", "fecha_de_emision"}},
	{vendors.ExpiryDate, []string{"expiry_date", "expiration_date", "date_of_expiry", "date_of_expiration", "expiry", "expiration", "expires", "fecha_vencimiento", "fecha_de_vencimiento", "fecha_expiracion"}},
	{vendors.IssuingCountry, []string{"issuing_country", "issuing_state", "issuing_country_code", "country", "country_code", "pais", "pais_emisor"}},
	{vendors.Address, []string{"address", "domicilio", "direccion"}},
	{vendors.DocumentType, []string{"document_type", "doc_type", "type", "tipo_documento"}},
}

var mrzLineKeys = map[string]vendors.FieldName{
	"mrzline1": vendors.MRZLine1, "mrz1": vendors.MRZLine1, "line1": vendors.MRZLine1,
	"mrzline2": vendors.MRZLine2, "mrz2": vendors.MRZLine2, "line2": vendors.MRZLine2,
	"mrzline3": vendors.MRZLine3, "mrz3": vendors.MRZLine3, "line3": vendors.MRZLine3,
}

var mrzFields = []vendors.FieldName{vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3}

// envelope keys are the answer's own, not document data, when a body carries its fields at the top
// level instead of under "data".
var envelope = map[string]bool{"valid": true, "id": true, "error": true, "errorcode": true, "data": true}

// normKey makes "Last Name", "last_name", "lastName" and "LAST-NAME" the same key.
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

// object decodes a JSON object, keyed by normKey; the first spelling of a key wins.
type object struct {
	keys []string // original keys, in a stable order
	vals map[string]json.RawMessage
	orig map[string]string // normalised → original
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
		o.vals[n] = m[k]
		o.orig[n] = k
		o.keys = append(o.keys, n)
	}
	return o, true
}

func (o object) get(key string) (json.RawMessage, bool) {
	v, ok := o.vals[normKey(key)]
	return v, ok
}

func (o object) text(key string) string {
	v, ok := o.get(key)
	if !ok {
		return ""
	}
	var t vendors.Text
	_ = t.UnmarshalJSON(v)
	return string(t)
}

func (o object) boolean(key string) vendors.Bool {
	var b vendors.Bool
	if v, ok := o.get(key); ok {
		_ = b.UnmarshalJSON(v)
	}
	return b
}

// interpret turns one OCR answer into a result or a classified failure. It decides on the body:
// a proof-of-life refusal is a Business error whether it came with 200 or 400.
func interpret(resp *http.Response, body []byte) (vendors.Result, *vendors.Error) {
	st := resp.StatusCode
	if st == http.StatusTooManyRequests || st >= 500 {
		return vendors.Result{}, vendors.StatusError(vendors.Apptenticate, resp, body)
	}
	obj, isObj := decodeObject(bytes.TrimSpace(body))
	if st == http.StatusUnauthorized || st == http.StatusForbidden {
		e := vendors.StatusError(vendors.Apptenticate, resp, body)
		if isObj {
			e.Code = obj.text("code")
			if d := obj.text("detail"); d != "" {
				e.Message = "The vendor refused the credentials: " + d
			}
		}
		return vendors.Result{}, e
	}
	if !isObj {
		if st >= 200 && st < 300 {
			return vendors.Result{}, &vendors.Error{Vendor: vendors.Apptenticate, Kind: vendors.Transient, HTTPStatus: st,
				Message: "The vendor's answer was not readable JSON."}
		}
		return vendors.Result{}, vendors.StatusError(vendors.Apptenticate, resp, body)
	}

	valid := obj.boolean("valid")
	code := obj.text("error_code")
	if code == "0" {
		code = ""
	}
	if (valid.Valid && !valid.Value) || code != "" {
		return vendors.Result{}, refusal(st, code, obj.text("error"))
	}
	if st >= 200 && st < 300 {
		res := success(obj)
		// Without "valid", an answer passes on what it read; one that read nothing says nothing.
		if !valid.Valid && len(res.Fields) == 0 && len(res.Extra) == 0 {
			return vendors.Result{}, &vendors.Error{Vendor: vendors.Apptenticate, Kind: vendors.Invalid, HTTPStatus: st,
				Message: "The vendor's answer said neither whether the document is valid nor what it read."}
		}
		return res, nil
	}
	return vendors.Result{}, inputError(resp, body, obj)
}

// refusal is a documented proof-of-life failure (or an undocumented valid:false): the vendor
// refused the document as pictured.
func refusal(status int, code, vendorText string) *vendors.Error {
	e := &vendors.Error{Vendor: vendors.Apptenticate, Kind: vendors.Business, HTTPStatus: status, Code: code, Refused: true}
	if m, ok := Meaning(code); ok {
		e.Message = m
	} else if vendorText != "" {
		e.Message = "The vendor refused the document: " + vendorText
	} else {
		e.Message = "The vendor refused the document without saying why."
	}
	return e
}

// inputError reads a DRF-style 4xx body: {"field": ["message", …]} or {"detail": "…"}.
func inputError(resp *http.Response, body []byte, obj object) *vendors.Error {
	e := vendors.StatusError(vendors.Apptenticate, resp, body)
	if d := obj.text("detail"); d != "" {
		e.Message = "The vendor refused the request: " + d
		return e
	}
	var parts []string
	for _, k := range obj.keys {
		raw := obj.vals[k]
		var msgs []string
		if json.Unmarshal(raw, &msgs) != nil {
			var one string
			if json.Unmarshal(raw, &one) != nil {
				continue
			}
			msgs = []string{one}
		}
		name := obj.orig[k]
		if e.Code == "" {
			e.Code = name
		}
		parts = append(parts, name+": "+strings.Join(msgs, " "))
	}
	if len(parts) > 0 {
		e.Message = "The vendor refused the request: " + strings.Join(parts, "; ")
	}
	return e
}

// success maps an answer that passed proof of life. The body's shape is not public and assumed
// ({"valid": true, "id": N, "data": {…}}); without "data", the fields are looked for under
// "result", "ocr" or "document" (the names other readers of the kind use), then at the top level.
func success(obj object) vendors.Result {
	res := vendors.Result{Outcome: vendors.OutcomePass, TransactionID: obj.text("id"), Extra: map[string]string{}}
	data, top := obj, true
	container := "data"
	for _, k := range []string{"data", "result", "ocr", "document"} {
		if raw, ok := obj.get(k); ok {
			if _, ok := decodeObject(raw); ok {
				container = k
				break
			}
		}
	}
	if raw, ok := obj.get(container); ok {
		if d, ok := decodeObject(raw); ok {
			data, top = d, false
			// Anything beside "data" in the envelope is kept too.
			for _, k := range obj.keys {
				if !envelope[k] && k != container {
					flatten(obj.orig[k], obj.vals[k], res.Extra)
				}
			}
		}
	}
	used := map[string]bool{}
	if top {
		for k := range envelope {
			used[k] = true
		}
	}
	byName := map[vendors.FieldName]vendors.Field{}
	for _, a := range aliases {
		for _, k := range a.keys {
			n := normKey(k)
			raw, ok := data.vals[n]
			if !ok || used[n] {
				continue
			}
			f, ok := fieldOf(a.field, raw)
			if !ok {
				continue
			}
			byName[a.field] = f
			used[n] = true
			break
		}
	}
	// MRZ: one key per line, or one "mrz" value (lines split by newlines, an array, or an object
	// of lines).
	for _, k := range data.keys {
		if f, ok := mrzLineKeys[k]; ok && !used[k] {
			if v := scalar(data.vals[k]); v != "" {
				byName[f] = vendors.Field{Name: f, Value: v}
				used[k] = true
			}
		}
	}
	if raw, ok := data.vals["mrz"]; ok && !used["mrz"] {
		if lines := mrzLines(raw); len(lines) > 0 {
			for i, l := range lines {
				if _, set := byName[mrzFields[i]]; !set {
					byName[mrzFields[i]] = vendors.Field{Name: mrzFields[i], Value: l}
				}
			}
			used["mrz"] = true
		}
	}
	for _, n := range vendors.CanonicalFields {
		if f, ok := byName[n]; ok {
			res.Fields = append(res.Fields, f)
		}
	}
	for _, k := range data.keys {
		if !used[k] {
			flatten(data.orig[k], data.vals[k], res.Extra)
		}
	}
	if len(res.Extra) == 0 {
		res.Extra = nil
	}
	return res
}

// fieldOf reads a field value given as a scalar or as {"value": …, "confidence"|"score": …}.
func fieldOf(name vendors.FieldName, raw json.RawMessage) (vendors.Field, bool) {
	if o, ok := decodeObject(raw); ok {
		v := o.text("value")
		if v == "" {
			v = o.text("text")
		}
		if v == "" {
			return vendors.Field{}, false
		}
		f := vendors.Field{Name: name, Value: v}
		for _, ck := range []string{"confidence", "score", "probability"} {
			if c, ok := o.get(ck); ok {
				var n vendors.Num
				_ = n.UnmarshalJSON(c)
				if n.Valid && n.Value >= 0 {
					conf := n.Value
					if conf > 1 {
						conf /= 100
					}
					if conf <= 1 {
						f.Confidence = &conf
					}
				}
				break
			}
		}
		return f, true
	}
	v := scalar(raw)
	if v == "" {
		return vendors.Field{}, false
	}
	return vendors.Field{Name: name, Value: v}, true
}

func scalar(raw json.RawMessage) string {
	var t vendors.Text
	_ = t.UnmarshalJSON(raw)
	return string(t)
}

// mrzLines splits an MRZ given as one string (lines separated by newlines, or run together), as an
// array of lines, or as an object of lines. It gives at most three lines.
func mrzLines(raw json.RawMessage) []string {
	var lines []string
	var arr []vendors.Text
	if json.Unmarshal(raw, &arr) == nil {
		for _, l := range arr {
			if s := strings.TrimSpace(string(l)); s != "" {
				lines = append(lines, s)
			}
		}
	} else if o, ok := decodeObject(raw); ok {
		for _, k := range o.keys {
			if s := scalar(o.vals[k]); s != "" {
				lines = append(lines, s)
			}
		}
	} else {
		s := strings.ReplaceAll(scalar(raw), "\r", "")
		for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ' ' }) {
			lines = append(lines, l)
		}
		if len(lines) == 1 {
			lines = splitRunTogether(lines[0])
		}
	}
	if len(lines) > 3 {
		return nil
	}
	return lines
}

// splitRunTogether cuts an MRZ sent without line breaks by its ICAO length (TD3 2×44, TD2 2×36,
// TD1 3×30); any other length is kept as one line.
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

// flatten keeps a value that has no canonical field as text, nested objects as dotted keys, so
// nothing the vendor said is dropped. Base64 images are summarised, not kept.
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
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) != nil {
			return
		}
		allScalar := true
		var parts []string
		for _, v := range arr {
			v = bytes.TrimSpace(v)
			if len(v) > 0 && (v[0] == '{' || v[0] == '[') {
				allScalar = false
				break
			}
			parts = append(parts, scalar(v))
		}
		if allScalar {
			out[key] = strings.Join(parts, ", ")
			return
		}
		for i, v := range arr {
			flatten(key+"."+strconv.Itoa(i), v, out)
		}
	default:
		v := scalar(raw)
		if len(v) > 512 && looksBase64(v) {
			v = fmt.Sprintf("[image: %d characters of base64 not kept]", len(v))
		}
		out[key] = v
	}
}

func looksBase64(s string) bool {
	if strings.HasPrefix(s, "data:") {
		return true
	}
	for _, r := range s[:512] {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=' || r == '\n') {
			return false
		}
	}
	return true
}
