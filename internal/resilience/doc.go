// Package resilience holds the tests that try to break kycdesk as a whole system: vendors that
// misbehave in every way the simulator can make them, and, with the real binary in separate
// processes rather than the app in the test's own process, a server killed with SIGKILL at random
// points of a batch of checks, and two servers on one PostgreSQL database and one S3-compatible
// object store with nothing shared in memory.
//
// The package has no code of its own; its tests are the claims:
//
//   - vendor faults (faults_test.go): for Cynopsis OCR, Apptenticate, Argos (synchronous and
//     asynchronous), OOTO and Artemis (its customer creation and its document upload), a refused
//     connection, a vendor that does not answer, a body that trickles, 429 with and without
//     Retry-After, a burst of 503s, malformed and truncated JSON, a 100 MB body, an HTML page
//     instead of JSON and a dropped connection are each retried and the check then completes,
//     once, with every attempt's vendor calls logged; the reviewer's checks panel says what
//     happened in plain words and never shows Go's error text; Retry-After is honoured, the
//     client's own timeout fires, the 100 MB body is refused by the size cap without being read.
//     Tokens expired in the middle of a batch are renewed (Cynopsis: a new token; Apptenticate: a
//     refresh, or a new log-in when the refresh is refused) and no check fails. An Argos callback
//     that never comes ends the check as failed, saying so, after checks.CallbackWait; one that
//     comes twice completes it once. The suite runs in the test's process (testenv.NewApp, the
//     built-in simulator at /sim, driven through its control API) in about a minute and a half,
//     and prints the table of faults and outcomes (go test -v -run TestVendorFaults shows it).
//   - crash consistency (crash_test.go): every check completes exactly once to a final state
//     (one check.done, check.refused or check.failed audit row, one final vendor answer), no
//     requested check is lost, a crash changes no check's result, the audit chain verifies and the
//     queue counters equal the cases they count. `go test` kills the server 3 times; `make crash` 20 times
//     (KYCDESK_CRASH_KILLS, KYCDESK_CRASH_SEED to replay a run's kill points).
//   - several instances (instances_test.go): a session made on one instance works on the other,
//     an image uploaded through one is served by the other, checks requested through either are
//     processed once across both, and stopping one (SIGTERM), then killing the other mid-batch
//     (SIGKILL), loses nothing.
//
// The vendors are the simulator (internal/simulator), served by the test process and configured
// in the servers with `kycdesk vendor set`, not the simulator built into the server: a vendor
// does not forget its records or its settings when kycdesk dies, and the built-in one would. The
// servers run with KYCDESK_SIMULATOR=off, so a vendor left unconfigured fails its checks instead
// of being answered quietly from inside the process under test.
//
// Each test takes about a minute; both run in CI (they need PostgreSQL, like every database test,
// and the go command to build the binary). KYCDESK_RESILIENCE_LOGS=<dir> keeps every server's log.
package resilience
