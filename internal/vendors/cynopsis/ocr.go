package cynopsis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sort"
	"strconv"
	"strings"

	"kycdesk/internal/vendors"
)

// OCR sends the front image (required) and the back image (optional) to OCR and IDV v2 and returns
// the normalised result with the answer's body, redacted for storage. The body is returned
// whenever an answer came, also with an error, so the case keeps what the vendor said.
//
// A docver verdict of declined or resubmission requested is a result (Outcome fail or review), not
// an error; status_task FAILURE is a Business error.
func (c *Client) OCR(ctx context.Context, front, back []byte, frontName, backName string) (*vendors.Result, []byte, error) {
	const product = vendors.CynopsisOCR
	if c.cfg.OCRURL == "" {
		return nil, nil, &vendors.Error{Vendor: product, Kind: vendors.Invalid, Message: "Cynopsis OCR is not configured: the settings have no OCR URL."}
	}
	if len(front) == 0 {
		return nil, nil, &vendors.Error{Vendor: product, Kind: vendors.Invalid, Message: "The front image is missing; Cynopsis OCR needs it."}
	}
	parts := []formPart{{name: "file0", filename: fileName(frontName, "front", front), data: front}}
	if len(back) > 0 {
		parts = append(parts, formPart{name: "file1", filename: fileName(backName, "back", back), data: back})
	}
	body, ct, err := multipartBody(parts)
	if err != nil {
		return nil, nil, &vendors.Error{Vendor: product, Kind: vendors.Invalid, Message: "The images could not be packed for Cynopsis.", Err: err}
	}
	var res *vendors.Result
	var raw []byte
	err = c.do(ctx, exchange{
		product: product, method: http.MethodPost, url: c.cfg.OCRURL + c.cfg.OCRPath,
		domainHeader: OCRDomainHeader, contentType: ct, body: body,
		handle: func(status int, h http.Header, b []byte) (string, string, error) {
			raw = vendors.Redact(b)
			ok := status >= 200 && status < 300
			documented := status >= 400 && status < 500 && status != http.StatusTooManyRequests &&
				status != http.StatusForbidden && bytes.Contains(b, []byte(`"status_task"`))
			if !ok && !documented {
				return httpError(product, status, h, b)
			}
			r, err := ParseOCR(b)
			if err != nil {
				var ve *vendors.Error
				if errors.As(err, &ve) {
					if !ok && ve.Kind == vendors.Transient {
						return httpError(product, status, h, b)
					}
					return ve.Code, ve.Message, err
				}
				return "", "", err
			}
			res = r
			return r.Code, r.Reason, nil
		},
	})
	return res, raw, err
}

// formPart is one part of a multipart/form-data body.
type formPart struct {
	name, filename, contentType string
	data                        []byte
}

