package script

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// Kind is the type a DSL parameter takes.
type Kind int

// Parameter kinds.
const (
	String  Kind = iota // a string
	Number              // a number
	Numbers             // a list of numbers
	Strings             // a list of strings
	Any                 // anything the binding can convert
)

// Param is one parameter of a DSL function, by position and by name.
type Param struct {
	Name     string
	Kind     Kind
	Optional bool
}

// Args are a call's arguments by parameter name, converted to Go: string,
// float64, []float64, []string, or for Any: nil, bool, float64, string,
// []any, map[string]any.
type Args map[string]any

// Func is one DSL function. A method is called on the value it belongs to,
// a table or a node (t:mean("age") in Lua, t.mean("age") in Python), and
// gets that value as self; the others are fsc.name(...) and get nil. Both
// languages are bound from this one list, so they cannot drift.
type Func struct {
	Name   string
	Doc    string
	On     string // "" for fsc.name, else the receiver: OnTable or OnNode
	Params []Param
	Call   func(ctx context.Context, e *Env, self any, a Args) (any, error)
}

// The receivers of methods: the types a script holds besides plain values.
const (
	OnTable = "Table" // *Table
	OnNode  = "Node"  // *Node
)

// Node is the analyst's own node, as fsc.connect returns it.
type Node struct {
	URL string
}

// String names the node.
func (n *Node) String() string { return "<fsc node " + n.URL + ">" }

// Receiver is the receiver a value is (OnTable, OnNode), or "" for a plain
// value: a binding gives such values the methods of Methods(Receiver(v)).
func Receiver(v any) string {
	switch v.(type) {
	case *Table:
		return OnTable
	case *Node:
		return OnNode
	}
	return ""
}

// Methods returns the functions of Funcs that are methods of on.
func Methods(on string) []*Func {
	var out []*Func
	for _, f := range Funcs {
		if f.On == on {
			out = append(out, f)
		}
	}
	return out
}

// Table is a table every federation member holds, with an optional filter.
type Table struct {
	Name  string
	Where string
}

func (t *Table) dataset(columns ...string) *client.Dataset {
	ds := &client.Dataset{Table: t.Name, Where: t.Where}
	if len(columns) == 1 {
		ds.Column = columns[0]
	} else {
		ds.Columns = columns
	}
	return ds
}

// String names the table and its filter.
func (t *Table) String() string {
	if t.Where == "" {
		return fmt.Sprintf("<fsc table %s>", t.Name)
	}
	return fmt.Sprintf("<fsc table %s where %s>", t.Name, t.Where)
}

func str(a Args, name string) string { s, _ := a[name].(string); return s }

// onColumn is a method that computes mp over one column and returns key.
func onColumn(name, doc, mp, key string) *Func {
	return &Func{Name: name, Doc: doc, On: OnTable, Params: []Param{{Name: "column", Kind: String}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			t := self.(*Table)
			r, err := e.compute(ctx, client.Request{Microprotocol: mp, Dataset: t.dataset(str(a, "column"))})
			if err != nil {
				return nil, err
			}
			return r[key], nil
		}}
}

// network reads an FSC network {nodes, uuid, myself}.
func network(v any) (*client.Network, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, InputErrorf("network: expected {nodes = [...], uuid = \"...\", myself = i}")
	}
	n := &client.Network{}
	nodes, _ := m["nodes"].([]any)
	for _, x := range nodes {
		s, ok := x.(string)
		if !ok {
			return nil, InputErrorf("network.nodes: expected node URLs")
		}
		n.Nodes = append(n.Nodes, s)
	}
	n.UUID, _ = m["uuid"].(string)
	me, ok := m["myself"].(float64)
	if len(n.Nodes) < 2 || n.UUID == "" || !ok || me != math.Trunc(me) || me < 0 || int(me) >= len(n.Nodes) {
		return nil, InputErrorf("network: expected at least two nodes, a uuid and myself (this party's index)")
	}
	n.Myself = int(me)
	return n, nil
}

// own is an FSC-style function on the caller's own values: every party
// of the network calls it with its own data through its own node.
func own(name, doc, mp, key string) *Func {
	return &Func{Name: name, Doc: doc, Params: []Param{{Name: "values", Kind: Any}, {Name: "network", Kind: Any}},
		Call: func(ctx context.Context, e *Env, _ any, a Args) (any, error) {
			n, err := network(a["network"])
			if err != nil {
				return nil, err
			}
			r, err := e.compute(ctx, client.Request{Microprotocol: mp, Data: a["values"], Network: n})
			if err != nil {
				return nil, err
			}
			return r[key], nil
		}}
}

