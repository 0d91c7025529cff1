package node

import (
	"math"
	"net/http"
	"sort"
	"strings"
)

// Request is one compute call, checked and typed.
type Request struct {
	Microprotocol string         `json:"microprotocol"`
	Data          any            `json:"-"` // client-supplied: this party's own input
	Network       *Network       `json:"network,omitempty"`
	Dataset       *DatasetRef    `json:"dataset,omitempty"`
	Parameters    map[string]any `json:"parameters,omitempty"`
	Requester     string         `json:"requester,omitempty"`

	progress *progress // how it stands, when its client follows it
}

// Network is the FSC network of a client-supplied computation.
type Network struct {
	Nodes  []string `json:"nodes"`
	UUID   string   `json:"uuid"`
	Myself int      `json:"myself"`
}

// DatasetRef names the node-held data of a dataset-backed computation.
type DatasetRef struct {
	Table   string   `json:"table"`
	Column  string   `json:"column,omitempty"`
	Columns []string `json:"columns,omitempty"`
	Where   string   `json:"where,omitempty"`
}

// parseCompute checks the named arguments of compute. Errors are 400s that
// name the argument, or a 501 for an unknown microprotocol.
func (n *Node) parseCompute(kw map[string]any) (*Request, error) {
	bad := func(format string, args ...any) error { return errorf(http.StatusBadRequest, format, args...) }
	for k, v := range kw {
		switch k {
		case "microprotocol", "data", "network", "dataset", "parameters":
		default:
			return nil, bad("unexpected argument %q (compute takes microprotocol, data, network, dataset, parameters)", k)
		}
		resolved, err := n.resolveHandles(k, v)
		if err != nil {
			return nil, err
		}
		kw[k] = resolved
	}
	req := &Request{}
	mp, ok := kw["microprotocol"].(string)
	if !ok {
		return nil, bad("microprotocol: expected a name such as \"SecureSum\", got %s", jsonType(kw["microprotocol"]))
	}
	if _, known := microprotocols[mp]; !known {
		return nil, errorf(http.StatusNotImplemented, "unknown microprotocol %q (this node offers %s)", mp, strings.Join(microprotocolNames(), ", "))
	}
	req.Microprotocol = mp
	if p, ok := kw["parameters"]; ok && p != nil {
		m, ok := p.(map[string]any)
		if !ok {
			return nil, bad("parameters: expected an object, got %s", jsonType(p))
		}
		req.Parameters = listParameters(m)
	}
	data, hasData := kw["data"]
	ds, hasDataset := kw["dataset"]
	switch {
	case hasData && hasDataset:
		return nil, bad("give either data (your own values) or dataset (node-held data), not both")
	case !hasData && !hasDataset:
		return nil, bad("missing data: give data (your own values, with network) or dataset (node-held data)")
	case hasDataset:
		ref, err := parseDatasetRef(ds)
		if err != nil {
			return nil, err
		}
		req.Dataset = ref
	default:
		if data == nil {
			return nil, bad("data: expected your values, got null")
		}
		req.Data = data
	}
	if nw, ok := kw["network"]; ok && nw != nil {
		net, err := parseNetwork(nw)
		if err != nil {
			return nil, err
		}
		req.Network = net
	}
	if req.Dataset == nil && req.Network == nil {
		return nil, bad("network: missing; a computation on your own data needs the network {nodes, uuid, myself}")
	}
	return req, nil
}

// listParameterKeys are the parameters that hold a list.
var listParameterKeys = []string{"probabilities", "edges", "range", "names"}

// listParameters writes a list parameter given as one value (R's httr
// sends c(0.5) as 0.5) as a list of one, so that parties whose clients
// write it either way ask for the same computation.
func listParameters(m map[string]any) map[string]any {
	for _, k := range listParameterKeys {
		if v, ok := m[k]; ok {
			if list, ok := oneOrList(v); ok {
				m[k] = list
			}
		}
	}
	return m
}

// resolveHandles replaces a handle to an uploaded object with the object;
// handles to anything else are refused. A handle is any object carrying a
// string representation_uuid, whatever else it holds, as the reference
// reads it: the FSC JavaScript client sends a Representation as
// {"api": {...}, "representation_uuid": U}.
func (n *Node) resolveHandles(arg string, v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return v, nil
	}
	id, ok := m["representation_uuid"].(string)
	if !ok {
		return v, nil
	}
	o, err := n.lookup(id)
	if err != nil {
		return nil, errorf(http.StatusNotFound, "%s: %v", arg, err)
	}
	if o.kind != kindUpload {
		return nil, errorf(http.StatusBadRequest, "%s: a handle to a %s cannot be passed as an argument", arg, o.kind)
	}
	return o.value, nil
}

