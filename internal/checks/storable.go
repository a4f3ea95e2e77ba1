package checks

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"kycdesk/internal/vendors"
)

// storable makes vendor text fit a PostgreSQL text column, which takes neither NUL nor invalid
// UTF-8: both become U+FFFD. A vendor's JSON may carry "\u0000", which decodes to NUL; written as
// it is, it made the check's outcome (or the vendor call's log row) unwritable, so the job failed
// and River ran the vendor call again and again instead of finishing the check.
func storable(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// storableJSON encodes v as JSON that a jsonb column accepts: jsonb refuses the escape \u0000,
// so NULs in strings (values and keys) become U+FFFD.
func storableJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil || !bytes.Contains(raw, []byte(`\u0000`)) {
		return raw, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return json.Marshal(storableTree(tree))
}

func storableTree(v any) any {
	switch t := v.(type) {
	case string:
		return storable(t)
	case []any:
		for i := range t {
			t[i] = storableTree(t[i])
		}
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[storable(k)] = storableTree(x)
		}
		return out
	}
	return v
}

// succeeded is what finish stores for a result: its outcome ("review" when the vendor gave
// none), code, reason and JSON, all in a form PostgreSQL accepts.
func succeeded(res *vendors.Result) (outcome, code, reason string, raw []byte, err error) {
	outcome = string(res.Outcome)
	if outcome == "" {
		outcome = string(vendors.OutcomeReview)
	}
	raw, err = storableJSON(res)
	return outcome, storable(res.Code), storable(res.Reason), raw, err
}
