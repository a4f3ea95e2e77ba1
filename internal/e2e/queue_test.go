package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	cdp "github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kycdesk/internal/audit"
	"kycdesk/internal/cases"
	"kycdesk/internal/customers"
	"kycdesk/internal/demo"
	"kycdesk/internal/testenv"
)

// reviewerAtQueue starts the app with the demo's cases and a reviewer signed in, in a browser,
// at path (the queue or a view of it).
func reviewerAtQueue(t *testing.T, path string) context.Context {
	t.Helper()
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	if _, err := demo.EnsureCases(context.Background(), app.Server.CustomerService(), ""); err != nil {
		t.Fatal(err)
	}
	b := testenv.Browser(t)
	do(t, b, cdp.Navigate(app.URL+path))
	signIn(t, b, rev.Email, rev.Password)
	return b
}

func num(t *testing.T, ctx context.Context, js string) float64 {
	t.Helper()
	v, err := cdp.Run(ctx, cdp.Evaluate[float64](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// TestReviewerWorksTheQueue: a reviewer filters the queue, opens a case, zooms and rotates an
// image, adds a note, claims and releases the case.
func TestReviewerWorksTheQueue(t *testing.T) {
	b := reviewerAtQueue(t, "/cases")
	do(t, b, cdp.WaitVisible(cdp.CSS("#queue-table")))
	all := num(t, b, `document.querySelectorAll("#queue-table tbody tr").length`)
	if all < 10 {
		t.Fatalf("queue shows %v cases", all)
	}
	// Filter by nationality: htmx swaps only the results and the URL keeps the filter.
	nat, err := cdp.Run(b, cdp.Evaluate[string](`document.querySelector("#queue-table tbody tr td:nth-child(3)").textContent.trim()`))
	if err != nil {
		t.Fatal(err)
	}
	do(t, b, cdp.SendKeys(cdp.CSS("#nationality"), nat), cdp.SetValue(cdp.CSS("#risk"), ""))
	// Leaving the field applies it (its change event), as a person moving on does; a synthetic
	// change here would leave the real one to fire later, on the next click.
	do(t, b, cdp.Evaluate[cdp.Void](`document.querySelector("#nationality").blur()`))
	if _, err := cdp.Run(b, cdp.Poll[bool](`location.search.includes("nationality=`+nat+`")`)); err != nil {
		t.Fatalf("the URL does not hold the filter: %v", err)
	}
	filtered := num(t, b, `document.querySelectorAll("#queue-table tbody tr").length`)
	if filtered == 0 || filtered > all {
		t.Fatalf("filtered rows: %v of %v", filtered, all)
	}
	rows, _ := cdp.Run(b, cdp.Evaluate[[]string](`[...document.querySelectorAll("#queue-table tbody tr td:nth-child(3)")].map(td => td.textContent.trim())`))
	for _, n := range rows {
		if n != nat {
			t.Fatalf("row of nationality %q in a %q view", n, nat)
		}
	}
	// Another tab: the filters and "Next case", outside the swapped results, follow the view.
	do(t, b, cdp.Click(cdp.CSS(`nav.tabs a[data-status="in_review"]`)))
	if err := pollAcrossLoads(b, `document.querySelector("#queue-status").value === "in_review" &&
		document.querySelector('#next-case-fields input[name="status"]').value === "in_review"`); err != nil {
		t.Fatalf("the filter form or Next case kept the old tab: %v", err)
	}
	do(t, b, cdp.Click(cdp.CSS(`nav.tabs a[data-status="new"]`)))
	if err := pollAcrossLoads(b, `document.querySelector("#queue-status").value === "new" && location.search.includes("status=new")`); err != nil {
		t.Fatalf("back to the new tab: %v", err)
	}
	// Open the first case.
	do(t, b, cdp.Click(cdp.CSS("#queue-table tbody tr a.case-link")), cdp.WaitVisible(cdp.CSS(".viewer-stage")))
	// The image loads and can be zoomed and rotated.
	if _, err := cdp.Run(b, cdp.Poll[bool](`(() => { const i = document.querySelector(".viewer-frame:not([hidden]) img"); return i && i.complete && i.naturalWidth > 0 })()`)); err != nil {
		t.Fatalf("the image did not load: %v", err)
	}
	do(t, b, cdp.Click(cdp.CSS(`[data-viewer-action="zoom-in"]`)), cdp.Click(cdp.CSS(`[data-viewer-action="zoom-in"]`)))
	if z := num(t, b, `parseFloat(document.querySelector(".viewer-stage").dataset.zoom)`); z <= 1 {
		t.Fatalf("zoom after two zoom-ins: %v", z)
	}
	do(t, b, cdp.Click(cdp.CSS(`[data-viewer-action="rotate-right"]`)))
	if r := num(t, b, `parseFloat(document.querySelector(".viewer-stage").dataset.rotation)`); r != 90 {
		t.Fatalf("rotation: %v", r)
	}
	testenv.Screenshot(t, b, "case")
	// Claim, note, release.
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#release")))
	if s, _ := cdp.Run(b, cdp.Text(cdp.CSS("#case-status"))); strings.TrimSpace(s) != "In review" {
		t.Fatalf("status after claim: %q", s)
	}
	do(t, b, cdp.SendKeys(cdp.CSS("#note-body"), "Checked the photo against the selfie."), cdp.Click(cdp.CSS("#note-form button[type=submit]")))
	if _, err := cdp.Run(b, cdp.Poll[bool](`document.querySelectorAll("#notes .note").length === 1`)); err != nil {
		t.Fatal("the note did not appear")
	}
	do(t, b, cdp.Click(cdp.CSS("#release")), cdp.WaitVisible(cdp.CSS("#claim")))
	if s, _ := cdp.Run(b, cdp.Text(cdp.CSS("#case-status"))); strings.TrimSpace(s) != "New" {
		t.Fatalf("status after release: %q", s)
	}
	tl, _ := cdp.Run(b, cdp.Text(cdp.CSS("#timeline")))
	for _, want := range []string{"claimed the case", "added a note", "released the case", "viewed the"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
}

// pollAcrossLoads waits until expr is true, as cdp.Poll does, and goes on waiting when the page it
// polls is replaced meanwhile (a link followed as a page load before htmx took it over: the same
// view, reached the other way), which ends a single Poll with "Cannot find context".
func pollAcrossLoads(b context.Context, expr string) error {
	var err error
	for range 3 {
		if _, err = cdp.Run(b, cdp.Poll[bool](expr)); err == nil || !strings.Contains(err.Error(), "context") {
			return err
		}
		_ = cdp.Do(b, cdp.WaitReady(cdp.CSS("#queue-status")))
	}
	return err
}

// TestRefusedQueueFilterIsCorrectedInPlace: an address with a filter value the queue does not know
// lists no case and says why, the field's message linked from the alert; choosing a value the
// queue knows refreshes the results and takes the stale message back from the form.
func TestRefusedQueueFilterIsCorrectedInPlace(t *testing.T) {
	b := reviewerAtQueue(t, "/cases?risk=2")
	do(t, b, cdp.WaitVisible(cdp.CSS("#queue-filter-errors")))
	if _, err := cdp.Run(b, cdp.Poll[bool](`document.querySelector("#risk").getAttribute("aria-invalid") === "true" &&
		[...document.querySelectorAll("#queue-filter-errors a[data-error-link]")].some(a => a.textContent.includes("Choose yes or no"))`)); err != nil {
		t.Fatalf("the refused risk filter is not shown and linked: %v", err)
	}
	if n := num(t, b, `document.querySelectorAll("#queue-table tbody tr").length`); n != 0 {
		t.Fatalf("%v cases listed for a refused view", n)
	}
	do(t, b, cdp.Evaluate[cdp.Void](`(() => { const s = document.querySelector("#risk"); s.value = "no"; s.dispatchEvent(new Event("change", {bubbles: true})) })()`))
	if _, err := cdp.Run(b, cdp.Poll[bool](`location.search.includes("risk=no") && !document.querySelector("#queue-filter-errors") &&
		!document.querySelector("#risk-error") && !document.querySelector("#risk").hasAttribute("aria-invalid") &&
		document.querySelectorAll("#queue-table tbody tr").length > 0`)); err != nil {
		t.Fatalf("the corrected filter still shows its message or no cases: %v", err)
	}
}

// TestClearingTheQueueSearchShowsTheCasesAgain: the search box's own clear button (×) empties it
// with a "search" event and nothing else a filter listens to (no key is released, and leaving the
// box fires no change): the results, the URL and "Next case" must still follow the empty search.
func TestClearingTheQueueSearchShowsTheCasesAgain(t *testing.T) {
	b := reviewerAtQueue(t, "/cases")
	do(t, b, cdp.WaitVisible(cdp.CSS("#queue-table")), cdp.SendKeys(cdp.CSS("#q"), "zzz"))
	poll(t, b, `!!document.querySelector("#queue-empty") && location.search === "?q=zzz&status=new" &&
		document.querySelector('#next-case-fields input[name="q"]')?.value === "zzz"`, "the search zzz did not empty the list")
	// What Chromium does on a click on the ×: the value goes, then "input" and "search" (which
	// does not bubble); then the reader leaves the box.
	do(t, b, cdp.Evaluate[cdp.Void](`(() => { const q = document.querySelector("#q"); q.value = "";
		q.dispatchEvent(new Event("input", {bubbles: true})); q.dispatchEvent(new Event("search")); q.blur() })()`))
	poll(t, b, `!document.querySelector("#queue-empty") && document.querySelectorAll("#queue-table tbody tr").length > 0 &&
		!new URLSearchParams(location.search).has("q") && !document.querySelector('#next-case-fields input[name="q"]')`,
		"the cleared search still filters the list, the URL or Next case")
}

// TestQueuePagesTurnToTheirTop: a page turned from the pager below the table shows the new page
// from its first case (not scrolled to its bottom, where the link was), and the focus lands on
// the results' heading, also where the link clicked is not on the new page (no "Next page" on the
// last, no "Previous page" on the first). A pager above the table turns pages too.
func TestQueuePagesTurnToTheirTop(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	svc := app.Server.CustomerService()
	for i := range 2*cases.PageSize + 5 {
		ref := fmt.Sprintf("page-%03d", i)
		if _, err := svc.Create(context.Background(), customers.Origin{Actor: audit.System, Via: "test"}, customers.Input{
			GivenNames: "Page", Surname: fmt.Sprintf("Person%03d", i), Nationality: "GBR", ExternalRef: ref}); err != nil {
			t.Fatal(err)
		}
	}
	b := testenv.Browser(t)
	do(t, b, cdp.Navigate(app.URL+"/cases"))
	signIn(t, b, rev.Email, rev.Password)
	do(t, b, cdp.WaitVisible(cdp.CSS("#queue-table")))
	firstRow := func() string {
		id, err := cdp.Run(b, cdp.Evaluate[string](`document.querySelector("#queue-table tbody tr").dataset.case`))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	// turn clicks the pager link sel, at the bottom of the page, and waits for another page.
	turn := func(sel, what string) {
		t.Helper()
		before := firstRow()
		do(t, b, cdp.Evaluate[cdp.Void](`window.scrollTo(0, document.documentElement.scrollHeight)`), cdp.Click(cdp.CSS(sel)))
		poll(t, b, `(() => { const r = document.querySelector("#queue-table tbody tr"); return !!r && r.dataset.case !== `+jsString(before)+` })()`,
			what+": no other page")
		// In view, and not under the top bar, which stays at the top of the window.
		poll(t, b, `(() => { const r = document.querySelector("#queue-table tbody tr").getBoundingClientRect();
			return r.top >= document.querySelector(".topbar").getBoundingClientRect().bottom && r.bottom <= innerHeight })()`,
			what+": the new page's first case is not in view")
		poll(t, b, activeIs("#queue-results-title"), what+": the focus is not on the results' heading")
	}
	page1 := firstRow()
	turn("#next-page", "next page")
	turn("#next-page", "next page onto the last")
	if n := num(t, b, `document.querySelectorAll("#next-page, #next-page-top").length`); n != 0 {
		t.Fatalf("the last page has %v Next page links", n)
	}
	turn("#prev-page", "previous page")
	turn("#prev-page", "previous page onto the first")
	if got := firstRow(); got != page1 {
		t.Fatalf("back on the first page, the first case is %s, not %s", got, page1)
	}
	// The pager above the table: ids of its own, the same pages.
	if n := num(t, b, `document.querySelectorAll("#next-page-top").length + document.querySelectorAll("#next-page").length`); n != 2 {
		t.Fatalf("%v Next page links on the first page, want one above and one below the table", n)
	}
	do(t, b, cdp.Evaluate[cdp.Void](`window.scrollTo(0, 0)`), cdp.Click(cdp.CSS("#next-page-top")))
	poll(t, b, `(() => { const r = document.querySelector("#queue-table tbody tr"); return !!r && r.dataset.case !== `+jsString(page1)+` })() &&
		location.search.includes("after=")`, "the pager above the table did not turn the page")
	poll(t, b, activeIs("#queue-results-title"), "after the pager above the table, the focus is not on the results' heading")
	// A tab keeps the focus on itself.
	do(t, b, cdp.Click(cdp.CSS(`nav.tabs a[data-status="in_review"]`)))
	poll(t, b, `location.search.includes("status=in_review") && `+activeIs(`nav.tabs a[data-status="in_review"]`),
		"the focus left the tab chosen")
}

// TestRefusedQueueFilterIsMarkedWhileTyping: a filter refused as it is typed (htmx) is marked on
// its field as a whole page marks it (red border, aria-invalid, its message), the alert's message
// links to it, and the focus stays where the reader went on; the corrected value takes the marks
// back.
func TestRefusedQueueFilterIsMarkedWhileTyping(t *testing.T) {
	b := reviewerAtQueue(t, "/cases")
	do(t, b, cdp.WaitVisible(cdp.CSS("#queue-table")), cdp.SendKeys(cdp.CSS("#nationality"), "Germany"+kb.Tab))
	poll(t, b, `!!document.querySelector("#queue-filter-errors") && location.search.includes("nationality=Germany")`, "Germany was not refused")
	poll(t, b, `(() => { const f = document.querySelector("#nationality"), m = document.querySelector("#nationality-error");
		return f.getAttribute("aria-invalid") === "true" && f.closest(".field").classList.contains("has-error") &&
			!!m && m.textContent.includes("for Germany, use DEU") && (f.getAttribute("aria-describedby") || "").split(" ").includes(m.id) &&
			[...document.querySelectorAll('#queue-filter-errors a[data-error-link][href="#nationality"]')].some(a => a.textContent.includes("for Germany, use DEU")) &&
			document.querySelectorAll("#queue-filter-errors li").length === 1 })()`,
		"the refused nationality is not marked on its field, or the alert does not link to it")
	poll(t, b, activeIs("#from"), "the refusal took the focus from the next filter")
	// Refused again, for another reason: one message, still linked.
	do(t, b, cdp.Evaluate[cdp.Void](`document.querySelector("#nationality").value = ""`), cdp.SendKeys(cdp.CSS("#nationality"), "XYZ"+kb.Tab))
	poll(t, b, `location.search.includes("nationality=XYZ") && document.querySelectorAll(".error[data-error-for=nationality]").length === 1 &&
		document.querySelector("#nationality-error").textContent.includes("XYZ is not a country code") &&
		document.querySelectorAll("#queue-filter-errors a[data-error-link]").length === 1`, "the second refusal is not marked once")
	do(t, b, cdp.Evaluate[cdp.Void](`document.querySelector("#nationality").value = ""`), cdp.SendKeys(cdp.CSS("#nationality"), "DEU"+kb.Tab))
	poll(t, b, `location.search.includes("nationality=DEU") && !document.querySelector("#queue-filter-errors") &&
		!document.querySelector("#nationality-error") && !document.querySelector("#nationality").hasAttribute("aria-invalid") &&
		!document.querySelector("#queue-filters .has-error") && document.querySelectorAll("#queue-table tbody tr").length > 0`,
		"the accepted nationality still shows the refusal's marks")
}

// TestQueueLinkReturnsToTheView: from a case opened in a filtered view, the top bar's Queue link
// goes back to that view (its filters and sort, as htmx last put them in the address), not to
// the bare queue.
func TestQueueLinkReturnsToTheView(t *testing.T) {
	b := reviewerAtQueue(t, "/cases")
	do(t, b, cdp.WaitVisible(cdp.CSS("#queue-table")), cdp.SetValue(cdp.CSS("#sort"), "activity"),
		cdp.Evaluate[cdp.Void](`document.querySelector("#sort").dispatchEvent(new Event("change", {bubbles: true}))`))
	poll(t, b, `new URLSearchParams(location.search).get("sort") === "activity"`, "the sort did not reach the address")
	view, err := cdp.Run(b, cdp.Evaluate[string](`location.search`))
	if err != nil {
		t.Fatal(err)
	}
	do(t, b, cdp.Click(cdp.CSS("#queue-table tbody a.case-link")), cdp.WaitVisible(cdp.CSS("#assignee-name")))
	poll(t, b, `document.querySelector('.nav a[data-queue-link]')?.getAttribute("href") === "/cases"+`+fmt.Sprintf("%q", view),
		"the Queue link does not go back to the view "+view)
	do(t, b, cdp.Click(cdp.CSS(".nav a[data-queue-link]")), cdp.WaitVisible(cdp.CSS("#queue-table")))
	poll(t, b, `location.pathname === "/cases" && new URLSearchParams(location.search).get("sort") === "activity" &&
		document.querySelector("#sort").value === "activity"`, "the Queue link did not bring the view back")
}
