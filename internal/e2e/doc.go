// Package e2e holds kycdesk's end-to-end tests: the whole app on a real database, driven through
// a real Chromium with chromedp, the way a reviewer, manager or admin uses it.
package e2e
