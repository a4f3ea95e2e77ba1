package intake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"kycdesk/internal/apperr"
)

// How the API's refusals are put. The field errors of a request come from maps (the shape
// check's, the validation's, the form's), whose order changes from one run to the next: an answer
// lists them in the order of the request instead, so that the same request always gets the same
// answer.

// inRequestOrder orders err's field errors as the JSON body has its members: the members sent
// first in the order sent (documents[1].number after documents[0].type), then those the body
// left out (a missing surname) in the order of t's fields, which the description lists in the
// same order. err is returned as it is when it has no field errors.
func inRequestOrder(err error, body []byte, t reflect.Type) error {
	ae, ok := apperr.As(err)
	if !ok || len(ae.Fields) < 2 || ae.Order != nil {
		return err
	}
	sent := map[string]int{}
	for i, p := range memberPaths(body) {
		if _, dup := sent[p]; !dup {
			sent[p] = i
		}
	}
	var in, out []string
	for f := range ae.Fields {
		if _, ok := sent[f]; ok {
			in = append(in, f)
		} else {
			out = append(out, f)
		}
	}
	slices.SortFunc(in, func(a, b string) int { return cmp.Compare(sent[a], sent[b]) })
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(slices.Compare(schemaKey(a, t), schemaKey(b, t)), strings.Compare(a, b))
	})
	ae.Order = append(in, out...)
	return err
}

// inOrder orders err's field errors as names lists them (those it does not name follow, sorted).
func inOrder(err error, names ...string) error {
	if ae, ok := apperr.As(err); ok && len(ae.Fields) > 1 && ae.Order == nil {
		ae.Order = names
	}
	return err
}

// memberPaths lists the paths of a JSON value's members and items in the order they come
// (surname, documents, documents[0], documents[0].type), as field errors name them. It stops
// where the value stops being JSON: what it listed so far still orders those.
func memberPaths(body []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	var out []string
	var value func(path string) bool
	value = func(path string) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				name, err := dec.Token()
				if err != nil {
					return false
				}
				p := join(path, fmt.Sprint(name))
				out = append(out, p)
				if !value(p) {
					return false
				}
			}
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				p := path + "[" + strconv.Itoa(i) + "]"
				out = append(out, p)
				if !value(p) {
					return false
				}
			}
		default:
			return true
		}
		_, err = dec.Token() // the closing } or ]
		return err == nil
	}
	value("")
	return out
}

// schemaKey places a field's path among t's: each member by the position of its Go field (a name
// t does not have after all of them), each item by its index.
func schemaKey(path string, t reflect.Type) []int {
	var key []int
	for path != "" {
		var seg string
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			if end < 0 {
				break
			}
			n, _ := strconv.Atoi(path[1:end])
			key = append(key, n)
			path = strings.TrimPrefix(path[end+1:], ".")
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				t = t.Elem()
			} else {
				t = nil
			}
			continue
		}
		end := strings.IndexAny(path, ".[")
		if end < 0 {
			end = len(path)
		}
		seg, path = path[:end], strings.TrimPrefix(path[end:], ".")
		i, ft := fieldIndex(t, seg)
		key = append(key, i)
		t = ft
	}
	return key
}

// fieldIndex is the position among t's fields of the one named name in JSON, with its type; past
// the last field (and a nil type) when t has none of that name.
func fieldIndex(t reflect.Type, name string) (int, reflect.Type) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return 1 << 20, nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n == name && f.IsExported() {
			return i, f.Type
		}
	}
	return t.NumField(), nil
}

// documentParts are the parts of a document's form in the order the description lists them.
var documentParts = []string{"type", "issuing_country", "number", "issue_date", "expiry_date", "front", "back", "selfie"}

// utf8Charset refuses (415) a JSON body said to be in a charset other than UTF-8 (JSON's own) or
// ASCII (a part of it): read as UTF-8, its names would come out wrong.
func utf8Charset(charset string) error {
	switch strings.ToLower(charset) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return nil
	}
	said := "another"
	if len(charset) <= 40 && strings.Trim(charset, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == "" {
		said = charset
	}
	return apperr.New(apperr.Unsupported, "Send the customer as JSON in UTF-8, with Content-Type: application/json (this request says its charset is %s).", said)
}

// unsupported refuses (415) a body that is not of the media type want, in the words of send
// ("Send the customer as JSON"), saying which type the request said it was.
func unsupported(r *http.Request, send, want string) error {
	got := "has no Content-Type"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		got = "says it is something else"
		if mt, _, err := mime.ParseMediaType(ct); err == nil && len(mt) <= 100 {
			got = "says it is " + mt // a token: ASCII letters, digits and a few marks
		}
	}
	return apperr.New(apperr.Unsupported, "%s, with Content-Type: %s (this request %s).", send, want, got)
}
