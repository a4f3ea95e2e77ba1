package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	cdp "github.com/chromedp/chromedp"

	"kycdesk/internal/demo"
	"kycdesk/internal/simulator"
	"kycdesk/internal/testenv"
)

// TestAdminConfiguresAVendorAndAReviewerRunsChecks is issue 4's walk-through in a real browser:
// an admin sets Cynopsis OCR's sandbox credentials (pointing at the built-in simulator), sees the
// secret masked and the connection test pass; a reviewer then claims a demo case, runs every check
// on its document, watches them finish without reloading, and opens the failed Apptenticate
// check's plain-words reason and its raw response.
func TestAdminConfiguresAVendorAndAReviewerRunsChecks(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.CreateUser(t, "admin")
	reviewer := app.CreateUser(t, "reviewer")
	ctx := context.Background()
	if _, err := demo.EnsureCases(ctx, app.Server.CustomerService(), ""); err != nil {
		t.Fatal(err)
	}
	// The demo case whose specimen Apptenticate refuses as too blurry.
	var caseID uuid.UUID
	if err := app.Pool.QueryRow(ctx, `SELECT c.id FROM cases c JOIN customers cu ON cu.id = c.customer_id WHERE cu.external_ref = 'demo-1008'`).Scan(&caseID); err != nil {
		t.Fatal(err)
	}

	// The admin opens Vendors from the menu and configures Cynopsis OCR in the sandbox.
	const secret = simulator.CynopsisClientSecret
	a := testenv.Browser(t)
	do(t, a, cdp.Navigate(app.URL+"/"))
	signIn(t, a, admin.Email, admin.Password)
	do(t, a,
		cdp.Click(cdp.CSS(`nav a[href="/admin/vendors"]`)),
		cdp.WaitVisible(cdp.CSS("#vendors")),
	)
	if got := text(t, a, `#vendors tr[data-vendor=cynopsis_ocr][data-env=sandbox] td.answers`); got != "simulator answers" {
		t.Fatalf("before: %q", got)
	}
	testenv.Screenshot(t, a, "vendors-before")
	sim := app.URL + "/sim" + simulator.CynopsisPrefix
	do(t, a,
		cdp.Click(cdp.CSS(`#vendors tr[data-vendor=cynopsis_ocr][data-env=sandbox] a`)),
		cdp.WaitVisible(cdp.CSS("#vendor-form")),
		cdp.SendKeys(cdp.CSS("#auth_url"), sim),
		cdp.SendKeys(cdp.CSS("#ocr_url"), sim),
		cdp.SendKeys(cdp.CSS("#client_id"), simulator.CynopsisClientID),
		cdp.SendKeys(cdp.CSS("#client_secret"), secret),
		cdp.SendKeys(cdp.CSS("#domain_id"), strconv.FormatInt(simulator.CynopsisDomainID, 10)),
		cdp.Click(cdp.CSS("#enabled")),
		cdp.Click(cdp.CSS("#save")),
		cdp.WaitVisible(cdp.CSS(".flash-ok")),
	)
	if got := text(t, a, "#client_secret-status"); !strings.Contains(got, "••••••••") || !strings.Contains(got, "set on") {
		t.Fatalf("secret status: %q", got)
	}
	if v, _ := cdp.Run(a, cdp.Value(cdp.CSS("#client_secret"))); v != "" {
		t.Fatalf("the secret input is not empty: %q", v)
	}
	if v, _ := cdp.Run(a, cdp.Value(cdp.CSS("#auth_url"))); v != sim {
		t.Fatalf("auth URL after saving: %q", v)
	}
	if html, _ := cdp.Run(a, cdp.OuterHTML(cdp.CSS("html"))); strings.Contains(html, secret) {
		t.Fatal("the page holds the secret")
	}
	// The connection test answers in the page (htmx swaps the result box).
	do(t, a,
		cdp.Evaluate[cdp.Void](`window.__sameDocument = true`),
		cdp.Click(cdp.CSS("#test-connection")),
		cdp.WaitVisible(cdp.CSS(`#test-result[data-ok]`)),
	)
	if ok, _ := cdp.Run(a, cdp.Evaluate[string](`document.querySelector("#test-result").dataset.ok`)); ok != "true" {
		t.Fatalf("test connection: %q", text(t, a, "#test-result"))
	}
	if got := text(t, a, "#test-result"); !strings.Contains(got, "Connection works") || !strings.Contains(got, "access token") {
		t.Fatalf("test result: %q", got)
	}
	if same, _ := cdp.Run(a, cdp.Evaluate[bool](`window.__sameDocument === true`)); !same {
		t.Error("the test reloaded the page")
	}
	testenv.Screenshot(t, a, "vendor-form")
	do(t, a, cdp.Navigate(app.URL+"/admin/vendors"), cdp.WaitVisible(cdp.CSS("#vendors")))
	if got := text(t, a, `#vendors tr[data-vendor=cynopsis_ocr][data-env=sandbox] td.answers`); got != "the vendor" {
		t.Fatalf("after: %q", got)
	}

	// The reviewer claims the case and runs every check on its document.
	b := testenv.Browser(t)
	do(t, b, cdp.Navigate(app.URL+"/cases/"+caseID.String()))
	signIn(t, b, reviewer.Email, reviewer.Password)
	do(t, b, cdp.WaitVisible(cdp.CSS("#claim")), cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#release")), cdp.WaitVisible(cdp.CSS(".run-checks")))
	// Cynopsis OCR now uses the admin's settings; the others are still answered by the simulator.
	badges, err := cdp.Run(b, cdp.Evaluate[[]string](`[...document.querySelectorAll(".run-checks .choice")].filter(l => l.querySelector(".badge")).map(l => l.querySelector("input").value)`))
	if err != nil || len(badges) == 0 || strings.Contains(strings.Join(badges, ","), "cynopsis_ocr") {
		t.Fatalf("vendors marked as simulated: %v %v", badges, err)
	}
	do(t, b,
		cdp.Evaluate[cdp.Void](`window.__sameDocument = true; document.querySelectorAll(".run-checks input[name=vendor]").forEach(i => { i.checked = true })`),
	)
	vendorCount := num(t, b, `document.querySelectorAll(".run-checks input[name=vendor]").length`)
	do(t, b, cdp.Click(cdp.CSS(".run-checks button[type=submit]")))
	if _, err := cdp.Run(b, cdp.Poll[bool](`document.querySelectorAll("tr[data-check]").length === `+strconv.Itoa(int(vendorCount)),
		cdp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the checks did not appear: %v", err)
	}
	testenv.Screenshot(t, b, "checks-running")
	if _, err := cdp.Run(b, cdp.Poll[bool](`document.querySelectorAll("tr[data-check]").length > 0 &&
		document.querySelectorAll("tr[data-check][data-state=queued], tr[data-check][data-state=running], tr[data-check][data-state=retrying]").length === 0`,
		cdp.WithPollingTimeout(90*time.Second))); err != nil {
		states, _ := cdp.Run(b, cdp.Evaluate[[]string](`[...document.querySelectorAll("tr[data-check]")].map(r => r.dataset.vendor + ":" + r.dataset.state)`))
		t.Fatalf("the checks did not finish: %v %v", err, states)
	}
	if same, _ := cdp.Run(b, cdp.Evaluate[bool](`window.__sameDocument === true`)); !same {
		t.Fatal("the page was reloaded to show the results")
	}
	states, _ := cdp.Run(b, cdp.Evaluate[[]string](`[...document.querySelectorAll("tr[data-check]")].map(r => r.dataset.vendor + ":" + r.dataset.state)`))
	t.Logf("checks: %v", states)

	// The failed Apptenticate check says why in plain words.
	reason := text(t, b, `tr[data-check][data-vendor=apptenticate] .check-reason`)
	if !strings.Contains(reason, "826") || !strings.Contains(strings.ToLower(reason), "blurry") {
		t.Fatalf("Apptenticate reason: %q", reason)
	}
	do(t, b,
		cdp.Click(cdp.CSS(`tr[data-check][data-vendor=apptenticate] + tr.check-detail summary`)),
		cdp.WaitVisible(cdp.CSS(`tr[data-check][data-vendor=apptenticate] + tr.check-detail a.raw-link`)),
	)
	testenv.Screenshot(t, b, "checks-done")
	// The call that was refused (not the log-in before it).
	href, err := cdp.Run(b, cdp.Evaluate[string](`[...document.querySelectorAll("tr[data-check][data-vendor=apptenticate] + tr.check-detail .calls-table tr[data-call]")]
		.filter(r => r.textContent.includes("826")).map(r => r.querySelector("a.raw-link").getAttribute("href"))[0] || ""`))
	if err != nil || !strings.HasPrefix(href, "/vendor-calls/") {
		t.Fatalf("raw response link: %q %v", href, err)
	}
	// The link opens a new tab; the same page is opened here in place.
	do(t, b, cdp.Navigate(app.URL+href), cdp.WaitVisible(cdp.CSS("#raw-body")))
	body := text(t, b, "#raw-body")
	if !strings.Contains(body, "826") {
		t.Fatalf("raw response: %q", body)
	}
	testenv.Screenshot(t, b, "raw-response")
	if strings.Contains(app.Logs(), secret) {
		t.Fatal("the logs hold the secret")
	}
}
