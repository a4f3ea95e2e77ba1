package static_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kycdesk/internal/testenv"
	"kycdesk/static"
)

// csp is the app's Content-Security-Policy; the scripts must work under it untouched.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:"

// marker is the red region drawn into image A, in A's own pixels; boxes are drawn on it.
var marker = image.Rect(200, 150, 500, 350)

// imageSizes are the test images by id: a passport front, a back, a portrait selfie and the
// card of the viewer that htmx swaps in.
var imageSizes = map[string]image.Point{
	"A": {1250, 880}, "B": {1000, 630}, "C": {600, 800}, "D": {800, 500},
}

// docImage draws a pale document with a 50 px grid, so misalignment shows in screenshots, and
// a solid red marker on image A.
func docImage(t *testing.T, id string) []byte {
	t.Helper()
	size := imageSizes[id]
	img := image.NewRGBA(image.Rect(0, 0, size.X, size.Y))
	bg := map[string]color.RGBA{"A": {236, 242, 250, 255}, "B": {246, 240, 228, 255}, "C": {230, 236, 230, 255}, "D": {240, 236, 246, 255}}[id]
	for y := 0; y < size.Y; y++ {
		for x := 0; x < size.X; x++ {
			c := bg
			if x%50 == 0 || y%50 == 0 {
				c = color.RGBA{170, 182, 200, 255}
			}
			if id == "A" && image.Pt(x, y).In(marker) {
				c = color.RGBA{220, 30, 30, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload is what the slow test handler received.
type upload struct {
	Field, Name string
	Size        int
}

// fixture serves the test pages, the embedded static files, the test images and a slow upload
// handler, all under the app's CSP, and counts the requests for images.
type fixture struct {
	URL     string
	mu      sync.Mutex
	hits    map[string]int
	uploads []upload
}

func (f *fixture) hitCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func serve(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{hits: map[string]int{}}
	images := map[string][]byte{}
	for id := range imageSizes {
		images[id] = docImage(t, id)
	}
	form422, err := os.ReadFile("testdata/upload-422.html")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServer(http.FS(static.FS))))
	mux.Handle("/", http.FileServer(http.Dir("testdata")))
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(images["D"])
	})
	mux.HandleFunc("/images/{id}/{variant}", func(w http.ResponseWriter, r *http.Request) {
		b, ok := images[r.PathValue("id")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		f.mu.Lock()
		f.hits[r.URL.Path]++
		f.mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(b)
	})
	// The upload handler reads slowly, so the browser's upload progress can be seen, then
	// answers as the app does for a form with errors: 422 and the form again.
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		chunk := make([]byte, 128<<10)
		for {
			n, err := io.ReadFull(r.Body, chunk)
			body.Write(chunk[:n])
			if err != nil {
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mr := multipart.NewReader(&body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			n, _ := io.Copy(io.Discard, p)
			if p.FileName() != "" {
				f.mu.Lock()
				f.uploads = append(f.uploads, upload{Field: p.FormName(), Name: p.FileName(), Size: int(n)})
				f.mu.Unlock()
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write(form422)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// console gathers what the page writes to its console, so a test fails on any error, uncaught
// exception or CSP violation.
type console struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func watchConsole(t *testing.T, ctx context.Context) *console {
	c := &console{}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
		}
	}()
	// Registered after testenv.Browser's cleanup, so it runs first, while the page is there.
	t.Cleanup(func() {
		if v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string]("window.cspViolations || []")); err != nil {
			t.Errorf("reading CSP violations: %v", err)
		} else if len(v) > 0 {
			t.Errorf("CSP violations: %q", v)
		}
		time.Sleep(100 * time.Millisecond) // let the last console events arrive
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, m := range c.msgs {
			// The browser logs every 4xx answer; a 422 is the app's form-with-errors answer.
			expected := m.Source == "network" && strings.Contains(m.Text, "status of 422")
			if (m.Type == chromedp.ConsoleError || m.IsException()) && !expected {
				t.Errorf("console %s at %s:%d", m, m.URL, m.Line+1)
			}
		}
	})
	return c
}

// open starts a browser on one of the fixture pages and waits until ready is true there.
func open(t *testing.T, f *fixture, page, ready string) context.Context {
	t.Helper()
	ctx := testenv.Browser(t)
	watchConsole(t, ctx)
	do(t, ctx, chromedp.Navigate(f.URL+page))
	waitFor(t, ctx, ready)
	return ctx
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// painted waits until the images matched by sel are decoded and two frames have been drawn since,
// so that a screenshot shows them: the viewer decodes its images asynchronously, and a frame shown
// again (after another side was shown) can be drawn once before its image is.
func painted(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	js := `Promise.all(Array.from(document.querySelectorAll(` + strconv.Quote(sel) + `), (i) => i.decode().catch(() => null)))
		.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))))`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("wait for %s to be painted: %v", sel, err)
	}
}

// waitFor evaluates expr until it is true. chromedp.Poll is not used: it builds its predicate
// with new Function, which the CSP forbids.
func waitFor(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s (last error: %v)", expr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type viewState struct {
	Zoom     float64 `json:"zoom"`
	Rotation int     `json:"rotation"`
	PanX     float64 `json:"panX"`
	PanY     float64 `json:"panY"`
	Current  string  `json:"current"`
	Label    string  `json:"label"`
}

func state(t *testing.T, ctx context.Context, viewer string) viewState {
	t.Helper()
	js := fmt.Sprintf(`(function () {
		var v = document.querySelector(%q), d = v.querySelector(".viewer-stage").dataset;
		return {zoom: +d.zoom, rotation: +d.rotation, panX: +d.panX, panY: +d.panY, current: d.current,
			label: v.querySelector("[data-viewer-zoom]").textContent};
	})()`, viewer)
	return eval[viewState](t, ctx, js)
}

type rect struct {
	Left, Top, Width, Height float64
}

func (r rect) Right() float64  { return r.Left + r.Width }
func (r rect) Bottom() float64 { return r.Top + r.Height }

func rectOf(t *testing.T, ctx context.Context, sel string) rect {
	t.Helper()
	return eval[rect](t, ctx, fmt.Sprintf(`(function () {
		var r = document.querySelector(%q).getBoundingClientRect();
		return {Left: r.left, Top: r.top, Width: r.width, Height: r.height};
	})()`, sel))
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

const first = "[data-viewer]"

func TestViewerLoadsImagesOnlyWhenShownAndSwitchesTabs(t *testing.T) {
	t.Parallel()
	f := serve(t)
	ctx := open(t, f, "/viewer.html", `document.querySelector("[data-viewer-ready]")`)
	waitFor(t, ctx, `document.querySelector("#img-A img").complete && document.querySelector("#img-A img").naturalWidth > 0`)

	srcs := eval[map[string]*string](t, ctx, `({A: document.querySelector("#img-A img").getAttribute("src"),
		B: document.querySelector("#img-B img").getAttribute("src"), C: document.querySelector("#img-C img").getAttribute("src")})`)
	if srcs["A"] == nil || *srcs["A"] != "/images/A/display" || srcs["B"] != nil || srcs["C"] != nil {
		t.Fatalf("only the shown image may have a src: %v %v %v", srcs["A"], srcs["B"], srcs["C"])
	}
	if f.hitCount("/images/A/display") != 1 || f.hitCount("/images/B/display") != 0 || f.hitCount("/images/C/display") != 0 {
		t.Fatalf("image requests before switching: %v", f.hits)
	}
	if s := state(t, ctx, first); s.Current != "img-A" || s.Zoom != 1 || s.Rotation != 0 || s.Label != "100%" {
		t.Fatalf("initial state: %+v", s)
	}
	testenv.Screenshot(t, ctx, "fit")

	// Zoom, then switch: the new image is fetched, shown alone, and the view starts over.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-action="zoom-in"]`)),
		chromedp.Click(chromedp.CSS(`[data-viewer-show="img-B"]`)))
	waitFor(t, ctx, `document.querySelector("#img-B img").complete && document.querySelector("#img-B img").naturalWidth > 0`)
	type tabs struct {
		Selected []string `json:"selected"`
		Hidden   []bool   `json:"hidden"`
		Href     string   `json:"href"`
	}
	got := eval[tabs](t, ctx, `({
		selected: [...document.querySelectorAll("[data-viewer-show]")].map(b => b.getAttribute("aria-selected")),
		hidden: [...document.querySelectorAll(".viewer-frame")].map(f => f.hidden),
		href: document.querySelector("[data-viewer-original]").getAttribute("href")})`)
	if strings.Join(got.Selected, ",") != "false,true,false" || fmt.Sprint(got.Hidden) != "[true false true]" || got.Href != "/images/B/original" {
		t.Fatalf("after choosing Back: %+v", got)
	}
	if s := state(t, ctx, first); s.Current != "img-B" || s.Zoom != 1 || s.PanX != 0 {
		t.Fatalf("an image shown for the first time must start fitted: %+v", s)
	}
	if f.hitCount("/images/B/display") != 1 || f.hitCount("/images/C/display") != 0 {
		t.Fatalf("image requests after choosing Back: %v", f.hits)
	}
	if r := rectOf(t, ctx, "#img-B img"); r.Width < 100 {
		t.Fatalf("Back image not visible: %+v", r)
	}

	// Keyboard: arrows move along the tabs, digits pick one; going back does not fetch again.
	do(t, ctx, chromedp.Focus(chromedp.CSS(`[data-viewer-show="img-B"]`)), chromedp.KeyEvent(kb.ArrowRight))
	if s := state(t, ctx, first); s.Current != "img-C" {
		t.Fatalf("ArrowRight on the tabs: %+v", s)
	}
	if focused := eval[string](t, ctx, `document.activeElement.getAttribute("data-viewer-show")`); focused != "img-C" {
		t.Fatalf("focus after ArrowRight: %q", focused)
	}
	do(t, ctx, chromedp.KeyEvent("1"))
	if s := state(t, ctx, first); s.Current != "img-A" {
		t.Fatalf("key 1: %+v", s)
	}
	waitFor(t, ctx, `document.querySelector("#img-C img").complete`)
	if f.hitCount("/images/A/display") != 1 || f.hitCount("/images/C/display") != 1 {
		t.Fatalf("each image is fetched once: %v", f.hits)
	}
}

func TestViewerZoomsWithButtonsKeysAndWheel(t *testing.T) {
	t.Parallel()
	f := serve(t)
	ctx := open(t, f, "/viewer.html", `document.querySelector("[data-viewer-ready]")`)
	fit := rectOf(t, ctx, "#img-A img")
	stage := rectOf(t, ctx, ".viewer-stage")
	// Fitted: the whole image on the stage, centred, touching it (less the padding) on one side.
	if fit.Left < stage.Left || fit.Right() > stage.Right() || fit.Top < stage.Top || fit.Bottom() > stage.Bottom() {
		t.Fatalf("fitted image %+v leaves the stage %+v", fit, stage)
	}
	if !near(fit.Width, stage.Width-24, 1) && !near(fit.Height, stage.Height-24, 1) {
		t.Fatalf("fitted image %+v does not fill the stage %+v", fit, stage)
	}
	if !near(fit.Width/fit.Height, 1250.0/880, 0.005) {
		t.Fatalf("fitted image distorted: %+v", fit)
	}

	click := func(action string) {
		do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-action="`+action+`"]`)))
	}
	click("zoom-in")
	if s := state(t, ctx, first); s.Zoom != 1.25 || s.Label != "125%" {
		t.Fatalf("zoom in: %+v", s)
	}
	if r := rectOf(t, ctx, "#img-A img"); !near(r.Width, fit.Width*1.25, 0.5) || !near(r.Left+r.Width/2, fit.Left+fit.Width/2, 0.5) {
		t.Fatalf("zoom in around the centre: %+v, fit %+v", r, fit)
	}
	click("zoom-out")
	click("zoom-out")
	if s := state(t, ctx, first); s.Zoom != 0.8 || s.Label != "80%" {
		t.Fatalf("zoom out twice: %+v", s)
	}
	click("reset")
	if s := state(t, ctx, first); s.Zoom != 1 {
		t.Fatalf("fit: %+v", s)
	}

	do(t, ctx, chromedp.Focus(chromedp.CSS(".viewer-stage")), chromedp.KeyEvent("+"), chromedp.KeyEvent("+"))
	if s := state(t, ctx, first); s.Zoom != 1.5625 {
		t.Fatalf("+ twice: %+v", s)
	}
	do(t, ctx, chromedp.KeyEvent("-"))
	if s := state(t, ctx, first); s.Zoom != 1.25 {
		t.Fatalf("-: %+v", s)
	}
	do(t, ctx, chromedp.KeyEvent("="))
	if s := state(t, ctx, first); s.Zoom != 1.5625 {
		t.Fatalf("= (the + key without Shift): %+v", s)
	}
	do(t, ctx, chromedp.KeyEvent("0"))
	if s := state(t, ctx, first); s.Zoom != 1 || s.PanX != 0 {
		t.Fatalf("0: %+v", s)
	}

	// The wheel alone is the page's (it scrolls): the viewer neither zooms nor keeps it.
	px, py := fit.Left+fit.Width*0.3, fit.Top+fit.Height*0.25
	imagePoint := func() (float64, float64) {
		r := rectOf(t, ctx, "#img-A img")
		return (px - r.Left) / r.Width * 1250, (py - r.Top) / r.Height * 880
	}
	x0, y0 := imagePoint()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__wheels = []; window.addEventListener("wheel", e => window.__wheels.push(e.defaultPrevented))`))
	wheel := func(p *input.DispatchMouseEventParams) { p.DeltaX = 1e-6; p.DeltaY = -120 } // protocol needs both deltas; 0 is left out
	do(t, ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, px, py, wheel))
	waitFor(t, ctx, `window.__wheels.length === 1`)
	if s, kept := state(t, ctx, first), eval[bool](t, ctx, `window.__wheels[0]`); s.Zoom != 1 || kept {
		t.Fatalf("the wheel alone zoomed (%+v) or was kept from the page (%v)", s, kept)
	}
	// Ctrl+wheel (a trackpad's pinch) zooms around the pointer: the image point under it stays
	// under it; ⌘+wheel likewise.
	zoomIn := func(p *input.DispatchMouseEventParams) {
		p.DeltaX = 1e-6
		p.DeltaY = -40
		p.Modifiers = int64(kb.ModifierCtrl)
	}
	do(t, ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, px, py, zoomIn))
	waitFor(t, ctx, `+document.querySelector(".viewer-stage").dataset.zoom > 1.1`)
	x1, y1 := imagePoint()
	if !near(x0, x1, 1) || !near(y0, y1, 1) {
		t.Fatalf("Ctrl+wheel zoom moved the point under the pointer: (%.1f, %.1f) → (%.1f, %.1f)", x0, y0, x1, y1)
	}
	meta := func(p *input.DispatchMouseEventParams) {
		p.DeltaX = 1e-6
		p.DeltaY = -40
		p.Modifiers = int64(kb.ModifierMeta)
	}
	before1 := state(t, ctx, first).Zoom
	do(t, ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, px, py, meta))
	waitFor(t, ctx, fmt.Sprintf(`+document.querySelector(".viewer-stage").dataset.zoom > %g`, before1))
	ctrl := func(p *input.DispatchMouseEventParams) {
		p.DeltaX = 1e-6
		p.DeltaY = 40
		p.Modifiers = int64(kb.ModifierCtrl)
	}
	before := state(t, ctx, first).Zoom
	do(t, ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, px, py, ctrl))
	waitFor(t, ctx, fmt.Sprintf(`+document.querySelector(".viewer-stage").dataset.zoom < %g`, before))
	if x2, y2 := imagePoint(); !near(x0, x2, 1) || !near(y0, y2, 1) {
		t.Fatalf("Ctrl+wheel zoom moved the point under the pointer: (%.1f, %.1f) → (%.1f, %.1f)", x0, y0, x2, y2)
	}
}

