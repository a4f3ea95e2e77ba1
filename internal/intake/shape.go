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
// value of the wrong JSON kind and every string that is not text (jsonStringProblem). All of them at once, so a client fixes its request in one go.
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
		var members map[string]json.RawMessage
		if raw[0] != '{' || json.Unmarshal(raw, &members) != nil {
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
		for name, v := range members {
			f, ok := fields[name]
			switch {
			case name == "":
				errs[orBody(path)] = "A member has an empty name: remove it."
			case !ok:
				errs[join(path, name)] = "Unknown field."
			default:
				shapeErrors(v, f.Type, join(path, name), errs)
			}
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
