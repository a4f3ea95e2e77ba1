// Package loadtest measures kycdesk at production size. Seed bulk-loads invented customers, their
// passports and their cases with COPY (a million in about a minute and a half on two cores, indexes included), with the mixes a
// KYC desk sees: mostly decided cases, a few percent open, nationalities weighted as an EU desk
// meets them, names with accents. Run drives a function from many concurrent clients for a fixed
// time and reports latency percentiles and throughput.
//
// BenchmarkQueue (make bench) loads 1,000,000 cases, starts the real app on them and measures the
// queue page at 32 signed-in clients for the default tab, three filters and searches, the tab
// counts alone, and the same page's SQL run through pgx alone and written as minimal HTML (the
// floor). It reports; it never fails on a timing. Two environment variables tune it:
// KYCDESK_BENCH_CASES (default 1000000) and KYCDESK_BENCH_DURATION (per scenario and side,
// default 10s).
package loadtest