// TestViewerKeepsEachImagesViewAndFitKeepsTheRotation: each image keeps its zoom, pan and rotation
// while another is shown, and Fit (the button, 0, double click) fits the image again in the
// rotation it has.
func TestViewerKeepsEachImagesViewAndFitKeepsTheRotation(t *testing.T) {
	t.Parallel()
	f := serve(t)
	ctx := open(t, f, "/viewer.html", `document.querySelector("[data-viewer-ready]")`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-action="rotate-right"]`)),
		chromedp.Click(chromedp.CSS(`[data-viewer-action="zoom-in"]`)), chromedp.Click(chromedp.CSS(`[data-viewer-action="zoom-in"]`)),
		chromedp.Focus(chromedp.CSS(".viewer-stage")), chromedp.KeyEvent(kb.ArrowRight))
	a := state(t, ctx, first)
	if a.Rotation != 90 || a.Zoom != 1.5625 || a.PanX == 0 {
		t.Fatalf("front turned, zoomed and moved: %+v", a)
	}
	// To the selfie, which starts fitted, and turned there too; back to the front as it was left.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-show="img-C"]`)))
	if c := state(t, ctx, first); c.Current != "img-C" || c.Rotation != 0 || c.Zoom != 1 || c.PanX != 0 {
		t.Fatalf("the selfie, shown for the first time: %+v", c)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-action="rotate-left"]`)))
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-show="img-A"]`)))
	if back := state(t, ctx, first); back != a {
		t.Fatalf("the front came back as %+v, left as %+v", back, a)
	}
	do(t, ctx, chromedp.KeyEvent("3"))
	if c := state(t, ctx, first); c.Current != "img-C" || c.Rotation != 270 {
		t.Fatalf("the selfie came back as %+v, left turned to 270", c)
	}
	do(t, ctx, chromedp.KeyEvent("1"))

	// Fit: the whole image again, centred, still turned.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-action="reset"]`)))
	if s := state(t, ctx, first); s.Rotation != 90 || s.Zoom != 1 || s.PanX != 0 || s.PanY != 0 {
		t.Fatalf("Fit: %+v, want fitted and still turned to 90", s)
	}
	stage, r := rectOf(t, ctx, ".viewer-stage"), rectOf(t, ctx, "#img-A img")
	if !near(r.Width/r.Height, 880.0/1250, 0.005) || r.Left < stage.Left-0.5 || r.Right() > stage.Right()+0.5 || r.Top < stage.Top-0.5 || r.Bottom() > stage.Bottom()+0.5 {
		t.Fatalf("fitted turned image %+v, stage %+v", r, stage)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-action="zoom-in"]`)), chromedp.Focus(chromedp.CSS(".viewer-stage")), chromedp.KeyEvent("0"))
	if s := state(t, ctx, first); s.Rotation != 90 || s.Zoom != 1 {
		t.Fatalf("0: %+v", s)
	}
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`kycViewer.zoomBy(2)`))
	do(t, ctx, chromedp.DoubleClick(chromedp.CSS(".viewer-stage")))
	if s := state(t, ctx, first); s.Rotation != 90 || s.Zoom != 1 {
		t.Fatalf("double click when zoomed in: %+v", s)
	}
}

func TestViewerRotatesInQuarterTurnsAndStillFits(t *testing.T) {
	t.Parallel()
	f := serve(t)
	ctx := open(t, f, "/viewer.html", `document.querySelector("[data-viewer-ready]")`)
	stage := rectOf(t, ctx, ".viewer-stage")
	r0 := rectOf(t, ctx, "#img-A img")

	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-action="rotate-right"]`)))
	if s := state(t, ctx, first); s.Rotation != 90 {
		t.Fatalf("rotate right: %+v", s)
	}
	r90 := rectOf(t, ctx, "#img-A img")
	if !near(r90.Width/r90.Height, r0.Height/r0.Width, 0.005) {
		t.Fatalf("a quarter turn must swap the box: %+v then %+v", r0, r90)
	}
	if r90.Left < stage.Left-0.5 || r90.Right() > stage.Right()+0.5 || r90.Top < stage.Top-0.5 || r90.Bottom() > stage.Bottom()+0.5 {
		t.Fatalf("turned image %+v leaves the stage %+v", r90, stage)
	}
	if !near(r90.Width, stage.Width-24, 1) && !near(r90.Height, stage.Height-24, 1) {
		t.Fatalf("turned image %+v is not fitted to the stage %+v", r90, stage)
	}
	testenv.Screenshot(t, ctx, "rotated")

	do(t, ctx, chromedp.Focus(chromedp.CSS(".viewer-stage")), chromedp.KeyEvent("r"), chromedp.KeyEvent("r"))
	if s := state(t, ctx, first); s.Rotation != 270 {
		t.Fatalf("r twice more: %+v", s)
	}
	do(t, ctx, chromedp.KeyEvent("r"))
	if s := state(t, ctx, first); s.Rotation != 0 {
		t.Fatalf("four quarter turns: %+v", s)
	}
	if r := rectOf(t, ctx, "#img-A img"); !near(r.Left, r0.Left, 0.5) || !near(r.Top, r0.Top, 0.5) || !near(r.Width, r0.Width, 0.5) {
		t.Fatalf("four quarter turns must give the start back: %+v, was %+v", r, r0)
	}
	do(t, ctx, chromedp.KeyEvent("R")) // Shift+R
	if s := state(t, ctx, first); s.Rotation != 270 {
		t.Fatalf("Shift+R: %+v", s)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-action="rotate-left"]`)))
	if s := state(t, ctx, first); s.Rotation != 180 {
		t.Fatalf("rotate left: %+v", s)
	}
}

func TestViewerPansByDragAndArrows(t *testing.T) {
	t.Parallel()
	f := serve(t)
	ctx := open(t, f, "/viewer.html", `document.querySelector("[data-viewer-ready]")`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-action="zoom-in"]`)))
	stage := rectOf(t, ctx, ".viewer-stage")
	r0 := rectOf(t, ctx, "#img-A img")

	x, y := stage.Left+stage.Width/2, stage.Top+stage.Height/2
	left := func(p *input.DispatchMouseEventParams) {
		p.Button = input.MouseButtonLeft
		p.Buttons = 1
		p.ClickCount = 1
	}
	do(t, ctx, chromedp.MouseEvent(chromedp.MousePressed, x, y, left))
	for i := 1; i <= 6; i++ {
		do(t, ctx, chromedp.MouseEvent(chromedp.MouseMoved, x+float64(i)*20, y+float64(i)*10, left))
	}
	if panning := eval[bool](t, ctx, `document.querySelector(".viewer-stage").classList.contains("is-panning")`); !panning {
		t.Fatal("no panning state while dragging")
	}
	do(t, ctx, chromedp.MouseEvent(chromedp.MouseReleased, x+120, y+60, left))
	s := state(t, ctx, first)
	if s.PanX != 120 || s.PanY != 60 || s.Zoom != 1.25 {
		t.Fatalf("drag by (120, 60): %+v", s)
	}
	if r := rectOf(t, ctx, "#img-A img"); !near(r.Left-r0.Left, 120, 0.5) || !near(r.Top-r0.Top, 60, 0.5) {
		t.Fatalf("image moved by (%.1f, %.1f), want (120, 60)", r.Left-r0.Left, r.Top-r0.Top)
	}
	if focused := eval[bool](t, ctx, `document.activeElement === document.querySelector(".viewer-stage")`); !focused {
		t.Fatal("the stage takes the focus when dragged, so the keys work next")
	}
	do(t, ctx, chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowDown))
	if s := state(t, ctx, first); s.PanX != 80 || s.PanY != 20 {
		t.Fatalf("arrows after the drag: %+v", s)
	}

	// Panning keeps part of the image on the stage however far it is dragged.
	do(t, ctx, chromedp.MouseEvent(chromedp.MousePressed, x, y, left),
		chromedp.MouseEvent(chromedp.MouseMoved, x+5000, y, left),
		chromedp.MouseEvent(chromedp.MouseReleased, x+5000, y, left))
	if r := rectOf(t, ctx, "#img-A img"); r.Left > stage.Right()-40 {
		t.Fatalf("image dragged off the stage: %+v, stage %+v", r, stage)
	}
}

