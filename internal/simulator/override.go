package simulator

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"kycdesk/internal/vendors"
)

// Override forces what one vendor reads off the next documents it is sent, whatever they are:
// an error code instead of a result, misread fields, or (OOTO) another face-match or liveness
// verdict. It is how every documented code can be triggered, not only those a specimen scenario
// plays; specimen scenarios need no control call at all.
type Override struct {
	// Error is the vendor's code to answer with: a docver reasonCode or "FAILURE: words" for
	// Cynopsis OCR, 818–829 for Apptenticate, 1001–1015 for Argos, 1–209 for OOTO.
	Error string `json:"error,omitempty"`
	// Misreads replaces the values read for canonical fields, e.g. {"expiry_date": "2031-01-01"}.
	Misreads map[vendors.FieldName]string `json:"misreads,omitempty"`
	// SameFace and Liveness (0 to 1) change OOTO's face match and liveness score.
	SameFace *bool    `json:"same_face,omitempty"`
	Liveness *float64 `json:"liveness,omitempty"`
	// Count is how many documents the override applies to: 0 means the next one, -1 every one
	// until it is cleared.
	Count int `json:"count,omitempty"`
}

// maxOverrideCount bounds Count so a typo cannot pin an override for ever by accident; -1 does
// that on purpose.
const maxOverrideCount = 10000

// validate checks o for vendor v, with messages a person typing curl can act on.
func (o Override) validate(v vendors.Name) error {
	switch v {
	case vendors.CynopsisOCR, vendors.Apptenticate, vendors.Argos, vendors.OOTO:
	case vendors.Artemis:
		return errors.New("artemis reads no images, so there is nothing to override; its refusals are triggered by the requests themselves (see the documentation)")
	default:
		return fmt.Errorf("%q is not a vendor that reads documents", v)
	}
	if o.Error == "" && len(o.Misreads) == 0 && o.SameFace == nil && o.Liveness == nil {
		return errors.New(`an override needs at least one of "error", "misreads", "same_face" or "liveness"`)
	}
	if err := plainText("error", o.Error); err != nil {
		return err
	}
	canonical := map[vendors.FieldName]bool{}
	for _, f := range vendors.CanonicalFields {
		canonical[f] = true
	}
	for f, val := range o.Misreads {
		if !canonical[f] {
			names := make([]string, len(vendors.CanonicalFields))
			for i, c := range vendors.CanonicalFields {
				names[i] = string(c)
			}
			return fmt.Errorf("misreads: %q is not a canonical field (one of %s)", f, strings.Join(names, ", "))
		}
		if err := plainText("misreads."+string(f), val); err != nil {
			return err
		}
	}
	if (o.SameFace != nil || o.Liveness != nil) && v != vendors.OOTO {
		return errors.New(`"same_face" and "liveness" only change OOTO's answer`)
	}
	if o.Liveness != nil && (*o.Liveness < 0 || *o.Liveness > 1) {
		return errors.New(`"liveness" must be between 0 and 1`)
	}
	if o.Count < -1 || o.Count > maxOverrideCount {
		return fmt.Errorf(`"count" must be -1 (until cleared), 0 (the next document) or up to %d`, maxOverrideCount)
	}
	return nil
}

// plainText refuses values no vendor would send: very long ones and control characters.
func plainText(name, s string) error {
	if len(s) > 200 {
		return fmt.Errorf("%s: at most 200 characters", name)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s: control characters are not allowed", name)
		}
	}
	return nil
}

// SetOverride makes vendor v (vendors.CynopsisOCR, Apptenticate, Argos or OOTO) read o off the next
// documents, replacing any override it had.
func (s *Simulator) SetOverride(v vendors.Name, o Override) error {
	if err := o.validate(v); err != nil {
		return err
	}
	if o.Count == 0 {
		o.Count = 1
	}
	c := o
	if o.Misreads != nil {
		c.Misreads = make(map[vendors.FieldName]string, len(o.Misreads))
		for k, val := range o.Misreads {
			c.Misreads[k] = val
		}
	}
	s.mu.Lock()
	s.overrides[v] = &c
	s.mu.Unlock()
	return nil
}

// ClearOverride removes vendor v's override.
func (s *Simulator) ClearOverride(v vendors.Name) {
	s.mu.Lock()
	delete(s.overrides, v)
	s.mu.Unlock()
}

// currentOverride returns a copy of vendor v's override, for the control endpoint.
func (s *Simulator) currentOverride(v vendors.Name) (Override, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.overrides[v]
	if !ok {
		return Override{}, false
	}
	return *o, true
}

// takeOverride consumes one use of vendor v's override.
func (s *Simulator) takeOverride(v vendors.Name) (Override, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.overrides[v]
	if !ok {
		return Override{}, false
	}
	out := *o
	if o.Count > 0 {
		o.Count--
		if o.Count == 0 {
			delete(s.overrides, v)
		}
	}
	return out, true
}

// identifierFor is the Identifier vendor v's fake reads documents with: the configured one, with
// v's override applied on top. Each fake identifies exactly one image per accepted request (the
// front, or OOTO's document image), so an override's count is a count of requests.
func (s *Simulator) identifierFor(v vendors.Name) vendors.Identifier {
	return func(img []byte) (vendors.Subject, bool) {
		sub, known := s.identify(img)
		o, ok := s.takeOverride(v)
		if !ok {
			return sub, known
		}
		if !known {
			sub = unknownSubject()
		}
		return applyOverride(sub, v, o), true
	}
}

// unknownSubject is what an overridden vendor reads off an image the Identifier does not know:
// the ICAO 9303 specimen holder, with no issuing country or document type, so that Argos does not
// refuse it for not matching the country and type the client sent.
func unknownSubject() vendors.Subject {
	return vendors.Subject{
		Surname: "ERIKSSON", GivenNames: "ANNA MARIA", DateOfBirth: "1974-08-12", Sex: "F",
		Nationality: "UTO", DocumentNumber: "L898902C3", PersonalNumber: "ZE184226B",
		IssueDate: "2007-04-15", ExpiryDate: "2012-04-15",
		MRZ:      []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"},
		SameFace: true, Liveness: 0.97,
	}
}

// applyOverride returns sub with o applied for vendor v; sub's maps are copied, not changed.
func applyOverride(sub vendors.Subject, v vendors.Name, o Override) vendors.Subject {
	if o.Error != "" {
		errs := make(map[vendors.Name]string, len(sub.Errors)+1)
		for k, val := range sub.Errors {
			errs[k] = val
		}
		errs[v] = o.Error
		sub.Errors = errs
	}
	if len(o.Misreads) > 0 {
		mis := make(map[vendors.Name]map[vendors.FieldName]string, len(sub.Misreads)+1)
		for k, fields := range sub.Misreads {
			mis[k] = fields
		}
		fields := make(map[vendors.FieldName]string, len(mis[v])+len(o.Misreads))
		for f, val := range mis[v] {
			fields[f] = val
		}
		for f, val := range o.Misreads {
			fields[f] = val
		}
		mis[v] = fields
		sub.Misreads = mis
	}
	if o.SameFace != nil {
		sub.SameFace = *o.SameFace
	}
	if o.Liveness != nil {
		sub.Liveness = *o.Liveness
	}
	return sub
}
