package script

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// Output receives what a running script shows: printed text, rich
// displays, and progress of computations that take a while.
type Output struct {
	Stdout func(text string)
	Stderr func(text string)
	// Display shows a MIME bundle; a display with an id can be replaced
	// later by a display with the same id and update set.
	Display  func(mime map[string]string, id string, update bool)
	Clear    func(wait bool)
	Progress func(text string, done bool)
	// ProgressAfter is how long a computation runs before Progress hears
	// of it; a second when zero.
	ProgressAfter time.Duration
}

// Computation is one call to the node, as provenance records it.
type Computation struct {
	Microprotocol string          `json:"microprotocol"`
	Dataset       *client.Dataset `json:"dataset,omitempty"`
	Parameters    map[string]any  `json:"parameters,omitempty"`
	Network       string          `json:"network,omitempty"`
	Seconds       float64         `json:"seconds"`
	// Outcome is "ok", "refused" (a disclosure rule; Error says which),
	// "failed" or "cancelled".
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// Env is what the DSL's functions run against: the analyst's node, where
// output goes, and what the run has computed and recorded.
type Env struct {
	Client *client.Client
	Out    Output

	mu           sync.Mutex
	computations []Computation
	results      map[string]any
	order        []string
}

// NewEnv returns an environment talking to the node at url with token.
func NewEnv(url, token string, out Output) *Env {
	c := client.New(url)
	c.Token = token
	return &Env{Client: c, Out: out, results: map[string]any{}}
}

// Printf writes text to the output's Stdout, as print does; without a
// Stdout the text is dropped.
func (e *Env) Printf(format string, args ...any) {
	if e.Out.Stdout != nil {
		e.Out.Stdout(fmt.Sprintf(format, args...))
	}
}

// display shows a bundle, or prints its text where nothing can show it.
func (e *Env) display(mime map[string]string, id string, update bool) {
	if e.Out.Display != nil {
		e.Out.Display(mime, id, update)
	} else {
		e.Printf("%s\n", mime["text/plain"])
	}
}

// compute runs one computation at the node, records it, and reports
// progress when it takes longer than Out.ProgressAfter: which statistic
// runs, and, as the node tells while it runs, which members it waits on
// (for their owner's approval, or for their part of the computation).
func (e *Env) compute(ctx context.Context, r client.Request) (map[string]any, error) {
	start := time.Now()
	done := make(chan struct{})
	shown := make(chan struct{}) // the progress display has ended
	if e.Out.Progress == nil {
		close(shown)
	} else {
		r.ID = client.NewComputationID()
		go func() {
			defer close(shown)
			e.follow(ctx, r, done)
		}()
	}
	res, err := e.Client.Compute(ctx, r)
	close(done)
	<-shown
	c := Computation{Microprotocol: r.Microprotocol, Dataset: r.Dataset, Parameters: r.Parameters, Seconds: time.Since(start).Seconds()}
	if r.Network != nil {
		c.Network = r.Network.UUID
	}
	c.Outcome = "ok"
	switch {
	case err != nil && ctx.Err() != nil:
		err = ctx.Err()
		c.Outcome, c.Error = "cancelled", err.Error()
	case err != nil:
		err = typed(err)
		c.Outcome, c.Error = "failed", err.Error()
		if te, ok := err.(*Error); ok && te.Kind == DisclosureError {
			c.Outcome = "refused"
		}
	}
	e.mu.Lock()
	e.computations = append(e.computations, c)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return res.Result, nil
}

// statusEvery is how often a progress display asks the node how a
// computation stands.
const statusEvery = 300 * time.Millisecond

// follow shows the progress of computation r until done is closed, once
// it has run for Out.ProgressAfter.
func (e *Env) follow(ctx context.Context, r client.Request, done <-chan struct{}) {
	after := e.Out.ProgressAfter
	if after <= 0 {
		after = time.Second
	}
	select {
	case <-done:
		return
	case <-time.After(after):
	}
	what := statistic(r)
	text := progressText(what, nil)
	e.Out.Progress(text, false)
	tick := time.NewTicker(statusEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			e.Out.Progress(what+" done", true)
			return
		case <-tick.C:
			sctx, cancel := context.WithTimeout(ctx, statusEvery)
			st, err := e.Client.Status(sctx, r.ID)
			cancel()
			if err != nil {
				continue // not begun, ended, or an older node: the text stays
			}
			if t := progressText(what, st); t != text {
				text = t
				e.Out.Progress(text, false)
			}
		}
	}
}

// progressText says what runs and whom it waits on: "computing the median
// of age — waiting for hospital-b's approval".
func progressText(what string, st *client.Status) string {
	switch {
	case st != nil && len(st.Approval) > 0:
		return "computing " + what + " — waiting for " + possessive(st.Approval) + " approval"
	case st != nil && len(st.WaitingFor) > 0:
		return "computing " + what + " — waiting for " + andList(st.WaitingFor)
	}
	return "computing " + what + " with every member…"
}

// andList joins names as a sentence does: "a", "a and b", "a, b and c".
func andList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// possessive is "a's", "a's and b's".
func possessive(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + "'s"
	}
	return andList(out)
}

// Output records a named result of a study.
func (e *Env) Output(name string, v any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.results[name]; !ok {
		e.order = append(e.order, name)
	}
	e.results[name] = v
}

// Results returns the recorded results and the computations made.
func (e *Env) Results() (map[string]any, []string, []Computation) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.results, append([]string(nil), e.order...), append([]Computation(nil), e.computations...)
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// statNames are the statistics as an analyst calls them.
var statNames = map[string]string{
	"SecureSum": "the sum", "Count": "the count", "MinimumMaximum": "the minimum and maximum",
	"SecureMedian": "the median", "Moments": "the moments", "Quantiles": "the quantiles",
	"StatisticsUnivariate": "the summary", "StatisticsBivariate": "the correlation",
	"StatisticsFrequency": "the frequency table", "StatisticsContingency": "the crosstab",
	"Histogram": "the histogram", "Regression": "the regression",
	"SetIntersection": "the set intersection", "SetIntersectionSize": "the size of the set intersection",
}

// statistic names what a request computes, and of which columns.
func statistic(r client.Request) string {
	what, ok := statNames[r.Microprotocol]
	if !ok {
		what = r.Microprotocol
	}
	if ds := r.Dataset; ds != nil {
		cols := ds.Columns
		if ds.Column != "" {
			cols = append([]string{ds.Column}, cols...)
		}
		if len(cols) > 0 {
			what += " of " + strings.Join(cols, ", ")
		}
	}
	return what
}
