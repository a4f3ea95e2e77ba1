package intake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// shapeErrors walks a JSON value against the Go type it is decoded into and reports, by the
// member's path (documents[0].number), every member the type does not have under that exact name
// (encoding/json matches names case-insensitively: "Surname" would pass as "surname"), every
// value of the wrong JSON kind, every string that is not text (jsonStringProblem) and every member
// sent twice (encoding/json keeps the last without a word: {"surname":"A","surname":"B"} stored
// B). All of them at once, so a client fixes its request in one go.
func shapeErrors(raw json.RawMessage, t reflect.Type, path string, errs map[string]string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		members, ok := objectMembers(raw)
		if !ok {
			errs[orBody(path)] = "Expected an object, not " + kindOf(raw) + "."
			return
		}
		fields := map[string]reflect.StructField{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.IsExported() && name != "" && name != "-" {
				fields[name] = f
			}
		}
		seen := map[string]bool{}
		for _, m := range members {
			name, v := m.name, m.value
			f, ok := fields[name]
			switch {
			case name == "":
				errs[orBody(path)] = "A member has an empty name: remove it."
			case !ok:
				errs[join(path, name)] = "Unknown field."
			case seen[name]:
				// encoding/json would keep the last one without a word.
				errs[join(path, name)] = "This member is sent more than once: send it once."
			default:
				shapeErrors(v, f.Type, join(path, name), errs)
			}
			seen[name] = true
		}
	case reflect.Slice:
		var items []json.RawMessage
		if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
			errs[orBody(path)] = "Expected a list, not " + kindOf(raw) + "."
			return
		}
		for i, item := range items {
			shapeErrors(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case reflect.String:
		if raw[0] != '"' {
			errs[orBody(path)] = "Expected a string, not " + kindOf(raw) + "."
		} else if msg := jsonStringProblem(raw); msg != "" {
			errs[orBody(path)] = msg
		}
	}
}

// member is one member of a JSON object, as sent.
type member struct {
	name  string
	value json.RawMessage
}

// objectMembers reads the members of one JSON object in the order sent, duplicates included
// (decoding into a map keeps only the last of them); false when raw is not an object.
func objectMembers(raw json.RawMessage) ([]member, bool) {
	if raw[0] != '{' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		name, ok := t.(string)
		if err != nil || !ok {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, member{name, v})
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, false
	}
	return out, true
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// kindOf names a JSON value's kind in words.
func kindOf(raw json.RawMessage) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "true or false"
	default:
		return "a number"
	}
}