// Funcs is every DSL function (the survival methods are in survival.go).
var Funcs = append([]*Func{
	own("sum", "sum(values, network): the sum of every party's own values (each party calls it through its own node).", "SecureSum", "sum"),
	own("mean", "mean(values, network): the mean of every party's own values.", "Moments", "mean"),
	own("median", "median(values, network): the median of every party's own values (R type 7).", "SecureMedian", "median"),
	{Name: "compute", Doc: "compute(microprotocol, data, network, parameters): any FSC microprotocol on this party's own data; returns its result.",
		Params: []Param{{Name: "microprotocol", Kind: String}, {Name: "data", Kind: Any}, {Name: "network", Kind: Any}, {Name: "parameters", Kind: Any, Optional: true}},
		Call: func(ctx context.Context, e *Env, _ any, a Args) (any, error) {
			n, err := network(a["network"])
			if err != nil {
				return nil, err
			}
			params, _ := a["parameters"].(map[string]any)
			r, err := e.compute(ctx, client.Request{Microprotocol: str(a, "microprotocol"), Data: a["data"], Network: n, Parameters: params})
			if err != nil {
				return nil, err
			}
			return newRich(str(a, "microprotocol"), r), nil
		}},
	{Name: "html", Doc: "html(text): HTML to display.", Params: []Param{{Name: "text", Kind: String}},
		Call: func(ctx context.Context, e *Env, _ any, a Args) (any, error) {
			return &Rich{Title: "html", Fields: map[string]any{}, MIME: map[string]string{"text/html": str(a, "text"), "text/plain": "<HTML>"}}, nil
		}},
	{Name: "markdown", Doc: "markdown(text): Markdown to display.", Params: []Param{{Name: "text", Kind: String}},
		Call: func(ctx context.Context, e *Env, _ any, a Args) (any, error) {
			return &Rich{Title: "markdown", Fields: map[string]any{}, MIME: map[string]string{"text/markdown": str(a, "text"), "text/plain": str(a, "text")}}, nil
		}},
	{Name: "display", Doc: "display(value, display_id): show a value (a table, a histogram, html, markdown) now; with a display_id, update_display can replace it later.",
		Params: []Param{{Name: "value", Kind: Any}, {Name: "display_id", Kind: String, Optional: true}},
		Call: func(ctx context.Context, e *Env, _ any, a Args) (any, error) {
			e.display(Display(a["value"]), str(a, "display_id"), false)
			return nil, nil
		}},
	{Name: "update_display", Doc: "update_display(value, display_id): replace what display(..., display_id) showed, wherever it is.",
		Params: []Param{{Name: "value", Kind: Any}, {Name: "display_id", Kind: String}},
		Call: func(ctx context.Context, e *Env, _ any, a Args) (any, error) {
			if str(a, "display_id") == "" {
				return nil, InputErrorf("update_display: give the display_id the value was shown with")
			}
			e.display(Display(a["value"]), str(a, "display_id"), true)
			return nil, nil
		}},
	{Name: "clear_output", Doc: "clear_output(): clear what this cell has shown so far.",
		Call: func(ctx context.Context, e *Env, _ any, a Args) (any, error) {
			if e.Out.Clear != nil {
				e.Out.Clear(false)
			}
			return nil, nil
		}},
	{Name: "connect", Doc: "connect(url, token): the analyst's node (url: FSC_NODE or http://127.0.0.1:15501; token: FSC_TOKEN); later calls go to it. Checks that it answers.",
		Params: []Param{{Name: "url", Kind: String, Optional: true}, {Name: "token", Kind: String, Optional: true}},
		Call:   connect},
	{Name: "table", Doc: tableDoc, Params: []Param{{Name: "name", Kind: String}}, Call: table},
	{Name: "info", Doc: infoDoc, Call: info},
	{Name: "output", Doc: "output(name, value): record a named result of the study (results.json).",
		Params: []Param{{Name: "name", Kind: String}, {Name: "value", Kind: Any}},
		Call: func(ctx context.Context, e *Env, _ any, a Args) (any, error) {
			e.Output(str(a, "name"), plain(a["value"]))
			e.Printf("%s = %s\n", str(a, "name"), Repr(a["value"]))
			return nil, nil
		}},
	{Name: "info", On: OnNode, Doc: infoDoc, Call: info},
	{Name: "table", On: OnNode, Doc: tableDoc, Params: []Param{{Name: "name", Kind: String}}, Call: table},
	{Name: "where", On: OnTable, Doc: "where(filter): the rows the filter selects, e.g. \"sex == 'F' and age >= 50\"; chains with and.",
		Params: []Param{{Name: "filter", Kind: String}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			t := self.(*Table)
			f := strings.TrimSpace(str(a, "filter"))
			if t.Where != "" && f != "" {
				f = "(" + t.Where + ") and (" + f + ")"
			} else if f == "" {
				f = t.Where
			}
			return &Table{Name: t.Name, Where: f}, nil
		}},
	{Name: "columns", On: OnTable, Doc: "columns(): the table's column names and kinds (never values).",
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			t := self.(*Table)
			info, err := e.Client.Info(ctx)
			if err != nil {
				return nil, typed(err)
			}
			d, ok := info.Datasets[t.Name]
			if !ok {
				return nil, InputErrorf("no table %q at %s", t.Name, info.Name)
			}
			cols := map[string]any{}
			for _, c := range d.Columns {
				cols[c.Name] = c.Kind
			}
			return cols, nil
		}},
	{Name: "count", On: OnTable, Doc: "count([column]): rows (or a column's values) in the table, over every member.",
		Params: []Param{{Name: "column", Kind: String, Optional: true}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			t := self.(*Table)
			ds := t.dataset()
			ds.Column = str(a, "column")
			r, err := e.compute(ctx, client.Request{Microprotocol: "Count", Dataset: ds})
			if err != nil {
				return nil, err
			}
			return counts(r["count"]), nil
		}},
	onColumn("sum", "sum(column): the sum of a numeric column over every member.", "SecureSum", "sum"),
	onColumn("mean", "mean(column): the mean of a numeric column.", "Moments", "mean"),
	onColumn("var", "var(column): the sample variance (n - 1) of a numeric column.", "Moments", "variance"),
	onColumn("std", "std(column): the sample standard deviation of a numeric column.", "Moments", "standard_deviation"),
	onColumn("median", "median(column): the median (R type 7: the mean of the two middle values for even n).", "SecureMedian", "median"),
	{Name: "quantile", On: OnTable, Doc: "quantile(column, probabilities): quantiles by R's default definition (type 7).",
		Params: []Param{{Name: "column", Kind: String}, {Name: "probabilities", Kind: Numbers}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			t := self.(*Table)
			r, err := e.compute(ctx, client.Request{Microprotocol: "Quantiles", Dataset: t.dataset(str(a, "column")),
				Parameters: map[string]any{"probabilities": a["probabilities"]}})
			if err != nil {
				return nil, err
			}
			return r["quantiles"], nil
		}},
	{Name: "summary", On: OnTable, Doc: "summary(column): every univariate statistic of a numeric column at once.",
		Params: []Param{{Name: "column", Kind: String}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			t := self.(*Table)
			r, err := e.compute(ctx, client.Request{Microprotocol: "StatisticsUnivariate", Dataset: t.dataset(str(a, "column"))})
			if err != nil {
				return nil, err
			}
			return summaryRich(str(a, "column"), r), nil
		}},
	{Name: "histogram", On: OnTable, Doc: "histogram(column, bins=[edges] | bins=n, range=[lo, hi]): counts per bin [a, b), the last bin closed.",
		Params: []Param{{Name: "column", Kind: String}, {Name: "bins", Kind: Any}, {Name: "range", Kind: Numbers, Optional: true}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			t := self.(*Table)
			params := map[string]any{}
			switch b := a["bins"].(type) {
			case []any:
				params["edges"] = b
			case float64:
				params["bins"] = b
				if a["range"] == nil {
					return nil, InputErrorf("histogram: bins=%v needs range=[low, high] (or give the edges as a list)", b)
				}
				params["range"] = a["range"]
			default:
				return nil, InputErrorf("histogram: bins must be a list of edges or a number of bins")
			}
			r, err := e.compute(ctx, client.Request{Microprotocol: "Histogram", Dataset: t.dataset(str(a, "column")), Parameters: params})
			if err != nil {
				return nil, err
			}
			return newHistogram(str(a, "column"), r), nil
		}},
	{Name: "frequency", On: OnTable, Doc: "frequency(column): the count of each category.",
		Params: []Param{{Name: "column", Kind: String}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			t := self.(*Table)
			r, err := e.compute(ctx, client.Request{Microprotocol: "StatisticsFrequency", Dataset: t.dataset(str(a, "column"))})
			if err != nil {
				return nil, err
			}
			return frequencyRich(str(a, "column"), counts(asMap(r["histogram"])).(map[string]any)), nil
		}},
	{Name: "crosstab", On: OnTable, Doc: "crosstab(a, b): the count of each pair of categories.",
		Params: []Param{{Name: "a", Kind: String}, {Name: "b", Kind: String}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			t := self.(*Table)
			r, err := e.compute(ctx, client.Request{Microprotocol: "StatisticsContingency", Dataset: t.dataset(str(a, "a"), str(a, "b"))})
			if err != nil {
				return nil, err
			}
			return crosstabRich(str(a, "a"), str(a, "b"), counts(asMap(r["table"])).(map[string]any)), nil
		}},
	bivariate("cor", "cor(x, y): Pearson's correlation of two numeric columns.", "correlation_coefficient"),
	bivariate("cov", "cov(x, y): the sample covariance of two numeric columns.", "covariance"),
	{Name: "ols", On: OnTable, Doc: "ols(y, [x1, ...]): least squares of y on the regressors with an intercept: coefficients, standard errors, R².",
		Params: []Param{{Name: "y", Kind: String}, {Name: "x", Kind: Strings}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			t := self.(*Table)
			xs, _ := a["x"].([]string)
			r, err := e.compute(ctx, client.Request{Microprotocol: "Regression", Dataset: t.dataset(append([]string{str(a, "y")}, xs...)...)})
			if err != nil {
				return nil, err
			}
			return olsRich(str(a, "y"), append([]string{"(Intercept)"}, xs...), r), nil
		}},
	glmFunc, ttestFunc, chisqFunc, meanCIFunc, propCIFunc,
}, survivalFuncs...)

