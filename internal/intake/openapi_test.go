package intake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"kycdesk/internal/config"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/decisions"
	"kycdesk/internal/images"
	"kycdesk/internal/intake"
	"kycdesk/internal/testenv"
)

// spec is the served OpenAPI description, read loosely: a schema checker needs every keyword.
type spec map[string]any

func (s spec) get(path ...string) any {
	var v any = map[string]any(s)
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// resolve follows a "$ref" to the component it names.
func (s spec) resolve(v any) map[string]any {
	m, _ := v.(map[string]any)
	for m != nil {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		m, _ = s.get(strings.Split(strings.TrimPrefix(ref, "#/"), "/")...).(map[string]any)
	}
	return m
}

// props gathers a schema's properties, with those of its allOf branches.
func (s spec) props(schema map[string]any) map[string]any {
	out := map[string]any{}
	if p, ok := schema["properties"].(map[string]any); ok {
		maps.Copy(out, p)
	}
	for _, sub := range list(schema["allOf"]) {
		maps.Copy(out, s.props(s.resolve(sub)))
	}
	return out
}

func (s spec) required(schema map[string]any) []string {
	var out []string
	for _, r := range list(schema["required"]) {
		out = append(out, r.(string))
	}
	for _, sub := range list(schema["allOf"]) {
		out = append(out, s.required(s.resolve(sub))...)
	}
	return out
}

func list(v any) []any { l, _ := v.([]any); return l }

// check reports how v breaks schema, by path. It knows the keywords the description uses; an
// object answered may have no member the schema does not list (a member added to the answer
// and not to the description fails here).
func (s spec) check(schema map[string]any, v any, path string) []string {
	return s.checkPart(schema, v, path, false)
}

// checkPart is check; part is for a branch of allOf, whose members are judged with the others'.
func (s spec) checkPart(schema map[string]any, v any, path string, part bool) []string {
	schema = s.resolve(schema)
	if schema == nil {
		return []string{path + ": no schema"}
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	for _, sub := range list(schema["allOf"]) {
		errs = append(errs, s.checkPart(s.resolve(sub), v, path, true)...)
	}
	if one := list(schema["oneOf"]); one != nil {
		n := 0
		for _, sub := range one {
			if len(s.check(s.resolve(sub), v, path)) == 0 {
				n++
			}
		}
		if n != 1 {
			bad("%d of oneOf's schemas match %v, want 1", n, v)
		}
	}
	if t, ok := schema["type"]; ok {
		types := list(t)
		if types == nil {
			types = []any{t}
		}
		if !slices.ContainsFunc(types, func(t any) bool { return kindIs(t.(string), v) }) {
			bad("%v is not %v", v, t)
			return errs
		}
	}
	if enum := list(schema["enum"]); enum != nil && !slices.Contains(enum, v) {
		bad("%v is none of %v", v, enum)
	}
	switch v := v.(type) {
	case string:
		if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
			bad("%q does not match %s", v, p)
		}
		if n, ok := schema["maxLength"].(float64); ok && utf8.RuneCountInString(v) > int(n) {
			bad("%q is longer than %v", v, n)
		}
		if n, ok := schema["minLength"].(float64); ok && utf8.RuneCountInString(v) < int(n) {
			bad("%q is shorter than %v", v, n)
		}
		if f, ok := schema["format"].(string); ok && !formatIs(f, v) {
			bad("%q is not a %s", v, f)
		}
	case []any:
		if n, ok := schema["minItems"].(float64); ok && len(v) < int(n) {
			bad("%d items, fewer than %v", len(v), n)
		}
		if items, ok := schema["items"]; ok {
			for i, it := range v {
				errs = append(errs, s.check(s.resolve(items), it, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	case map[string]any:
		props := s.props(schema)
		for _, r := range s.required(schema) {
			if _, ok := v[r]; !ok {
				bad("no %s", r)
			}
		}
		for k, mv := range v {
			p, ok := props[k]
			if !ok {
				if !part && (len(props) > 0 || schema["additionalProperties"] == false) {
					bad("%s is not in the description", k)
				}
				continue
			}
			errs = append(errs, s.check(s.resolve(p), mv, path+"."+k)...)
		}
	}
	return errs
}

func kindIs(t string, v any) bool {
	switch v := v.(type) {
	case nil:
		return t == "null"
	case string:
		return t == "string"
	case bool:
		return t == "boolean"
	case float64:
		return t == "number" || t == "integer" && v == float64(int64(v))
	case []any:
		return t == "array"
	case map[string]any:
		return t == "object"
	}
	return false
}

func formatIs(f, v string) bool {
	var err error
	switch f {
	case "uuid":
		_, err = uuid.Parse(v)
	case "date":
		_, err = time.Parse(time.DateOnly, v)
	case "date-time":
		_, err = time.Parse(time.RFC3339Nano, v)
	}
	return err == nil
}

func servedSpec(t *testing.T, app *testenv.App) spec {
	t.Helper()
	r := app.NewClient().Get(t, "/api/v1/openapi.json")
	var s spec
	if r.Status != http.StatusOK || json.Unmarshal([]byte(r.Body), &s) != nil {
		t.Fatalf("openapi.json: %d", r.Status)
	}
	return s
}

// TestOpenAPIMatchesTheServer holds the description to the server: the same operations as the
// route table; each operation's documented statuses exactly the ones the server gives it (each
// made happen here, in the documented shape, with its documented headers); the schemas' members
// those of the Go types that read requests and write answers; the enums the values the code
// has. A change on either side without the other fails here.
func TestOpenAPIMatchesTheServer(t *testing.T) {
	// A small upload limit, so that a body too large for a document is quick to send.
	app := testenv.NewApp(t, func(c *config.Config) { c.MaxUploadBytes = 1 << 20 })
	s := servedSpec(t, app)
	token := app.CreateAPIToken(t, "openapi")
	c := app.NewClient()
	rc := app.SignIn(t, app.CreateUser(t, "reviewer"))

	// Operations: the route table's /api/v1 routes, no more, no fewer.
	documented := map[string]bool{}
	for path, item := range s.get("paths").(map[string]any) {
		for method := range item.(map[string]any) {
			documented[strings.ToUpper(method)+" /api/v1"+path] = true
		}
	}
	served := map[string]bool{}
	for _, rt := range app.Server.Routes() {
		if strings.HasPrefix(rt.Pattern, "/api/") {
			served[rt.Method+" "+rt.Pattern] = true
		}
	}
	if !maps.Equal(documented, served) {
		t.Errorf("documented operations %v, served %v", slices.Sorted(maps.Keys(documented)), slices.Sorted(maps.Keys(served)))
	}

	// Enums: the values the code has.
	enum := func(schema map[string]any) []string {
		var out []string
		for _, v := range list(schema["enum"]) {
			out = append(out, v.(string))
		}
		slices.Sort(out)
		return out
	}
	schemas := func(name string) map[string]any { return s.resolve(s.get("components", "schemas", name)) }
	strs := func(vs ...any) []string {
		var out []string
		for _, v := range vs {
			out = append(out, fmt.Sprint(v))
		}
		slices.Sort(out)
		return out
	}
	var outcomes []any
	for _, o := range decisions.Outcomes {
		outcomes = append(outcomes, o.Value)
	}
	for name, tc := range map[string]struct {
		schema map[string]any
		code   []string
	}{
		"DocumentType":        {schemas("DocumentType"), strs(anys(db.AllDocumentTypeValues())...)},
		"Image.kind":          {s.resolve(s.props(schemas("Image"))["kind"]), strs(anys(db.AllImageKindValues())...)},
		"Image.content_type":  {s.resolve(s.props(schemas("Image"))["content_type"]), strs(images.TypeJPEG, images.TypePNG, images.TypePDF)},
		"Case.status":         {s.resolve(s.props(schemas("Case"))["status"]), strs(anys(db.AllCaseStatusValues())...)},
		"Decision.outcome":    {s.resolve(s.props(schemas("Decision"))["outcome"]), strs(outcomes...)},
		"Idempotent-Replayed": {s.resolve(s.get("components", "headers", "IdempotentReplayed", "schema")), []string{"true"}},
	} {
		if got := enum(tc.schema); !slices.Equal(got, tc.code) {
			t.Errorf("%s: documented %v, the code has %v", name, got, tc.code)
		}
	}

	// Members: those of the Go types, required where the answer always has them.
	for name, typ := range map[string]reflect.Type{
		"CustomerInput": reflect.TypeFor[customers.Input](), "DocumentInput": reflect.TypeFor[customers.DocumentInput](),
		"Customer": reflect.TypeFor[intake.CustomerJSON](), "Document": reflect.TypeFor[intake.DocumentJSON](),
		"AddedDocument": reflect.TypeFor[intake.DocumentJSON](), "Image": reflect.TypeFor[intake.ImageJSON](),
		"Case": reflect.TypeFor[intake.CaseJSON](), "Decision": reflect.TypeFor[intake.DecisionJSON](),
	} {
		schema := schemas(name)
		var members, always []string
		for i := range typ.NumField() {
			tag, opts, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name == "Document" && tag == "case_id" {
				continue // only in the answer to an added document (AddedDocument)
			}
			members = append(members, tag)
			if !strings.Contains(opts, "omitempty") || name == "AddedDocument" {
				always = append(always, tag)
			}
		}
		slices.Sort(members)
		slices.Sort(always)
		if got := slices.Sorted(maps.Keys(s.props(schema))); !slices.Equal(got, members) {
			t.Errorf("%s: documented members %v, the Go type has %v", name, got, members)
		}
		if strings.HasSuffix(name, "Input") {
			if schema["additionalProperties"] != false {
				t.Errorf("%s: the server refuses unknown members; the description does not say so", name)
			}
			continue
		}
		if got := slices.Sorted(slices.Values(s.required(schema))); !slices.Equal(got, always) {
			t.Errorf("%s: documented as required %v, always answered %v", name, got, always)
		}
	}

	// What the server takes of a customer's external_ref, phone and document number is what the
	// description's patterns say.
	input := s.props(schemas("CustomerInput"))
	docNumber := s.props(schemas("DocumentInput"))["number"]
	for i, tc := range []struct {
		field  string
		schema any
		value  string
	}{
		{"external_ref", input["external_ref"], "crm:42/a_b.c-d"}, {"external_ref", input["external_ref"], "crm 42"},
		{"external_ref", input["external_ref"], "crm#42"}, {"external_ref", input["external_ref"], "ref-é"},
		{"external_ref", input["external_ref"], strings.Repeat("r", 101)}, {"external_ref", input["external_ref"], strings.Repeat("r", 100)},
		{"phone", input["phone"], "+44 (20) 7946-0000"}, {"phone", input["phone"], "call me"},
		{"documents[0].number", docNumber, "p<12/3.4-5"}, {"documents[0].number", docNumber, "X_1"},
	} {
		member, _, _ := strings.Cut(tc.field, "[")
		in := map[string]any{"surname": "Pattern", member: tc.value}
		if member == "documents" {
			in[member] = []map[string]string{{"type": "other", "number": tc.value}}
		}
		if member != "external_ref" {
			in["external_ref"] = "pattern-" + strconv.Itoa(i)
		}
		body, _ := json.Marshal(in)
		r := c.API(t, "POST", "/api/v1/customers", token, "application/json", body)
		docOK := len(s.check(s.resolve(tc.schema), tc.value, tc.field)) == 0
		if serverOK := r.Status == http.StatusCreated; serverOK != docOK || !serverOK && fieldMsg(decodeErr(t, r), tc.field) == "" {
			t.Errorf("%s %q: the description takes it: %v; the server answers %d %s", tc.field, tc.value, docOK, r.Status, r.Body)
		}
	}

	// A customer with a document and a decided case, for the answers to be checked in full.
	r := c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "Described", "external_ref": "described-1",
		"date_of_birth": "1980-01-02", "documents": [{"type": "passport", "issuing_country": "UTO", "number": "L898902C3", "expiry_date": "2031-01-01"}]}`))
	var cust intake.CustomerJSON
	if err := json.Unmarshal([]byte(r.Body), &cust); err != nil || r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	rejectCase(t, app, rc, cust.Cases[0].ID.String())
	customerURL, documentsURL := "/api/v1/customers/"+cust.ID.String(), "/api/v1/customers/"+cust.ID.String()+"/documents"
	form := func(fields map[string]string) ([]byte, string) {
		return multipartBody(t, fields, map[string][]byte{"front:front.png": tinyPNG(t, 400, 320), "selfie:me.png": tinyPNG(t, 320, 400)})
	}
	api := func(method, path, tok, ct string, body []byte, header ...string) func() testenv.Response {
		return func() testenv.Response { return c.API(t, method, path, tok, ct, body, header...) }
	}
	goodDoc, goodCT := form(map[string]string{"type": "passport", "issuing_country": "UTO"})
	badDoc, badCT := form(map[string]string{"type": "visa"})
	tooLarge := append([]byte(`--x\r\nContent-Disposition: form-data; name="front"; filename="f.png"\r\n\r\n`), bytes.Repeat([]byte("x"), 8<<20)...)
	json1MB := []byte(`{"surname": "` + strings.Repeat("a", 1<<20) + `"}`)

	// Every status each operation has, made to happen: a status documented and never given, or
	// given and not documented, fails.
	probes := map[string]map[int]func() testenv.Response{
		"POST /api/v1/customers": {
			201: api("POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "New"}`), "Idempotency-Key", "probe-1"),
			401: api("POST", "/api/v1/customers", "", "application/json", []byte(`{"surname": "New"}`)),
			413: api("POST", "/api/v1/customers", token, "application/json", json1MB),
			415: api("POST", "/api/v1/customers", token, "text/plain", []byte(`{"surname": "New"}`)),
			422: api("POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": ""}`)),
		},
		"GET /api/v1/customers": {
			200: api("GET", "/api/v1/customers?external_ref=described-1", token, "", nil),
			401: api("GET", "/api/v1/customers?external_ref=described-1", "", "", nil),
			404: api("GET", "/api/v1/customers?external_ref=nobody", token, "", nil),
			422: api("GET", "/api/v1/customers", token, "", nil),
		},
		"GET /api/v1/customers/{id}": {
			200: api("GET", customerURL, token, "", nil),
			401: api("GET", customerURL, "", "", nil),
			404: api("GET", "/api/v1/customers/"+uuid.NewString(), token, "", nil),
			422: api("GET", "/api/v1/customers/%FF", token, "", nil),
		},
		"POST /api/v1/customers/{id}/documents": {
			201: api("POST", documentsURL, token, goodCT, goodDoc, "Idempotency-Key", "probe-2"),
			401: api("POST", documentsURL, "", goodCT, goodDoc),
			404: api("POST", "/api/v1/customers/"+uuid.NewString()+"/documents", token, goodCT, goodDoc),
			413: api("POST", documentsURL, token, "multipart/form-data; boundary=x", tooLarge),
			415: api("POST", documentsURL, token, "application/json", []byte(`{"type": "passport"}`)),
			422: api("POST", documentsURL, token, badCT, badDoc),
		},
		"GET /api/v1/cases/{id}": {
			200: api("GET", "/api/v1/cases/"+cust.Cases[0].ID.String(), token, "", nil),
			401: api("GET", "/api/v1/cases/"+cust.Cases[0].ID.String(), "", "", nil),
			404: api("GET", "/api/v1/cases/"+uuid.NewString(), token, "", nil),
			422: api("GET", "/api/v1/cases/%00", token, "", nil),
		},
		"GET /api/v1/openapi.json": {
			200: api("GET", "/api/v1/openapi.json", "", "", nil),
		},
	}
	for op, byStatus := range probes {
		method, path, _ := strings.Cut(op, " ")
		operation, _ := s.get("paths", strings.TrimPrefix(path, "/api/v1"), strings.ToLower(method)).(map[string]any)
		responses, _ := operation["responses"].(map[string]any)
		var doc []int
		for code := range responses {
			n, _ := strconv.Atoi(code)
			doc = append(doc, n)
		}
		slices.Sort(doc)
		if tried := slices.Sorted(maps.Keys(byStatus)); !slices.Equal(doc, tried) {
			t.Errorf("%s: documented statuses %v, the server's %v", op, doc, tried)
		}
		for status, send := range byStatus {
			r := send()
			if r.Status != status {
				t.Errorf("%s: %d %.300s, want %d", op, r.Status, r.Body, status)
				continue
			}
			resp := s.resolve(responses[strconv.Itoa(status)])
			if resp == nil {
				continue // reported above
			}
			var v any
			if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
				t.Errorf("%s %d: not JSON: %.300s", op, status, r.Body)
				continue
			}
			schema := s.resolve(spec(resp).get("content", "application/json", "schema"))
			for _, e := range s.check(schema, v, op+" "+strconv.Itoa(status)) {
				t.Error(e)
			}
			headers, _ := spec(resp).get("headers").(map[string]any)
			for name := range headers {
				if name != "Idempotent-Replayed" && r.Header.Get(name) == "" { // that one only on a replay
					t.Errorf("%s %d: no %s header", op, status, name)
				}
			}
			// A 415 names the media type to send, the one the description gives.
			if status == http.StatusUnsupportedMediaType {
				for ct := range spec(operation).get("requestBody", "content").(map[string]any) {
					if msg := decodeErr(t, r).Error.Message; !strings.Contains(msg, "Content-Type: "+ct) {
						t.Errorf("%s 415: %q does not name %s", op, msg, ct)
					}
				}
			}
			// A replay is the first answer again, with the header the description declares.
			if headers["Idempotent-Replayed"] != nil {
				again := send()
				if again.Status != status || again.Header.Get("Idempotent-Replayed") != "true" || again.Body != r.Body {
					t.Errorf("%s: replay %d %q", op, again.Status, again.Header.Get("Idempotent-Replayed"))
				}
			}
		}
	}
}

// anys lists a sqlc enum's values.
func anys[T ~string](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
