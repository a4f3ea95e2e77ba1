// Package resilience holds the tests that try to break kycdesk as a whole system, with the real
// binary in separate processes rather than the app in the test's own process: a server killed with
// SIGKILL at random points of a batch of checks, and two servers on one PostgreSQL database and
// one S3-compatible object store with nothing shared in memory.
//
// The package has no code of its own; its tests are the claims:
//
//   - crash consistency (crash_test.go): every check completes exactly once to a final state
//     (one check.done or check.failed audit row, one final vendor answer), no requested check is
//     lost, a crash changes no check's result, the audit chain verifies and the queue counters
//     equal the cases they count. `go test` kills the server 3 times; `make crash` 20 times
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