func bivariate(name, doc, key string) *Func {
	return &Func{Name: name, Doc: doc, On: OnTable, Params: []Param{{Name: "x", Kind: String}, {Name: "y", Kind: String}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			t := self.(*Table)
			r, err := e.compute(ctx, client.Request{Microprotocol: "StatisticsBivariate", Dataset: t.dataset(str(a, "x"), str(a, "y"))})
			if err != nil {
				return nil, err
			}
			return r[key], nil
		}}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// Repr is the text a value shows as.
func Repr(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return fmt.Sprintf("%.0f", x)
		}
		return fmt.Sprintf("%.10g", x)
	case int64:
		return fmt.Sprint(x)
	case string:
		return fmt.Sprintf("%q", x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Repr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%q: %s", k, Repr(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

const (
	infoDoc  = "info(): this node, the federation's members, the datasets (column names and kinds, never values)."
	tableDoc = "table(name): a table every federation member holds."
)

// connect points the environment at the analyst's node and checks it.
func connect(ctx context.Context, e *Env, _ any, a Args) (any, error) {
	url, token := str(a, "url"), str(a, "token")
	if url == "" {
		url = e.Client.URL
	}
	if _, ok := a["token"]; !ok {
		token = e.Client.Token
	}
	c := client.New(url)
	c.Token = token
	if _, err := c.Info(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if te := typed(err).(*Error); te.Kind != UnreachableError {
			return nil, &Error{Kind: PeerError, Msg: "connect: the node at " + url + " does not answer: " + te.Msg}
		}
		return nil, typed(err)
	}
	e.Client = c
	return &Node{URL: url}, nil
}

func table(ctx context.Context, e *Env, _ any, a Args) (any, error) {
	if str(a, "name") == "" {
		return nil, InputErrorf("table: give the table's name")
	}
	return &Table{Name: str(a, "name")}, nil
}

func info(ctx context.Context, e *Env, _ any, a Args) (any, error) {
	info, err := e.Client.Info(ctx)
	if err != nil {
		return nil, typed(err)
	}
	members := []any{}
	for _, m := range info.Members {
		members = append(members, map[string]any{"name": m.Name, "url": m.API})
	}
	datasets := map[string]any{}
	for name, d := range info.Datasets {
		cols := map[string]any{}
		for _, c := range d.Columns {
			cols[c.Name] = c.Kind
		}
		datasets[name] = cols
	}
	return map[string]any{"name": info.Name, "version": info.Version, "members": members, "datasets": datasets}, nil
}