// TestViewerBoxesStayOnTheImage draws a box on the red marker of image A and checks, after
// zooming, panning and rotating, that the polygon covers the marker's place on the screen (from
// the image's own box) and that the pixels under it are the marker's.
func TestViewerBoxesStayOnTheImage(t *testing.T) {
	t.Parallel()
	f := serve(t)
	ctx := open(t, f, "/viewer.html", `document.querySelector("[data-viewer-ready]")`)
	waitFor(t, ctx, `document.querySelector("#img-A img").complete && document.querySelector("#img-A img").naturalWidth > 0`)

	// Shown on Back first, so drawBox must bring the front back.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-viewer-show="img-B"]`)))
	drawn := eval[bool](t, ctx, fmt.Sprintf(`kycViewer.drawBox("img-A",
		[{x: %d, y: %d}, {x: %d, y: %d}, {x: %d, y: %d}, {x: %d, y: %d}], "Document number", "field") !== null`,
		marker.Min.X, marker.Min.Y, marker.Max.X, marker.Min.Y, marker.Max.X, marker.Max.Y, marker.Min.X, marker.Max.Y))
	if !drawn {
		t.Fatal("drawBox returned null")
	}
	if s := state(t, ctx, first); s.Current != "img-A" {
		t.Fatalf("drawBox must show its frame: %+v", s)
	}
	type boxInfo struct {
		Class string `json:"class"`
		Label string `json:"label"`
	}
	box := eval[boxInfo](t, ctx, `({class: document.querySelector("#img-A polygon").getAttribute("class"),
		label: document.querySelector(".viewer-box-label").textContent})`)
	if box.Class != "viewer-box viewer-box-field" || box.Label != "Document number" {
		t.Fatalf("box: %+v", box)
	}

	check := func(when string) {
		t.Helper()
		s := state(t, ctx, first)
		img := rectOf(t, ctx, "#img-A img")
		poly := rectOf(t, ctx, "#img-A polygon")
		// Where the marker's corners are on the screen, from the image's own screen box.
		var want rect
		corners := [][2]float64{{200, 150}, {500, 150}, {500, 350}, {200, 350}}
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, c := range corners {
			var u, v float64 // fractions of the turned image's screen box
			switch s.Rotation {
			case 0:
				u, v = c[0]/1250, c[1]/880
			case 90:
				u, v = 1-c[1]/880, c[0]/1250
			case 180:
				u, v = 1-c[0]/1250, 1-c[1]/880
			case 270:
				u, v = c[1]/880, 1-c[0]/1250
			}
			x, y := img.Left+u*img.Width, img.Top+v*img.Height
			minX, minY, maxX, maxY = math.Min(minX, x), math.Min(minY, y), math.Max(maxX, x), math.Max(maxY, y)
		}
		want = rect{minX, minY, maxX - minX, maxY - minY}
		if !near(poly.Left, want.Left, 2) || !near(poly.Top, want.Top, 2) || !near(poly.Right(), want.Right(), 2) || !near(poly.Bottom(), want.Bottom(), 2) {
			t.Fatalf("%s (%+v): box at %+v, the marker is at %+v", when, s, poly, want)
		}
		// The pixels tell the same: red inside the box, not red just outside it.
		painted(t, ctx, "#img-A img")
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		pic, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		// The stage clips the image, so only points on the stage are looked at.
		stage := rectOf(t, ctx, ".viewer-stage")
		onStage := func(x, y float64) bool {
			return x > stage.Left+2 && x < stage.Right()-2 && y > stage.Top+2 && y < stage.Bottom()-2
		}
		red := func(x, y float64) bool {
			r, g, b, _ := pic.At(int(x), int(y)).RGBA()
			return r>>8 > 150 && g>>8 < 90 && b>>8 < 110
		}
		cx, cy := want.Left+want.Width/2, want.Top+want.Height/2
		if !onStage(cx, cy) {
			t.Fatalf("%s: the marker's centre is off the stage", when)
		}
		// (The label may sit just inside the top of the box, so the top points are below it.)
		for _, p := range [][2]float64{{cx, cy}, {want.Left + 6, want.Top + 26}, {want.Right() - 6, want.Top + 26},
			{want.Left + 6, want.Bottom() - 6}, {want.Right() - 6, want.Bottom() - 6}} {
			if onStage(p[0], p[1]) && !red(p[0], p[1]) {
				t.Fatalf("%s: the marker is not under the box at (%.0f, %.0f)", when, p[0], p[1])
			}
		}
		for _, p := range [][2]float64{{want.Left - 8, cy}, {want.Right() + 8, cy}, {cx, want.Top - 8}, {cx, want.Bottom() + 8}} {
			if onStage(p[0], p[1]) && red(p[0], p[1]) {
				t.Fatalf("%s: the marker reaches outside the box at (%.0f, %.0f)", when, p[0], p[1])
			}
		}
		// The label chip sits at the box's top left as seen.
		// It stays on the stage while part of the box is.
		chip := rectOf(t, ctx, ".viewer-box-label")
		if !near(chip.Left, math.Max(want.Left, stage.Left), 3) ||
			(!near(chip.Bottom(), want.Top, 3) && !near(chip.Top, math.Max(want.Top, stage.Top), 3)) {
			t.Fatalf("%s: label at %+v, box at %+v", when, chip, want)
		}
	}
	check("fitted")
	do(t, ctx, chromedp.Evaluate[chromedp.Void]("kycViewer.zoomBy(1.6)"))
	check("zoomed")
	// Dragged so that the marker stays on the stage, for the pixel checks.
	stage := rectOf(t, ctx, ".viewer-stage")
	x, y := stage.Left+stage.Width/2, stage.Top+stage.Height/2
	left := func(p *input.DispatchMouseEventParams) {
		p.Button = input.MouseButtonLeft
		p.Buttons = 1
		p.ClickCount = 1
	}
	do(t, ctx, chromedp.MouseEvent(chromedp.MousePressed, x, y, left),
		chromedp.MouseEvent(chromedp.MouseMoved, x+250, y+150, left),
		chromedp.MouseEvent(chromedp.MouseReleased, x+250, y+150, left))
	check("zoomed and panned")
	testenv.Screenshot(t, ctx, "box-zoomed")
	do(t, ctx, chromedp.Evaluate[chromedp.Void]("kycViewer.rotate(90)"))
	check("turned right")
	testenv.Screenshot(t, ctx, "box-rotated")
	do(t, ctx, chromedp.Evaluate[chromedp.Void]("kycViewer.rotate(90)"))
	check("turned upside down")
	do(t, ctx, chromedp.Evaluate[chromedp.Void]("kycViewer.rotate(90); kycViewer.reset()")) // Fit keeps the rotation
	check("fitted and turned left")

	// The outline stays 2 px wide on the screen at any zoom: its width in image pixels times the
	// image's scale on the screen (turned a quarter, so its height is its 1250 px width).
	for _, zoom := range []string{"1", "3"} {
		do(t, ctx, chromedp.Evaluate[chromedp.Void]("kycViewer.zoomBy("+zoom+")"))
		stroke := eval[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector("#img-A polygon")).strokeWidth)`)
		if img := rectOf(t, ctx, "#img-A img"); !near(stroke*img.Height/1250, 2, 0.05) {
			t.Fatalf("outline %.3f px on the screen at %+v", stroke*img.Height/1250, state(t, ctx, first))
		}
	}

	// A box on another frame shows that frame; clearBoxes removes every box and label.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`kycViewer.drawBox("img-B", [[10, 10], [200, 10], [200, 60], [10, 60]], "MRZ", "mrz")`))
	if s := state(t, ctx, first); s.Current != "img-B" {
		t.Fatalf("drawBox on B: %+v", s)
	}
	if bad := eval[bool](t, ctx, `kycViewer.drawBox("img-B", [{x: 1}, {x: 2, y: NaN}, {}], "x") === null && kycViewer.drawBox("img-Z", [[0,0],[1,0],[1,1]]) === null`); !bad {
		t.Fatal("drawBox must refuse corners that are not numbers and unknown frames")
	}
	left2 := eval[int](t, ctx, `kycViewer.clearBoxes(), document.querySelectorAll(".viewer-box").length + document.querySelectorAll(".viewer-box-label").length`)
	if left2 != 0 {
		t.Fatalf("clearBoxes left %d boxes and labels", left2)
	}
}

func TestViewerKeysIgnoredWhileTyping(t *testing.T) {
	t.Parallel()
	f := serve(t)
	ctx := open(t, f, "/viewer.html", `document.querySelector("[data-viewer-ready]")`)
	do(t, ctx, chromedp.Click(chromedp.CSS("#note")), chromedp.KeyEvent("+-0rR2"+kb.ArrowLeft))
	do(t, ctx, chromedp.Click(chromedp.CSS("#long-note")), chromedp.KeyEvent("++r"))
	do(t, ctx, chromedp.Click(chromedp.CSS("#editable")), chromedp.KeyEvent("+r"))
	if s := state(t, ctx, first); s.Zoom != 1 || s.Rotation != 0 || s.PanX != 0 || s.Current != "img-A" {
		t.Fatalf("keys typed in fields moved the viewer: %+v", s)
	}
	if v := eval[string](t, ctx, `document.querySelector("#note").value + "|" + document.querySelector("#long-note").value`); v != "+-0rR2|++r" {
		t.Fatalf("the fields lost keys: %q", v)
	}
	// The same keys act once the stage has the focus; arrows pan only there.
	do(t, ctx, chromedp.Focus(chromedp.CSS(".viewer-stage")), chromedp.KeyEvent("+r"+kb.ArrowLeft))
	if s := state(t, ctx, first); s.Zoom != 1.25 || s.Rotation != 90 || s.PanX != 40 {
		t.Fatalf("keys on the stage: %+v", s)
	}
	do(t, ctx, chromedp.Focus(chromedp.CSS(`[data-viewer-action="zoom-in"]`)), chromedp.KeyEvent(kb.ArrowLeft))
	if s := state(t, ctx, first); s.PanX != 40 {
		t.Fatalf("arrows on a toolbar button panned: %+v", s)
	}
	// Browser shortcuts are left alone.
	do(t, ctx, chromedp.Focus(chromedp.CSS(".viewer-stage")), chromedp.KeyEvent("0", chromedp.KeyModifiers(kb.ModifierCtrl)))
	if s := state(t, ctx, first); s.Zoom != 1.25 {
		t.Fatalf("Ctrl+0 reset the viewer: %+v", s)
	}
}

func TestViewerStartsInContentSwappedByHtmx(t *testing.T) {
	t.Parallel()
	f := serve(t)
	ctx := open(t, f, "/viewer.html", `document.querySelector("[data-viewer-ready]") && window.htmx`)
	do(t, ctx, chromedp.Click(chromedp.CSS("#load-more")))
	waitFor(t, ctx, `document.querySelector("#second-viewer[data-viewer-ready]")`)
	waitFor(t, ctx, `document.querySelector("#img-D img").complete && document.querySelector("#img-D img").naturalWidth > 0`)
	if s := state(t, ctx, "#second-viewer"); s.Current != "img-D" || s.Zoom != 1 {
		t.Fatalf("swapped-in viewer: %+v", s)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#second-viewer [data-viewer-action="zoom-in"]`)))
	if s := state(t, ctx, "#second-viewer"); s.Zoom != 1.25 {
		t.Fatalf("swapped-in viewer zoom: %+v", s)
	}
	if s := state(t, ctx, first); s.Zoom != 1 {
		t.Fatalf("the first viewer moved with the second: %+v", s)
	}
	// Starting again (htmx:load on the whole body) binds nothing twice.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`htmx.trigger(document.body, "htmx:load")`),
		chromedp.Click(chromedp.CSS(`#second-viewer [data-viewer-action="zoom-in"]`)))
	if s := state(t, ctx, "#second-viewer"); s.Zoom != 1.5625 {
		t.Fatalf("one click after a second start must zoom one step: %+v", s)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#second-viewer .viewer-labels").length`); n != 1 {
		t.Fatalf("%d label layers", n)
	}

	// A PDF has no image to move: the tools are off and the keys do nothing.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#second-viewer [data-viewer-show="img-E"]`)))
	type pdfView struct {
		Disabled []bool `json:"disabled"`
		Href     string `json:"href"`
		Visible  bool   `json:"visible"`
	}
	pv := eval[pdfView](t, ctx, `({
		disabled: [...document.querySelectorAll("#second-viewer [data-viewer-action]")].map(b => b.disabled),
		href: document.querySelector("#second-viewer [data-viewer-original]").getAttribute("href"),
		visible: !document.querySelector("#img-E").hidden && document.querySelector("#img-D").hidden})`)
	if fmt.Sprint(pv.Disabled) != "[true true true true true]" || pv.Href != "/images/E/original" || !pv.Visible {
		t.Fatalf("PDF frame: %+v", pv)
	}
	do(t, ctx, chromedp.Focus(chromedp.CSS("#second-viewer .viewer-stage")), chromedp.KeyEvent("+r"))
	if s := state(t, ctx, "#second-viewer"); s.Current != "img-E" || s.Zoom != 1 || s.Rotation != 0 {
		t.Fatalf("keys on a PDF frame: %+v", s)
	}
	// A click on a tab's thumbnail picks that tab.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#second-viewer .viewer-thumb`)))
	if s := state(t, ctx, "#second-viewer"); s.Current != "img-D" {
		t.Fatalf("click on the thumbnail: %+v", s)
	}
}

