package vendors

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Bool decodes a vendor boolean sent as true, "true", "True", "yes", 1 or "1". Anything else,
// null included, is false with Valid reporting whether a value was present.
type Bool struct {
	Value bool
	Valid bool
}

// UnmarshalJSON never fails: an unreadable value is simply not Valid.
func (b *Bool) UnmarshalJSON(data []byte) error {
	*b = Bool{}
	s := strings.ToLower(strings.Trim(strings.TrimSpace(string(data)), `"`))
	switch s {
	case "true", "yes", "1", "y", "t":
		*b = Bool{Value: true, Valid: true}
	case "false", "no", "0", "n", "f":
		*b = Bool{Value: false, Valid: true}
	}
	return nil
}

// Ptr returns a pointer to the value, or nil when none was sent.
func (b Bool) Ptr() *bool {
	if !b.Valid {
		return nil
	}
	v := b.Value
	return &v
}

// Num decodes a number sent as a JSON number or as a numeric string.
type Num struct {
	Value float64
	Valid bool
}

// UnmarshalJSON never fails: an unreadable value is simply not Valid.
func (n *Num) UnmarshalJSON(data []byte) error {
	*n = Num{}
	s := strings.Trim(strings.TrimSpace(string(data)), `"`)
	if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
		*n = Num{Value: f, Valid: true}
	}
	return nil
}

// Ptr returns a pointer to the value, or nil when none was sent.
func (n Num) Ptr() *float64 {
	if !n.Valid {
		return nil
	}
	v := n.Value
	return &v
}

// Text decodes any JSON scalar as its text ("12", "true", "LEE"); null and objects give "".
type Text string

// UnmarshalJSON never fails.
func (t *Text) UnmarshalJSON(data []byte) error {
	*t = ""
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] == '{' || data[0] == '[' || string(data) == "null" {
		return nil
	}
	if data[0] == '"' {
		var s string
		if json.Unmarshal(data, &s) == nil {
			*t = Text(strings.TrimSpace(s))
		}
		return nil
	}
	*t = Text(data)
	return nil
}

// Time decodes the timestamps vendors send: RFC 3339 / ISO strings with or without zone, plain
// dates, epoch milliseconds, and serialized Java Date objects ({"year":124,"month":0,"date":5,…}
// with years since 1900 and months from 0, or with "time" in epoch milliseconds).
type Time struct {
	Time  time.Time
	Valid bool
}

var timeLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02 15:04:05",
	// Jackson's older default (an offset without a colon) and Java's Date.toString().
	"2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05-0700", "Mon Jan 02 15:04:05 MST 2006",
	"2006-01-02", "02/01/2006", "02.01.2006", "2006/01/02",
}

// UnmarshalJSON never fails: an unreadable value is simply not Valid.
func (t *Time) UnmarshalJSON(data []byte) error {
	*t = Time{}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	switch data[0] {
	case '"':
		var s string
		if json.Unmarshal(data, &s) != nil {
			return nil
		}
		s = strings.TrimSpace(s)
		for _, l := range timeLayouts {
			if v, err := time.Parse(l, s); err == nil {
				*t = Time{Time: v, Valid: true}
				return nil
			}
		}
		// Epoch milliseconds sent as a string.
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil && len(s) >= 10 {
			*t = Time{Time: time.UnixMilli(ms).UTC(), Valid: true}
			return nil
		}
	case '{':
		var j struct {
			Time                                       *int64
			Year, Month, Date, Hours, Minutes, Seconds *int
		}
		if json.Unmarshal(data, &j) != nil {
			return nil
		}
		if j.Time != nil {
			*t = Time{Time: time.UnixMilli(*j.Time).UTC(), Valid: true}
			return nil
		}
		if j.Year != nil && j.Month != nil && j.Date != nil {
			h, m, s := deref(j.Hours), deref(j.Minutes), deref(j.Seconds)
			*t = Time{Time: time.Date(*j.Year+1900, time.Month(*j.Month+1), *j.Date, h, m, s, 0, time.UTC), Valid: true}
		}
	default:
		if ms, err := strconv.ParseInt(string(data), 10, 64); err == nil {
			*t = Time{Time: time.UnixMilli(ms).UTC(), Valid: true}
		}
	}
	return nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
