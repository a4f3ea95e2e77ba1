// Package simulator serves kycdesk's five vendor integrations (Cynopsis OCR, Cynopsis Artemis,
// Apptenticate ID Reader Plus, Argos ID recognition, OOTO doc/identify) from the same strict fakes
// the client tests use, so that `make run` works without vendor credentials and tests exercise
// real HTTP. Each fake enforces its vendor's contract (authentication, headers, field names,
// limits) and answers from the synthetic specimen document it receives: a specimen carries a
// code that specimen.Identify reads back, so the answer holds the data printed on that document,
// and the scenario the specimen was drawn with decides which vendor misreads a field or refuses
// the document with which code.
//
// The app mounts Handler under /sim with the prefix stripped, points every unconfigured vendor at
// it with Settings, and shows Documentation (or Scenarios and Triggers) on a help page:
//
//	sim := simulator.New(simulator.Options{})
//	defer sim.Close()
//	mux.Handle("/sim/", http.StripPrefix("/sim", sim.Handler()))
//	cfgs := sim.Settings("http://127.0.0.1:8080/sim") // cynopsis.Config, apptenticate.Config …
//
// The simulated vendors live at <base>/cynopsis (token server, OCR v2 and Artemis on one server),
// <base>/apptenticate, <base>/argos and <base>/ooto, with the fixed credentials declared below
// (CynopsisClientID …); the control endpoints at <base>/_control/ take and give JSON, and answer
// only requests from a loopback address.
//
// # Triggers
//
// Specimen scenarios need no control call: a demo document drawn with a scenario plays it
// whenever it is sent. apptenticate_blurry (826) and apptenticate_cropped (821) make
// Apptenticate refuse the document; argos_processing_error (1003) and argos_unrecognised (1011)
// make Argos refuse it (in the callback, in asynchronous mode); ooto_no_face (5) makes OOTO refuse
// it; argos_misreads_expiry, cynopsis_misreads_surname and vendors_disagree make vendors misread
// fields; face_mismatch and low_liveness change OOTO's face verdict; tampered_mrz, expired_document
// and under_age are read as printed for kycdesk's own checks to catch. Scenarios lists them all.
//
// Every other documented code is forced with an override, which applies to the next document the
// vendor reads (or "count" documents; -1 until deleted), whatever the image:
//
//	SIM=http://127.0.0.1:8080/sim
//	curl -X POST $SIM/_control/apptenticate/override -d '{"error": "829"}'
//	curl -X POST $SIM/_control/cynopsis_ocr/override -d '{"error": "508"}'   # docver declined, tampered
//	curl -X POST $SIM/_control/argos/override -d '{"error": "1001", "count": 3}'
//	curl -X POST $SIM/_control/ooto/override -d '{"error": "201"}'
//	curl -X POST $SIM/_control/argos/override -d '{"misreads": {"expiry_date": "2031-01-01"}}'
//	curl -X POST $SIM/_control/ooto/override -d '{"same_face": false, "liveness": 0.2}'
//	curl -X DELETE $SIM/_control/ooto/override
//
// Faults (vendors.Fault) are queued per vendor and answer the next matching requests; durations
// are Go duration strings or nanoseconds. cynopsis_ocr and artemis limit a fault to that
// product's paths on the shared Cynopsis server; "cynopsis" hits every path, token requests
// included:
//
//	curl -X POST $SIM/_control/argos/faults -d '{"kind": "status", "status": 503, "count": 3}'
//	curl -X POST $SIM/_control/ooto/faults -d '{"kind": "status", "status": 429, "retry_after": "5"}'
//	curl -X POST $SIM/_control/apptenticate/faults -d '{"kind": "delay", "delay": "90s"}'
//	curl -X POST $SIM/_control/artemis/faults -d '{"kind": "truncated"}'
//	curl -X POST $SIM/_control/cynopsis/faults -d '{"kind": "hangup", "path_contains": "/oauth/token"}'
//	curl -X DELETE $SIM/_control/argos/faults
//
// Kinds: status (with status, body, retry_after), delay, slow_body (with delay), malformed,
// truncated, huge (size, 100 MB by default), content_type, hangup.
//
// Slow answers, expired tokens and Argos callbacks:
//
//	curl -X POST $SIM/_control/ooto/latency -d '{"latency": "50ms"}'    # every answer, until DELETE
//	curl -X POST $SIM/_control/cynopsis/expire-tokens                    # next call: 401, new token, retry
//	curl -X POST $SIM/_control/apptenticate/expire-tokens                # next call: 401, refresh, retry
//	curl -X POST $SIM/_control/apptenticate/refuse-refresh -d '{"refuse": true}'  # then: full log-in
//	curl -X POST $SIM/_control/argos/callbacks -d '{"mode": "never"}'   # or "twice", "normal"
//	curl -X POST $SIM/_control/argos/callbacks -d '{"delay": "2s"}'
//
// And to watch and start over:
//
//	curl "$SIM/_control/requests?vendor=argos"   # method, path, headers without secrets, field names
//	curl $SIM/_control/argos/callbacks           # callback mode and the callbacks sent
//	curl -X POST $SIM/_control/reset             # forget requests; clear faults, overrides, latency
//	curl $SIM/_control/                          # this documentation, scenarios and triggers as JSON
//
// Triggers lists every code and fault with its control request; an unknown vendor name is a 404
// and a body that is not the endpoint's JSON a 400, each with a message.
package simulator

