package kernel

import (
	"context"
	"maps"
	"slices"
)

// userExpressions evaluates the user_expressions of an execute_request
// after its cell: each one's MIME bundle, or its error.
func (k *Kernel) userExpressions(ctx context.Context, exprs map[string]string) map[string]any {
	out := make(map[string]any, len(exprs))
	for _, name := range slices.Sorted(maps.Keys(exprs)) {
		data, err := k.rt.Execute(ctx, exprs[name])
		if err != nil {
			e := errorOf(err, k.rt.Language().Interrupted)
			out[name] = struct {
				Status string `json:"status"`
				errorContent
			}{"error", e}
			continue
		}
		if data == nil {
			data = map[string]string{"text/plain": ""}
		}
		out[name] = struct {
			Status   string            `json:"status"`
			Data     map[string]string `json:"data"`
			Metadata struct{}          `json:"metadata"`
		}{Status: "ok", Data: data}
	}
	return out
}
