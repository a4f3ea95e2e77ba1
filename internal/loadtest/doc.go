// Package loadtest measures kycdesk at production size. Seed bulk-loads invented customers, their
// passports and their cases with COPY (a million in about a minute and a half on two cores, indexes included), with the mixes a
// KYC desk sees: mostly decided cases, a few percent open, nationalities weighted as an EU desk
// meets them, names with accents. Run drives a function from many concurrent clients for a fixed
// time and reports latency percentiles and throughput.
//
// BenchmarkQueue (make bench) loads 1,000,000 cases, starts the real app on them and measures the
// queue page at 32 signed-in clients for the default tab, three filters and searches, the tab
// counts alone, and the same page's SQL run through pgx alone and written as minimal HTML (the
// floor). It reports; it never fails on a timing. Environment variables tune it:
// KYCDESK_BENCH_CASES (default 1000000), KYCDESK_BENCH_DURATION (per scenario and side,
// default 10s) and KYCDESK_BENCH_ROUNDS (default 3: the app and the floor take turns that many
// times and the round of the median ratio is reported, with every round's ratio);
// KYCDESK_BENCH_CPUPROFILE=file writes a CPU profile of the app's first saturated run of each
// scenario to file.<scenario>.
//
// BenchmarkCheckPipeline (make bench) queues 10,000 Cynopsis OCR checks at once against the
// simulator answering after 50 ms, with a per-vendor limit of 16 calls, and reports the wall time
// against the ideal (checks × 50 ms / 16 = 31.25 s), throughput, p50/p99 from queued to done, a
// run's parts and the CPU per check. KYCDESK_BENCH_CHECKS changes the count (2000 for a quick
// run); KYCDESK_BENCH_CPUPROFILE=file profiles the measured run alone, without the seeding:
//
//	go test -run '^$' -bench CheckPipeline -benchtime=1x -timeout 30m ./internal/loadtest/
package loadtest
