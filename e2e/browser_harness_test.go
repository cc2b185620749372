package e2e

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// The browser tests drive a real Chromium (Debian's package; make test
// installs it when missing, scripts/chromium.sh) through the storefront,
// as a shopper sees it: elements are found by their label, role and text.

// browserNames are the browser binaries looked for on PATH, in order
// (E2E_BROWSER names another); scripts/chromium.sh looks for the same.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// stepTimeout bounds one step of a journey: a wait that has not come true by
// then fails the test with a screenshot of the page.
const stepTimeout = 25 * time.Second

func browserPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("E2E_BROWSER"); p != "" {
		return p
	}
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("no Chromium on PATH (looked for %s): `make test` installs Debian's with scripts/chromium.sh; or set E2E_BROWSER to a Chrome or Chromium binary",
		strings.Join(browserNames, ", "))
	return ""
}

// tab is one browser tab of a test, with its artifacts directory.
type tab struct {
	t       *testing.T
	ctx     context.Context
	dir     string // screenshots of every step (and of a failure)
	shots   int
	axe     string // axe-core's source, injected into the pages
	mu      sync.Mutex
	console []string // the console's errors and warnings, and uncaught exceptions
}

// openTab starts a headless Chromium with a viewport of width×height and
// opens a tab. Requests for the demo catalog's pictures (picsum.photos, out
// of reach of a test machine) are answered with generated placeholders.
func openTab(t *testing.T, width, height int) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"), chromedp.WindowSize(width, height))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, no deadline
		t.Fatalf("start %s: %v", browserPath(t), err)
	}
	axe, err := os.ReadFile("../web/node_modules/axe-core/axe.min.js")
	if err != nil {
		t.Fatalf("axe-core (a devDependency of web/, installed by `make web`): %v", err)
	}
	b := &tab{t: t, ctx: ctx, dir: artifactsDir(t), axe: string(axe)}
	b.serveImages()
	b.collectConsole()
	b.do("viewport", chromedp.EmulateViewport(int64(width), int64(height)))
	return b
}

// artifactsDir is BROWSER_ARTIFACTS, else e2e/artifacts/<test> (gitignored,
// emptied first): the screenshots stay after the run.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("BROWSER_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("artifacts", t.Name())
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	t.Logf("browser artifacts (screenshots): %s", abs)
	return dir
}

// serveImages answers https://picsum.photos/seed/<seed>/<w>/<h> with an
// SVG of that size in colours of the seed.
func (b *tab) serveImages() {
	paused := chromedp.Events(b.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "https://picsum.photos/*"}}}); err != nil {
		b.t.Fatal(err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(b.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID: ev.RequestID, ResponseCode: 200, Body: placeholder(ev.Request.URL),
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "image/svg+xml"}, {Name: "Cache-Control", Value: "max-age=3600"}},
			})
		}
	}()
}

func placeholder(url string) []byte {
	w, h := 800, 800
	parts := strings.Split(strings.TrimPrefix(url, "https://picsum.photos/seed/"), "/")
	if len(parts) == 3 {
		_, _ = fmt.Sscan(parts[1], &w)
		_, _ = fmt.Sscan(parts[2], &h)
	}
	f := fnv.New32a()
	_, _ = f.Write([]byte(parts[0]))
	hue := f.Sum32() % 360
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+
		`<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(%d,60%%,82%%)"/><stop offset="1" stop-color="hsl(%d,55%%,62%%)"/></linearGradient></defs>`+
		`<rect width="100%%" height="100%%" fill="url(#g)"/><circle cx="%d" cy="%d" r="%d" fill="hsl(%d,50%%,94%%)" opacity=".7"/></svg>`,
		w, h, w, h, hue, (hue+40)%360, w/2, h/2, min(w, h)/4, hue)
}

// collectConsole keeps the page's console errors and warnings and its
// uncaught exceptions, for the log (and a failure's report).
func (b *tab) collectConsole() {
	messages := chromedp.Console(b.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" || m.Type == "warning" {
				b.mu.Lock()
				b.console = append(b.console, strings.TrimSpace(m.String()+" "+m.URL))
				b.mu.Unlock()
			}
		}
	}()
}

func (b *tab) consoleLog() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// do runs actions as one step of the journey, within stepTimeout.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(what, err)
	}
}

// value runs an action that returns a value, as a step.
func value[T any](b *tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

// fail ends the test with what the page shows: a screenshot, its text and
// its console.
func (b *tab) fail(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	var page string
	if buf, serr := chromedp.Run(ctx, chromedp.CaptureScreenshot()); serr == nil {
		name := filepath.Join(b.dir, "FAILED.png")
		_ = os.WriteFile(name, buf, 0o644)
		page = "screenshot " + name + "\n"
	}
	if text, terr := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`)); terr == nil {
		page += "the page: " + tail(text, 40) + "\n"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("not so after %s", stepTimeout)
	}
	b.t.Fatalf("%s: %v\n%sconsole: %q", what, err, page, b.consoleLog())
}

// shot saves a screenshot of the viewport as the next step's artifact
// (NN-name.png). With BROWSER_UPDATE_DOCS=1, doc shots are also written to
// docs/storefront/name.png for the README (kept under 300 KB).
func (b *tab) shot(name string, doc bool) {
	b.t.Helper()
	buf := value(b, "screenshot "+name, chromedp.CaptureScreenshot())
	b.shots++
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shots, name)), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if !doc || os.Getenv("BROWSER_UPDATE_DOCS") != "1" {
		return
	}
	if len(buf) > 300<<10 {
		b.t.Errorf("docs/storefront/%s.png would be %d kB; keep the README's screenshots under 300 kB", name, len(buf)>>10)
		return
	}
	docs := filepath.Join("..", "docs", "storefront")
	if err := os.MkdirAll(docs, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(docs, name+".png"), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// Selectors as a shopper finds things: XPath over what the page shows.

// xq quotes s as an XPath string literal.
func xq(s string) string {
	if strings.Contains(s, `"`) {
		return "'" + s + "'"
	}
	return `"` + s + `"`
}

// field is the form control whose <label> reads label.
func field(label string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//*[self::input or self::select or self::textarea][@id=//label[normalize-space()=%s]/@for]`, xq(label)))
}

// button is the button that reads name (or starts with it, then a space).
func button(name string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//button[normalize-space()=%[1]s or starts-with(normalize-space(), concat(%[1]s, " "))]`, xq(name)))
}

// link is the link in the page's main content that reads name.
func link(name string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//main//a[normalize-space()=%s]`, xq(name)))
}

// navLink is the link of the site's main navigation that reads name (up
// to a comma: "Cart, 2 items").
func navLink(name string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//nav[@aria-label="Main"]//a[normalize-space()=%[1]s or starts-with(normalize-space(), concat(%[1]s, ","))]`, xq(name)))
}

// heading is the page's h1 reading text.
func heading(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//h1[normalize-space()=%s]`, xq(text)))
}

// labelled is the <label> that starts with text (a radio button's or a checkbox's).
func labelled(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//label[starts-with(normalize-space(), %s)]`, xq(text)))
}

// saying is the innermost element whose text is exactly text.
func saying(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//body//*[normalize-space()=%[1]s][not(*[normalize-space()=%[1]s])]`, xq(text)))
}

// alert is an element with role alert whose text contains text.
func alert(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//*[@role="alert"][contains(normalize-space(), %s)]`, xq(text)))
}

// fill types value into the field labelled label, replacing what it holds.
func fill(label, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Click(field(label)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent(value))
}
