package sbom

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress reports long work (hashing, pulling, cataloging) to a person.
// With live set (a terminal) it keeps one status line up to date and prints
// milestones; otherwise (--verbose in a log) it prints one line per
// milestone and per finished piece of work. A nil *progress is quiet.
type progress struct {
	w     io.Writer
	live  bool
	now   func() time.Time
	mu    sync.Mutex
	shown bool      // a status line is on screen
	last  time.Time // when the status line was last drawn
}

func newProgress(w io.Writer, live bool, now func() time.Time) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, live: live, now: now}
}

// printf prints a milestone line.
func (p *progress) printf(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// linef prints a line in a log, and updates the status line on a terminal.
func (p *progress) linef(format string, args ...any) {
	if p == nil {
		return
	}
	if p.live {
		p.draw(true, format, args...)
		return
	}
	p.printf(format, args...)
}

// status updates the status line on a terminal, at most ten times a
// second; in a log it prints nothing.
func (p *progress) status(format string, args ...any) {
	if p == nil || !p.live {
		return
	}
	p.draw(false, format, args...)
}

func (p *progress) draw(force bool, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if !force && p.shown && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "\r\033[K"+format, args...)
	p.shown = true
}

// done ends the status line.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// ticking shows "what… Ns" on a terminal, every second until stop is called.
func (p *progress) ticking(what string) (stop func()) {
	if p == nil || !p.live {
		return func() {}
	}
	start := p.now()
	quit := make(chan struct{})
	finished := make(chan struct{})
	p.draw(true, "%s…", what)
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				p.draw(true, "%s… %ds", what, int(p.now().Sub(start).Seconds()))
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		p.done()
	}
}