func parseNetwork(v any) (*Network, error) {
	bad := func(format string, args ...any) error { return errorf(http.StatusBadRequest, format, args...) }
	m, ok := v.(map[string]any)
	if !ok {
		return nil, bad("network: expected an object {nodes, uuid, myself}, got %s", jsonType(v))
	}
	for k := range m {
		if k != "nodes" && k != "uuid" && k != "myself" {
			return nil, bad("network: unexpected key %q (expected nodes, uuid, myself)", k)
		}
	}
	list, ok := m["nodes"].([]any)
	if !ok {
		return nil, bad("network.nodes: expected a list of node URLs, got %s", jsonType(m["nodes"]))
	}
	net := &Network{}
	for i, x := range list {
		s, ok := x.(string)
		if !ok || s == "" {
			return nil, bad("network.nodes[%d]: expected a node URL, got %s", i, jsonType(x))
		}
		net.Nodes = append(net.Nodes, s)
	}
	if len(net.Nodes) < 2 {
		return nil, bad("network.nodes: a network needs at least two nodes, got %d", len(net.Nodes))
	}
	uuid, ok := m["uuid"].(string)
	if !ok || uuid == "" || len(uuid) > 200 {
		return nil, bad("network.uuid: expected a non-empty string of at most 200 characters, got %s", jsonType(m["uuid"]))
	}
	net.UUID = uuid
	me, ok := m["myself"].(float64)
	if !ok || me != math.Trunc(me) || me < 0 || int(me) >= len(net.Nodes) {
		return nil, bad("network.myself: expected the index of this party in nodes (0 to %d), got %s", len(net.Nodes)-1, describeValue(m["myself"]))
	}
	net.Myself = int(me)
	return net, nil
}

func parseDatasetRef(v any) (*DatasetRef, error) {
	bad := func(format string, args ...any) error { return errorf(http.StatusBadRequest, format, args...) }
	m, ok := v.(map[string]any)
	if !ok {
		return nil, bad("dataset: expected an object {table, column, where}, got %s", jsonType(v))
	}
	ref := &DatasetRef{}
	for k, x := range m {
		switch k {
		case "table", "column", "where":
			s, ok := x.(string)
			if !ok && x != nil {
				return nil, bad("dataset.%s: expected a string, got %s", k, jsonType(x))
			}
			switch k {
			case "table":
				ref.Table = s
			case "column":
				ref.Column = s
			default:
				ref.Where = s
			}
		case "columns":
			list, ok := oneOrList(x)
			if !ok {
				return nil, bad("dataset.columns: expected a list of column names, got %s", jsonType(x))
			}
			if len(list) > maxColumns {
				return nil, bad("dataset.columns: %d columns; at most %d (a regression takes up to %d regressors)", len(list), maxColumns, maxRegressors)
			}
			seen := make(map[string]bool, len(list))
			for i, c := range list {
				s, ok := c.(string)
				if !ok {
					return nil, bad("dataset.columns[%d]: expected a column name, got %s", i, jsonType(c))
				}
				if seen[s] {
					return nil, bad("dataset.columns[%d]: %q is named twice", i, s)
				}
				seen[s] = true
				ref.Columns = append(ref.Columns, s)
			}
		default:
			return nil, bad("dataset: unexpected key %q (expected table, column, columns, where)", k)
		}
	}
	if ref.Table == "" {
		return nil, bad("dataset.table: missing")
	}
	return ref, nil
}

// numbers reads client-supplied data that must be a number or a list of
// numbers; errors name the offending element.
func numbers(data any, limit int) ([]float64, error) {
	bad := func(format string, args ...any) error { return errorf(http.StatusBadRequest, format, args...) }
	switch v := data.(type) {
	case float64:
		return []float64{v}, nil
	case []any:
		if len(v) > limit {
			return nil, bad("data: %d values exceed this node's limit of %d", len(v), limit)
		}
		out := make([]float64, len(v))
		for i, x := range v {
			f, ok := x.(float64)
			if !ok {
				return nil, bad("data[%d]: expected a number, got %s", i, jsonType(x))
			}
			out[i] = f
		}
		return out, nil
	}
	return nil, bad("data: expected a number or a list of numbers, got %s", jsonType(data))
}

func microprotocolNames() []string {
	names := make([]string, 0, len(microprotocols))
	for k := range microprotocols {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
