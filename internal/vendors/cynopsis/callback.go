package cynopsis

import (
	"errors"
	"strings"
	"unicode"

	"kycdesk/internal/vendors"
)

// ArtemisCallback is what Artemis posts when a customer's screening changes: unsigned JSON
// {customerId, customerReferenceId, profileReferenceId, status, riskRating, action, customerType}.
// Status is one of DRAFT, PENDING, CLEARED, REQUIRE_UPDATE, REJECTED, ACCEPTED, and more may come:
// it is kept as sent (upper-cased), never refused for being new.
type ArtemisCallback struct {
	CustomerID          int64  // Artemis' own customer id
	CustomerReferenceID string // Artemis' reference of the customer
	ProfileReferenceID  string // ours: kycdesk sends the customer's id when it creates the record
	Status              string
	RiskRating          string
	Action              string
	CustomerType        string
}

// ArtemisStatuses are the statuses Artemis publishes (it may add others).
var ArtemisStatuses = []string{"DRAFT", "PENDING", "CLEARED", "REQUIRE_UPDATE", "REJECTED", "ACCEPTED"}

// ParseArtemisCallback reads a callback body tolerantly: ids as numbers or strings, members
// missing or null, unknown members ignored. It refuses only what cannot be a callback: not a JSON
// object, or naming no customer (neither customerId nor profileReferenceId).
func ParseArtemisCallback(body []byte) (ArtemisCallback, error) {
	var w struct {
		CustomerID          id           `json:"customerId"`
		CustomerReferenceID vendors.Text `json:"customerReferenceId"`
		ProfileReferenceID  vendors.Text `json:"profileReferenceId"`
		Status              vendors.Text `json:"status"`
		RiskRating          vendors.Text `json:"riskRating"`
		Action              vendors.Text `json:"action"`
		CustomerType        vendors.Text `json:"customerType"`
	}
	if err := decodeTolerant(body, &w); err != nil {
		return ArtemisCallback{}, err
	}
	cb := ArtemisCallback{CustomerID: int64(w.CustomerID), CustomerReferenceID: clean(string(w.CustomerReferenceID)),
		ProfileReferenceID: clean(string(w.ProfileReferenceID)), Status: strings.ToUpper(clean(string(w.Status))),
		RiskRating: clean(string(w.RiskRating)), Action: clean(string(w.Action)), CustomerType: strings.ToUpper(clean(string(w.CustomerType)))}
	if cb.CustomerID <= 0 && cb.ProfileReferenceID == "" {
		return cb, errors.New("the callback names no customer (neither customerId nor profileReferenceId)")
	}
	return cb, nil
}

// clean trims a value, drops control characters (a NUL cannot be stored) and bounds its length:
// what is kept of a callback is short words.
func clean(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200])
	}
	return s
}
