// Package apperr is kycdesk's one application error type. Services return it for anything a user
// should be told; the HTTP adapter maps its Code to a status and a page. Any other error is an
// internal error: logged in full, shown to the user as "Something went wrong".
package apperr

import (
	"errors"
	"fmt"
	"slices"
)

// Code classifies an error for the user.
type Code string

// Codes.
const (
	Invalid      Code = "invalid"      // 422: input rejected, Fields say why
	NotFound     Code = "not_found"    // 404
	Conflict     Code = "conflict"     // 409: the state changed under the user (e.g. someone else claimed the case)
	Unauthorized Code = "unauthorized" // 401: not signed in
	Forbidden    Code = "forbidden"    // 403: signed in, not allowed
	TooMany      Code = "too_many"     // 429: throttled
	TooLarge     Code = "too_large"    // 413: request body too large
	Unsupported  Code = "unsupported"  // 415: the body is not of a media type the address reads; the message names the one to send
	Unavailable  Code = "unavailable"  // 503
)

// Error is an error with a message fit for the user.
type Error struct {
	Code    Code
	Message string
	// Fields maps a form field's name to what is wrong with it.
	Fields map[string]string
	// Order is the order to list Fields in when the caller knows one (the order of a request's
	// members); see FieldNames.
	Order []string
	Err   error // the cause, for the log; never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// The messages of Field and Fields: they ask a person to correct the fields a form highlights.
const (
	correctField  = "Please correct the highlighted field."
	correctFields = "Please correct the highlighted fields."
)

// Field returns an Invalid error for one field.
func Field(field, message string) *Error {
	return &Error{Code: Invalid, Message: correctField, Fields: map[string]string{field: message}}
}

// Fields returns an Invalid error for several fields, or nil when there are none.
func Fields(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	msg := correctFields
	if len(fields) == 1 {
		msg = correctField
	}
	return &Error{Code: Invalid, Message: msg, Fields: fields}
}

// OnlyFields reports whether e's message says nothing but "correct the highlighted fields" (the
// message of Field and Fields): its Fields say it all, and an answer that has no form to
// highlight them in (the API's JSON) words the message for its own reader.
func (e *Error) OnlyFields() bool {
	return len(e.Fields) > 0 && (e.Message == correctField || e.Message == correctFields)
}

// FieldNames returns the names of e's Fields in the order to list them: those of Order first, in
// its order, then the others sorted. A map has no order of its own, and two identical requests
// must get identical answers.
func (e *Error) FieldNames() []string {
	out := make([]string, 0, len(e.Fields))
	seen := make(map[string]bool, len(e.Fields))
	for _, f := range e.Order {
		if _, ok := e.Fields[f]; ok && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	rest := make([]string, 0, len(e.Fields)-len(out))
	for f := range e.Fields {
		if !seen[f] {
			rest = append(rest, f)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// As returns err as an *Error when it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CodeOf returns err's code, or "" for an internal error.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return ""
}

// FieldsOf returns the field errors of an Invalid error (nil otherwise).
func FieldsOf(err error) map[string]string {
	if e, ok := As(err); ok && e.Code == Invalid {
		return e.Fields
	}
	return nil
}
