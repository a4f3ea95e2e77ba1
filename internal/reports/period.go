package reports

import (
	"net/url"
	"strconv"
	"time"
)

// Period is a range of whole days, UTC: From inclusive, To exclusive (the day after the last day).
type Period struct {
	From, To time.Time
}

// FromText and ToText are the period's first and last days as typed in a form ("2026-01-31").
func (p Period) FromText() string { return p.From.Format(time.DateOnly) }

// ToText is the period's last day.
func (p Period) ToText() string { return p.To.AddDate(0, 0, -1).Format(time.DateOnly) }

// Days is how many days the period holds.
func (p Period) Days() int { return int(p.To.Sub(p.From).Hours()/24 + 0.5) }

// Query is the period as URL parameters.
func (p Period) Query() url.Values {
	return url.Values{"from": {p.FromText()}, "to": {p.ToText()}}
}

// ParsePeriod reads "from" and "to" (YYYY-MM-DD, both days included) from v. Missing, the period
// is the last defaultDays days up to today; maxDays (0: no limit) bounds its length. Bad values
// are reported per field and the default used.
func ParsePeriod(v url.Values, now time.Time, defaultDays, maxDays int) (Period, map[string]string) {
	errs := map[string]string{}
	today := now.UTC().Truncate(24 * time.Hour)
	p := Period{From: today.AddDate(0, 0, 1-defaultDays), To: today.AddDate(0, 0, 1)}
	if s := v.Get("to"); s != "" {
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			p.To = t.AddDate(0, 0, 1)
			if v.Get("from") == "" {
				p.From = t.AddDate(0, 0, 1-defaultDays)
			}
		} else {
			errs["to"] = "Use a date like 2026-01-31."
		}
	}
	if s := v.Get("from"); s != "" {
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			p.From = t
		} else {
			errs["from"] = "Use a date like 2026-01-31."
		}
	}
	switch {
	case !p.From.Before(p.To):
		errs["to"] = "The last day is before the first."
		p = Period{From: today.AddDate(0, 0, 1-defaultDays), To: today.AddDate(0, 0, 1)}
	case maxDays > 0 && p.Days() > maxDays:
		errs["from"] = "Choose at most " + strconv.Itoa(maxDays) + " days."
		p.From = p.To.AddDate(0, 0, -maxDays)
	}
	return p, errs
}
