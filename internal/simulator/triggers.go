package simulator

import (
	"encoding/json"
	"fmt"
	"strconv"

	"kycdesk/internal/specimen"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/apptenticate"
	"kycdesk/internal/vendors/argos"
	"kycdesk/internal/vendors/cynopsis"
	"kycdesk/internal/vendors/ooto"
)

// ScenarioDoc says what the simulated vendors do with a specimen document drawn with one
// scenario, for the help page.
type ScenarioDoc struct {
	// Name is the scenario's name (specimen.Scenario.String), e.g. "apptenticate_blurry".
	Name     string            `json:"name"`
	Scenario specimen.Scenario `json:"-"`
	// Vendors are the integrations whose answer the scenario changes; empty when every vendor
	// reads the document as printed and only kycdesk's own checks see something.
	Vendors []vendors.Name `json:"vendors,omitempty"`
	// Code is the vendor code the scenario makes its vendor answer with, if any.
	Code   string `json:"code,omitempty"`
	Effect string `json:"effect"`
}

// Scenarios describes every specimen scenario, in the specimen package's order.
func Scenarios() []ScenarioDoc {
	docs := map[specimen.Scenario]ScenarioDoc{
		specimen.Clean: {Effect: "Every vendor reads the document as printed; Cynopsis docver approves it; OOTO matches the selfie " +
			"to the portrait with liveness 0.97."},
		specimen.ArgosMisreadsExpiry: {Vendors: []vendors.Name{vendors.Argos}, Effect: "Argos reads the expiry date with the last digit " +
			"of the year confused (e.g. 2031 for 2037), with a low score, and asks for review of the front; the others read it right."},
		specimen.CynopsisMisreadsSurname: {Vendors: []vendors.Name{vendors.CynopsisOCR}, Effect: "Cynopsis OCR reads the surname with " +
			"two letters swapped; the others read it right."},
		specimen.ApptenticateBlurry: {Vendors: []vendors.Name{vendors.Apptenticate}, Code: "826", Effect: "Apptenticate refuses the " +
			"document: valid:false, error_code 826 (" + apptenticateMeaning(826) + ")"},
		specimen.FaceMismatch: {Vendors: []vendors.Name{vendors.OOTO}, Effect: "The selfie shows somebody else: OOTO answers similarity " +
			"0.31, same false."},
		specimen.TamperedMRZ: {Vendors: []vendors.Name{vendors.CynopsisOCR}, Effect: "The printed MRZ has a wrong document-number " +
			"check digit: every vendor reads the zone as printed, Cynopsis' \"document number hash\" and \"final hash\" flags are " +
			"\"false\", and kycdesk's own MRZ check fails."},
		specimen.ExpiredDocument: {Vendors: []vendors.Name{vendors.CynopsisOCR}, Effect: "The document expired one to three years ago: " +
			"every vendor reads the past expiry date and Cynopsis docver reports the document's state as EXPIRED."},
		specimen.ArgosProcessingError: {Vendors: []vendors.Name{vendors.Argos}, Code: "1003", Effect: "Argos answers errorCode 1003 (" +
			argos.Meaning("1003") + "): at once in synchronous mode, where kycdesk retries it until it gives up, in the callback in asynchronous mode."},
		specimen.OOTONoFace: {Vendors: []vendors.Name{vendors.OOTO}, Code: "5", Effect: "OOTO answers 400 with code 5 (" +
			ootoMeaning(5) + ")"},
		specimen.LowLiveness: {Vendors: []vendors.Name{vendors.OOTO}, Effect: "OOTO reports a liveness score of 0.18, not fine."},
		specimen.UnderAge: {Effect: "The holder is 10 to 14 years old: every vendor reads the date of birth as printed and kycdesk " +
			"flags the age."},
		specimen.ApptenticateCropped: {Vendors: []vendors.Name{vendors.Apptenticate}, Code: "821", Effect: "Apptenticate refuses the " +
			"document: valid:false, error_code 821 (" + apptenticateMeaning(821) + ")"},
		specimen.ArgosUnrecognised: {Vendors: []vendors.Name{vendors.Argos}, Code: "1011", Effect: "Argos answers errorCode 1011 (" +
			argos.Meaning("1011") + "): at once in synchronous mode, where kycdesk retries it until it gives up, in the callback in asynchronous mode."},
		specimen.VendorsDisagree: {Vendors: []vendors.Name{vendors.Argos, vendors.CynopsisOCR}, Effect: "Argos reads the date of " +
			"birth with day and month swapped and Cynopsis OCR reads a digit of the document number as a letter (0 as O, 1 as I), " +
			"so the vendors disagree on two fields."},
	}
	var out []ScenarioDoc
	for _, sc := range specimen.Scenarios() {
		d, ok := docs[sc]
		if !ok {
			d.Effect = "No simulator behaviour is documented for this scenario yet; the vendors read the document as printed."
		}
		d.Name, d.Scenario = sc.String(), sc
		out = append(out, d)
	}
	return out
}

