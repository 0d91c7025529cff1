package node

import (
	"strings"
	"testing"
)

// TestDescribeValue: values in messages are written as JSON a person
// reads, never in Go syntax, and long ones are cut.
func TestDescribeValue(t *testing.T) {
	long := strings.Repeat("é", 5000)
	cases := []struct {
		v    any
		want string
	}{
		{"Foo", `"Foo"`},
		{2.5, "2.5"},
		{nil, "null"},
		{[]any{1.0, "a"}, `[1,"a"]`},
		{map[string]any{"protocol": "Foo"}, `{"protocol":"Foo"}`},
		{true, "true"},
	}
	for _, c := range cases {
		if got := describeValue(c.v); got != c.want {
			t.Errorf("describeValue(%#v) = %s, want %s", c.v, got, c.want)
		}
	}
	got := describeValue(long)
	if len(got) > maxQuoted+8 || !strings.HasSuffix(got, `..."`) || !strings.HasPrefix(got, `"é`) {
		t.Errorf("a 10 KB string is described as %d bytes: %.40s...", len(got), got)
	}
	if got := describeFields(map[string]any{"version": 1.0, "protocol": "Foo", "a": []any{}}, "protocol"); got != `protocol "Foo", a [], version 1` {
		t.Errorf("describeFields: %s", got)
	}
}