// multipartBody encodes parts; a part with a filename is a file whose Content-Type is sniffed from
// its bytes unless given.
func multipartBody(parts []formPart) ([]byte, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", disp)
		ct := p.contentType
		if ct == "" {
			ct = http.DetectContentType(p.data)
		}
		h.Set("Content-Type", ct)
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, "", fmt.Errorf("create part %s: %w", p.name, err)
		}
		if _, err := w.Write(p.data); err != nil {
			return nil, "", fmt.Errorf("write part %s: %w", p.name, err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", fmt.Errorf("close multipart body: %w", err)
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

// fileName is the name a file part is sent with: the caller's, cleaned of characters that break
// a Content-Disposition header, or side plus an extension from the image's type.
func fileName(name, side string, data []byte) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == '/' || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if name != "" {
		return name
	}
	switch http.DetectContentType(data) {
	case "image/jpeg":
		return side + ".jpg"
	case "image/png":
		return side + ".png"
	case "image/gif":
		return side + ".gif"
	case "image/webp":
		return side + ".webp"
	case "application/pdf":
		return side + ".pdf"
	}
	return side + ".bin"
}

// ocrFields maps each canonical field to the result keys it may come under, preferred first. The
// page sends both "date_of_birth" and "birth date", and both "expiry_date" and "passport_expiry_date".
var ocrFields = []struct {
	name vendors.FieldName
	keys []string
}{
	{vendors.Surname, []string{"last_name", "lastName", "last name", "surname"}},
	{vendors.GivenNames, []string{"first_name", "firstName", "first name", "given_names", "given names"}},
	{vendors.FullName, []string{"full_name", "fullName", "full name"}},
	{vendors.DateOfBirth, []string{"date_of_birth", "birth date", "dateOfBirth", "birth_date", "date of birth"}},
	{vendors.Sex, []string{"gender", "sex"}},
	{vendors.Nationality, []string{"nationality"}},
	{vendors.DocumentNumber, []string{"document_number", "document number", "documentNumber", "passport_number", "passport number"}},
	{vendors.PersonalNumber, []string{"personal_id_number", "personal_number", "personal number", "personalIdNumber"}},
	{vendors.IssueDate, []string{"issue_date", "issue date", "issueDate", "date_of_issue"}},
	{vendors.ExpiryDate, []string{"expiry_date", "expiry date", "expiryDate", "passport_expiry_date", "date_of_expiry"}},
	{vendors.IssuingCountry, []string{"issuing_country", "issuing country", "issuingCountry"}},
	{vendors.Address, []string{"address"}},
	{vendors.DocumentType, []string{"document_type", "document type", "documentType"}},
}

var mrzKeys = []string{"mrz_raw_string", "mrz raw string", "mrzRawString", "mrz"}

// ParseOCR reads an OCR and IDV v2 answer body into a normalised result. It never panics: an
// unreadable body is a Transient error (a proxy or a broken answer), status_task FAILURE a Business
// error, and any other shape is read as far as it goes. A readable answer that holds no result
// (success without one, a status other than SUCCESS or FAILURE, neither status nor result) is
// Invalid, not retried: the call is synchronous with no polling, so Cynopsis did the work and
// would be asked to do it again, as a new task, for each retry.
func ParseOCR(body []byte) (*vendors.Result, error) {
	const product = vendors.CynopsisOCR
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, &vendors.Error{Vendor: product, Kind: vendors.Transient, Message: "Cynopsis OCR answered with something that is not a readable result.", Err: err}
	}
	taskID := firstText(top, "task_id", "taskId", "id")
	status := strings.ToUpper(firstText(top, "status_task", "statusTask", "status"))
	result, resultText := objectOrText(top["result"])

	switch status {
	case "SUCCESS":
		if result == nil {
			return nil, &vendors.Error{Vendor: product, Kind: vendors.Invalid, Message: "Cynopsis OCR reported success but sent no result."}
		}
	case "FAILURE", "FAILED", "ERROR", "REVOKED":
		return nil, ocrFailure(top, resultText, taskID)
	case "":
		switch {
		case result != nil:
			// No status but a result: read it rather than throw the reading away.
		case firstText(top, "error", "description") != "":
			return nil, ocrFailure(top, resultText, taskID)
		default:
			return nil, &vendors.Error{Vendor: product, Kind: vendors.Invalid, Message: "Cynopsis OCR answered without a task status or a result."}
		}
	default:
		return nil, &vendors.Error{Vendor: product, Kind: vendors.Invalid,
			Message: fmt.Sprintf("Cynopsis OCR answered with the task status %s, neither SUCCESS nor FAILURE, and no polling exists: run the check again to ask for a new reading.", status)}
	}
	return normalise(result, taskID), nil
}

// ocrFailure is the Business error for status_task FAILURE, in the vendor's words when it gave any.
func ocrFailure(top map[string]json.RawMessage, resultText, taskID string) error {
	errText := firstText(top, "error", "error_code", "code")
	desc := firstText(top, "description", "error_description", "message", "detail")
	if desc == "" {
		desc = resultText
	}
	e := &vendors.Error{Vendor: vendors.CynopsisOCR, Kind: vendors.Business, Message: "Cynopsis could not read the document."}
	// A short token such as "invalid_image" is a code; a sentence is part of the message.
	if errText != "" && len(errText) <= 64 && !strings.ContainsAny(errText, " \t\n") {
		e.Code = errText
	} else if errText != "" && desc == "" {
		desc = errText
	}
	if desc != "" {
		e.Message = "Cynopsis could not read the document: " + sentence(desc)
	}
	if taskID != "" {
		e.Err = fmt.Errorf("task %s failed", taskID)
	}
	return e
}

