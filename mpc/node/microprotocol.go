package node

import (
	"math"
	"net/http"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// microprotocol is one computation the node offers. Each party turns its
// data into an aggregate vector; the vectors are added by the secure sum;
// finish turns the total into the answer. Nothing but the total is revealed.
type microprotocol struct {
	// own turns this party's client-supplied data into its aggregate.
	own func(data any, limit int) ([]float64, error)
	// held turns node-held rows into the aggregate; cohort is the number of
	// rows it covers, which the node's min_cell rule checks.
	held func(t *stats.Table, rows []bool, ref *DatasetRef) (agg []float64, cohort int, err error)
	// finish turns the combined aggregate into the result keys.
	finish func(total []float64) map[string]any
}

// microprotocols lists every microprotocol by its FSC name.
var microprotocols = map[string]*microprotocol{
	"SecureSum": {
		own: func(data any, limit int) ([]float64, error) {
			x, err := numbers(data, limit)
			if err != nil {
				return nil, err
			}
			return []float64{stats.SumValues(x)}, nil
		},
		held: func(t *stats.Table, rows []bool, ref *DatasetRef) ([]float64, int, error) {
			if ref.Column == "" {
				return nil, 0, errorf(http.StatusBadRequest, "dataset.column: SecureSum needs the column to add up")
			}
			c, err := t.NumericColumn(ref.Column)
			if err != nil {
				return nil, 0, errorf(http.StatusBadRequest, "%v", err)
			}
			s, n := stats.Sum(c, rows)
			return []float64{s}, n, nil
		},
		finish: func(total []float64) map[string]any { return map[string]any{"sum": total[0]} },
	},
	"Count": {
		own: func(data any, limit int) ([]float64, error) {
			list, ok := data.([]any)
			if !ok {
				return nil, errorf(http.StatusBadRequest, "data: Count expects a list, got %s", jsonType(data))
			}
			if len(list) > limit {
				return nil, errorf(http.StatusBadRequest, "data: %d values exceed this node's limit of %d", len(list), limit)
			}
			return []float64{float64(len(list))}, nil
		},
		held: func(t *stats.Table, rows []bool, ref *DatasetRef) ([]float64, int, error) {
			k := stats.CountRows(rows, t.Rows)
			if ref.Column != "" {
				c, err := t.Column(ref.Column)
				if err != nil {
					return nil, 0, errorf(http.StatusBadRequest, "%v", err)
				}
				k = stats.CountValues(c, rows)
			}
			return []float64{float64(k)}, k, nil
		},
		finish: func(total []float64) map[string]any { return map[string]any{"count": int64(math.Round(total[0]))} },
	},
}

// encodeAggregate checks that an aggregate can be shared and encodes it;
// what names the input in the error (e.g. "data").
func encodeAggregate(what string, agg []float64) ([]uint64, error) {
	for i, v := range agg {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errorf(http.StatusBadRequest, "%s: the values overflow (their aggregate %d is %v)", what, i, v)
		}
	}
	enc, err := mpc.EncodeReals(agg)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%s: %v", what, err)
	}
	return enc, nil
}