// dropJS drops files made in the page onto a dropzone, as a drag from the desktop would.
const dropJS = `(function (sel, files) {
	var dt = new DataTransfer();
	files.forEach(function (f) { dt.items.add(new File([new Uint8Array(f.size)], f.name, {type: f.type})); });
	var zone = document.querySelector(sel);
	zone.dispatchEvent(new DragEvent("dragenter", {bubbles: true, cancelable: true, dataTransfer: dt}));
	var over = zone.classList.contains("is-dragover");
	var ev = new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt});
	zone.dispatchEvent(ev);
	var li = [...zone.querySelectorAll("[data-dropzone-files] li")].map(function (l) { return l.textContent; });
	return {highlighted: over, handled: ev.defaultPrevented, after: zone.classList.contains("is-dragover"),
		files: zone.querySelector("input").files.length, items: li, warning: zone.classList.contains("has-warning")};
})`

type dropResult struct {
	Highlighted bool     `json:"highlighted"`
	Handled     bool     `json:"handled"`
	After       bool     `json:"after"`
	Files       int      `json:"files"`
	Items       []string `json:"items"`
	Warning     bool     `json:"warning"`
}

type file struct {
	Name string `json:"name"`
	Size int    `json:"size"`
	Type string `json:"type"`
}

func drop(t *testing.T, ctx context.Context, zone string, files ...file) dropResult {
	t.Helper()
	b, _ := json.Marshal(files)
	return eval[dropResult](t, ctx, fmt.Sprintf("%s(%q, %s)", dropJS, zone, b))
}