// objectOrText decodes a result that is an object, an object encoded as a JSON string, or text.
func objectOrText(raw json.RawMessage) (map[string]json.RawMessage, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, ""
	}
	var obj map[string]json.RawMessage
	if raw[0] == '{' {
		if json.Unmarshal(raw, &obj) == nil {
			return obj, ""
		}
		return nil, ""
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") && json.Unmarshal([]byte(t), &obj) == nil {
			return obj, ""
		}
		return nil, strings.TrimSpace(s)
	}
	return nil, text(raw)
}

func text(raw json.RawMessage) string {
	var t vendors.Text
	_ = t.UnmarshalJSON(raw)
	return string(t)
}

// lookup finds key exactly, or else ignoring case, and reports the key found.
func lookup(m map[string]json.RawMessage, key string) (json.RawMessage, string, bool) {
	if v, ok := m[key]; ok {
		return v, key, true
	}
	for k, v := range m {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return v, k, true
		}
	}
	return nil, "", false
}

func firstText(m map[string]json.RawMessage, keys ...string) string {
	for _, k := range keys {
		if v, _, ok := lookup(m, k); ok {
			if s := text(v); s != "" {
				return s
			}
		}
	}
	return ""
}

func normalise(result map[string]json.RawMessage, taskID string) *vendors.Result {
	res := &vendors.Result{TransactionID: taskID, Extra: map[string]string{}}
	used := map[string]bool{}

	// pick takes the first key with a value; alternates that say the same are absorbed, alternates
	// that differ stay for Extra so the reviewer sees the disagreement.
	pick := func(keys []string) string {
		var val string
		for _, k := range keys {
			raw, rk, ok := lookup(result, k)
			if !ok || used[rk] {
				continue
			}
			s := text(raw)
			if s == "" {
				if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) || isEmptyString(raw) {
					used[rk] = true
				}
				continue
			}
			if val == "" {
				val = s
				used[rk] = true
				continue
			}
			if s == val {
				used[rk] = true
			}
		}
		return val
	}
	for _, f := range ocrFields {
		if v := pick(f.keys); v != "" {
			res.Fields = append(res.Fields, vendors.Field{Name: f.name, Value: v})
		}
	}
	if raw := pick(mrzKeys); raw != "" {
		lines := SplitMRZ(raw)
		names := []vendors.FieldName{vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3}
		if len(lines) > len(names) {
			res.Extra["mrz_raw_string"] = raw
			lines = lines[:len(names)]
		}
		for i, l := range lines {
			res.Fields = append(res.Fields, vendors.Field{Name: names[i], Value: l})
		}
	}

	var docver, dataCheck json.RawMessage
	keys := make([]string, 0, len(result))
	for k := range result {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if used[k] {
			continue
		}
		raw := result[k]
		switch nk := normKey(k); {
		case nk == "docver check" || nk == "docvercheck":
			docver = raw
			continue
		case nk == "datacheck" || nk == "data check":
			dataCheck = raw
			continue
		case isFlagKey(nk):
			var b vendors.Bool
			_ = b.UnmarshalJSON(raw)
			if b.Valid {
				res.Flags = append(res.Flags, vendors.Flag{Name: strings.TrimSpace(k), OK: b.Value})
				continue
			}
		}
		flatten(res.Extra, strings.TrimSpace(k), raw, 0)
	}
	if dataCheck != nil {
		flatten(res.Extra, "dataCheck", dataCheck, 0)
	}
	applyDocver(res, docver)
	if len(res.Extra) == 0 {
		res.Extra = nil
	}
	return res
}

func isEmptyString(raw json.RawMessage) bool {
	var s string
	return json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) == ""
}

// normKey lower-cases a key and reads underscores and hyphens as spaces.
func normKey(k string) string {
	k = strings.ToLower(strings.TrimSpace(k))
	return strings.NewReplacer("_", " ", "-", " ").Replace(k)
}

