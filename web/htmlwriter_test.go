package web

import (
	"bytes"
	"context"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The queue's hand-written rows escape, format ids and times exactly as templ and the library
// functions they replace: html.EscapeString, uuid.UUID.String and Stamp.
func TestHTMLWriterWritesWhatTheLibraryWould(t *testing.T) {
	for _, s := range []string{"", "plain", "MÜLLER, José", `O'Brien & <Sons> "x"`, "<<>>&&''\"\"", "a&", "&a", "\x00<\xff>"} {
		var b bytes.Buffer
		h := newHTMLWriter(&b)
		h.text(s)
		h.flush()
		if got, want := b.String(), html.EscapeString(s); got != want || h.err != nil {
			t.Errorf("text(%q) = %q (%v), want %q", s, got, h.err, want)
		}
	}
	for range 100 {
		u := uuid.New()
		var b strings.Builder
		h := newHTMLWriter(&b)
		h.id(u)
		h.ids()
		h.raw("/")
		h.ids()
		h.flush()
		if want := u.String() + "/" + u.String(); b.String() != want {
			t.Errorf("id(%s) wrote %q", u, b.String())
		}
	}
	for _, at := range []time.Time{
		time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600)), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 0, 0, 0, 0, time.FixedZone("X", -11*3600)),
	} {
		var b strings.Builder
		h := newHTMLWriter(&b)
		h.stamp(at)
		h.flush()
		if got := b.String(); got != Stamp(at) {
			t.Errorf("stamp(%s) = %q, want %q", at, got, Stamp(at))
		}
	}
}

// FuzzHTMLWriterText: whatever the text, the writer escapes it as html.EscapeString does.
func FuzzHTMLWriterText(f *testing.F) {
	f.Add(`O'Brien & <Sons> "x"`)
	f.Add("MÜLLER")
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		h := newHTMLWriter(&b)
		h.text(s)
		h.flush()
		if b.String() != html.EscapeString(s) {
			t.Fatalf("text(%q) = %q, want %q", s, b.String(), html.EscapeString(s))
		}
	})
}

// The status tabs are written by hand (queueTabs): this is what their templ template rendered.
func TestQueueTabsMarkup(t *testing.T) {
	var b strings.Builder
	tabs := []QueueTab{{Label: "New", Status: "new", Count: 5, Href: "/cases?status=new&q=a%26b", Active: true},
		{Label: "In <review>", Status: "in_review", Count: 0, Href: "/cases?status=in_review"},
		{Label: "Bad", Status: "x", Count: -1, Href: "javascript:alert(1)"}}
	if err := queueTabs(tabs).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	want := `<a href="/cases?status=new&amp;q=a%26b" id="tab-new" class="active" data-status="new" hx-get="/cases?status=new&amp;q=a%26b" hx-target="#queue-results" hx-swap="outerHTML" hx-push-url="true" hx-sync="#queue-filters:replace" aria-current="page">New <span class="count">5</span></a>` +
		`<a href="/cases?status=in_review" id="tab-in_review" class="" data-status="in_review" hx-get="/cases?status=in_review" hx-target="#queue-results" hx-swap="outerHTML" hx-push-url="true" hx-sync="#queue-filters:replace">In &lt;review&gt; <span class="count">0</span></a>` +
		`<a href="about:invalid#TemplFailedSanitizationURL" id="tab-x" class="" data-status="x" hx-get="javascript:alert(1)" hx-target="#queue-results" hx-swap="outerHTML" hx-push-url="true" hx-sync="#queue-filters:replace">Bad <span class="count">-1</span></a>`
	if b.String() != want {
		t.Errorf("tabs:\ngot  %s\nwant %s", b.String(), want)
	}
}

// The pager is written by hand (queuePager): this is what its templ template rendered, with every
// link, and with none (a view of one page is not paged and has no pager at all).
func TestQueuePagerMarkup(t *testing.T) {
	render := func(v QueueView, suffix string) string {
		var b strings.Builder
		if err := queuePager(v, suffix).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	v := QueueView{Paged: true, FirstHref: "/cases?x=1&y=<2>", PrevHref: "/cases?x=2&before=a", NextHref: "javascript:x"}
	if got, want := render(v, ""), `<div class="pager pager"><a class="btn btn-small" id="first-page" href="/cases?x=1&amp;y=&lt;2&gt;" hx-get="/cases?x=1&amp;y=&lt;2&gt;" hx-target="#queue-results" hx-swap="outerHTML show:#queue-results:top" hx-push-url="true" hx-sync="#queue-filters:replace">First page</a> <a class="btn btn-small" id="prev-page" rel="prev" href="/cases?x=2&amp;before=a" hx-get="/cases?x=2&amp;before=a" hx-target="#queue-results" hx-swap="outerHTML show:#queue-results:top" hx-push-url="true" hx-sync="#queue-filters:replace">Previous page</a> <a class="btn btn-small" id="next-page" rel="next" href="about:invalid#TemplFailedSanitizationURL" hx-get="javascript:x" hx-target="#queue-results" hx-swap="outerHTML show:#queue-results:top" hx-push-url="true" hx-sync="#queue-filters:replace">Next page</a></div>`; got != want {
		t.Errorf("pager:\ngot  %s\nwant %s", got, want)
	}
	if got, want := render(v, "-top"), `<div class="pager pager-top"><a class="btn btn-small" id="first-page-top" href="/cases?x=1&amp;y=&lt;2&gt;" hx-get="/cases?x=1&amp;y=&lt;2&gt;" hx-target="#queue-results" hx-swap="outerHTML" hx-push-url="true" hx-sync="#queue-filters:replace">First page</a> <a class="btn btn-small" id="prev-page-top" rel="prev" href="/cases?x=2&amp;before=a" hx-get="/cases?x=2&amp;before=a" hx-target="#queue-results" hx-swap="outerHTML" hx-push-url="true" hx-sync="#queue-filters:replace">Previous page</a> <a class="btn btn-small" id="next-page-top" rel="next" href="about:invalid#TemplFailedSanitizationURL" hx-get="javascript:x" hx-target="#queue-results" hx-swap="outerHTML" hx-push-url="true" hx-sync="#queue-filters:replace">Next page</a></div>`; got != want {
		t.Errorf("top pager:\ngot  %s\nwant %s", got, want)
	}
	if got := render(QueueView{Paged: true}, "-top"); got != `<div class="pager pager-top"></div>` {
		t.Errorf("pager without links: %s", got)
	}
	if got := render(QueueView{NextHref: "/cases?after=x"}, ""); got != "" {
		t.Errorf("not paged: %s", got)
	}
}

// The assignee filter's options are written by hand (selectOptions), the chosen one selected.
func TestSelectOptionsMarkup(t *testing.T) {
	var b strings.Builder
	opts := []Option{{Value: "a", Label: "A & co"}, {Value: "b<", Label: "B"}, {Value: "c", Label: `"C"`}}
	if err := selectOptions(opts, "b<").Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	want := `<option value="a">A &amp; co</option><option value="b&lt;" selected>B</option><option value="c">&#34;C&#34;</option>`
	if b.String() != want {
		t.Errorf("options:\ngot  %s\nwant %s", b.String(), want)
	}
}
