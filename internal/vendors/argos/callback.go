package argos

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"

	"kycdesk/internal/vendors"
)

// Callback is one asynchronous result as Argos POSTs it to the callback URL.
type Callback struct {
	// TransactionID matches the pending Recognition. Accept a callback only for a transaction
	// the app is waiting for.
	TransactionID string
	APIType       string
	// StatusCode is the statusCode in the body (200 success, 400 failure); 0 when absent.
	StatusCode int
	// Result is the normalised result of a success callback, boxes in the pixels of the image
	// sent (apply the pending Recognition's Scale). Nil on failure.
	Result *vendors.Result
	// Err is the failure a failure callback reports, a Business error with the code's meaning.
	// Nil on success.
	Err *vendors.Error
}

// ParseCallback reads a callback body: the synchronous body plus "statusCode": 200, or a failure
// {statusCode: 400, apiType, transactionId, errorCode, message}. The caller caps the body's size
// (vendors.ReadBody). The error is non-nil only when the body is not a usable callback at all
// (not JSON, no transaction id, neither result nor error code); a failure callback is a valid
// callback and comes back with Err set.
func ParseCallback(body []byte) (Callback, error) {
	env, err := decodeEnvelope(body)
	if err != nil {
		return Callback{}, invalid("The callback body is not a JSON object.", err)
	}
	cb := Callback{TransactionID: env.transactionID, APIType: env.apiType, StatusCode: env.statusCode}
	if cb.TransactionID == "" {
		return cb, invalid("The callback has no transaction id.", nil)
	}
	failed := env.errorCode != "" || (env.statusCode >= 300 && !env.hasResult)
	if failed {
		code := env.errorCode
		e := codeError(code, env.message, env.statusCode)
		if code == "" {
			e = &vendors.Error{Vendor: vendors.Argos, Kind: vendors.Business, HTTPStatus: env.statusCode, Refused: true,
				Message: "Argos reported that the recognition failed, without an error code."}
			if env.message != "" {
				e.Message += " It said: " + truncate(env.message, 200)
			}
		} else if e.Kind == vendors.Invalid {
			// An undocumented code in a callback is still Argos' refusal of this document: Argos
			// accepted the request, then failed to recognise what it was sent.
			e.Kind, e.Refused = vendors.Business, true
		}
		cb.Err = e
		return cb, nil
	}
	if !env.hasResult {
		return cb, invalid("The callback has neither a result nor an error code.", nil)
	}
	res, err := env.toResult()
	if err != nil {
		return cb, err
	}
	cb.Result = &res
	return cb, nil
}

// NewCallbackToken returns 32 random bytes as unpadded base64url, for the callback URL of one
// request. Argos does not sign callbacks, so this token is what shows a callback came from the
// request the app made.
func NewCallbackToken() string {
	b := make([]byte, 32)
	// crypto/rand.Read never fails: it aborts the program if the system's generator is broken.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TokenEqual compares a received token with the expected one in constant time. Empty tokens
// never match.
func TokenEqual(got, want string) bool {
	if got == "" || want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
