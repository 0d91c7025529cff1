package kernel

import "testing"

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything\nat all", true},
		{"a*", "a = 1", true},
		{"a*", "b = a", false},
		{"*a", "b = a", true},
		{"?", "é", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*b*c*", "aabxxcyy", true},
		{"*b*c", "aabxxcyy", false},
		{"a**b", "ab", true},
		{"", "", true},
		{"", "a", false},
		{"literal*", "literal* too", true},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}
