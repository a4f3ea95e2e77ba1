// Package security holds kycdesk's attack suites (issue 8, items 3, 4 and 6). They drive the
// whole app over HTTP on a real database, as an attacker or a careless colleague would:
//
//   - the authorization matrix beyond roles: a disabled user's old session, an API token on the
//     pages, a reviewer acting on a case assigned to someone else, a reviewer after the exports;
//   - hostile input: markup and formula payloads in every text field a user or the intake API
//     fills, read back from every page, the PDF case report and the CSV/XLSX exports; files that
//     lie about their type, polyglots, oversized files, decompression bombs and empty files
//     through both upload routes; path traversal in every route parameter; oversized form posts;
//   - secrets: distinctive vendor credentials, API tokens, passwords and session cookies are put
//     to use, then looked for in every page, export, log line and database row.
//
// The package has no code of its own: only this comment and the tests. Each test shares one app
// (one database) across its cases, so the suite stays within a CI budget.
package security