func apptenticateMeaning(code int) string {
	m, _ := apptenticate.Meaning(strconv.Itoa(code))
	return m
}

func ootoMeaning(code int) string {
	m, _ := ooto.Meaning(strconv.Itoa(code))
	return m
}

// Trigger is one documented way to make a simulated vendor give a particular answer: a vendor
// code, a fault, a slow answer, an expired token.
type Trigger struct {
	// Vendor is the integration that answers; "" for a trigger that works for every vendor
	// (Control then has {vendor} where the vendor's name goes).
	Vendor vendors.Name `json:"vendor,omitempty"`
	// Code is the vendor's code, for the triggers of documented codes.
	Code string `json:"code,omitempty"`
	// Answer is what the vendor answers, in plain words.
	Answer string `json:"answer"`
	// Scenario names the specimen scenario that plays this answer without any control call.
	Scenario string `json:"scenario,omitempty"`
	// Control is the control request that triggers it: method, path under the simulator's
	// mount point, and JSON body; "" when none does (How says what to do instead).
	Control string `json:"control,omitempty"`
	// How says what to do when there is no control request, or what else to know.
	How string `json:"how,omitempty"`
}

// control writes a control request line with a compact JSON body.
func control(method, path string, body any) string {
	if body == nil {
		return method + " " + ControlPrefix + path
	}
	b, _ := json.Marshal(body)
	return method + " " + ControlPrefix + path + " " + string(b)
}

