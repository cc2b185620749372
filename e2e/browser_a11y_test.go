package e2e

import (
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Accessibility checks of the browser journey: axe-core in the page, a name
// for every form control, the keyboard alone, and a phone's width.

// accName is the accessible name of an element as a screen reader would
// read it (the parts the storefront uses: aria-label, aria-labelledby,
// <label>, then a button's or a link's text). A placeholder is no name.
const accName = `(el) => {
	const text = (s) => (s || '').replace(/\s+/g, ' ').trim();
	const control = ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName);
	const by = el.getAttribute('aria-labelledby');
	return text(el.getAttribute('aria-label')) ||
		(by ? text(by.split(/\s+/).map((id) => document.getElementById(id)?.textContent).join(' ')) : '') ||
		(el.labels ? text([...el.labels].map((l) => l.textContent).join(' ')) : '') ||
		(control ? '' : text(el.textContent)) || text(el.title);
}`

// violation is one axe-core rule a page breaks.
type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAccessibility runs axe-core (injected once per document) on the page
// as it is: a critical violation fails the test, a serious one is logged.
// Every form control must have a name.
func (b *tab) checkAccessibility(page string) {
	b.t.Helper()
	if !value(b, "axe present?", chromedp.Evaluate[bool](`typeof window.axe === 'object'`)) {
		b.do("inject axe-core", chromedp.Evaluate[chromedp.Void](b.axe+"\n;'injected'"))
	}
	res := value(b, "axe on "+page, chromedp.Evaluate[struct {
		Passed     int         `json:"passed"`
		Violations []violation `json:"violations"`
	}](`axe.run(document, {resultTypes: ['violations']}).then((r) => ({passed: r.passes.length,
		violations: r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' '))}))}))`,
		chromedp.EvalAwaitPromise))
	for _, v := range res.Violations {
		msg := fmt.Sprintf("axe on %s: %s (%s): %s\n\t%s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
		switch v.Impact {
		case "critical":
			b.t.Error(msg)
		default:
			b.t.Log(msg)
		}
	}
	unnamed := value(b, "form controls on "+page, chromedp.Evaluate[[]string](`(() => { const name = `+accName+`;
		return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
			.filter((el) => !name(el)).map((el) => el.outerHTML.slice(0, 160)); })()`))
	for _, el := range unnamed {
		b.t.Errorf("%s: a form control without a label: %s", page, el)
	}
	b.t.Logf("accessibility of %s: axe-core %d rules passed, %d violated; %d form controls without a label", page, res.Passed, len(res.Violations), len(unnamed))
}

// focused is the accessible name of the element that has the focus.
func (b *tab) focused() string {
	b.t.Helper()
	return value(b, "the focused element", chromedp.Evaluate[string](`(() => { const el = document.activeElement;
		return !el || el === document.body ? '' : (`+accName+`)(el); })()`))
}

// tabTo presses Tab until the focused element's name is want (or starts with
// want and a space), as a keyboard user moves through the page; it fails
// after 40 presses.
func (b *tab) tabTo(want string) {
	b.t.Helper()
	var seen []string
	for range 40 {
		b.do("Tab", chromedp.KeyEvent(kb.Tab))
		name := b.focused()
		if name == want || strings.HasPrefix(name, want+" ") {
			return
		}
		seen = append(seen, name)
	}
	b.fail("Tab to "+want, fmt.Errorf("never focused; focus went through %q", seen))
}

// typeText types text into the focused element, key by key.
func (b *tab) typeText(text string) {
	b.t.Helper()
	b.do("type "+text, chromedp.KeyEvent(text))
}

// press sends one key (kb.Enter, " " for Space) to the focused element.
func (b *tab) press(key string) {
	b.t.Helper()
	b.do("press a key", chromedp.KeyEvent(key))
}

// fitsWidth asserts that the page needs no horizontal scrolling at width.
func (b *tab) fitsWidth(page string, width int) {
	b.t.Helper()
	sw := value(b, "scroll width", chromedp.Evaluate[int](`document.scrollingElement.scrollWidth`))
	if sw > width {
		wide := value(b, "wide elements", chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll('body *')]
			.filter((el) => el.getBoundingClientRect().right > %d).slice(0, 6).map((el) => el.outerHTML.slice(0, 120))`, width)))
		b.t.Errorf("%s at %d px: the page is %d px wide (it scrolls sideways); wider than the screen: %q", page, width, sw, wide)
	}
}

// imagesShown waits until the pictures in view have loaded (for a screenshot).
func imagesShown() chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`[...document.images].filter((i) => i.getBoundingClientRect().top < innerHeight)
		.every((i) => i.complete && i.naturalWidth > 0)`)
}