// Documentation is the simulator's help text for the app's help page and GET /_control/. $SIM
// stands for the simulator's base URL (the app's address followed by /sim).
const Documentation = `kycdesk vendor simulator

When a vendor has no credentials configured, kycdesk sends its checks to this built-in simulator
instead. It plays Cynopsis (OCR v2 and Artemis), Apptenticate ID Reader Plus v3, Argos ID
recognition and OOTO doc/identify to the letter of their contracts (authentication, headers,
field names, size limits) and answers from the document it is sent: the demo documents are
synthetic specimens that carry a small code, so the simulator reads back the person printed on
them and the scenario they were drawn with. No real vendor is called and no data leaves the app.

ADDRESSES AND CREDENTIALS ($SIM is the app's address followed by /sim)

  Cynopsis token, OCR and Artemis  $SIM/cynopsis      client id sim-client-id, secret sim-client-secret, domain 4242
  Apptenticate                     $SIM/apptenticate  username sim-user, password sim-password
  Argos                            $SIM/argos         x-api-key sim-argos-api-key
  OOTO                             $SIM/ooto          APP-ID sim-app-id, APP-KEY sim-app-key

The vendor paths are the contracts' own: /oauth/token, /service/v2/ocr and /api/customer/... under
$SIM/cynopsis; /api/token/, /api/token/refresh/ and /api/v3/ocr/ under $SIM/apptenticate;
/modules/recognition under $SIM/argos; /api/v1.0/doc/identify under $SIM/ooto.

SCENARIOS: WHAT EACH DEMO DOCUMENT PLAYS

Each demo customer's document is drawn with one scenario; sending it to the vendors plays it, with
no other step:

  clean                      every vendor reads the document as printed; faces match, liveness 0.97
  argos_misreads_expiry      Argos misreads a digit of the expiry year and asks for review
  cynopsis_misreads_surname  Cynopsis OCR swaps two letters of the surname
  apptenticate_blurry        Apptenticate refuses it with 826 (the document is too blurry)
  face_mismatch              the selfie is somebody else: OOTO says not the same person
  tampered_mrz               wrong check digit in the MRZ: Cynopsis' hash flags and kycdesk's MRZ check fail
  expired_document           expired one to three years ago; Cynopsis docver says EXPIRED
  argos_processing_error     Argos answers 1003 every time (retried; in the callback when asynchronous)
  ooto_no_face               OOTO refuses it with 5 (no face in the selfie)
  low_liveness               OOTO reports liveness 0.18
  under_age                  the holder is 10 to 14 years old
  apptenticate_cropped       Apptenticate refuses it with 821 (the document is cropped)
  argos_unrecognised         Argos refuses it with 1011 (in the callback when asynchronous)
  vendors_disagree           Argos swaps day and month of the birth date; Cynopsis OCR reads a 0 of the
                             document number as O: the vendors disagree on two fields

FORCING ANY DOCUMENTED CODE

An override makes one vendor answer the next document it reads (any image, "count" documents, -1
until deleted) with a code, misread fields, or (OOTO) another face verdict:

  curl -X POST $SIM/_control/apptenticate/override -d '{"error": "829"}'        818-829
  curl -X POST $SIM/_control/argos/override -d '{"error": "1001", "count": 3}'  1001-1015
  curl -X POST $SIM/_control/ooto/override -d '{"error": "201"}'                1-209
  curl -X POST $SIM/_control/cynopsis_ocr/override -d '{"error": "508"}'        docver reasonCodes (105-634)
  curl -X POST $SIM/_control/cynopsis_ocr/override -d '{"error": "FAILURE: Unreadable"}'  a failed OCR task
  curl -X POST $SIM/_control/argos/override -d '{"misreads": {"expiry_date": "2031-01-01"}}'
  curl -X POST $SIM/_control/ooto/override -d '{"same_face": false, "liveness": 0.2}'
  curl -X DELETE $SIM/_control/ooto/override

Field names for misreads are the canonical ones: surname, given_names, full_name, date_of_birth,
sex, nationality, document_number, personal_number, issue_date, expiry_date, issuing_country,
address, document_type, mrz_line1, mrz_line2, mrz_line3.

Artemis' refusals follow from the requests: a second customer with the same profileReferenceId is
409, an id the simulator did not issue is 404, a liveness body with a member the contract does not
name (livenessConfidence instead of liivenessConfidence) is 400.

FAULTS

A fault answers the next matching request ("count" requests) of one vendor. Vendor names:
cynopsis (every Cynopsis path, token requests included), cynopsis_ocr and artemis (that product's
paths only), apptenticate, argos, ooto. Durations are written "300ms", "3s", "2m".

  curl -X POST $SIM/_control/argos/faults -d '{"kind": "status", "status": 503}'
  curl -X POST $SIM/_control/argos/faults -d '{"kind": "status", "status": 502, "count": 5}'
  curl -X POST $SIM/_control/ooto/faults -d '{"kind": "status", "status": 429, "retry_after": "5"}'
  curl -X POST $SIM/_control/apptenticate/faults -d '{"kind": "delay", "delay": "90s"}'   past the 60 s timeout
  curl -X POST $SIM/_control/artemis/faults -d '{"kind": "slow_body", "delay": "30s"}'
  curl -X POST $SIM/_control/cynopsis_ocr/faults -d '{"kind": "malformed"}'
  curl -X POST $SIM/_control/cynopsis_ocr/faults -d '{"kind": "truncated"}'
  curl -X POST $SIM/_control/argos/faults -d '{"kind": "huge", "size": 104857600}'
  curl -X POST $SIM/_control/ooto/faults -d '{"kind": "content_type"}'
  curl -X POST $SIM/_control/cynopsis/faults -d '{"kind": "hangup", "path_contains": "/oauth/token"}'
  curl -X DELETE $SIM/_control/argos/faults

A refused connection cannot come from a running simulator: set a vendor's base URL to a port
nothing listens on (http://127.0.0.1:9) for that.

SLOW ANSWERS, EXPIRED TOKENS, CALLBACKS

  curl -X POST $SIM/_control/ooto/latency -d '{"latency": "2s"}'      every answer, until DELETE
  curl -X POST $SIM/_control/cynopsis/expire-tokens                    401 on the next call; the client gets a new token
  curl -X POST $SIM/_control/apptenticate/expire-tokens                401 on the next call; the client refreshes
  curl -X POST $SIM/_control/apptenticate/refuse-refresh -d '{"refuse": true}'   refreshes fail: full log-in
  curl -X POST $SIM/_control/argos/callbacks -d '{"mode": "never"}'   acknowledged, never called back
  curl -X POST $SIM/_control/argos/callbacks -d '{"mode": "twice"}'   every callback sent twice
  curl -X POST $SIM/_control/argos/callbacks -d '{"mode": "normal", "delay": "2s"}'

WATCHING AND STARTING OVER

  curl "$SIM/_control/requests?vendor=argos"    what the vendor received: method, path, headers with
                                                secrets redacted, field names and sizes (never values or images)
  curl $SIM/_control/argos/callbacks            the callback mode and the callbacks sent
  curl $SIM/_control/triggers                   every code and fault with its control request
  curl -X POST $SIM/_control/reset              forget requests; clear faults, overrides, latencies and
                                                callback modes (issued tokens and Artemis records stay)
`