// Triggers lists every documented trigger: each documented code of Cynopsis OCR (docver
// reasonCodes), Apptenticate (818–829), Argos (1001–1015) and OOTO (1–209), then the faults,
// slow answers, token expiries, callback modes and Artemis refusals.
func Triggers() []Trigger {
	scenarioFor := map[vendors.Name]map[string]string{}
	for _, d := range Scenarios() {
		if d.Code == "" {
			continue
		}
		for _, v := range d.Vendors {
			if scenarioFor[v] == nil {
				scenarioFor[v] = map[string]string{}
			}
			scenarioFor[v][d.Code] = d.Name
		}
	}
	var out []Trigger
	code := func(v vendors.Name, c, answer string) {
		out = append(out, Trigger{Vendor: v, Code: c, Answer: answer, Scenario: scenarioFor[v][c],
			Control: control("POST", "/"+string(v)+"/override", map[string]string{"error": c})})
	}
	for _, c := range cynopsis.Codes() {
		verdict := "declined"
		if c[0] == '6' {
			verdict = "resubmission_requested"
		}
		code(vendors.CynopsisOCR, c, fmt.Sprintf("The OCR result with docver status %s, reasonCode %s: %s", verdict, c, cynopsis.Meaning(c)))
	}
	out = append(out, Trigger{Vendor: vendors.CynopsisOCR, Code: "FAILURE",
		Answer:  "The OCR task fails: status_task FAILURE with the words given after the colon as its description.",
		Control: control("POST", "/cynopsis_ocr/override", map[string]string{"error": "FAILURE: The document could not be read."})})
	for _, c := range apptenticate.Codes() {
		code(vendors.Apptenticate, strconv.Itoa(c), fmt.Sprintf("valid:false with error_code %d: %s", c, apptenticateMeaning(c)))
	}
	for _, c := range argos.Codes() {
		code(vendors.Argos, c, fmt.Sprintf("400 with errorCode %s: %s", c, argos.Meaning(c)))
	}
	for _, c := range ooto.Codes() {
		code(vendors.OOTO, strconv.Itoa(c), fmt.Sprintf("400 with result.code %d: %s", c, ootoMeaning(c)))
	}

	faults := []Trigger{
		{Answer: "HTTP 503 once (a transient failure the check retries).",
			Control: control("POST", "/{vendor}/faults", map[string]any{"kind": "status", "status": 503})},
		{Answer: "A burst of five HTTP 502 answers.",
			Control: control("POST", "/{vendor}/faults", map[string]any{"kind": "status", "status": 502, "count": 5})},
		{Answer: "HTTP 429 with Retry-After: 5.",
			Control: control("POST", "/{vendor}/faults", map[string]any{"kind": "status", "status": 429, "retry_after": "5"})},
		{Answer: "HTTP 429 without Retry-After.",
			Control: control("POST", "/{vendor}/faults", map[string]any{"kind": "status", "status": 429})},
		{Answer: "Every answer slowed down by two seconds, until changed (DELETE restores the start-up latency).",
			Control: control("POST", "/{vendor}/latency", map[string]any{"latency": "2s"})},
		{Answer: "One answer that comes after 90 s: longer than the clients' default 60 s timeout.",
			Control: control("POST", "/{vendor}/faults", map[string]any{"kind": "delay", "delay": "90s"})},
		{Answer: "Headers at once, then the body a byte at a time over 30 s.",
			Control: control("POST", "/{vendor}/faults", map[string]any{"kind": "slow_body", "delay": "30s"})},
		{Answer: "200 with a body that is not JSON.",
			Control: control("POST", "/{vendor}/faults", map[string]any{"kind": "malformed"})},
		{Answer: "200 with JSON cut off in the middle.",
			Control: control("POST", "/{vendor}/faults", map[string]any{"kind": "truncated"})},
		{Answer: "200 with a 100 MB body.",
			Control: control("POST", "/{vendor}/faults", map[string]any{"kind": "huge", "size": 100 << 20})},
		{Answer: "200 with an HTML page instead of JSON.",
			Control: control("POST", "/{vendor}/faults", map[string]any{"kind": "content_type"})},
		{Answer: "The connection closed without an answer.",
			Control: control("POST", "/{vendor}/faults", map[string]any{"kind": "hangup"})},
		{Answer: "Connection refused.",
			How: "Set the vendor's base URL to a port nothing listens on, e.g. http://127.0.0.1:9; the simulator cannot refuse " +
				"a connection it is already serving."},
	}
	out = append(out, faults...)
	out = append(out,
		Trigger{Vendor: vendors.CynopsisOCR, Answer: "401 invalid_token on the next OCR or Artemis call; the client fetches one new token and retries once.",
			Control: control("POST", "/cynopsis/expire-tokens", nil)},
		Trigger{Vendor: vendors.CynopsisOCR, Code: "invalid_client", Answer: "401 invalid_client from the token server.",
			How: "Use any client id or secret other than the simulator's."},
		Trigger{Vendor: vendors.Apptenticate, Answer: "401 token_not_valid on the next OCR call; the client refreshes its access token and retries once.",
			Control: control("POST", "/apptenticate/expire-tokens", nil)},
		Trigger{Vendor: vendors.Apptenticate, Answer: "The refresh is refused as well, so the client logs in again with username and password.",
			Control: control("POST", "/apptenticate/refuse-refresh", map[string]any{"refuse": true}),
			How:     "Then expire the access tokens; post {\"refuse\": false} to stop."},
		Trigger{Vendor: vendors.Argos, Answer: "Asynchronous requests are acknowledged and never called back: the check must time out into a clear state.",
			Control: control("POST", "/argos/callbacks", map[string]any{"mode": "never"})},
		Trigger{Vendor: vendors.Argos, Answer: "Every callback is sent twice, identical: the second must change nothing.",
			Control: control("POST", "/argos/callbacks", map[string]any{"mode": "twice"})},
		Trigger{Vendor: vendors.Argos, Answer: "Callbacks come after the given delay (300 ms by default).",
			Control: control("POST", "/argos/callbacks", map[string]any{"mode": "normal", "delay": "5s"})},
		Trigger{Vendor: vendors.Artemis, Code: "409", Answer: "409 Conflict: a customer with this profileReferenceId already exists.",
			How: "Create a customer with a profileReferenceId Artemis already holds (the simulator keeps its customers until it restarts)."},
		Trigger{Vendor: vendors.Artemis, Code: "404", Answer: "404 Not Found: no such customer or document.",
			How: "Use a customer or document id the simulator did not issue, e.g. after a restart of the app."},
		Trigger{Vendor: vendors.Artemis, Code: "400", Answer: "400 Bad Request: the liveness body has a member the contract does not name.",
			How: "Send livenessConfidence instead of the contract's liivenessConfidence (or any other unknown member)."},
	)
	return out
}