func TestUploadDropzoneTakesDroppedFiles(t *testing.T) {
	t.Parallel()
	f := serve(t)
	ctx := open(t, f, "/upload.html", `document.querySelectorAll("[data-dropzone-ready]").length === 3`)
	zone := func(name string) string { return fmt.Sprintf(`[data-dropzone]:has(input[name=%s])`, name) }

	got := drop(t, ctx, zone("front"), file{"passport-front.jpg", 12_800, "image/jpeg"})
	if !got.Highlighted || !got.Handled || got.After || got.Files != 1 || got.Warning ||
		len(got.Items) != 1 || !strings.Contains(got.Items[0], "passport-front.jpg") || !strings.Contains(got.Items[0], "13 KB") {
		t.Fatalf("one file on Front: %+v", got)
	}

	chooseType(t, ctx, "national_id") // a passport has no back slot
	got = drop(t, ctx, zone("back"), file{"back.png", 2_500_000, "image/png"}, file{"other.png", 10, "image/png"}, file{"third.pdf", 10, "application/pdf"})
	if got.Files != 1 || len(got.Items) != 2 || !strings.Contains(got.Items[0], "back.png") || !strings.Contains(got.Items[0], "2.4 MB") ||
		!strings.Contains(got.Items[1], "Only one file goes here: kept back.png and left out 2 others.") {
		t.Fatalf("three files on Back, which takes one: %+v", got)
	}

	got = drop(t, ctx, zone("selfie"), file{"selfie-1.jpg", 400_000, "image/jpeg"}, file{"selfie-2.jpg", 500_000, "image/jpeg"})
	if got.Files != 2 || len(got.Items) != 2 || got.Warning {
		t.Fatalf("two selfies on a multiple input: %+v", got)
	}

	got = drop(t, ctx, zone("selfie"), file{"huge.gif", 11 << 20, "image/gif"}, file{"scan", 1000, ""})
	if got.Files != 2 || !got.Warning || len(got.Items) != 2 ||
		!strings.Contains(got.Items[0], "This file is 11 MB; the limit is 10 MB.") ||
		!strings.Contains(got.Items[0], "This does not look like a JPEG, PNG or PDF file.") ||
		!strings.Contains(got.Items[1], "1000 bytes") || !strings.Contains(got.Items[1], "does not look like") {
		t.Fatalf("oversized and unknown files: %+v", got)
	}

	// Leaving the zone takes the highlight away; a drop beside the zones does not open the file.
	left := eval[bool](t, ctx, `(function () {
		var dt = new DataTransfer(); dt.items.add(new File(["x"], "x.png", {type: "image/png"}));
		var zone = document.querySelector("[data-dropzone]");
		zone.dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: dt}));
		zone.dispatchEvent(new DragEvent("dragleave", {bubbles: true, cancelable: true, dataTransfer: dt, relatedTarget: document.body}));
		var beside = new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt});
		document.querySelector("h1").dispatchEvent(beside);
		return !zone.classList.contains("is-dragover") && beside.defaultPrevented;
	})()`)
	if !left {
		t.Fatal("dragleave or the drop beside the zones")
	}
	// A file chosen in the dialog is listed too.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(function () {
		var dt = new DataTransfer(); dt.items.add(new File([new Uint8Array(2048)], "chosen.pdf", {type: "application/pdf"}));
		var input = document.querySelector("#file-back"); input.files = dt.files;
		input.dispatchEvent(new Event("change", {bubbles: true}));
	})()`))
	if items := eval[string](t, ctx, `document.querySelector("[data-dropzone]:has(#file-back) [data-dropzone-files]").textContent`); !strings.Contains(items, "chosen.pdf") || strings.Contains(items, "Only one") {
		t.Fatalf("chosen file: %q", items)
	}
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-dropzone]").classList.add("is-dragover")`),
		chromedp.Sleep(300*time.Millisecond)) // the highlight fades in
	testenv.Screenshot(t, ctx, "dropped")
}