// isFlagKey recognises the check flags: "final hash", "document number format", "valid country code".
func isFlagKey(nk string) bool {
	return nk == "hash" || strings.HasSuffix(nk, " hash") || strings.HasSuffix(nk, " format") ||
		strings.HasPrefix(nk, "valid ")
}

// flatten adds the scalar leaves of raw to extra under dotted keys; lists of scalars are joined.
func flatten(extra map[string]string, key string, raw json.RawMessage, depth int) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || depth > 6 {
		return
	}
	switch raw[0] {
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return
		}
		for k, v := range m {
			flatten(extra, key+"."+strings.TrimSpace(k), v, depth+1)
		}
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return
		}
		var scalars []string
		for i, v := range list {
			v = bytes.TrimSpace(v)
			if len(v) > 0 && (v[0] == '{' || v[0] == '[') {
				flatten(extra, key+"."+strconv.Itoa(i), v, depth+1)
				continue
			}
			if s := text(v); s != "" {
				scalars = append(scalars, s)
			}
		}
		if len(scalars) > 0 {
			extra[key] = strings.Join(scalars, "; ")
		}
	default:
		if s := text(raw); s != "" {
			extra[key] = s
		}
	}
}

// docverCheck is the part of result.docver_check that makes the verdict.
type docverCheck struct {
	Status      vendors.Text `json:"status"`
	ReasonCode  vendors.Text `json:"reasonCode"`
	ReasonCode2 vendors.Text `json:"reason_code"`
	Reason      vendors.Text `json:"reason"`
}

// applyDocver sets the outcome from docver_check.status: approved passes, declined fails,
// resubmission requested and anything else (or no verdict) goes to a reviewer.
func applyDocver(res *vendors.Result, raw json.RawMessage) {
	var d docverCheck
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &d) != nil {
		res.Outcome = vendors.OutcomeReview
		res.Reason = "Cynopsis read the document but sent no document verification verdict."
		return
	}
	flatten(res.Extra, "docver_check", raw, 0)
	code := string(d.ReasonCode)
	if code == "" {
		code = string(d.ReasonCode2)
	}
	res.Code = code
	res.Reason = Meaning(code)
	if res.Reason == "" {
		res.Reason = sentence(string(d.Reason))
	}
	status := strings.ToLower(string(d.Status))
	var fallback string
	switch status {
	case DocverApproved:
		res.Outcome, fallback = vendors.OutcomePass, "Cynopsis approved the document."
	case DocverDeclined:
		res.Outcome, fallback = vendors.OutcomeFail, "Cynopsis declined the document."
	case DocverResubmissionRequested:
		res.Outcome, fallback = vendors.OutcomeReview, "Cynopsis asks for the document to be submitted again."
	case "":
		res.Outcome, fallback = vendors.OutcomeReview, "Cynopsis sent a document verification without a status."
	default:
		res.Outcome = vendors.OutcomeReview
		fallback = fmt.Sprintf("Cynopsis gave the document verification status %q, which needs a reviewer.", string(d.Status))
	}
	if res.Reason == "" {
		res.Reason = fallback
	}
}

// SplitMRZ splits the MRZ as the OCR sends it (usually one run of characters) into lines: by line
// breaks when it has them, else by length: 88 is two lines of 44 (passport), 72 two of 36, 90 three
// of 30 (ID card). Any other length is kept as one line for the MRZ check to flag.
func SplitMRZ(raw string) []string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	if strings.ContainsAny(raw, "\r\n") {
		var lines []string
		for _, l := range strings.FieldsFunc(raw, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		return lines
	}
	compact := strings.Join(strings.Fields(raw), "")
	if fields := strings.Fields(raw); len(fields) > 1 && sameMRZLength(fields) {
		return fields
	}
	var width int
	switch len(compact) {
	case 88:
		width = 44
	case 72:
		width = 36
	case 90:
		width = 30
	default:
		return []string{compact}
	}
	var lines []string
	for i := 0; i < len(compact); i += width {
		lines = append(lines, compact[i:i+width])
	}
	return lines
}

func sameMRZLength(fields []string) bool {
	n := len(fields[0])
	if n != 30 && n != 36 && n != 44 {
		return false
	}
	for _, f := range fields {
		if len(f) != n {
			return false
		}
	}
	return true
}