// chooseType picks the upload form's document type, as a person does.
func chooseType(t *testing.T, ctx context.Context, value string) {
	t.Helper()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () {
		var s = document.querySelector("#document-form select[name=type]"); s.value = %q;
		s.dispatchEvent(new Event("change", {bubbles: true}));
	})()`, value)))
}

// TestUploadHasNoBackSlotForAPassport: while the type is passport, the back slot is hidden and its
// input disabled, so a file chosen there before is not sent; it comes back with the slot when the
// type changes. A back slot the server refused stays in sight with its message.
func TestUploadHasNoBackSlotForAPassport(t *testing.T) {
	t.Parallel()
	f := serve(t)
	ctx := open(t, f, "/upload.html", `document.querySelectorAll("[data-dropzone-ready]").length === 3 && window.htmx`)
	type slot struct {
		Hidden   bool   `json:"hidden"`
		Disabled bool   `json:"disabled"`
		Visible  bool   `json:"visible"`
		Files    int    `json:"files"`
		Error    string `json:"error"`
	}
	back := func() slot {
		return eval[slot](t, ctx, `(function () {
			var z = document.querySelector("#document-form [data-dropzone]:has(input[name=back])"), i = z.querySelector("input");
			var e = z.querySelector(".error");
			return {hidden: z.hidden, disabled: i.disabled, visible: z.getBoundingClientRect().height > 0, files: i.files.length,
				error: e ? e.textContent : ""};
		})()`)
	}
	if got := back(); !got.Hidden || !got.Disabled || got.Visible {
		t.Fatalf("passport (the form's first type): back slot %+v, want hidden and disabled", got)
	}
	chooseType(t, ctx, "national_id")
	if got := back(); got.Hidden || got.Disabled || !got.Visible {
		t.Fatalf("national ID: back slot %+v, want shown", got)
	}
	if got := drop(t, ctx, `[data-dropzone]:has(#file-back)`, file{"back.jpg", 4000, "image/jpeg"}); got.Files != 1 {
		t.Fatalf("drop on the back: %+v", got)
	}
	chooseType(t, ctx, "passport")
	if got := back(); !got.Hidden || !got.Disabled || got.Files != 1 {
		t.Fatalf("back to passport: back slot %+v, want hidden and disabled, the file kept", got)
	}
	// A drop cannot reach the hidden slot's input either.
	if got := drop(t, ctx, `[data-dropzone]:has(#file-back)`, file{"other.jpg", 4000, "image/jpeg"}); got.Handled {
		t.Fatalf("a drop on the hidden back slot was taken: %+v", got)
	}
	testenv.Screenshot(t, ctx, "passport")
	chooseType(t, ctx, "national_id")
	if got := back(); got.Hidden || got.Disabled || got.Files != 1 {
		t.Fatalf("national ID again: back slot %+v, want shown with its file", got)
	}

	// Sent as a passport, the chosen back is not part of the request.
	chooseType(t, ctx, "passport")
	if got := drop(t, ctx, `[data-dropzone]:has(#file-front)`, file{"page.jpg", 5000, "image/jpeg"}); got.Files != 1 {
		t.Fatalf("drop on the front: %+v", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#document-form button[type=submit]`)))
	waitFor(t, ctx, `document.querySelector("#form-error") && document.querySelectorAll("#document-form [data-dropzone-ready]").length === 3`)
	f.mu.Lock()
	ups := append([]upload(nil), f.uploads...)
	f.mu.Unlock()
	if len(ups) != 1 || ups[0].Field != "front" {
		t.Fatalf("the server received %+v, want the front only", ups)
	}

	// The form the server sent back (testdata/upload-422.html, as a client without script gets
	// it) refuses a back on its field: that slot stays in sight, with its message, until the type
	// is changed.
	if got := back(); got.Hidden || got.Disabled || !strings.Contains(got.Error, "no back side") {
		t.Fatalf("refused back slot: %+v, want shown with its message", got)
	}
	chooseType(t, ctx, "national_id")
	chooseType(t, ctx, "passport")
	if got := back(); !got.Hidden || !got.Disabled {
		t.Fatalf("refused back slot after the type changed: %+v, want hidden", got)
	}
}

func TestUploadShowsProgressWhileSending(t *testing.T) {
	t.Parallel()
	f := serve(t)
	ctx := open(t, f, "/upload.html", `document.querySelectorAll("[data-dropzone-ready]").length === 3 && window.htmx`)
	got := drop(t, ctx, `[data-dropzone]:has(#file-front)`, file{"front.png", 9 << 20, "image/png"})
	if got.Files != 1 || got.Warning {
		t.Fatalf("drop: %+v", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#document-form button[type=submit]`)))

	type progress struct {
		Hidden   bool    `json:"hidden"`
		Value    float64 `json:"value"`
		Status   string  `json:"status"`
		Disabled bool    `json:"disabled"`
		Swapped  bool    `json:"swapped"`
	}
	read := func() progress {
		return eval[progress](t, ctx, `(function () {
			var f = document.querySelector("#document-form"), p = f.querySelector("[data-upload-progress]");
			return {hidden: p.hidden, value: p.value, status: f.querySelector("[data-upload-status]").textContent,
				disabled: f.querySelector("button[type=submit]").disabled, swapped: !!document.querySelector("#form-error")};
		})()`)
	}
	var midway, shot bool
	deadline := time.Now().Add(20 * time.Second)
	var p progress
	for p = read(); !p.Swapped; p = read() {
		if time.Now().After(deadline) {
			t.Fatalf("no answer; last seen %+v", p)
		}
		if p.Value > 0 && p.Value < 100 {
			if p.Hidden || !p.Disabled || p.Status != fmt.Sprintf("Uploading… %d%%", int(p.Value)) {
				t.Fatalf("during the upload: %+v", p)
			}
			midway = true
			if !shot {
				testenv.Screenshot(t, ctx, "progress")
				shot = true
			}
		}
		time.Sleep(15 * time.Millisecond)
	}
	if !midway {
		t.Fatal("no progress was shown between 0 and 100%")
	}
	// The server's 422 form replaced ours: no progress, the button usable, the drop zones live.
	if !p.Hidden || p.Disabled || p.Status != "" {
		t.Fatalf("after the answer: %+v", p)
	}
	waitFor(t, ctx, `document.querySelectorAll("#document-form [data-dropzone-ready]").length === 3`)
	f.mu.Lock()
	ups := append([]upload(nil), f.uploads...)
	f.mu.Unlock()
	if len(ups) != 1 || ups[0] != (upload{Field: "front", Name: "front.png", Size: 9 << 20}) {
		t.Fatalf("the server received %+v", ups)
	}
	testenv.Screenshot(t, ctx, "answered")
}
